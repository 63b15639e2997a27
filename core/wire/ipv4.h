// IPv4 headers (RFC 791). Options are skipped, fragments are recognised so they can be dropped.
#pragma once
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/wire/addr.h"

namespace mtcpp {

enum class IpProto : std::uint8_t { icmp = 1, tcp = 6, udp = 17 };

struct Ipv4Header {
  static constexpr std::size_t kMinSize = 20;
  std::uint8_t tos = 0;
  std::uint16_t total_length = 0;
  std::uint16_t id = 0;
  bool dont_fragment = true;
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;  // in 8-byte units
  std::uint8_t ttl = 64;
  std::uint8_t protocol = 0;
  std::uint16_t checksum = 0;
  Ipv4Addr src;
  Ipv4Addr dst;
  std::size_t header_len = kMinSize;  // with options; emit() always writes 20 bytes

  bool is_fragment() const { return more_fragments || fragment_offset != 0; }

  enum class Error { truncated, bad_version, bad_header_length, bad_total_length, bad_checksum };
  struct Parsed;
  // Checks version, lengths and (unless the NIC did) the header checksum.
  static Parsed parse(Bytes packet, bool verify_checksum);
  // Writes a 20-byte header with its checksum.
  void emit(MutableBytes out) const;
};

struct Ipv4Header::Parsed {
  std::optional<Ipv4Header> header;
  Error error = Error::truncated;  // meaningful when header is empty
  Bytes payload;                   // bounded by total_length, not by the frame (Ethernet pads)
};

}  // namespace mtcpp
