#include "core/tcp/isn.h"

#include <bit>

namespace mtcpp {

namespace {

// SipHash-2-4 of two 64-bit words (the 12-byte 4-tuple, zero-padded), written from the paper's
// description (Aumasson and Bernstein, 2012).
struct SipState {
  std::uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1; v1 = std::rotl(v1, 13); v1 ^= v0; v0 = std::rotl(v0, 32);
    v2 += v3; v3 = std::rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = std::rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = std::rotl(v1, 17); v1 ^= v2; v2 = std::rotl(v2, 32);
  }
  void absorb(std::uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::uint64_t m0, std::uint64_t m1) {
  SipState s{k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull, k0 ^ 0x6c7967656e657261ull,
             k1 ^ 0x7465646279746573ull};
  s.absorb(m0);
  s.absorb(m1);
  s.absorb(std::uint64_t{16} << 56);  // length byte of a 16-byte message, no tail
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace

std::uint64_t IsnGenerator::hash(Endpoint local, Endpoint remote) const {
  const std::uint64_t m0 = (std::uint64_t{local.addr.value} << 32) | remote.addr.value;
  const std::uint64_t m1 = (std::uint64_t{local.port} << 16) | remote.port;
  return siphash24(k0_, k1_, m0, m1);
}

SeqNum IsnGenerator::isn(Endpoint local, Endpoint remote, Instant now) const {
  const auto m = static_cast<std::uint32_t>(to_us(now) / 4);
  return SeqNum{m + static_cast<std::uint32_t>(hash(local, remote))};
}

}  // namespace mtcpp
