// Helpers shared by the wire-format tests: byte arrays written as hex, and exact-size copies so
// AddressSanitizer reports any read past the end of a truncated buffer.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "core/bytes.h"

namespace mtcpp::test {

// "45 00 00 3c" or "4500003c" -> bytes; spaces and newlines are ignored.
inline std::vector<std::uint8_t> hex(std::string_view text) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out;
  int high = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n') continue;
    const int v = nibble(c);
    if (v < 0) throw std::invalid_argument("hex: bad digit");
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) throw std::invalid_argument("hex: odd number of digits");
  return out;
}

// A fresh heap buffer holding exactly the first n bytes of b: its capacity is n, so a parser that
// reads one byte too far trips ASan instead of reading the rest of the original array.
inline std::vector<std::uint8_t> prefix(Bytes b, std::size_t n) {
  return std::vector<std::uint8_t>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

// The Internet checksum of `data` written naively (sum of big-endian words, carries folded at the
// end), kept independent of core/wire/checksum.cc so tests compare two implementations.
inline std::uint16_t reference_checksum(const std::vector<std::uint8_t>& data) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < data.size(); i += 2) {
    const std::uint32_t low = i + 1 < data.size() ? data[i + 1] : 0;
    sum += (std::uint32_t{data[i]} << 8) | low;
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

}  // namespace mtcpp::test
