#include "core/wire/icmp.h"

#include "core/wire/checksum.h"

namespace mtcpp {

std::optional<IcmpHeader> IcmpHeader::parse(Bytes m) {
  if (m.size() < kSize) return std::nullopt;
  Checksum c;
  c.add(m);
  if (c.finish() != 0) return std::nullopt;
  return IcmpHeader{m[0], m[1], load_be32(m, 4)};
}

std::optional<QuotedTcp> quoted_tcp(Bytes q) {
  constexpr std::size_t kIp = 20;
  if (q.size() < kIp + 8 || (q[0] >> 4) != 4) return std::nullopt;  // RFC 792 quotes 8 bytes at least
  const std::size_t ihl = std::size_t{q[0] & 0x0fu} * 4;
  if (ihl < kIp || q.size() < ihl + 4 || q[9] != 6) return std::nullopt;
  QuotedTcp t{{Ipv4Addr{load_be32(q, 12)}, load_be16(q, ihl)}, {Ipv4Addr{load_be32(q, 16)}, load_be16(q, ihl + 2)}, {}};
  if (q.size() >= ihl + 8) t.seq = load_be32(q, ihl + 4);
  return t;
}

void IcmpHeader::emit(MutableBytes m) const {
  m[0] = type;
  m[1] = code;
  store_be16(m, 2, 0);
  store_be32(m, 4, rest);
  Checksum c;
  c.add(m);
  store_be16(m, 2, c.finish());
}

}  // namespace mtcpp
