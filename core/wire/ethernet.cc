#include "core/wire/ethernet.h"

#include <algorithm>

namespace mtcpp {

std::optional<EthernetHeader> EthernetHeader::parse(Bytes frame) {
  if (frame.size() < kSize) return std::nullopt;
  EthernetHeader h;
  std::copy_n(frame.begin(), 6, h.dst.octets.begin());
  std::copy_n(frame.begin() + 6, 6, h.src.octets.begin());
  h.ethertype = load_be16(frame, 12);
  return h;
}

void EthernetHeader::emit(MutableBytes out) const {
  std::copy(dst.octets.begin(), dst.octets.end(), out.begin());
  std::copy(src.octets.begin(), src.octets.end(), out.begin() + 6);
  store_be16(out, 12, ethertype);
}

}  // namespace mtcpp
