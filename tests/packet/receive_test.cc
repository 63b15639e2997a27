// The receiving side: reassembly at its limit, SACK blocks (RFC 2018 §4), receiver silly window
// avoidance (RFC 9293 §3.8.6.2.2), buffers resized on a connected socket, SHUT_RD.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Receive = PacketTest;

TcpOptions sack_syn() {
  TcpOptions o = PacketTest::syn_options();
  o.sack_permitted = true;
  return o;
}

TEST_F(Receive, InOrderSegmentsOfOneBurstDrawOneAck) {
  established();
  for (std::uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 1 + 1000 * i, 1, 1000))));
  poll();
  expect(seg(A, 1, 5001).with_win(65535 - 5000), true);  // not one per two segments: one per burst
  expect_nothing();
}

TEST_F(Receive, AnAckHeldForTheBurstIsNotSentAfterAResetInIt) {
  const int fd = established();
  ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 1, 1, 1000))));
  ASSERT_TRUE(io_->push_rx(frame_for(seg(R, 1001))));
  poll();
  expect_nothing();  // the connection is gone by the burst's end: nothing to acknowledge
  EXPECT_EQ(state(fd), TcpState::closed);
  EXPECT_TRUE(stack().readiness(fd) & readiness::err);
}

TEST_F(Receive, ALongBurstIsAcknowledgedEveryEightSegments) {
  established();
  for (std::uint32_t i = 0; i < 20; ++i) ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 1 + 1000 * i, 1, 1000))));
  poll();
  expect(seg(A, 1, 8001));  // a sender in slow start grows by at most 8 segments per ACK
  expect(seg(A, 1, 16001));
  expect(seg(A, 1, 20001));
  expect_nothing();
  // Quick-ACK mode is over (ACKs for every second segment): still one ACK per 8 segments.
  for (std::uint32_t i = 20; i < 40; ++i) ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 1 + 1000 * i, 1, 1000))));
  poll();
  expect(seg(A, 1, 28001));
  expect(seg(A, 1, 36001));
  expect(seg(A, 1, 40001));
  expect_nothing();
}

TEST_F(Receive, OutOfOrderSegmentsOfOneBurstEachDrawADuplicateAck) {
  established();
  // The first segment is missing: without SACK the sender counts duplicate ACKs, one per segment.
  for (std::uint32_t i = 1; i < 4; ++i) ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 1 + 1000 * i, 1, 1000))));
  poll();
  for (int i = 0; i < 3; ++i) expect(seg(A, 1, 1));
  expect_nothing();
  // The hole filled is acknowledged at once (RFC 5681 §4.2); the in-order segment after it in
  // the same burst at the burst's end.
  ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 1, 1, 1000))));
  ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 4001, 1, 1000))));
  poll();
  expect(seg(A, 1, 4001));
  expect(seg(A, 1, 5001));
  expect_nothing();
  // Duplicates in one burst: each answered at once.
  ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 1, 1, 1000))));
  ASSERT_TRUE(io_->push_rx(frame_for(seg(P | A, 1001, 1, 1000))));
  poll();
  expect(seg(A, 1, 5001));
  expect(seg(A, 1, 5001));
  expect_nothing();
}

TEST_F(Receive, InOrderDataIsTakenWhileSixteenOutOfOrderRangesAreHeld) {
  const int fd = established();
  // 17 segments each beyond a hole: 16 ranges are held, the 17th is refused; each draws ack 1.
  for (std::uint32_t i = 0; i < 17; ++i) {
    inject(seg(A, 1 + 2000 * (i + 1), 1, 1000));
    expect(seg(A, 1, 1));
  }
  // The segment at RCV.NXT needs no range: it is taken (the defect answered ack 1 forever).
  inject(seg(A, 1, 1, 1000));
  expect(seg(A, 1, 1001));
  std::vector<std::uint8_t> in(4000);
  EXPECT_EQ(stack().recv(fd, in, now()), 1000);
  // Filling the next hole joins the first held range.
  inject(seg(A, 1001, 1, 1000));
  expect(seg(A, 1, 3001));
  EXPECT_EQ(stack().recv(fd, in, now()), 2000);
}

