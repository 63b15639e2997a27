#include "core/tcp/isn.h"

#include <bit>
#include <initializer_list>

namespace mtcpp {

namespace {

// SipHash-2-4, written from the paper's description (Aumasson and Bernstein, 2012). The 4-tuple
// is two 64-bit words (12 bytes, zero-padded).
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

// SipHash-2-4 of `n` 64-bit words (a message of 8n bytes, no tail).
std::uint64_t siphash24(std::uint64_t k0, std::uint64_t k1, std::initializer_list<std::uint64_t> words) {
  SipState s{k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull, k0 ^ 0x6c7967656e657261ull,
             k1 ^ 0x7465646279746573ull};
  for (const std::uint64_t m : words) s.absorb(m);
  s.absorb(std::uint64_t{8 * words.size()} << 56);  // the length byte
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace

std::uint64_t IsnGenerator::hash(Endpoint local, Endpoint remote) const {
  const std::uint64_t m0 = (std::uint64_t{local.addr.value} << 32) | remote.addr.value;
  const std::uint64_t m1 = (std::uint64_t{local.port} << 16) | remote.port;
  return siphash24(k0_, k1_, {m0, m1});
}

std::uint64_t IsnGenerator::hash(Endpoint local, Endpoint remote, std::uint64_t extra) const {
  const std::uint64_t m0 = (std::uint64_t{local.addr.value} << 32) | remote.addr.value;
  const std::uint64_t m1 = (std::uint64_t{local.port} << 16) | remote.port;
  return siphash24(k0_, k1_, {m0, m1, extra});
}

SeqNum IsnGenerator::isn(Endpoint local, Endpoint remote, Instant now) const {
  const auto m = static_cast<std::uint32_t>(to_us(now) / 4);
  return SeqNum{m + static_cast<std::uint32_t>(hash(local, remote))};
}

}  // namespace mtcpp
