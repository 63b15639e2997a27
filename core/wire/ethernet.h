// Ethernet II framing (IEEE 802.3 with an EtherType; no VLAN tags).
#pragma once
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/wire/addr.h"

namespace mtcpp {

enum class EtherType : std::uint16_t { ipv4 = 0x0800, arp = 0x0806 };

struct EthernetHeader {
  static constexpr std::size_t kSize = 14;
  MacAddr dst;
  MacAddr src;
  std::uint16_t ethertype = 0;

  static std::optional<EthernetHeader> parse(Bytes frame);
  void emit(MutableBytes out) const;  // out.size() >= kSize
};

}  // namespace mtcpp