TEST_F(Receive, SackBlocksStartWithTheLatestAndRepeatTheMostRecentlyReported) {
  established(sack_syn());
  const auto block = [&](std::uint32_t l, std::uint32_t r) { return SackBlock{peer_iss_ + l, peer_iss_ + r}; };
  const auto expect_blocks = [&](std::initializer_list<SackBlock> want) {
    auto ack = next_sent();
    ASSERT_TRUE(ack);
    EXPECT_EQ(ack->ack, 1u);
    ASSERT_EQ(ack->options.sack_count, want.size()) << describe(*ack);
    std::size_t i = 0;
    for (const SackBlock& b : want) {
      EXPECT_EQ(ack->options.sack[i].left, b.left) << "block " << i << ": " << describe(*ack);
      EXPECT_EQ(ack->options.sack[i].right, b.right) << "block " << i << ": " << describe(*ack);
      ++i;
    }
  };
  inject(seg(A, 2001, 1, 1000));
  expect_blocks({block(2001, 3001)});
  inject(seg(A, 6001, 1, 1000));
  expect_blocks({block(6001, 7001), block(2001, 3001)});
  inject(seg(A, 4001, 1, 1000));
  expect_blocks({block(4001, 5001), block(6001, 7001), block(2001, 3001)});
  // A segment extending the oldest block makes it the first; the others keep their recency.
  inject(seg(A, 3001, 1, 500));
  expect_blocks({block(2001, 3501), block(4001, 5001), block(6001, 7001)});
}

TEST_F(Receive, SackAfterShutRdNamesOnlyDataReceived) {
  const int fd = established(sack_syn());
  ASSERT_EQ(stack().shutdown(fd, Shutdown::read, now()), 0);
  inject(seg(A, 2001, 1, 1000));
  auto ack = next_sent();
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->options.sack_count, 1u);
  EXPECT_EQ(ack->options.sack[0].left, peer_iss_ + 2001);
  // The hole fills and the data is discarded; the block still names 2001:3001, where the data is
  // (the defect moved RCV.NXT without the held ranges and reported 3001:4001).
  inject(seg(A, 1, 1, 1000));
  ack = next_sent();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->ack, 1001u);
  ASSERT_EQ(ack->options.sack_count, 1u) << describe(*ack);
  EXPECT_EQ(ack->options.sack[0].left, peer_iss_ + 2001);
  EXPECT_EQ(ack->options.sack[0].right, peer_iss_ + 3001);
  inject(seg(A, 1001, 1, 1000));
  expect(seg(A, 1, 3001));
  std::vector<std::uint8_t> in(100);
  EXPECT_EQ(stack().recv(fd, in, now()), 0);  // discarded, end of stream for the reader
}

TEST_F(Receive, ReadingLessThanTheSillyWindowUnitAdvertisesNothing) {
  StackConfig c = default_config();
  c.tcp.receive_buffer = 4096;
  configure(c);
  const int fd = established();
  for (std::uint32_t seq = 1; seq < 4097; seq += 1024) inject(seg(A, seq, 1, 1024));
  while (next_sent()) {
  }
  ASSERT_EQ(stack().bytes_readable(fd), 4096);
  std::vector<std::uint8_t> in(4096);
  // One byte read: no "win 1" (the defect advertised it, MUST-39 forbids it).
  EXPECT_EQ(stack().recv(fd, MutableBytes(in.data(), 1), now()), 1);
  expect_nothing();
  // The unit is min(half the buffer, one MSS) = min(2048, 1460): at 1460 bytes free, an update.
  EXPECT_EQ(stack().recv(fd, MutableBytes(in.data(), 1458), now()), 1458);
  expect_nothing();
  EXPECT_EQ(stack().recv(fd, MutableBytes(in.data(), 1), now()), 1);
  expect(seg(A, 1, 4097).with_win(1460), true);
  // P's ACKs meanwhile still see the old edge, never a shrunk one.
  inject(seg(A, 4097, 1, 100));
  advance(c.tcp.delayed_ack);
  expect(seg(A, 1, 4197).with_win(1360), true);
}

