// Initial sequence numbers (RFC 6528): ISN = M + F(localip, localport, remoteip, remoteport, key),
// with M a 4-microsecond clock taken from the `now` the caller passes and F SipHash-2-4 keyed by a
// per-stack 128-bit secret (StackConfig::secret), or drawn from the stack's seeded generator when
// the stack is to be reproducible.
#pragma once
#include <cstdint>

#include "core/rng.h"
#include "core/tcp/seq.h"
#include "core/time.h"
#include "core/wire/addr.h"

namespace mtcpp {

class IsnGenerator {
 public:
  explicit IsnGenerator(Rng& rng) : k0_(rng.next()), k1_(rng.next()) {}
  IsnGenerator(std::uint64_t k0, std::uint64_t k1) : k0_(k0), k1_(k1) {}
  SeqNum isn(Endpoint local, Endpoint remote, Instant now) const;
  // The same keyed hash, for other per-connection secrets (timestamp offsets).
  std::uint64_t hash(Endpoint local, Endpoint remote) const;
  // Keyed over the tuple and one more word (SYN cookies: the time counter and the peer's ISN).
  std::uint64_t hash(Endpoint local, Endpoint remote, std::uint64_t extra) const;

 private:
  std::uint64_t k0_, k1_;
};

}  // namespace mtcpp
