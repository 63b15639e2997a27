// Bounds-checked big-endian access to packet bytes. Wire views use these instead of casting
// raw bytes to structs: every read states its offset and the length was checked once up front.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace mtcpp {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

constexpr std::uint16_t load_be16(Bytes b, std::size_t off) {
  return static_cast<std::uint16_t>((b[off] << 8) | b[off + 1]);
}
constexpr std::uint32_t load_be32(Bytes b, std::size_t off) {
  return (std::uint32_t{b[off]} << 24) | (std::uint32_t{b[off + 1]} << 16) |
         (std::uint32_t{b[off + 2]} << 8) | std::uint32_t{b[off + 3]};
}
constexpr void store_be16(MutableBytes b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}
constexpr void store_be32(MutableBytes b, std::size_t off, std::uint32_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 24);
  b[off + 1] = static_cast<std::uint8_t>(v >> 16);
  b[off + 2] = static_cast<std::uint8_t>(v >> 8);
  b[off + 3] = static_cast<std::uint8_t>(v);
}

}  // namespace mtcpp