TEST_F(Receive, ReceiveBufferGrownAfterAcceptWidensTheWindow) {
  TcpOptions o = syn_options();
  o.window_scale = 7;
  const int fd = established(o);
  // L's window scale (7) was sized for tcp.receive_buffer_max, so 1 MiB can be shown in full.
  ASSERT_EQ(stack().set_option(fd, SocketOption::receive_buffer, 1 << 20, now()), 0);  // was EISCONN
  int v = 0;
  ASSERT_EQ(stack().get_option(fd, SocketOption::receive_buffer, &v), 0);
  EXPECT_EQ(v, 1 << 20);
  inject(seg(P | A, 1, 1, 100));
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 1, 101).with_win(((1 << 20) - 100) >> 7), true);  // 64 KiB - 100 would show 511
  EXPECT_EQ(stack().stats().tcp_buffer_bytes_in_use, 64u * 1024 + (1u << 20) + 64u * 1024 + 64u * 1024);
}

TEST_F(Receive, ReceiveBufferShrunkInSynSentKeepsTheOfferedScaleAndWindow) {
  const int fd = stack().socket(now());
  ASSERT_EQ(stack().bind(fd, local_), 0);
  ASSERT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
  auto syn = next_sent();
  ASSERT_TRUE(syn && syn->options.window_scale);
  const std::uint8_t offered = *syn->options.window_scale;
  ASSERT_EQ(stack().set_option(fd, SocketOption::receive_buffer, 2048, now()), 0);
  int v = 0;
  ASSERT_EQ(stack().get_option(fd, SocketOption::receive_buffer, &v), 0);
  EXPECT_GE(v, 65535) << "the SYN offered 65535 bytes";
  // A retransmitted SYN offers the same scale; the handshake keeps it.
  advance(stack().config().tcp.rto_initial);
  syn = next_sent();
  ASSERT_TRUE(syn && syn->options.window_scale);
  EXPECT_EQ(*syn->options.window_scale, offered);
  TcpOptions o = syn_options();
  o.window_scale = 2;
  inject(seg(S | A, 0, 1).with_options(o));
  expect(seg(A, 1, 1));
  EXPECT_EQ(stack().tcp().tcb(fd)->rcv_wscale, offered);
}

TEST_F(Receive, BuffersResizedOnAConnectionKeepTheirData) {
  const int fd = established();
  for (std::uint32_t seq = 1; seq < 3001; seq += 1000) inject(seg(P | A, seq, 1, 1000));
  inject(seg(P | A, 5001, 1, 1000));  // held out of order
  while (next_sent()) {
  }
  // Shrinking keeps what is held and what was promised: the 64 KiB window already advertised.
  ASSERT_EQ(stack().set_option(fd, SocketOption::receive_buffer, 2048, now()), 0);
  int v = 0;
  ASSERT_EQ(stack().get_option(fd, SocketOption::receive_buffer, &v), 0);
  EXPECT_GE(v, 3000 + 65535 - 3000);
  inject(seg(P | A, 3001, 1, 1000));
  expect(seg(A, 1, 4001));
  inject(seg(P | A, 4001, 1, 1000));  // fills the hole
  expect(seg(A, 1, 6001));
  std::vector<std::uint8_t> in(10000);
  ASSERT_EQ(stack().recv(fd, in, now()), 6000);
  for (std::uint32_t i = 0; i < 6000; ++i)
    ASSERT_EQ(in[i], static_cast<std::uint8_t>('a' + (1 + i) % 26)) << "byte " << i;
  // The send buffer too: shrunk below what is queued, it keeps the data.
  std::vector<std::uint8_t> out(20000);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(i * 7);
  ASSERT_EQ(stack().send(fd, out, now()), 20000);
  ASSERT_EQ(stack().set_option(fd, SocketOption::send_buffer, 4096, now()), 0);
  ASSERT_EQ(stack().get_option(fd, SocketOption::send_buffer, &v), 0);
  EXPECT_EQ(v, 20000);
  std::uint32_t next = 1;
  for (int round = 0; round < 10 && next < 20001; ++round) {
    while (auto s = next_sent()) {
      if (s->len == 0) continue;
      ASSERT_EQ(s->seq, next);
      for (std::uint32_t i = 0; i < s->len; ++i) ASSERT_EQ(s->payload[i], out[next - 1 + i]);
      next += s->len;
    }
    inject(seg(A, 6001, next));
  }
  EXPECT_EQ(next, 20001u);
}

}  // namespace
}  // namespace mtcpp::test

