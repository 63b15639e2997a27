// The sender's windows and timers at the edges of a connection's life: the initial window
// (RFC 5681 §3.1, RFC 6928), the RTO after a lost SYN (RFC 6298 §5.7), the restart window after
// idle (RFC 5681 §4.1), ssthresh on repeated timeouts (§3.1), and how long connect() tries.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::uint8_t> bytes(std::size_t n) { return std::vector<std::uint8_t>(n, 'c'); }

class CongestionTest : public PacketTest {
 protected:
  // Data segments L sent just now.
  std::vector<Seg> burst() {
    std::vector<Seg> out;
    while (auto s = next_sent())
      if (s->len > 0) out.push_back(*s);
    return out;
  }
  // Acknowledges every segment of each burst one by one until `total` bytes are acknowledged.
  void ack_all(std::uint32_t total) {
    std::uint32_t acked = 0;
    for (int round = 0; round < 100 && acked < total; ++round)
      for (const Seg& s : burst()) {
        acked = s.seq + s.len - 1;
        inject(seg(A, 1, s.seq + s.len));
      }
    ASSERT_EQ(acked, total);
  }
  // A connect whose SYN went `retransmissions` more times before P's SYN-ACK arrived.
  int connected_after_syn_loss(int retransmissions) {
    const int fd = syn_sent();
    Duration rto = stack().config().tcp.rto_initial;
    for (int i = 0; i < retransmissions; ++i) {
      advance(rto);
      expect(seg(S, 0));
      rto *= 2;
    }
    inject(seg(S | A, 0, 1).with_options(syn_options()));
    expect(seg(A, 1, 1));
    return fd;
  }
};

TEST_F(CongestionTest, RtoIsThreeSecondsAfterALostSyn) {
  const int fd = connected_after_syn_loss(1);
  EXPECT_EQ(rto(fd), 3s);
  // And the first data segment is retransmitted 3 s after it went.
  ASSERT_EQ(stack().send(fd, bytes(100), now()), 100);
  expect(seg(P | A, 1, 1, 100));
  advance(3s - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(P | A, 1, 1, 100));
}

TEST_F(CongestionTest, InitialWindowIsOneSegmentAfterTwoSynRetransmissions) {
  const int fd = connected_after_syn_loss(2);
  ASSERT_EQ(stack().send(fd, bytes(20000), now()), 20000);
  EXPECT_EQ(burst().size(), 1u);
}

TEST_F(CongestionTest, InitialWindowIsTenSegmentsAfterOneSynRetransmission) {
  const int fd = connected_after_syn_loss(1);
  ASSERT_EQ(stack().send(fd, bytes(20000), now()), 20000);
  EXPECT_EQ(burst().size(), 10u);
}

TEST_F(CongestionTest, SimultaneousOpenSynAckIsNotCountedAsASynRetransmission) {
  const int fd = syn_sent();
  advance(stack().config().tcp.rto_initial);
  expect(seg(S, 0));  // one SYN timeout
  inject(seg(S, 0).with_options(syn_options()));  // P's SYN crosses ours
  expect(seg(S | A, 0, 1));
  inject(seg(A, 1, 1));
  ASSERT_EQ(state(fd), TcpState::established);
  ASSERT_EQ(stack().send(fd, bytes(20000), now()), 20000);
  EXPECT_EQ(burst().size(), 10u);  // one SYN lost: IW stays 10 (the SYN-ACK was counted as a second)
}

TEST_F(CongestionTest, PassiveOpenAfterTwoSynAckTimeoutsHasRto3sAndOneSegment) {
  listen_socket();
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  advance(stack().config().tcp.rto_initial);
  expect(seg(S | A, 0, 1));
  advance(2 * stack().config().tcp.rto_initial);
  expect(seg(S | A, 0, 1));
  inject(seg(A, 1, 1));
  const int fd = stack().accept(listen_fd_, nullptr);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(rto(fd), 3s);
  ASSERT_EQ(stack().send(fd, bytes(20000), now()), 20000);
  EXPECT_EQ(burst().size(), 1u);
}

TEST_F(CongestionTest, InitialWindowIsCappedAt14600BytesOnAJumboLink) {
  configure(default_config(), 9000);
  TcpOptions o;
  o.mss = 8960;
  const int fd = established(o);
  ASSERT_EQ(stack().send(fd, bytes(60000), now()), 60000);
  // min(10 MSS, max(2 MSS, 14,600 bytes)) = 2 segments of 8,960 (the defect sent 89,600 bytes).
  const auto sent = burst();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].len, 8960u);
}

TEST_F(CongestionTest, CwndRestartsFromTheInitialWindowAfterIdle) {
  const int fd = established();
  ASSERT_EQ(stack().send(fd, bytes(40000), now()), 40000);
  ack_all(40000);  // slow start: cwnd has grown well past 10 segments
  ASSERT_GT(stack().tcp().tcb(fd)->cc->cwnd(), 30000u);
  advance(30s);  // idle far longer than the RTO
  ASSERT_EQ(stack().send(fd, bytes(40000), now()), 40000);
  EXPECT_EQ(burst().size(), 10u);  // the defect sent 40 back to back
}

