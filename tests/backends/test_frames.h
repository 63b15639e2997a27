// Frames and send/receive helpers shared by the backend tests. Frames are built with the core
// wire types so they parse like anything a stack would send.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/packet_io.h"
#include "core/wire/arp.h"
#include "core/wire/ethernet.h"
#include "core/wire/ipv4.h"
#include "core/wire/tcp.h"

namespace mtcpp::test {

using Frame = std::vector<std::uint8_t>;

inline constexpr MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
inline constexpr MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0b}};
inline constexpr MacAddr kMacC{{0x02, 0, 0, 0, 0, 0x0c}};
inline constexpr Ipv4Addr kIpA = Ipv4Addr::of(10, 0, 0, 1);
inline constexpr Ipv4Addr kIpB = Ipv4Addr::of(10, 0, 0, 2);

// An Ethernet/IPv4/TCP frame from `from` to `to` with `payload` bytes of data, the sequence number
// identifying the frame in tests.
inline Frame tcp_frame_between(MacAddr src, MacAddr dst, Endpoint from, Endpoint to, std::uint8_t flags,
                               std::uint32_t seq, std::size_t payload = 0, const TcpOptions& options = {}) {
  TcpHeader tcp;
  tcp.src_port = from.port;
  tcp.dst_port = to.port;
  tcp.seq = seq;
  tcp.flags = flags;
  tcp.window = 65535;
  tcp.options = options;
  Frame data(payload);
  for (std::size_t i = 0; i < payload; ++i) data[i] = static_cast<std::uint8_t>(seq + i);

  Frame frame(EthernetHeader::kSize + Ipv4Header::kMinSize + TcpHeader::kMaxSize + payload);
  MutableBytes bytes(frame);
  const std::size_t ip_at = EthernetHeader::kSize;
  const std::size_t tcp_at = ip_at + Ipv4Header::kMinSize;
  // The TCP header length is known only after emit, so emit into place, then move the data in.
  const std::size_t tcp_len = tcp.emit(bytes.subspan(tcp_at), from.addr, to.addr, data, true);
  std::copy(data.begin(), data.end(), frame.begin() + static_cast<std::ptrdiff_t>(tcp_at + tcp_len));
  frame.resize(tcp_at + tcp_len + payload);

  Ipv4Header ip;
  ip.total_length = static_cast<std::uint16_t>(Ipv4Header::kMinSize + tcp_len + payload);
  ip.protocol = static_cast<std::uint8_t>(IpProto::tcp);
  ip.src = from.addr;
  ip.dst = to.addr;
  ip.emit(MutableBytes(frame).subspan(ip_at));
  EthernetHeader{dst, src, static_cast<std::uint16_t>(EtherType::ipv4)}.emit(frame);
  return frame;
}

// From 10.0.0.1:40000 to 10.0.0.2:80.
inline Frame tcp_frame(MacAddr src, MacAddr dst, std::uint8_t flags, std::uint32_t seq, std::size_t payload = 0) {
  return tcp_frame_between(src, dst, {kIpA, 40000}, {kIpB, 80}, flags, seq, payload);
}

inline Frame arp_request(MacAddr src) {
  Frame frame(EthernetHeader::kSize + ArpPacket::kSize);
  EthernetHeader{MacAddr::broadcast(), src, static_cast<std::uint16_t>(EtherType::arp)}.emit(frame);
  ArpPacket arp{ArpOp::request, src, kIpA, MacAddr{}, kIpB};
  arp.emit(MutableBytes(frame).subspan(EthernetHeader::kSize));
  return frame;
}

// The TCP sequence number of a frame built by tcp_frame.
inline std::uint32_t seq_of(const Frame& frame) {
  return load_be32(frame, EthernetHeader::kSize + Ipv4Header::kMinSize + 4);
}

// Copies `frame` into a buffer of `io` and sends it; false if no buffer or not taken.
inline bool send(PacketIo& io, const Frame& frame, Instant now) {
  PacketBuffer* pkt = io.tx_alloc();
  if (pkt == nullptr) return false;
  std::copy(frame.begin(), frame.end(), pkt->data);
  pkt->len = static_cast<std::uint32_t>(frame.size());
  PacketBuffer* const burst[] = {pkt};
  if (io.tx_burst(burst, now) == 1) return true;
  io.release(pkt);
  return false;
}

// Everything receivable at `now`, copied out; the buffers are released.
inline std::vector<Frame> receive(PacketIo& io, Instant now) {
  std::vector<Frame> frames;
  PacketBuffer* burst[8];
  while (const std::size_t n = io.rx_burst(burst, now)) {
    for (std::size_t i = 0; i < n; ++i) {
      frames.emplace_back(burst[i]->data, burst[i]->data + burst[i]->len);
      io.release(burst[i]);
    }
  }
  return frames;
}

inline std::vector<std::uint32_t> seqs_of(const std::vector<Frame>& frames) {
  std::vector<std::uint32_t> seqs;
  for (const Frame& f : frames) seqs.push_back(seq_of(f));
  return seqs;
}

}  // namespace mtcpp::test
