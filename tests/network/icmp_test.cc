// ICMP (RFC 792, RFC 1122 §3.2.2 and §4.2.3.9): echo replies field by field, bad checksums, and
// destination-unreachable as a soft error of the connection it quotes.
#include "network/network_fixture.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

class NetworkIcmp : public NetworkFixture {
 protected:
  // A body of `n` bytes that is not a repeating pattern.
  static std::vector<std::uint8_t> body_of(std::size_t n) {
    std::vector<std::uint8_t> b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>((i * 131 + 7) ^ (i >> 3));
    return b;
  }

  void ping_and_check(std::uint16_t id, std::uint16_t seq, const std::vector<std::uint8_t>& body) {
    SCOPED_TRACE("body of " + std::to_string(body.size()) + " bytes");
    const std::uint64_t replies = stats().icmp_echo_replies;
    Frame m = icmp_message(IcmpHeader::kEchoRequest, 0, (std::uint32_t{id} << 16) | seq, body);
    push(ip_frame(remote_.addr, local_.addr, 1, m));
    auto all = pop_all();
    ASSERT_EQ(all.size(), 1u);
    const Sent& r = all[0];
    // Ethernet and IPv4: back to the sender, addresses swapped.
    EXPECT_EQ(r.eth.dst, remote_mac_);
    EXPECT_EQ(r.eth.src, local_mac_);
    ASSERT_TRUE(r.ip) << "the IPv4 header checksum must verify";
    EXPECT_EQ(r.ip->src, local_.addr);
    EXPECT_EQ(r.ip->dst, remote_.addr);
    EXPECT_EQ(r.ip->protocol, 1);
    EXPECT_EQ(r.ip->ttl, 64);
    EXPECT_EQ(r.ip->header_len, kIp);
    EXPECT_EQ(r.ip->total_length, kIp + IcmpHeader::kSize + body.size());
    EXPECT_EQ(inet_sum(Bytes(r.bytes).subspan(kEth, kIp)), 0);
    // ICMP: type 0, code 0, the same identifier, sequence and body, a correct checksum.
    Bytes icmp = r.ip_payload;
    ASSERT_EQ(icmp.size(), IcmpHeader::kSize + body.size());
    EXPECT_EQ(icmp[0], IcmpHeader::kEchoReply);
    EXPECT_EQ(icmp[1], 0);
    EXPECT_EQ(inet_sum(icmp), 0) << "ICMP checksum";
    EXPECT_NE(load_be16(icmp, 2), 0);
    EXPECT_EQ(load_be16(icmp, 4), id);
    EXPECT_EQ(load_be16(icmp, 6), seq);
    EXPECT_TRUE(std::equal(body.begin(), body.end(), icmp.begin() + IcmpHeader::kSize)) << "body echoed";
    EXPECT_EQ(stats().icmp_echo_replies, replies + 1);
  }

  // The first `n` bytes of L's IP packet in `s`, as a router quotes them.
  static std::vector<std::uint8_t> quote_of(const Sent& s, std::size_t n) {
    Bytes ip = Bytes(s.bytes).subspan(kEth);
    n = std::min(n, ip.size());
    return {ip.begin(), ip.begin() + static_cast<long>(n)};
  }

  // An unreachable from a router on the path, quoting `quote`.
  void inject_unreachable(std::uint8_t code, const std::vector<std::uint8_t>& quote) {
    Frame m = icmp_message(IcmpHeader::kDestUnreachable, code, 0, quote);
    push(ip_frame(Ipv4Addr::of(10, 0, 0, 254), local_.addr, 1, m));
  }

  // An established connection with 100 bytes outstanding; returns the data segment L sent.
  Sent established_with_data(int* fd_out) {
    const int fd = established();
    pop_all();
    std::vector<std::uint8_t> data(100, 'x');
    EXPECT_EQ(stack().send(fd, data, now()), 100);
    auto all = pop_all();
    EXPECT_EQ(all.size(), 1u);
    *fd_out = fd;
    if (all.empty()) return Sent{};
    EXPECT_TRUE(all[0].tcp && all[0].tcp_payload.size() == 100);
    return std::move(all[0]);
  }

