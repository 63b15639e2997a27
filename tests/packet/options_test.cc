// Option negotiation, each option with and without the peer's agreement (RFC 9293 §3.7.1,
// RFC 7323, RFC 2018), and PAWS.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Options = PacketTest;

std::vector<std::uint8_t> bytes(std::size_t n) { return std::vector<std::uint8_t>(n, 'o'); }

TEST_F(Options, WithoutMssThePeerGets536ByteSegments) {
  const int fd = established(TcpOptions{});
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_mss, 536);
  EXPECT_EQ(stack().send(fd, bytes(600), now()), 600);
  expect(seg(A, 1, 1, 536));
}

TEST_F(Options, UserMaxSegCapsTheMss) {
  const int fd0 = stack().socket(now());
  EXPECT_EQ(stack().set_option(fd0, SocketOption::max_segment, 500, now()), 0);
  EXPECT_EQ(stack().set_option(fd0, SocketOption::max_segment, 10, now()), -EINVAL);
  EXPECT_EQ(stack().bind(fd0, local_), 0);
  EXPECT_EQ(stack().connect(fd0, remote_, now()), -EINPROGRESS);
  auto syn = next_sent();
  ASSERT_TRUE(syn && syn->options.mss);
  EXPECT_EQ(*syn->options.mss, 500);
}

TEST_F(Options, SynOffersEverythingConfigured) {
  const int fd = stack().socket(now());
  EXPECT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
  auto syn = next_sent();
  ASSERT_TRUE(syn);
  EXPECT_TRUE(syn->options.mss);
  EXPECT_TRUE(syn->options.window_scale);
  EXPECT_TRUE(syn->options.sack_permitted);
  ASSERT_TRUE(syn->options.timestamps);
  EXPECT_EQ(syn->options.timestamps->tsecr, 0u);
}

TEST_F(Options, NoOptionsWhenConfiguredOff) {
  StackConfig c = default_config();
  c.tcp.sack = false;
  c.tcp.timestamps = false;
  c.tcp.window_scaling = false;
  configure(c);
  const int fd = stack().socket(now());
  EXPECT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
  auto syn = next_sent();
  ASSERT_TRUE(syn);
  EXPECT_TRUE(syn->options.mss);
  EXPECT_FALSE(syn->options.window_scale);
  EXPECT_FALSE(syn->options.sack_permitted);
  EXPECT_FALSE(syn->options.timestamps);
}

TEST_F(Options, WindowScaleAppliesToThePeersWindowOnlyWhenBothAgree) {
  TcpOptions o = syn_options();
  o.window_scale = 2;
  const int fd = established(o);
  inject(seg(A, 1, 1).with_win(1000));  // 1000 << 2
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_wnd, 4000u);
}

TEST_F(Options, WithoutWindowScaleNeitherSideScales) {
  const int fd = established();
  inject(seg(A, 1, 1).with_win(1000));
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_wnd, 1000u);
  EXPECT_EQ(stack().tcp().tcb(fd)->rcv_wscale, 0);
}

TEST_F(Options, TimestampsOnEverySegmentWhenAgreed) {
  TcpOptions o = syn_options();
  o.timestamps = TcpTimestamps{peer_ts_, 0};
  const int fd = established(o);
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  auto s = next_sent();
  ASSERT_TRUE(s && s->options.timestamps);
  EXPECT_EQ(s->options.timestamps->tsecr, peer_ts_);
}

TEST_F(Options, NoTimestampsWithoutThePeer) {
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  auto s = next_sent();
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->options.timestamps);
}

TEST_F(Options, PawsDropsAnOldTimestampAndAcks) {
  TcpOptions o = syn_options();
  o.timestamps = TcpTimestamps{peer_ts_, 0};
  const int fd = established(o);
  Seg data = seg(P | A, 1, 1, 100);
  data.options.timestamps = TcpTimestamps{peer_ts_ - 50, 0};
  inject(data);
  expect(seg(A, 1, 1));
  EXPECT_EQ(stack().bytes_readable(fd), 0);
  EXPECT_EQ(stack().stats().tcp_paws_drops, 1u);
  data.options.timestamps = TcpTimestamps{peer_ts_ + 1, 0};
  inject(data);
  EXPECT_EQ(stack().bytes_readable(fd), 100);
}

