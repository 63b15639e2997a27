// Builders for TCP segments in tests: a bare header around chosen option bytes, with a checksum
// computed by the reference implementation so the parser's verification path runs too.
#pragma once
#include <cstdint>
#include <vector>

#include "core/bytes.h"
#include "core/wire/addr.h"
#include "tests/wire/wire_test_util.h"

namespace mtcpp::test {

inline constexpr Ipv4Addr kClientIp = Ipv4Addr::of(192, 168, 0, 104);
inline constexpr Ipv4Addr kServerIp = Ipv4Addr::of(192, 168, 0, 1);

// The pseudo-header and segment checksummed together by the reference (non-core) code.
inline std::uint16_t reference_tcp_checksum(Ipv4Addr src, Ipv4Addr dst, const std::vector<std::uint8_t>& segment) {
  std::vector<std::uint8_t> covered(12);
  store_be32(covered, 0, src.value);
  store_be32(covered, 4, dst.value);
  covered[9] = 6;
  store_be16(covered, 10, static_cast<std::uint16_t>(segment.size()));
  covered.insert(covered.end(), segment.begin(), segment.end());
  return reference_checksum(covered);
}

// An ACK from kClientIp:54321 to kServerIp:80 whose data offset covers `options` (which the caller
// pads to a multiple of 4), followed by `payload`, with a correct checksum.
inline std::vector<std::uint8_t> segment_with_options(const std::vector<std::uint8_t>& options,
                                                      const std::vector<std::uint8_t>& payload = {}) {
  std::vector<std::uint8_t> s = hex("d431 0050 0000 0001 0000 0002 5010 ffff 0000 0000");
  s[12] = static_cast<std::uint8_t>(((20 + options.size()) / 4) << 4);
  s.insert(s.end(), options.begin(), options.end());
  s.insert(s.end(), payload.begin(), payload.end());
  const std::uint16_t sum = reference_tcp_checksum(kClientIp, kServerIp, s);
  store_be16(s, 16, sum);
  return s;
}

}  // namespace mtcpp::test