  StackConfig quick_timeout_config() const {
    StackConfig c = default_config();
    c.tcp.data_retries = 2;
    c.tcp.syn_timeout = c.tcp.rto_initial * 7;  // SYNs at 0, 1 and 3 RTOs; given up at 7
    return c;
  }

  int so_error(int fd) {
    int err = -1;
    EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
    return err;
  }
};

TEST_F(NetworkIcmp, EchoRequestGetsAMatchingReply) {
  ping_and_check(0x1234, 7, body_of(56));
  ping_and_check(0xbeef, 0xffff, body_of(33));  // odd length: the checksum's last byte is padded
  ping_and_check(0, 0, {});
  ping_and_check(1, 1, body_of(1500 - kIp - IcmpHeader::kSize));  // exactly the MTU
}

TEST_F(NetworkIcmp, EchoLargerThanTheMtuIsNotAnswered) {
  // An unfragmented request this large cannot arrive on a 1500-byte link, but a bigger buffer
  // could carry it; the reply would not fit, so none is sent.
  StackConfig c = default_config();
  c.mtu = 1000;
  configure(c);
  Frame m = icmp_message(IcmpHeader::kEchoRequest, 0, 0x00010002, body_of(1000));
  push(ip_frame(remote_.addr, local_.addr, 1, m));
  expect_silence();
  EXPECT_EQ(stats().icmp_echo_replies, 0u);
  EXPECT_EQ(io_->buffers_in_use(), 0u);
}

TEST_F(NetworkIcmp, BadChecksumIsDroppedAndCounted) {
  Frame m = icmp_message(IcmpHeader::kEchoRequest, 0, 0x00010001, body_of(16));
  m[IcmpHeader::kSize + 3] ^= 0x40;  // the body no longer matches the checksum
  push(ip_frame(remote_.addr, local_.addr, 1, m));
  Frame n = icmp_message(IcmpHeader::kEchoRequest, 0, 0x00010001, body_of(16));
  store_be16(MutableBytes(n), 2, 0);  // no checksum at all
  push(ip_frame(remote_.addr, local_.addr, 1, n));
  Frame t = icmp_message(IcmpHeader::kEchoRequest, 0, 0x00010001, {});
  t.resize(IcmpHeader::kSize - 1);  // shorter than the header
  push(ip_frame(remote_.addr, local_.addr, 1, t));
  expect_silence();
  EXPECT_EQ(stats().icmp_malformed, 3u);
  EXPECT_EQ(stats().icmp_echo_replies, 0u);
}

TEST_F(NetworkIcmp, EchoRepliesAndOtherTypesAreNotAnswered) {
  push(ip_frame(remote_.addr, local_.addr, 1, icmp_message(IcmpHeader::kEchoReply, 0, 1, body_of(8))));
  push(ip_frame(remote_.addr, local_.addr, 1, icmp_message(IcmpHeader::kTimeExceeded, 0, 0, body_of(28))));
  push(ip_frame(remote_.addr, local_.addr, 1, icmp_message(IcmpHeader::kEchoRequest, 1, 1, body_of(8))));
  expect_silence();
  EXPECT_EQ(stats().icmp_echo_replies, 0u);
  EXPECT_EQ(stats().icmp_malformed, 0u);
}

TEST_F(NetworkIcmp, HostUnreachableIsASoftErrorReportedOnTimeout) {
  configure(quick_timeout_config());
  int fd = -1;
  Sent data = established_with_data(&fd);
  inject_unreachable(1, quote_of(data, kIp + 8));  // host unreachable, RFC 792's minimum quote
  EXPECT_EQ(stats().icmp_unreachable_received, 1u);
  expect_silence();
  // Not aborted (RFC 1122 §4.2.3.9): the connection survives and keeps retransmitting.
  EXPECT_EQ(state(fd), TcpState::established);
  EXPECT_EQ(stack().tcp().tcb(fd)->soft_error, EHOSTUNREACH);
  EXPECT_EQ(so_error(fd), 0) << "a soft error is not reported while the connection lives";
  advance(rto(fd));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_TRUE(all[0].tcp);
  EXPECT_EQ(all[0].tcp->seq, data.tcp->seq) << "the retransmission";
  // When it times out, the ICMP-derived error replaces ETIMEDOUT.
  advance(10min);
  EXPECT_EQ(state(fd), TcpState::closed);
  EXPECT_EQ(stats().tcp_timeouts, 1u);
  EXPECT_EQ(so_error(fd), EHOSTUNREACH);
}