TEST_F(Options, SackBlocksDescribeOutOfOrderData) {
  TcpOptions o = syn_options();
  o.sack_permitted = true;
  established(o);
  inject(seg(A, 2001, 1, 1000));
  auto a1 = next_sent();
  ASSERT_TRUE(a1);
  ASSERT_EQ(a1->options.sack_count, 1u);
  inject(seg(A, 4001, 1, 1000));
  auto a2 = next_sent();
  ASSERT_TRUE(a2);
  ASSERT_EQ(a2->options.sack_count, 2u);
  // The block holding the latest segment comes first (RFC 2018 §4).
  EXPECT_EQ(a2->options.sack[0].left - peer_iss_, 4001u);
  EXPECT_EQ(a2->options.sack[1].left - peer_iss_, 2001u);
  inject(seg(A, 1, 1, 1000));
  auto filled = next_sent();  // a hole fill is ACKed at once
  ASSERT_TRUE(filled);
  EXPECT_EQ(filled->ack, 1001u);
  inject(seg(A, 1001, 1, 1000));
  auto a3 = next_sent();
  ASSERT_TRUE(a3);
  EXPECT_EQ(a3->ack, 3001u);
  ASSERT_EQ(a3->options.sack_count, 1u);
  EXPECT_EQ(a3->options.sack[0].left - peer_iss_, 4001u);
}

TEST_F(Options, NoSackBlocksWithoutSackPermitted) {
  established();
  inject(seg(A, 2001, 1, 1000));
  auto a = next_sent();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->options.sack_count, 0u);
  EXPECT_EQ(a->ack, 1u);
}

TEST_F(Options, SegmentsCarryingSackBlocksShrinkToFitTheMtu) {
  // §3.7.1: the payload gives way to every option sent. With out-of-order data held, each data
  // segment carries a SACK block (12 bytes with padding), so a 1460-byte MSS leaves 1448.
  TcpOptions o = syn_options();
  o.mss = 1460;
  o.sack_permitted = true;
  const int fd = established(o);
  inject(seg(A, 2001, 1, 100));  // a hole at 1
  auto dup = next_sent();
  ASSERT_TRUE(dup);
  ASSERT_EQ(dup->options.sack_count, 1u);
  EXPECT_EQ(stack().send(fd, bytes(2896), now()), 2896);
  std::uint32_t seq = 1;
  while (auto s = next_sent()) {
    EXPECT_EQ(s->seq, seq);
    EXPECT_EQ(s->options.sack_count, 1u);
    EXPECT_EQ(s->len, 1448u);
    seq += s->len;
  }
  EXPECT_EQ(seq, 2897u) << "a segment went missing";
  EXPECT_EQ(stack().stats().tx_oversize, 0u);
}

TEST_F(Options, ResetsKeepTheTimestampOption) {
  // RFC 7323 §3.2: SHOULD be sent in an RST; ns-3's TCP drops an ACK without one, reset or not.
  TcpOptions o = syn_options();
  o.timestamps = TcpTimestamps{peer_ts_, 0};
  const int fd = established(o);
  Seg data = seg(P | A, 1, 1, 100);
  data.options.timestamps = TcpTimestamps{peer_ts_ + 1, 0};
  inject(data);
  while (next_sent()) {
  }
  ASSERT_EQ(stack().close(fd, now()), 0);  // unread data: a reset (S15)
  auto r = next_sent();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->flags & R, R);
  EXPECT_TRUE(r->options.timestamps);
  EXPECT_EQ(r->options.sack_count, 0u);
}

TEST_F(Options, ShrinkingABufferKeepsTheByteCount) {
  const std::uint64_t before = stack().stats().tcp_buffer_bytes_in_use;
  const int fd = stack().socket(now());
  const std::uint64_t one = stack().stats().tcp_buffer_bytes_in_use - before;
  ASSERT_EQ(stack().set_option(fd, SocketOption::receive_buffer, 4096, now()), 0);
  ASSERT_EQ(stack().set_option(fd, SocketOption::send_buffer, 4096, now()), 0);
  EXPECT_EQ(stack().stats().tcp_buffer_bytes_in_use - before, 8192u) << "was " << one;
  ASSERT_EQ(stack().close(fd, now()), 0);
  EXPECT_EQ(stack().stats().tcp_buffer_bytes_in_use, before);
}

}  // namespace
}  // namespace mtcpp::test
