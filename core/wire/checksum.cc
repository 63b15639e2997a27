#include "core/wire/checksum.h"

#include <cstring>

namespace mtcpp {

namespace {

// The one's-complement sum of a run of bytes that starts at an even offset, folded to 16 bits,
// as big-endian words. Eight bytes at a time in the machine's order: a one's-complement sum is
// the same in either byte order up to a swap of the result (RFC 1071 §2(B)), and summing the two
// 32-bit halves of each 64-bit load into 64-bit accumulators defers every carry to the end
// (no overflow below 2^32 loads).
std::uint16_t sum_words(const std::uint8_t* p, std::size_t n) {
  std::uint64_t lo = 0, hi = 0;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    lo += static_cast<std::uint32_t>(w);
    hi += w >> 32;
  }
  std::uint64_t s = lo + hi;
  for (; n >= 2; p += 2, n -= 2) {
    std::uint16_t w;
    std::memcpy(&w, p, 2);
    s += w;
  }
  if (n == 1) {  // a last odd byte is the high half of a big-endian word: in machine order...
    const std::uint16_t w = static_cast<std::uint16_t>(*p << 8);
    std::uint16_t native;
    const std::uint8_t be[2] = {static_cast<std::uint8_t>(w >> 8), static_cast<std::uint8_t>(w)};
    std::memcpy(&native, be, 2);
    s += native;
  }
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  std::uint16_t folded = static_cast<std::uint16_t>(s);
  // ...and the folded sum is in machine order: big-endian words are wanted.
  std::uint8_t bytes[2];
  std::memcpy(bytes, &folded, 2);
  return static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
}

}  // namespace

void Checksum::add(Bytes data) {
  const std::uint8_t* p = data.data();
  std::size_t n = data.size();
  if (odd_ && n > 0) {  // the low half of the word an earlier odd piece began
    sum_ += *p++;
    --n;
    odd_ = false;
  }
  if (n == 0) return;
  sum_ += sum_words(p, n);
  odd_ = (n & 1) != 0;
}

std::uint16_t Checksum::finish() const {
  std::uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<std::uint16_t>(~s);
}

Checksum Checksum::pseudo_header(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol, std::uint16_t length) {
  Checksum c;
  c.add32(src.value);
  c.add32(dst.value);
  c.add16(protocol);
  c.add16(length);
  return c;
}

}  // namespace mtcpp