TEST_F(NetworkIcmp, UnreachableThatArrivesAndTheConnectionRecovers) {
  configure(quick_timeout_config());
  int fd = -1;
  Sent data = established_with_data(&fd);
  inject_unreachable(1, quote_of(data, 576));  // a long quote (RFC 1812 routers send more)
  EXPECT_EQ(state(fd), TcpState::established);
  // The peer acknowledges after all: the connection carries on as if nothing happened.
  inject(seg(A, 1, 101));
  EXPECT_EQ(state(fd), TcpState::established);
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_una.v, data.tcp->seq + 100);
  EXPECT_EQ(so_error(fd), 0);
}

TEST_F(NetworkIcmp, HostUnreachableInSynSentDoesNotAbortTheConnect) {
  configure(quick_timeout_config());
  const int fd = stack().socket(now());
  ASSERT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  inject_unreachable(1, quote_of(all[0], kIp + 8));
  EXPECT_EQ(state(fd), TcpState::syn_sent);
  advance(rto(fd));
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_TRUE(all[0].tcp);
  EXPECT_EQ(all[0].tcp->flags, S) << "the SYN is retransmitted";
  advance(10min);
  EXPECT_EQ(state(fd), TcpState::closed);
  EXPECT_EQ(so_error(fd), EHOSTUNREACH);
}

// Each code's errno, reported when the connection times out (the mapping of stack.cc).
class NetworkIcmpCodes : public NetworkIcmp, public ::testing::WithParamInterface<std::pair<int, int>> {};

TEST_P(NetworkIcmpCodes, SoftErrorOfEachCode) {
  const auto [code, expected] = GetParam();
  configure(quick_timeout_config());
  int fd = -1;
  Sent data = established_with_data(&fd);
  inject_unreachable(static_cast<std::uint8_t>(code), quote_of(data, kIp + 8));
  EXPECT_EQ(state(fd), TcpState::established);
  advance(10min);
  EXPECT_EQ(state(fd), TcpState::closed);
  EXPECT_EQ(so_error(fd), expected);
}

INSTANTIATE_TEST_SUITE_P(Network, NetworkIcmpCodes,
                         ::testing::Values(std::pair{0, ENETUNREACH}, std::pair{1, EHOSTUNREACH},
                                           std::pair{2, ECONNREFUSED}, std::pair{3, ECONNREFUSED},
                                           std::pair{13, EHOSTUNREACH}));
// Code 4 (fragmentation needed) is no error: it lowers the segment size (NetworkPathMtu), as in Linux.

TEST_F(NetworkIcmp, UnreachableQuotingAnotherConnectionLeavesOursAlone) {
  configure(quick_timeout_config());
  int fd = -1;
  Sent data = established_with_data(&fd);
  std::vector<std::uint8_t> quote = quote_of(data, kIp + 8);
  store_be16(MutableBytes(quote), kIp + 2, static_cast<std::uint16_t>(remote_.port + 1));  // other port
  inject_unreachable(1, quote);
  EXPECT_EQ(stats().icmp_unreachable_received, 1u);
  EXPECT_EQ(stack().tcp().tcb(fd)->soft_error, 0);
  advance(10min);
  EXPECT_EQ(state(fd), TcpState::closed);
  EXPECT_EQ(so_error(fd), ETIMEDOUT);
}

