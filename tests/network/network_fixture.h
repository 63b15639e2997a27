// Shared fixture of the network-layer tests (tests/network/*_test.cc): the packet DSL's stack
// (L at 10.0.0.1, 02:00:00:00:00:01) plus raw frame builders and a parser for what L sends, so
// tests can assert Ethernet, ARP, IPv4, ICMP and TCP header fields byte by byte.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/wire/arp.h"
#include "core/wire/checksum.h"
#include "core/wire/ethernet.h"
#include "core/wire/icmp.h"
#include "core/wire/ipv4.h"
#include "core/wire/tcp.h"
#include "support/packet_test.h"

namespace mtcpp::test {

using Frame = std::vector<std::uint8_t>;

inline constexpr std::size_t kEth = EthernetHeader::kSize;
inline constexpr std::size_t kIp = Ipv4Header::kMinSize;

// One frame L sent, decoded. Every layer that parses is filled in; the IPv4 and TCP parses verify
// checksums, so a filled `ip` or `tcp` means the checksum was right (unless parsed with offload).
struct Sent {
  Frame bytes;
  EthernetHeader eth;
  std::optional<ArpPacket> arp;
  std::optional<Ipv4Header> ip;
  Bytes ip_payload;
  std::optional<TcpHeader> tcp;
  Bytes tcp_payload;

  bool is_arp() const { return eth.ethertype == static_cast<std::uint16_t>(EtherType::arp); }
  bool is_ipv4() const { return eth.ethertype == static_cast<std::uint16_t>(EtherType::ipv4); }
};

// The Internet checksum of a byte range (0 when the range already holds a correct checksum).
inline std::uint16_t inet_sum(Bytes b) {
  Checksum c;
  c.add(b);
  return c.finish();
}

// Offsets in a frame built by frame_for() (no IP options).
inline constexpr std::size_t kIpOff = kEth;
inline constexpr std::size_t kTcpOff = kEth + kIp;

// Recomputes the IPv4 header checksum of a frame (header length from IHL, clamped to the frame).
inline void reseal_ip(Frame& f) {
  const std::size_t ihl = std::min<std::size_t>(std::size_t{f[kIpOff] & 0x0fu} * 4, f.size() - kIpOff);
  MutableBytes ip(f.data() + kIpOff, f.size() - kIpOff);
  store_be16(ip, 10, 0);
  store_be16(ip, 10, inet_sum(Bytes(ip.data(), std::max<std::size_t>(ihl, kIp))));
}

// Recomputes the TCP checksum of a frame: the segment runs from the end of the IP header (IHL) to
// the IP total length, as the stack reads it.
inline void reseal_tcp(Frame& f) {
  const std::size_t ihl = std::size_t{f[kIpOff] & 0x0fu} * 4;
  const std::size_t total = load_be16(Bytes(f), kIpOff + 2);
  const std::size_t off = kIpOff + ihl;
  const std::size_t len = total - ihl;
  MutableBytes seg(f.data() + off, len);
  if (len < 18) return;  // no checksum field to fill
  store_be16(seg, 16, 0);
  Checksum c = Checksum::pseudo_header(Ipv4Addr{load_be32(Bytes(f), kIpOff + 12)},
                                       Ipv4Addr{load_be32(Bytes(f), kIpOff + 16)}, 6,
                                       static_cast<std::uint16_t>(len));
  c.add(Bytes(seg.data(), len));
  store_be16(seg, 16, c.finish());
}

class NetworkFixture : public PacketTest {
 protected:
  // Rebuilds the stack on a device with other capabilities (offloads).
  void configure_with_caps(const StackConfig& config, LinkCaps caps) {
    destroy_stack();
    own_io_ = std::make_unique<HostIo>(caps);
    io_ = own_io_.get();
    auto made = Stack::create(config, *io_);
    ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Stack>>(made)) << std::get<std::string>(made);
    own_stack_ = std::move(std::get<std::unique_ptr<Stack>>(made));
    stack_ = own_stack_.get();
  }
  // Destroys the stack, keeping its device (to count the buffers it gave back).
  void destroy_stack() {
    stack_ = nullptr;
    own_stack_.reset();
  }

  // A configuration without the DSL's static ARP entry for the peer, so L must resolve it, and a
  // first RTO long after every ARP timer so a held SYN is not joined by its retransmission.
  StackConfig unresolved_config() const {
    StackConfig c = default_config();
    c.static_arp.clear();
    c.tcp.rto_initial = 30s;
    c.tcp.rto_min = 30s;
    c.tcp.rto_max = 120s;
    return c;
  }

  // ---- what L sent ---------------------------------------------------------------------------

