// Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): comparisons are by signed distance.
#pragma once
#include <cstdint>

namespace mtcpp {

struct SeqNum {
  std::uint32_t v = 0;

  constexpr SeqNum operator+(std::uint32_t n) const { return {v + n}; }
  constexpr SeqNum operator-(std::uint32_t n) const { return {v - n}; }
  constexpr SeqNum& operator+=(std::uint32_t n) { v += n; return *this; }
  // Signed distance from b to a; meaningful while the two are less than 2^31 apart.
  friend constexpr std::int32_t operator-(SeqNum a, SeqNum b) { return static_cast<std::int32_t>(a.v - b.v); }
  friend constexpr bool operator==(SeqNum a, SeqNum b) = default;
  friend constexpr bool operator<(SeqNum a, SeqNum b) { return (a - b) < 0; }
  friend constexpr bool operator<=(SeqNum a, SeqNum b) { return (a - b) <= 0; }
  friend constexpr bool operator>(SeqNum a, SeqNum b) { return (a - b) > 0; }
  friend constexpr bool operator>=(SeqNum a, SeqNum b) { return (a - b) >= 0; }
};

constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return a < b ? b : a; }
constexpr SeqNum seq_min(SeqNum a, SeqNum b) { return a < b ? a : b; }
// lo <= s < hi
constexpr bool seq_in(SeqNum s, SeqNum lo, SeqNum hi) { return lo <= s && s < hi; }

}  // namespace mtcpp
