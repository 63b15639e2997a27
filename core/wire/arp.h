// ARP for IPv4 over Ethernet (RFC 826): the only hardware/protocol pair the stack speaks.
#pragma once
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/wire/addr.h"

namespace mtcpp {

enum class ArpOp : std::uint16_t { request = 1, reply = 2 };

struct ArpPacket {
  static constexpr std::size_t kSize = 28;
  ArpOp op = ArpOp::request;
  MacAddr sender_mac;
  Ipv4Addr sender_ip;
  MacAddr target_mac;
  Ipv4Addr target_ip;

  // Rejects anything but Ethernet/IPv4 with a known opcode.
  static std::optional<ArpPacket> parse(Bytes payload);
  void emit(MutableBytes out) const;
};

}  // namespace mtcpp
