// IPv4 input hygiene (RFC 791, RFC 1122 §3.2.1, §3.3.6): every malformed or foreign datagram is
// dropped without a reply and counted under its reason; Ethernet padding and IP options are
// handled. The stack listens, so a valid SYN would draw a SYN-ACK: silence means the drop.
#include <functional>

#include "network/network_fixture.h"

namespace mtcpp::test {
namespace {

using Counter = std::uint64_t StackStats::*;

struct Mangle {
  const char* name;
  std::function<void(Frame&)> apply;  // changes a valid SYN frame; reseals what it must
  Counter counter;
};

void set_ip_addr(Frame& f, std::size_t off, Ipv4Addr a) { store_be32(MutableBytes(f), kIpOff + off, a.value); }

// gtest names a failing case by its name, not by its bytes.
void PrintTo(const Mangle& m, std::ostream* os) { *os << m.name; }

std::vector<Mangle> mangles() {
  return {
      {"OtherMac", [](Frame& f) { f[5] = 0x99; }, &StackStats::frames_not_for_us},
      {"MulticastMac", [](Frame& f) { f[0] = 0x01, f[1] = 0x00, f[2] = 0x5e; }, &StackStats::frames_not_for_us},
      {"BroadcastMac",  // RFC 1122 §3.3.6: a unicast datagram that came as a link broadcast
       [](Frame& f) { std::fill(f.begin(), f.begin() + 6, 0xff); }, &StackStats::frames_not_for_us},
      {"UnknownEtherType", [](Frame& f) { store_be16(MutableBytes(f), 12, 0x86dd); }, &StackStats::frames_not_for_us},
      {"RuntEthernet", [](Frame& f) { f.resize(kEth - 1); }, &StackStats::frames_malformed},
      {"OtherIp",
       [](Frame& f) { set_ip_addr(f, 16, Ipv4Addr::of(10, 0, 0, 3)); reseal_ip(f); reseal_tcp(f); },
       &StackStats::ip_not_for_us},
      {"BroadcastIp",
       [](Frame& f) { set_ip_addr(f, 16, Ipv4Addr::of(255, 255, 255, 255)); reseal_ip(f); reseal_tcp(f); },
       &StackStats::ip_not_for_us},
      {"SubnetBroadcastIp",
       [](Frame& f) { set_ip_addr(f, 16, Ipv4Addr::of(10, 0, 0, 255)); reseal_ip(f); reseal_tcp(f); },
       &StackStats::ip_not_for_us},
      {"Version6", [](Frame& f) { f[kIpOff] = 0x65; reseal_ip(f); }, &StackStats::ip_malformed},
      {"Version0", [](Frame& f) { f[kIpOff] = 0x05; reseal_ip(f); }, &StackStats::ip_malformed},
      {"Ihl4", [](Frame& f) { f[kIpOff] = 0x44; reseal_ip(f); }, &StackStats::ip_malformed},
      {"Ihl0", [](Frame& f) { f[kIpOff] = 0x40; }, &StackStats::ip_malformed},
      {"IhlBeyondFrame",
       [](Frame& f) { f.resize(kEth + 40); f[kIpOff] = 0x4f; store_be16(MutableBytes(f), kIpOff + 2, 40); },
       &StackStats::ip_malformed},
      {"IhlBeyondTotalLength",  // the frame is long enough for IHL 15, the total length is not
       [](Frame& f) { f.resize(kEth + 80, 0); f[kIpOff] = 0x4f; reseal_ip(f); }, &StackStats::ip_malformed},
      {"TotalLengthBeyondFrame",
       [](Frame& f) { store_be16(MutableBytes(f), kIpOff + 2, static_cast<std::uint16_t>(f.size() - kEth + 1)); reseal_ip(f); },
       &StackStats::ip_malformed},
      {"TotalLengthBelowHeader",
       [](Frame& f) { store_be16(MutableBytes(f), kIpOff + 2, 19); reseal_ip(f); }, &StackStats::ip_malformed},
      {"TruncatedIpHeader", [](Frame& f) { f.resize(kEth + kIp - 1); }, &StackStats::ip_malformed},
      {"BadHeaderChecksum", [](Frame& f) { f[kIpOff + 10] ^= 0x01; }, &StackStats::ip_bad_checksum},
      {"BadHeaderChecksumTtl", [](Frame& f) { f[kIpOff + 8] = 1; }, &StackStats::ip_bad_checksum},
      {"MoreFragments", [](Frame& f) { f[kIpOff + 6] = 0x20; reseal_ip(f); }, &StackStats::ip_fragments_dropped},
      {"FragmentOffset", [](Frame& f) { f[kIpOff + 6] = 0x00, f[kIpOff + 7] = 0x01; reseal_ip(f); },
       &StackStats::ip_fragments_dropped},
      {"LastFragmentLargeOffset", [](Frame& f) { f[kIpOff + 6] = 0x1f, f[kIpOff + 7] = 0xff; reseal_ip(f); },
       &StackStats::ip_fragments_dropped},
      {"BroadcastSource",
       [](Frame& f) { set_ip_addr(f, 12, Ipv4Addr::of(255, 255, 255, 255)); reseal_ip(f); reseal_tcp(f); },
       &StackStats::ip_malformed},
      {"MulticastSource",
       [](Frame& f) { set_ip_addr(f, 12, Ipv4Addr::of(224, 0, 0, 1)); reseal_ip(f); reseal_tcp(f); },
       &StackStats::ip_malformed},
      {"LoopbackSource",  // RFC 1122 §3.2.1.3 (g): never outside a host
       [](Frame& f) { set_ip_addr(f, 12, Ipv4Addr::of(127, 0, 0, 1)); reseal_ip(f); reseal_tcp(f); },
       &StackStats::ip_malformed},
      {"ThisNetworkSource",  // 0/8: only while a host learns its address (§3.2.1.3 (b))
       [](Frame& f) { set_ip_addr(f, 12, Ipv4Addr::of(0, 1, 2, 3)); reseal_ip(f); reseal_tcp(f); },
       &StackStats::ip_malformed},
      {"SubnetBroadcastSource",  // §3.2.1.3 (c): a directed broadcast is never a source
       [](Frame& f) { set_ip_addr(f, 12, Ipv4Addr::of(10, 0, 0, 255)); reseal_ip(f); reseal_tcp(f); },
       &StackStats::ip_malformed},
      {"OwnAddressSource",  // a spoofed copy of ourselves (a LAND SYN)
       [](Frame& f) {
         set_ip_addr(f, 12, Ipv4Addr::of(10, 0, 0, 1));
         store_be16(MutableBytes(f), kTcpOff, 8080);
         reseal_ip(f);
         reseal_tcp(f);
       },
       &StackStats::ip_malformed},
      {"UnspecifiedSource",
       [](Frame& f) { set_ip_addr(f, 12, Ipv4Addr{}); reseal_ip(f); reseal_tcp(f); }, &StackStats::ip_malformed},
      {"Udp", [](Frame& f) { f[kIpOff + 9] = 17; reseal_ip(f); }, &StackStats::ip_unknown_protocol},
      {"Igmp", [](Frame& f) { f[kIpOff + 9] = 2; reseal_ip(f); }, &StackStats::ip_unknown_protocol},
  };
}

class NetworkIpv4Input : public NetworkFixture, public ::testing::WithParamInterface<Mangle> {
 protected:
  Frame syn_frame() const { return frame_for(seg(S, 0).with_options(syn_options())); }
};

TEST_P(NetworkIpv4Input, DroppedCountedAndUnanswered) {
  const Mangle& m = GetParam();
  listen_socket();
  Frame f = syn_frame();
  m.apply(f);
  const StackStats before = stats();
  push(f);
  expect_silence();
  EXPECT_EQ(stats().*m.counter, before.*m.counter + 1) << m.name;
  EXPECT_EQ(stats().tcp_segments_received, 0u);
  EXPECT_EQ(stats().icmp_echo_replies + stats().tcp_resets_sent + stats().arp_replies_sent, 0u);
  EXPECT_EQ(stats().frames_received, 1u);
  // Exactly one drop counter moved.
  const Counter drops[] = {&StackStats::frames_malformed,   &StackStats::frames_not_for_us,
                           &StackStats::ip_malformed,       &StackStats::ip_bad_checksum,
                           &StackStats::ip_fragments_dropped, &StackStats::ip_not_for_us,
                           &StackStats::ip_unknown_protocol, &StackStats::tcp_malformed,
                           &StackStats::tcp_bad_checksum,   &StackStats::icmp_malformed};
  std::uint64_t moved = 0;
  for (Counter c : drops) moved += stats().*c - before.*c;
  EXPECT_EQ(moved, 1u);
  EXPECT_EQ(io_->buffers_in_use(), 0u);
  // The listener is unharmed: the same SYN, intact, is answered.
  push(syn_frame());
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_TRUE(all[0].tcp);
  EXPECT_EQ(all[0].tcp->flags, S | A);
}

INSTANTIATE_TEST_SUITE_P(Network, NetworkIpv4Input, ::testing::ValuesIn(mangles()),
                         [](const ::testing::TestParamInfo<Mangle>& info) { return std::string(info.param.name); });

class NetworkIpv4Accept : public NetworkFixture {
 protected:
  // Checks that `f` (a SYN from P) drew a SYN-ACK acknowledging it.
  void expect_synack() {
    auto all = pop_all();
    ASSERT_EQ(all.size(), 1u);
    ASSERT_TRUE(all[0].tcp);
    EXPECT_EQ(all[0].tcp->flags, S | A);
    EXPECT_EQ(all[0].tcp->ack, peer_iss_ + 1);
    EXPECT_EQ(all[0].eth.dst, remote_mac_);
    ASSERT_TRUE(all[0].ip);
    EXPECT_EQ(all[0].ip->dst, remote_.addr);
    EXPECT_EQ(all[0].ip->src, local_.addr);
  }