TEST_F(NetworkIcmp, TruncatedOrBogusQuotesAreIgnored) {
  configure(quick_timeout_config());
  int fd = -1;
  Sent data = established_with_data(&fd);
  const std::vector<std::uint8_t> full = quote_of(data, kIp + 8);
  std::vector<std::vector<std::uint8_t>> quotes;
  quotes.push_back({});                                                // nothing quoted
  quotes.push_back({full.begin(), full.begin() + 10});                 // part of the IP header
  quotes.push_back({full.begin(), full.begin() + kIp});                // IP header only
  quotes.push_back({full.begin(), full.begin() + kIp + 3});            // ports cut short
  quotes.push_back({full.begin(), full.begin() + kIp + 7});            // one byte short of 8
  auto with_ihl = [&](std::uint8_t ihl) {
    std::vector<std::uint8_t> q = full;
    q[0] = static_cast<std::uint8_t>(0x40 | ihl);
    return q;
  };
  quotes.push_back(with_ihl(15));                                      // options beyond the quote
  quotes.push_back(with_ihl(4));                                       // IHL below 5
  quotes.push_back(with_ihl(0));
  std::vector<std::uint8_t> v6 = full;
  v6[0] = 0x65;                                                        // not IPv4
  quotes.push_back(v6);
  std::vector<std::uint8_t> udp = full;
  udp[9] = 17;                                                         // quotes a UDP datagram
  quotes.push_back(udp);
  for (const auto& q : quotes) inject_unreachable(1, q);
  // A message too short to hold the ICMP header at all.
  push(ip_frame(Ipv4Addr::of(10, 0, 0, 254), local_.addr, 1, Frame{3, 1, 0}));
  expect_silence();
  EXPECT_EQ(stats().icmp_unreachable_received, quotes.size());
  EXPECT_EQ(stats().icmp_malformed, 1u);
  EXPECT_EQ(state(fd), TcpState::established);
  EXPECT_EQ(stack().tcp().tcb(fd)->soft_error, 0);
  advance(10min);
  EXPECT_EQ(so_error(fd), ETIMEDOUT);
}

}  // namespace
}  // namespace mtcpp::test

