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