  // Rewrites a frame from frame_for() with `opts` (a multiple of 4 bytes) of IPv4 options.
  static Frame with_ip_options(const Frame& f, const std::vector<std::uint8_t>& opts) {
    Frame g(f.begin(), f.begin() + kTcpOff);
    g.insert(g.end(), opts.begin(), opts.end());
    g.insert(g.end(), f.begin() + kTcpOff, f.end());
    g[kIpOff] = static_cast<std::uint8_t>(0x40 | ((kIp + opts.size()) / 4));
    store_be16(MutableBytes(g), kIpOff + 2, static_cast<std::uint16_t>(g.size() - kEth));
    reseal_ip(g);
    return g;  // the TCP checksum does not cover IP options: it stays valid
  }
};

TEST_F(NetworkIpv4Accept, ValidSynIsAnswered) {
  listen_socket();
  push(frame_for(seg(S, 0)));
  expect_synack();
  EXPECT_EQ(stats().tcp_segments_received, 1u);
}

TEST_F(NetworkIpv4Accept, EthernetPaddingBeyondTheTotalLengthIsIgnored) {
  listen_socket();
  Frame f = frame_for(seg(S, 0));
  ASSERT_EQ(f.size(), 54u);
  f.resize(60, 0xa5);  // non-zero padding: it must be in neither the TCP checksum nor the data
  push(f);
  expect_synack();
  // And for data: a 1-byte segment padded to 60 bytes delivers exactly one byte.
  inject(seg(A, 1, 1));
  Endpoint peer;
  const int fd = stack().accept(listen_fd_, &peer);
  ASSERT_GE(fd, 0);
  Frame d = frame_for(seg(A | P, 1, 1, 1));
  ASSERT_EQ(d.size(), 55u);
  d.resize(60, 0x5a);
  push(d);
  EXPECT_EQ(stack().bytes_readable(fd), 1);
  std::uint8_t buf[16];
  EXPECT_EQ(stack().recv(fd, buf, now()), 1);
  EXPECT_EQ(buf[0], frame_for(seg(A | P, 1, 1, 1)).back());
}

TEST_F(NetworkIpv4Accept, IpOptionsArePassedOverAndTheSegmentProcessed) {
  listen_socket();
  // IHL 6: NOP NOP NOP EOL.
  push(with_ip_options(frame_for(seg(S, 0)), {1, 1, 1, 0}));
  expect_synack();
  EXPECT_EQ(stats().ip_malformed, 0u);
  inject(seg(A, 1, 1));
  Endpoint peer;
  const int fd = stack().accept(listen_fd_, &peer);
  ASSERT_GE(fd, 0);
  // Data behind 40 bytes of options (IHL 15, a Record Route option padded with EOLs) arrives
  // intact: the payload starts after the options.
  std::vector<std::uint8_t> rr(40, 0);
  rr[0] = 7, rr[1] = 39, rr[2] = 4;  // record route, length 39, pointer 4
  Seg s = seg(A | P, 1, 1, 10);
  s.payload = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
  push(with_ip_options(frame_for(s), rr));
  std::uint8_t buf[32];
  ASSERT_EQ(stack().recv(fd, buf, now()), 10);
  EXPECT_EQ(std::string(buf, buf + 10), "0123456789");
  EXPECT_EQ(stats().tcp_malformed + stats().tcp_bad_checksum + stats().ip_malformed, 0u);
}

TEST_F(NetworkIpv4Accept, DontFragmentAndOtherTosOrTtlAreAccepted) {
  listen_socket();
  Frame f = frame_for(seg(S, 0));
  f[kIpOff + 1] = 0xb8;  // DSCP EF
  f[kIpOff + 6] = 0x00;  // DF clear, not a fragment
  f[kIpOff + 8] = 1;     // TTL 1 reaches us fine
  reseal_ip(f);
  push(f);
  expect_synack();
}

}  // namespace
}  // namespace mtcpp::test
