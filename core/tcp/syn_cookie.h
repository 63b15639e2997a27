// SYN cookies (RFC 4987 §3.6): when a listener's SYN queue is full, the SYN-ACK's ISS carries
// what the connection needs, so nothing is kept until the handshake's ACK returns it.
//   bits 31..27  a counter of 64-second periods, modulo 32: a cookie is good for two periods
//   bits 26..24  the peer's MSS, as an index into kCookieMss (rounded down)
//   bits 23..0   a keyed hash of the 4-tuple, the full counter and the peer's ISN
// With timestamps, the low 6 bits of the SYN-ACK's TSval carry the window scale the peer offered
// (0..14; 15: none) and whether it offered SACK, as Linux does; the ACK echoes them in TSecr.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "core/tcp/seq.h"
#include "core/time.h"

namespace mtcpp {

inline constexpr std::array<std::uint16_t, 8> kCookieMss = {536, 1220, 1300, 1400, 1440, 1460, 4312, 8960};
inline constexpr std::int64_t kCookiePeriodUs = 64'000'000;
inline constexpr std::uint32_t kCookieTsBits = 6;

struct CookieOptions {
  std::optional<std::uint8_t> window_scale;
  bool sack = false;
};

// The counter of 64-second periods at `now`.
constexpr std::uint64_t cookie_period(Instant now) { return static_cast<std::uint64_t>(to_us(now) / kCookiePeriodUs); }

// The index of the largest table MSS not above the peer's (a peer below the first gets no cookie).
constexpr std::uint32_t cookie_mss_index(std::uint16_t peer_mss) {
  std::uint32_t best = 0;
  for (std::uint32_t i = 0; i < kCookieMss.size(); ++i)
    if (kCookieMss[i] <= peer_mss) best = i;
  return best;
}

// `keyed(period)`: the keyed hash of the tuple, that period and the peer's ISN.
template <class Keyed>
SeqNum make_cookie(std::uint64_t period, std::uint32_t mss_index, Keyed&& keyed) {
  return SeqNum{static_cast<std::uint32_t>((period & 31) << 27) | (mss_index << 24) |
                (static_cast<std::uint32_t>(keyed(period)) & 0xffffff)};
}

// The MSS a returned cookie (SEG.ACK - 1) holds, if it was made in this period or the last one.
template <class Keyed>
std::optional<std::uint16_t> check_cookie(SeqNum cookie, std::uint64_t period, Keyed&& keyed) {
  for (const std::uint64_t p : {period, period - 1}) {
    if ((cookie.v >> 27) != (p & 31)) continue;
    if ((static_cast<std::uint32_t>(keyed(p)) & 0xffffff) != (cookie.v & 0xffffff)) return std::nullopt;
    return kCookieMss[(cookie.v >> 24) & 7];
  }
  return std::nullopt;
}

// The TSval of a cookie SYN-ACK: `tsval` with its low bits replaced by the options, never later
// than `tsval` (the peer must not see the clock jump ahead).
constexpr std::uint32_t cookie_tsval(std::uint32_t tsval, const CookieOptions& o) {
  const std::uint32_t bits = (o.window_scale ? *o.window_scale : 0xfu) | (o.sack ? 0x10u : 0u);
  std::uint32_t ts = (tsval & ~((1u << kCookieTsBits) - 1)) | bits;
  if (ts > tsval) ts -= 1u << kCookieTsBits;
  return ts;
}

constexpr CookieOptions cookie_options(std::uint32_t tsecr) {
  CookieOptions o;
  const std::uint32_t ws = tsecr & 0xf;
  if (ws <= 14) o.window_scale = static_cast<std::uint8_t>(ws);
  o.sack = (tsecr & 0x10) != 0;
  return o;
}

}  // namespace mtcpp
