// Link and network addresses as plain values.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mtcpp {

struct MacAddr {
  std::array<std::uint8_t, 6> octets{};

  static constexpr MacAddr broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  constexpr bool is_broadcast() const { return *this == broadcast(); }
  constexpr bool is_multicast() const { return (octets[0] & 1) != 0; }
  constexpr bool is_zero() const { return *this == MacAddr{}; }
  static std::optional<MacAddr> parse(std::string_view text);  // "02:00:00:00:00:01"
  std::string to_string() const;
  friend constexpr bool operator==(const MacAddr&, const MacAddr&) = default;
};

// An IPv4 address in host byte order.
struct Ipv4Addr {
  std::uint32_t value = 0;

  static constexpr Ipv4Addr of(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return {(std::uint32_t{a} << 24) | (std::uint32_t{b} << 16) | (std::uint32_t{c} << 8) | d};
  }
  constexpr bool is_unspecified() const { return value == 0; }
  constexpr bool is_broadcast() const { return value == 0xffffffffu; }
  constexpr bool is_multicast() const { return (value >> 28) == 0xe; }
  static std::optional<Ipv4Addr> parse(std::string_view text);  // dotted quad
  std::string to_string() const;
  friend constexpr auto operator<=>(const Ipv4Addr&, const Ipv4Addr&) = default;
};

constexpr std::uint32_t prefix_mask(int prefix_len) {
  return prefix_len <= 0 ? 0u : prefix_len >= 32 ? 0xffffffffu : ~((1u << (32 - prefix_len)) - 1);
}
// Whether a and b share their first prefix_len bits (one subnet, or a route's prefix).
constexpr bool same_prefix(Ipv4Addr a, Ipv4Addr b, int prefix_len) {
  return ((a.value ^ b.value) & prefix_mask(prefix_len)) == 0;
}

// A transport endpoint.
struct Endpoint {
  Ipv4Addr addr;
  std::uint16_t port = 0;
  friend constexpr auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

}  // namespace mtcpp
