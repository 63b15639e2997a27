#include "core/wire/ipv4.h"

#include "core/wire/checksum.h"

namespace mtcpp {

Ipv4Header::Parsed Ipv4Header::parse(Bytes p, bool verify_checksum) {
  Parsed r;
  if (p.size() < kMinSize) return r;
  if ((p[0] >> 4) != 4) {
    r.error = Error::bad_version;
    return r;
  }
  const std::size_t ihl = std::size_t{p[0] & 0x0fu} * 4;
  if (ihl < kMinSize || ihl > p.size()) {
    r.error = Error::bad_header_length;
    return r;
  }
  const std::uint16_t total = load_be16(p, 2);
  if (total < ihl || total > p.size()) {
    r.error = Error::bad_total_length;
    return r;
  }
  if (verify_checksum) {
    Checksum c;
    c.add(p.first(ihl));
    if (c.finish() != 0) {
      r.error = Error::bad_checksum;
      return r;
    }
  }
  Ipv4Header h;
  h.tos = p[1];
  h.total_length = total;
  h.id = load_be16(p, 4);
  const std::uint16_t frag = load_be16(p, 6);
  h.dont_fragment = (frag & 0x4000) != 0;
  h.more_fragments = (frag & 0x2000) != 0;
  h.fragment_offset = frag & 0x1fff;
  h.ttl = p[8];
  h.protocol = p[9];
  h.checksum = load_be16(p, 10);
  h.src.value = load_be32(p, 12);
  h.dst.value = load_be32(p, 16);
  h.header_len = ihl;
  r.header = h;
  r.payload = p.subspan(ihl, total - ihl);
  return r;
}

void Ipv4Header::emit(MutableBytes out) const {
  out[0] = 0x45;
  out[1] = tos;
  store_be16(out, 2, total_length);
  store_be16(out, 4, id);
  std::uint16_t frag = fragment_offset & 0x1fff;
  if (dont_fragment) frag |= 0x4000;
  if (more_fragments) frag |= 0x2000;
  store_be16(out, 6, frag);
  out[8] = ttl;
  out[9] = protocol;
  store_be16(out, 10, 0);
  store_be32(out, 12, src.value);
  store_be32(out, 16, dst.value);
  // The header's ten words summed from the fields just written (RFC 1071), not read back: every
  // datagram sent pays for this.
  std::uint32_t sum = (0x4500u | tos) + total_length + id + frag + ((std::uint32_t{ttl} << 8) | protocol) +
                      (src.value >> 16) + (src.value & 0xffff) + (dst.value >> 16) + (dst.value & 0xffff);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  store_be16(out, 10, static_cast<std::uint16_t>(~sum));
}

}  // namespace mtcpp
