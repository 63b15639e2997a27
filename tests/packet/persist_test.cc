// Zero-window probing (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17): what a probe may carry, the sequence
// number of ACKs sent while probing, and how long a connection may stay in persist.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Persist = PacketTest;

std::vector<std::uint8_t> bytes(std::size_t n, std::uint8_t v = 'w') { return std::vector<std::uint8_t>(n, v); }

// The first probe's time: the RTO (1 s after E0's 10 ms sample), at least persist_min.
Duration first_probe(const StackConfig& c) { return std::max(c.tcp.rto_min, c.tcp.persist_min); }

TEST_F(Persist, ProbeNeverSendsAnOctetTheApplicationDidNotWrite) {
  const int fd = established();
  inject(seg(A, 1, 1).with_win(0));  // P closes its window
  ASSERT_EQ(stack().send(fd, bytes(1, 'X'), now()), 1);
  expect_nothing();
  advance(first_probe(stack().config()));
  auto probe = next_sent();
  ASSERT_TRUE(probe);
  EXPECT_EQ(describe(*probe), describe(seg(P | A, 1, 1, 1)));
  ASSERT_EQ(probe->payload.size(), 1u);
  EXPECT_EQ(probe->payload[0], 'X');
  // P takes the octet and keeps its window closed: nothing is left to probe with, so nothing goes,
  // however long we wait (the defect sent seq 2 len 1, a byte read past the written data).
  inject(seg(A, 1, 2).with_win(0));
  advance(10min);
  expect_nothing();
  // A new write probes again, with that byte.
  ASSERT_EQ(stack().send(fd, bytes(1, 'Y'), now()), 1);
  advance(first_probe(stack().config()));
  probe = next_sent();
  ASSERT_TRUE(probe);
  EXPECT_EQ(describe(*probe), describe(seg(P | A, 2, 1, 1)));
  ASSERT_EQ(probe->payload.size(), 1u);
  EXPECT_EQ(probe->payload[0], 'Y');
}

TEST_F(Persist, AckSentWhileProbingCarriesSndUnaNotTheRefusedProbeOctet) {
  // With the probe octet refused, P's RCV.NXT is our SND.UNA; an ACK numbered past it is
  // unacceptable to a peer whose own window is closed, and two such stacks answer each other's
  // ACKs without end (the ACK storm of two mtcpp stacks both writing, neither reading).
  const int fd = established();
  inject(seg(A, 1, 1).with_win(0));
  ASSERT_EQ(stack().send(fd, bytes(100), now()), 100);
  advance(first_probe(stack().config()));
  expect(seg(A, 1, 1, 1));
  inject(seg(A, 1, 1).with_win(0));  // the probe octet refused
  expect_nothing();
  inject(seg(P | A, 1, 1, 100).with_win(0));  // P's data arrives: the ACK for it
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 1, 101));
}

TEST_F(Persist, PeerThatStopsAnsweringProbesTimesOut) {
  StackConfig c = default_config();
  c.tcp.data_retries = 3;
  c.tcp.persist_min = c.tcp.persist_max = 4s;  // one probe every 4 s
  configure(c);
  const int fd = established();
  inject(seg(A, 1, 1).with_win(0));
  ASSERT_EQ(stack().send(fd, bytes(100), now()), 100);
  // Probes while P answers: the connection lives on.
  for (int i = 0; i < 6; ++i) {
    advance(c.tcp.persist_max);
    auto probe = next_sent();
    ASSERT_TRUE(probe) << "probe " << i;
    inject(seg(A, 1, 1).with_win(0));
  }
  EXPECT_EQ(state(fd), TcpState::established);
  // P goes silent: three unanswered probes (data_retries), then ETIMEDOUT.
  for (int i = 0; i < 3; ++i) {
    advance(c.tcp.persist_max);
    ASSERT_TRUE(next_sent()) << "unanswered probe " << i;
  }
  advance(c.tcp.persist_max);
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::closed);
  int err = 0;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, ETIMEDOUT);
}

TEST_F(Persist, OrphanFacingAClosedWindowIsResetAfterItsLimit) {
  StackConfig c = default_config();
  c.tcp.persist_min = c.tcp.persist_max = 4s;  // one probe every 4 s
  c.tcp.orphan_persist_timeout = 20s;
  configure(c);
  const int fd = established();
  inject(seg(A, 1, 1).with_win(0));
  ASSERT_EQ(stack().send(fd, bytes(100), now()), 100);
  ASSERT_EQ(stack().close(fd, now()), 0);  // an orphan with data and a FIN queued
  const Instant closed = now();
  // P answers every probe and never opens: the orphan is reset once the limit has passed.
  while (now() + c.tcp.persist_max < closed + c.tcp.orphan_persist_timeout) {
    advance(c.tcp.persist_max);
    auto probe = next_sent();
    ASSERT_TRUE(probe);
    EXPECT_EQ(describe(*probe), describe(seg(A, 1, 1, 1)));
    inject(seg(A, 1, 1).with_win(0));
  }
  advance(c.tcp.persist_max);
  EXPECT_EQ(now(), closed + c.tcp.orphan_persist_timeout);
  auto last = next_sent();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->flags, R | A);
  EXPECT_EQ(peer_tcb(), nullptr);
  EXPECT_EQ(stack().stats().tcp_orphan_persist_resets, 1u);
  EXPECT_EQ(stack().tcp().connection_count(), 1u);  // the listener
}

TEST_F(Persist, APeerHoldingItsWindowClosedPastZeroWindowTimeoutIsResetAndTheWriterSeesEtimedout) {
  StackConfig c = default_config();
  c.tcp.persist_min = c.tcp.persist_max = 4s;  // one probe every 4 s
  c.tcp.zero_window_timeout = 30s;
  configure(c);
  const int fd = established();
  inject(seg(A, 1, 1).with_win(0));
  ASSERT_EQ(stack().send(fd, bytes(100), now()), 100);
  const Instant blocked = now();
  // P answers every probe and never opens: the limit is kept to the millisecond, between probes.
  while (now() + c.tcp.persist_max < blocked + c.tcp.zero_window_timeout) {
    advance(c.tcp.persist_max);
    expect(seg(A, 1, 1, 1));
    inject(seg(A, 1, 1).with_win(0));
  }
  advance(blocked + c.tcp.zero_window_timeout - now() - 1ms);
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::established);
  advance(1ms);
  expect(seg(R | A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::closed);
  int err = 0;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, ETIMEDOUT);
  EXPECT_EQ(stack().stats().tcp_zero_window_resets, 1u);
}

TEST_F(Persist, WithoutAZeroWindowTimeoutAPeerThatAnswersProbesKeepsTheConnection) {
  StackConfig c = default_config();
  c.tcp.persist_min = c.tcp.persist_max = 60s;
  configure(c);
  ASSERT_EQ(c.tcp.zero_window_timeout, Duration::zero());  // the default: no limit, as Linux
  const int fd = established();
  inject(seg(A, 1, 1).with_win(0));
  ASSERT_EQ(stack().send(fd, bytes(100), now()), 100);
  for (int i = 0; i < 120; ++i) {  // two hours
    advance(c.tcp.persist_max);
    expect(seg(A, 1, 1, 1));
    inject(seg(A, 1, 1).with_win(0));
  }
  EXPECT_EQ(state(fd), TcpState::established);
  EXPECT_EQ(stack().stats().tcp_zero_window_resets, 0u);
}

}  // namespace
}  // namespace mtcpp::test
