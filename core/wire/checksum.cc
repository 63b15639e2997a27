#include "core/wire/checksum.h"

namespace mtcpp {

void Checksum::add(Bytes data) {
  std::size_t i = 0;
  if (odd_ && !data.empty()) {
    sum_ += data[0];
    i = 1;
    odd_ = false;
  }
  for (; i + 1 < data.size(); i += 2) sum_ += load_be16(data, i);
  if (i < data.size()) {
    sum_ += std::uint32_t{data[i]} << 8;
    odd_ = true;
  }
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