TEST_F(CongestionTest, SsthreshIsHeldOnASecondTimeoutOfTheSameSegment) {
  StackConfig c = default_config();
  c.tcp.congestion = CongestionAlgorithm::newreno;  // RFC 5681's arithmetic
  configure(c);
  const int fd = established();
  ASSERT_EQ(stack().send(fd, bytes(10000), now()), 10000);
  EXPECT_EQ(burst().size(), 10u);
  advance(rto(fd));
  expect(seg(A, 1, 1, 1000));
  const std::uint32_t ssthresh = stack().tcp().tcb(fd)->cc->ssthresh();
  EXPECT_EQ(ssthresh, 5000u);  // FlightSize / 2
  advance(rto(fd));
  expect(seg(A, 1, 1, 1000));
  EXPECT_EQ(stack().tcp().tcb(fd)->cc->ssthresh(), ssthresh);  // the defect cut it to 2 segments
  EXPECT_EQ(stack().tcp().tcb(fd)->cc->cwnd(), 1000u);
}

TEST_F(CongestionTest, ConnectTriesForThreeMinutes) {
  const int fd = syn_sent();
  const Instant start = now();
  int syns = 1;
  while (now() < start + 180s - 1ms) {
    advance_to(std::min(stack().next_deadline(), start + 180s - 1ms));
    while (auto s = next_sent()) syns += s->flags == S;
  }
  EXPECT_EQ(state(fd), TcpState::syn_sent);  // the defect gave up after 123 s
  EXPECT_EQ(syns, 8);  // at 0, 1, 3, 7, 15, 31, 63 and 123 s
  advance(1ms);
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::closed);
  int err = 0;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, ETIMEDOUT);
}

}  // namespace
}  // namespace mtcpp::test

namespace mtcpp::test {
namespace {

class SendAutotune : public PacketTest {
 protected:
  int small_send_buffer(bool lock) {
    StackConfig c = default_config();
    c.tcp.send_buffer = 8192;
    c.tcp.send_buffer_max = 65536;
    configure(c);
    const int fd = established();
    if (lock) {
      EXPECT_EQ(stack().set_option(fd, SocketOption::send_buffer, 8192, now()), 0);
    }
    return fd;
  }
  // Writes what fits, then acknowledges everything sent, `rounds` times.
  void rounds(int fd, int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<std::uint8_t> data(1 << 16, 'w');
      stack().send(fd, data, now());
      std::uint32_t end = 0;
      while (auto s = next_sent()) end = std::max(end, s->seq + s->len);
      advance(std::chrono::milliseconds(10));
      if (end > 0) inject(seg(A, 1, end));
    }
  }
};

TEST_F(SendAutotune, TheSendBufferFollowsTwiceTheCongestionWindow) {
  const int fd = small_send_buffer(false);
  rounds(fd, 4);
  const Tcb& t = *stack().tcp().tcb(fd);
  EXPECT_GT(t.snd.capacity(), 8192u);
  EXPECT_LE(t.snd.capacity(), 65536u);
  EXPECT_GE(t.snd.capacity(), std::min<std::uint32_t>(2 * t.cc->cwnd(), 65536) * 2 / 3);
  EXPECT_GE(stack().stats().tcp_send_buffer_grown, 1u);
}

TEST_F(SendAutotune, AWriterThatNeverFillsTheBufferKeepsIt) {
  // cwnd grows with every ACK, but a sender writing less than its window is not held back by
  // its buffer: growing it would only pin memory.
  const int fd = small_send_buffer(false);
  const std::uint32_t before = stack().tcp().tcb(fd)->snd.capacity();
  for (int i = 0; i < 20; ++i) {
    std::vector<std::uint8_t> data(1000, 'w');
    ASSERT_EQ(stack().send(fd, data, now()), 1000);
    std::uint32_t end = 0;
    while (auto s = next_sent()) end = std::max(end, s->seq + s->len);
    advance(std::chrono::milliseconds(10));
    inject(seg(A, 1, end));
  }
  EXPECT_GT(stack().tcp().tcb(fd)->cc->cwnd(), 20000u);
  EXPECT_EQ(stack().tcp().tcb(fd)->snd.capacity(), before);
}

TEST_F(SendAutotune, SoSndbufKeepsTheBufferAsItIs) {
  const int fd = small_send_buffer(true);
  const std::uint64_t grown = stack().stats().tcp_send_buffer_grown;  // at the handshake, before the option
  rounds(fd, 4);
  EXPECT_EQ(stack().tcp().tcb(fd)->snd.capacity(), 8192u);
  EXPECT_EQ(stack().stats().tcp_send_buffer_grown, grown);
}

}  // namespace
}  // namespace mtcpp::test