namespace mtcpp::test {
namespace {

class Autotune : public PacketTest {
 protected:
  // An 8 KB receive buffer (mTCP's default) that may grow to 64 KB; P's segments are 1000 bytes.
  int small_buffer_connection(bool autotune = true) {
    StackConfig c = default_config();
    c.tcp.receive_buffer = 8192;
    c.tcp.receive_buffer_max = 65536;
    c.tcp.receive_autotune = autotune;
    configure(c);
    return established();
  }
  // P fills the window it was last offered, L's application reads it all: one round trip (10 ms).
  std::uint32_t round_trip(int fd, std::uint32_t& seq) {
    const std::uint32_t window = stack().tcp().tcb(fd)->rcv.window(stack().tcp().buffer_memory());
    for (std::uint32_t sent = 0; sent + 1000 <= window; sent += 1000, seq += 1000) inject(seg(A, seq, 1, 1000));
    std::vector<std::uint8_t> in(1 << 20);
    const long n = stack().recv(fd, in, now());
    while (next_sent()) {
    }
    advance(10ms);
    return static_cast<std::uint32_t>(std::max(0L, n));
  }
};

TEST_F(Autotune, TheBufferGrowsWithWhatTheApplicationReadsPerRoundTrip) {
  const int fd = small_buffer_connection();
  std::uint32_t seq = 1;
  std::vector<std::uint32_t> capacities;
  for (int i = 0; i < 5; ++i) {
    round_trip(fd, seq);
    capacities.push_back(stack().tcp().tcb(fd)->rcv.capacity());
  }
  // Twice what was read per round trip: doubling like the sender's slow start, up to the cap.
  EXPECT_EQ(capacities.front(), 8192u);
  EXPECT_GT(capacities[2], 8192u);
  EXPECT_EQ(capacities.back(), 65536u);
  EXPECT_GE(stack().stats().tcp_receive_buffer_grown, 2u);
  // The larger window is what P is told.
  inject(seg(A, seq, 1, 1000));
  advance(stack().config().tcp.delayed_ack);
  auto ack = next_sent();
  ASSERT_TRUE(ack);
  EXPECT_GT(std::uint32_t{ack->win} << stack().tcp().tcb(fd)->rcv_wscale, 8192u);
}

TEST_F(Autotune, SoRcvbufOrTheKnobKeepsTheBufferAsItIs) {
  for (bool knob : {true, false}) {
    const int fd = small_buffer_connection(knob);
    if (knob) {
      ASSERT_EQ(stack().set_option(fd, SocketOption::receive_buffer, 8192, now()), 0);
    }
    std::uint32_t seq = 1;
    for (int i = 0; i < 4; ++i) round_trip(fd, seq);
    EXPECT_EQ(stack().tcp().tcb(fd)->rcv.capacity(), 8192u);
    EXPECT_EQ(stack().stats().tcp_receive_buffer_grown, 0u);
  }
}

}  // namespace
}  // namespace mtcpp::test
