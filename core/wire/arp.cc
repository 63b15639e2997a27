#include "core/wire/arp.h"

#include <algorithm>

namespace mtcpp {

namespace {
constexpr std::uint16_t kHwEthernet = 1;
constexpr std::uint16_t kProtoIpv4 = 0x0800;
}  // namespace

std::optional<ArpPacket> ArpPacket::parse(Bytes p) {
  if (p.size() < kSize) return std::nullopt;
  if (load_be16(p, 0) != kHwEthernet || load_be16(p, 2) != kProtoIpv4 || p[4] != 6 || p[5] != 4)
    return std::nullopt;
  const std::uint16_t op = load_be16(p, 6);
  if (op != 1 && op != 2) return std::nullopt;
  ArpPacket a;
  a.op = static_cast<ArpOp>(op);
  std::copy_n(p.begin() + 8, 6, a.sender_mac.octets.begin());
  a.sender_ip.value = load_be32(p, 14);
  std::copy_n(p.begin() + 18, 6, a.target_mac.octets.begin());
  a.target_ip.value = load_be32(p, 24);
  return a;
}

void ArpPacket::emit(MutableBytes out) const {
  store_be16(out, 0, kHwEthernet);
  store_be16(out, 2, kProtoIpv4);
  out[4] = 6;
  out[5] = 4;
  store_be16(out, 6, static_cast<std::uint16_t>(op));
  std::copy(sender_mac.octets.begin(), sender_mac.octets.end(), out.begin() + 8);
  store_be32(out, 14, sender_ip.value);
  std::copy(target_mac.octets.begin(), target_mac.octets.end(), out.begin() + 18);
  store_be32(out, 24, target_ip.value);
}

}  // namespace mtcpp
