// The Internet checksum (RFC 1071), accumulated in pieces so a pseudo-header and a payload that
// live in different places can be summed without copying them together.
#pragma once
#include <cstdint>

#include "core/bytes.h"
#include "core/wire/addr.h"

namespace mtcpp {

class Checksum {
 public:
  void add(Bytes data);
  // After an odd-length add() the next byte is the low half of a word, so a word added now
  // straddles two words: its high byte counts as a low byte and vice versa, i.e. byte-swapped.
  void add16(std::uint16_t v) { sum_ += odd_ ? static_cast<std::uint16_t>((v << 8) | (v >> 8)) : v; }
  void add32(std::uint32_t v) {
    add16(static_cast<std::uint16_t>(v >> 16));
    add16(static_cast<std::uint16_t>(v));
  }
  // The one's-complement of the folded sum: what goes into a header field.
  std::uint16_t finish() const;

  // The TCP/UDP pseudo-header of RFC 9293 §3.1.
  static Checksum pseudo_header(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol, std::uint16_t length);

 private:
  std::uint64_t sum_ = 0;
  bool odd_ = false;  // an odd-length piece was added: the next byte is the low half of a word
};

}  // namespace mtcpp
