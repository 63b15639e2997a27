// What the fuzz targets share: a reader of the fuzzer's bytes, a builder of well-formed segments,
// the check every frame a stack emits must pass, and a clock that runs a stack's timers.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "core/stack.h"
#include "core/wire/ethernet.h"
#include "core/wire/ipv4.h"
#include "core/wire/tcp.h"

namespace mtcpp::fuzz {

// Reads the fuzzer's input front to back; past its end every read gives zeros.
class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data, size) {}
  bool empty() const { return at_ >= data_.size(); }
  std::uint8_t u8() { return at_ < data_.size() ? data_[at_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
  std::uint32_t u32() { return u16() | (std::uint32_t{u16()} << 16); }
  std::vector<std::uint8_t> bytes(std::size_t n) {
    std::vector<std::uint8_t> out;
    while (n-- > 0 && !empty()) out.push_back(u8());
    return out;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t at_ = 0;
};

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
  std::abort();
}

// An Ethernet/IPv4/TCP frame with every checksum right.
inline std::vector<std::uint8_t> segment_frame(MacAddr src_mac, MacAddr dst_mac, Endpoint from, Endpoint to,
                                               const TcpHeader& h, std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> frame(EthernetHeader::kSize + Ipv4Header::kMinSize + TcpHeader::kMaxSize + payload.size());
  MutableBytes bytes(frame);
  const std::size_t tcp_at = EthernetHeader::kSize + Ipv4Header::kMinSize;
  const std::size_t tcp_len = h.emit(bytes.subspan(tcp_at), from.addr, to.addr, payload, true);
  std::copy(payload.begin(), payload.end(), frame.begin() + static_cast<std::ptrdiff_t>(tcp_at + tcp_len));
  frame.resize(tcp_at + tcp_len + payload.size());
  Ipv4Header ip;
  ip.total_length = static_cast<std::uint16_t>(Ipv4Header::kMinSize + tcp_len + payload.size());
  ip.protocol = static_cast<std::uint8_t>(IpProto::tcp);
  ip.src = from.addr;
  ip.dst = to.addr;
  ip.emit(bytes.subspan(EthernetHeader::kSize));
  EthernetHeader{dst_mac, src_mac, static_cast<std::uint16_t>(EtherType::ipv4)}.emit(bytes);
  return frame;
}

// Every frame a stack sends must parse, with right checksums, and fit the MTU. Returns the TCP
// header of a TCP frame (to check its fields), nothing for anything else.
inline std::optional<TcpHeader> check_emitted(std::span<const std::uint8_t> frame, std::uint16_t mtu) {
  const auto eth = EthernetHeader::parse(frame);
  if (!eth) fail("an emitted frame has no Ethernet header");
  if (eth->ethertype != static_cast<std::uint16_t>(EtherType::ipv4)) return std::nullopt;
  const auto ip = Ipv4Header::parse(frame.subspan(EthernetHeader::kSize), true);
  if (!ip.header) fail("an emitted IPv4 header does not parse");
  if (ip.header->total_length > mtu) fail("an emitted packet is larger than the MTU");
  if (ip.header->protocol != static_cast<std::uint8_t>(IpProto::tcp)) return std::nullopt;
  const auto tcp = TcpHeader::parse(ip.payload, ip.header->src, ip.header->dst, true);
  if (!tcp.header) fail("an emitted TCP segment does not parse or has a bad checksum");
  return tcp.header;
}

}  // namespace mtcpp::fuzz