namespace mtcpp::test {
namespace {

class NetworkPathMtu : public NetworkFixture {
 protected:
  // Fragmentation needed from a router, for L's packet `s`, with the next hop's MTU; the quoted
  // TCP sequence number replaced by `seq` when given.
  void inject_frag_needed(const Sent& s, std::uint16_t mtu, std::optional<std::uint32_t> seq = {}) {
    Bytes ip = Bytes(s.bytes).subspan(kEth);
    std::vector<std::uint8_t> quote(ip.begin(), ip.begin() + kIp + 8);
    if (seq) store_be32(MutableBytes(quote), kIp + 4, *seq);
    push(ip_frame(Ipv4Addr::of(10, 0, 0, 254), local_.addr, 1, icmp_message(IcmpHeader::kDestUnreachable, 4, mtu, quote)));
  }
  // L's data segments among `all`.
  static std::vector<const Sent*> data_of(const std::vector<Sent>& all) {
    std::vector<const Sent*> out;
    for (const Sent& s : all)
      if (s.tcp && !s.tcp_payload.empty()) out.push_back(&s);
    return out;
  }
};

TEST_F(NetworkPathMtu, FragmentationNeededLowersTheSegmentSizeAndResendsWhatNoLongerFits) {
  const int fd = established();
  pop_all();
  const std::uint16_t mss = stack().tcp().tcb(fd)->snd_mss;
  std::vector<std::uint8_t> data(3 * mss, 'p');
  ASSERT_EQ(stack().send(fd, data, now()), static_cast<long>(data.size()));
  const auto first = pop_all();
  const auto sent = data_of(first);
  ASSERT_EQ(sent.size(), 3u);
  inject_frag_needed(*sent[0], 800);  // P's MSS is 1000: a smaller link on the way
  const Tcb& t = *stack().tcp().tcb(fd);
  const std::uint32_t overhead = 40 + (t.ts_enabled ? 12 : 0);
  EXPECT_EQ(t.snd_mss, 800 - overhead);
  EXPECT_EQ(t.path_mtu, 800);
  EXPECT_EQ(stats().tcp_pmtu_reductions, 1u);
  EXPECT_TRUE(t.resending);  // as after an RTO: no fast recovery until SND.UNA passes SND.MAX
  EXPECT_FALSE(t.in_recovery);
  // Everything in flight went again at once, in packets of at most 800 bytes, from SND.UNA.
  const auto again = pop_all();
  const auto resent = data_of(again);
  ASSERT_FALSE(resent.empty());
  EXPECT_EQ(resent[0]->tcp->seq, sent[0]->tcp->seq);
  std::size_t bytes = 0;
  for (const Sent* s : resent) {
    EXPECT_LE(s->ip->total_length, 800u);
    bytes += s->tcp_payload.size();
  }
  EXPECT_GE(bytes, std::min<std::size_t>(data.size(), 2 * (800 - overhead)));
  // Not a congestion signal: the window did not shrink.
  EXPECT_GE(t.cc->cwnd(), 10u * mss);
}

TEST_F(NetworkPathMtu, AnIcmpAnsweringAnRfc4821ProbeSetsTheSearchCeilingAndTheProbeGoesAgainCut) {
  StackConfig c = default_config();
  c.tcp.mtu_probing = MtuProbing::always;
  configure(c);
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  const int fd = established(o);
  pop_all();
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(20000, 'p'), now()), 20000);
  const auto first = pop_all();
  const auto sent = data_of(first);
  ASSERT_GE(sent.size(), 2u);
  ASSERT_EQ(sent[0]->ip->total_length, 1500u) << "the probe, at the interface's MTU";
  ASSERT_EQ(sent[1]->ip->total_length, 1024u) << "then segments at the floor";
  inject_frag_needed(*sent[0], 1400);
  const Tcb& t = *stack().tcp().tcb(fd);
  EXPECT_EQ(stats().tcp_mtu_probes_lost, 1u);
  EXPECT_EQ(stats().tcp_pmtu_reductions, 0u) << "the size in use (1,024) still fits";
  EXPECT_EQ(t.path_mtu, 1024);
  EXPECT_EQ(t.mtu.high, 1400);
  EXPECT_EQ(t.mtu.next_probe(), 1400) << "the router named the size: it is tried next";
  // The probe's bytes went again at once, at the size in use, from its first byte.
  const auto again = pop_all();
  const auto resent = data_of(again);
  ASSERT_FALSE(resent.empty());
  EXPECT_EQ(resent[0]->tcp->seq, sent[0]->tcp->seq);
  for (const Sent* r : resent) EXPECT_LE(r->ip->total_length, 1024u);
}

TEST_F(NetworkPathMtu, AnIcmpQuotingNothingInFlightOrATinyMtuChangesLittle) {
  const int fd = established();
  pop_all();
  const std::uint16_t mss = stack().tcp().tcb(fd)->snd_mss;
  std::vector<std::uint8_t> data(mss, 'p');
  ASSERT_EQ(stack().send(fd, data, now()), static_cast<long>(data.size()));
  const auto first = pop_all();
  const auto sent = data_of(first);
  ASSERT_EQ(sent.size(), 1u);
  // RFC 5927: a sequence number outside SND.UNA..SND.MAX is a blind guess; ignored.
  inject_frag_needed(*sent[0], 1280, sent[0]->tcp->seq + 100000);
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_mss, mss);
  EXPECT_EQ(stats().tcp_pmtu_ignored, 1u);
  // An MTU of 68 is taken as the 552-byte floor, not below.
  inject_frag_needed(*sent[0], 68);
  const Tcb& t = *stack().tcp().tcb(fd);
  EXPECT_EQ(t.snd_mss, 552 - 40 - (t.ts_enabled ? 12 : 0));
  EXPECT_EQ(t.path_mtu, 552);
  // A larger MTU later never raises it again (RFC 1191 §6).
  inject_frag_needed(*sent[0], 1280);
  EXPECT_EQ(t.path_mtu, 552);
  EXPECT_EQ(stats().tcp_pmtu_reductions, 1u);
}

}  // namespace
}  // namespace mtcpp::test
