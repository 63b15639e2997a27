#include "core/wire/tcp.h"

#include <algorithm>

#include "core/wire/checksum.h"

namespace mtcpp {

namespace {

enum : std::uint8_t { kEol = 0, kNop = 1, kMss = 2, kWindowScale = 3, kSackPermitted = 4, kSack = 5, kTimestamps = 8 };

// Walks the option list; false on a length that is short, overruns the header, or does not fit
// its kind. Unknown kinds with a sane length are skipped (RFC 9293 §3.1, "must be prepared").
bool parse_options(Bytes opts, TcpOptions& out) {
  // Nearly every segment of a connection with timestamps carries exactly NOP NOP TS (RFC 7323
  // Appendix A's layout): read it without the loop.
  if (opts.size() == 12 && opts[0] == kNop && opts[1] == kNop && opts[2] == kTimestamps && opts[3] == 10) {
    out.timestamps = TcpTimestamps{load_be32(opts, 4), load_be32(opts, 8)};
    return true;
  }
  std::size_t i = 0;
  while (i < opts.size()) {
    const std::uint8_t kind = opts[i];
    if (kind == kEol) break;
    if (kind == kNop) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size()) return false;
    const std::size_t len = opts[i + 1];
    if (len < 2 || i + len > opts.size()) return false;
    Bytes body = opts.subspan(i + 2, len - 2);
    switch (kind) {
      case kMss:
        if (len != 4) return false;
        out.mss = load_be16(body, 0);
        break;
      case kWindowScale:
        if (len != 3) return false;
        out.window_scale = body[0];
        break;
      case kSackPermitted:
        if (len != 2) return false;
        out.sack_permitted = true;
        break;
      case kSack: {
        if ((len - 2) % 8 != 0 || len == 2) return false;
        out.sack_count = 0;
        for (std::size_t b = 0; b < body.size() && out.sack_count < TcpOptions::kMaxSackBlocks; b += 8)
          out.sack[out.sack_count++] = {load_be32(body, b), load_be32(body, b + 4)};
        break;
      }
      case kTimestamps:
        if (len != 10) return false;
        out.timestamps = TcpTimestamps{load_be32(body, 0), load_be32(body, 4)};
        break;
      default:
        break;
    }
    i += len;
  }
  return true;
}

// Option bytes emit() writes before the SACK option.
std::size_t size_before_sack(const TcpOptions& o) {
  std::size_t n = 0;
  if (o.mss) n += 4;
  if (o.window_scale) n += 4;  // NOP + 3
  if (o.sack_permitted && !o.timestamps) n += 4;  // NOP NOP + 2
  if (o.timestamps) n += 12;  // (SACK-permitted or NOP NOP) + timestamps
  return n;
}

// The SACK blocks emit() writes: at most the array's four, and only as many as fit in the 40
// option bytes after the other options (three beside timestamps, RFC 2018 §3). The blocks left
// out are the last ones, which RFC 2018 orders as the least recent.
std::size_t sack_blocks_to_emit(const TcpOptions& o) {
  constexpr std::size_t kOptionSpace = TcpHeader::kMaxSize - TcpHeader::kMinSize;
  constexpr std::size_t kSackOverhead = 4;  // NOP NOP kind length
  const std::size_t used = size_before_sack(o);
  if (used + kSackOverhead >= kOptionSpace) return 0;
  const std::size_t fit = (kOptionSpace - used - kSackOverhead) / 8;
  return std::min({o.sack_count, TcpOptions::kMaxSackBlocks, fit});
}

}  // namespace

std::size_t TcpOptions::encoded_size() const {
  const std::size_t blocks = sack_blocks_to_emit(*this);
  return size_before_sack(*this) + (blocks > 0 ? 4 + 8 * blocks : 0);  // NOP NOP kind/len + blocks
}

TcpHeader::Parsed TcpHeader::parse(Bytes s, Ipv4Addr src, Ipv4Addr dst, bool verify_checksum) {
  Parsed r;
  if (s.size() < kMinSize) return r;
  const std::size_t offset = (std::size_t{s[12]} >> 4) * 4;
  if (offset < kMinSize || offset > s.size()) {
    r.error = Error::bad_data_offset;
    return r;
  }
  if (verify_checksum) {
    Checksum c = Checksum::pseudo_header(src, dst, 6, static_cast<std::uint16_t>(s.size()));
    c.add(s);
    if (c.finish() != 0) {
      r.error = Error::bad_checksum;
      return r;
    }
  }
  TcpHeader& h = r.header.emplace();  // built in place: the header with its options is 80 bytes
  h.src_port = load_be16(s, 0);
  h.dst_port = load_be16(s, 2);
  h.seq = load_be32(s, 4);
  h.ack = load_be32(s, 8);
  h.flags = s[13];
  h.window = load_be16(s, 14);
  h.checksum = load_be16(s, 16);
  h.urgent = load_be16(s, 18);
  h.header_len = offset;
  if (!parse_options(s.subspan(kMinSize, offset - kMinSize), h.options)) {
    r.header.reset();
    r.error = Error::bad_option;
    return r;
  }
  r.payload = s.subspan(offset);
  return r;
}

std::size_t TcpHeader::emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst, Bytes payload,
                            bool compute_checksum) const {
  std::size_t i = kMinSize;
  auto put = [&](std::uint8_t b) { out[i++] = b; };
  if (options.mss) {
    put(kMss), put(4);
    store_be16(out, i, *options.mss);
    i += 2;
  }
  if (options.window_scale) put(kNop), put(kWindowScale), put(3), put(*options.window_scale);
  if (options.timestamps) {
    if (options.sack_permitted) put(kSackPermitted), put(2);
    else put(kNop), put(kNop);
    put(kTimestamps), put(10);
    store_be32(out, i, options.timestamps->tsval);
    store_be32(out, i + 4, options.timestamps->tsecr);
    i += 8;
  } else if (options.sack_permitted) {
    put(kNop), put(kNop), put(kSackPermitted), put(2);
  }
  if (const std::size_t blocks = sack_blocks_to_emit(options); blocks > 0) {
    put(kNop), put(kNop), put(kSack), put(static_cast<std::uint8_t>(2 + 8 * blocks));
    for (std::size_t b = 0; b < blocks; ++b) {
      store_be32(out, i, options.sack[b].left);
      store_be32(out, i + 4, options.sack[b].right);
      i += 8;
    }
  }
  while (i % 4 != 0) put(kEol);
  const std::size_t len = i;
  store_be16(out, 0, src_port);
  store_be16(out, 2, dst_port);
  store_be32(out, 4, seq);
  store_be32(out, 8, ack);
  out[12] = static_cast<std::uint8_t>((len / 4) << 4);
  out[13] = flags;
  store_be16(out, 14, window);
  store_be16(out, 16, 0);
  store_be16(out, 18, urgent);
  if (compute_checksum) {
    Checksum c = Checksum::pseudo_header(src, dst, 6, static_cast<std::uint16_t>(len + payload.size()));
    c.add(Bytes(out.data(), len));
    c.add(payload);
    store_be16(out, 16, c.finish());
  }
  return len;
}

}  // namespace mtcpp
