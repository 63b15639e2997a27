// ICMPv4 (RFC 792): echo for ping, destination-unreachable for soft errors.
#pragma once
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/wire/addr.h"

namespace mtcpp {

struct IcmpHeader {
  static constexpr std::size_t kSize = 8;
  static constexpr std::uint8_t kEchoReply = 0;
  static constexpr std::uint8_t kDestUnreachable = 3;
  static constexpr std::uint8_t kEchoRequest = 8;
  static constexpr std::uint8_t kTimeExceeded = 11;

  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint32_t rest = 0;  // identifier+sequence for echo, unused/next-hop MTU for unreachable

  // Verifies the checksum over the whole message (ICMP has no offload here).
  static std::optional<IcmpHeader> parse(Bytes message);
  // Writes the header and the checksum over header plus the body that follows it in `message`.
  void emit(MutableBytes message) const;
};

// What an ICMP error (destination unreachable, time exceeded) quotes of a TCP segment we sent
// (RFC 792: our IPv4 header and at least 8 bytes of what followed it).
struct QuotedTcp {
  Endpoint local;                     // the quoted source: us
  Endpoint remote;
  std::optional<std::uint32_t> seq;   // when the quote reaches the sequence number
};
// The body after the ICMP header; nothing when it quotes less than an IPv4 header and 8 bytes,
// or not an IPv4 TCP segment's ports.
std::optional<QuotedTcp> quoted_tcp(Bytes body);

}  // namespace mtcpp