  std::optional<Sent> pop(bool verify_checksums = true) {
    Sent s;
    if (!io_->pop_tx(s.bytes)) return std::nullopt;
    Bytes b(s.bytes);
    auto eth = EthernetHeader::parse(b);
    EXPECT_TRUE(eth.has_value()) << "L sent a frame shorter than Ethernet's header";
    if (!eth) return s;
    s.eth = *eth;
    if (s.is_arp()) {
      s.arp = ArpPacket::parse(b.subspan(kEth));
      EXPECT_TRUE(s.arp.has_value()) << "L sent a bad ARP packet";
    } else if (s.is_ipv4()) {
      auto ip = Ipv4Header::parse(b.subspan(kEth), verify_checksums);
      EXPECT_TRUE(ip.header.has_value()) << "L sent a bad IPv4 header";
      if (!ip.header) return s;
      s.ip = ip.header;
      s.ip_payload = ip.payload;
      if (s.ip->protocol == 6) {
        auto tcp = TcpHeader::parse(ip.payload, s.ip->src, s.ip->dst, verify_checksums);
        EXPECT_TRUE(tcp.header.has_value()) << "L sent a bad TCP segment";
        s.tcp = tcp.header;
        s.tcp_payload = tcp.payload;
        // Keep the DSL's relative numbering working after this helper saw L's SYN.
        if (s.tcp && s.tcp->has(S) && (s.tcp->has(A) || our_iss_ == 0)) our_iss_ = s.tcp->seq;
      }
    }
    return s;
  }

  // Every frame L sent, oldest first. (Sent holds spans into its own bytes: keep it in place.)
  std::vector<Sent> pop_all(bool verify_checksums = true) {
    std::vector<Sent> all;
    while (io_->tx_pending() > 0) {
      auto s = pop(verify_checksums);
      if (!s) break;
      all.push_back(std::move(*s));
      Sent& last = all.back();  // re-point the spans at the moved bytes
      Bytes b(last.bytes);
      if (last.ip) {
        last.ip_payload = b.subspan(kEth + last.ip->header_len, last.ip->total_length - last.ip->header_len);
        if (last.tcp) last.tcp_payload = last.ip_payload.subspan(last.tcp->header_len);
      }
    }
    return all;
  }

  void expect_silence() { EXPECT_EQ(io_->tx_pending(), 0u) << "L sent a frame where it should stay silent"; }

  // ---- frames the test builds ----------------------------------------------------------------

  static Frame arp_frame(ArpOp op, MacAddr eth_dst, MacAddr eth_src, MacAddr sender_mac, Ipv4Addr sender_ip,
                         MacAddr target_mac, Ipv4Addr target_ip) {
    Frame f(60, 0);  // padded to Ethernet's minimum, as on a real wire
    MutableBytes out(f);
    EthernetHeader{eth_dst, eth_src, static_cast<std::uint16_t>(EtherType::arp)}.emit(out);
    ArpPacket{op, sender_mac, sender_ip, target_mac, target_ip}.emit(out.subspan(kEth));
    return f;
  }
  // P asks who has `target` (broadcast).
  Frame arp_request_from_peer(Ipv4Addr target) const {
    return arp_frame(ArpOp::request, MacAddr::broadcast(), remote_mac_, remote_mac_, remote_.addr, MacAddr{},
                     target);
  }
  // `who` at `mac` answers L.
  Frame arp_reply(Ipv4Addr who, MacAddr mac) const {
    return arp_frame(ArpOp::reply, local_mac_, mac, mac, who, local_mac_, local_.addr);
  }

  // An IPv4 packet in an Ethernet frame to L, with a correct header checksum.
  Frame ip_frame(Ipv4Addr src, Ipv4Addr dst, std::uint8_t protocol, Bytes payload,
                 std::optional<MacAddr> eth_src = std::nullopt) const {
    Frame f(kEth + kIp + payload.size());
    MutableBytes out(f);
    EthernetHeader{local_mac_, eth_src.value_or(remote_mac_), static_cast<std::uint16_t>(EtherType::ipv4)}.emit(out);
    Ipv4Header ip;
    ip.total_length = static_cast<std::uint16_t>(kIp + payload.size());
    ip.id = 0x4242;
    ip.protocol = protocol;
    ip.src = src;
    ip.dst = dst;
    ip.emit(out.subspan(kEth));
    std::copy(payload.begin(), payload.end(), f.begin() + kEth + kIp);
    return f;
  }

  // An ICMP message (header with checksum, then body).
  static Frame icmp_message(std::uint8_t type, std::uint8_t code, std::uint32_t rest, Bytes body) {
    Frame m(IcmpHeader::kSize + body.size());
    std::copy(body.begin(), body.end(), m.begin() + IcmpHeader::kSize);
    IcmpHeader{type, code, rest}.emit(MutableBytes(m));
    return m;
  }

  // Pushes a frame and polls, with no assertion that it was accepted by the stack.
  void push(const Frame& f) { inject_raw(Bytes(f)); }

  StackStats stats() const { return stack_->stats(); }
};

}  // namespace mtcpp::test
