#include "core/wire/addr.h"

#include <charconv>
#include <cstdio>

namespace mtcpp {

namespace {
// Parses an unsigned number in [0, max] with the given base from the front of text.
std::optional<unsigned> take_number(std::string_view& text, int base, unsigned max) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (ec != std::errc{} || end == text.data() || v > max) return std::nullopt;
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return v;
}
}  // namespace

std::optional<MacAddr> MacAddr::parse(std::string_view text) {
  MacAddr mac;
  for (std::size_t i = 0; i < 6; ++i) {
    if (i > 0) {
      if (text.empty() || (text[0] != ':' && text[0] != '-')) return std::nullopt;
      text.remove_prefix(1);
    }
    if (text.size() < 2) return std::nullopt;
    auto part = text.substr(0, 2);
    auto v = take_number(part, 16, 0xff);
    if (!v || !part.empty()) return std::nullopt;
    text.remove_prefix(2);
    mac.octets[i] = static_cast<std::uint8_t>(*v);
  }
  if (!text.empty()) return std::nullopt;
  return mac;
}

std::string MacAddr::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", octets[0], octets[1], octets[2],
                octets[3], octets[4], octets[5]);
  return buf;
}

std::optional<Ipv4Addr> Ipv4Addr::parse(std::string_view text) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (text.empty() || text[0] != '.') return std::nullopt;
      text.remove_prefix(1);
    }
    auto v = take_number(text, 10, 255);
    if (!v) return std::nullopt;
    value = (value << 8) | *v;
  }
  if (!text.empty()) return std::nullopt;
  return Ipv4Addr{value};
}

std::string Ipv4Addr::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                value & 0xff);
  return buf;
}

}  // namespace mtcpp
