// ACK and send policy over time: delayed ACKs (RFC 9293 §3.8.6.3, RFC 1122 §4.2.3.2), Nagle
// (§3.7.4) and TCP_NODELAY, keepalive (RFC 1122 §4.2.3.6), and receive-window updates.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
class Timers : public PacketTest {
 protected:
  // Delayed ACKs as RFC 9293 §3.8.6.3 describes them, without the quick ACKs of a transfer's start.
  void without_quick_acks() {
    StackConfig c = default_config();
    c.tcp.quick_acks = 0;
    configure(c);
  }
  // mTCP's tcp_timeout (TcpConfig::idle_timeout): a connection that hears nothing acceptable from
  // its peer for that long is reset, and its socket sees ETIMEDOUT.
  StackConfig with_idle_timeout(Duration idle) const {
    StackConfig c = default_config();
    c.tcp.idle_timeout = idle;
    return c;
  }
};

std::vector<std::uint8_t> bytes(std::size_t n) { return std::vector<std::uint8_t>(n, 't'); }

TEST_F(Timers, OneSegmentIsAckedAfterTheDelayedAckTime) {
  without_quick_acks();
  established();
  inject(seg(P | A, 1, 1, 100));
  const Duration d = stack().config().tcp.delayed_ack;
  advance(d - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(A, 1, 101));
}

TEST_F(Timers, EverySecondFullSegmentIsAckedAtOnce) {
  without_quick_acks();
  established();
  inject(seg(A, 1, 1, 1000));
  expect_nothing();
  inject(seg(A, 1001, 1, 1000));
  expect(seg(A, 1, 2001));
}

TEST_F(Timers, DelayedAckRidesOnData) {
  without_quick_acks();
  const int fd = established();
  inject(seg(P | A, 1, 1, 100));
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  expect(seg(P | A, 1, 101, 10));
  advance(stack().config().tcp.delayed_ack);
  expect_nothing();
}

TEST_F(Timers, FirstSegmentsOfATransferAreAckedAtOnce) {
  // Quick-ACK mode: min(quick_acks, window / (2 MSS)) segments ACKed at once, then every second.
  StackConfig c = default_config();
  c.tcp.quick_acks = 3;
  configure(c);
  const int fd = established();
  std::uint32_t seq = 1;
  for (int i = 0; i < 3; ++i, seq += 100) {
    inject(seg(P | A, seq, 1, 100));
    expect(seg(A, 1, seq + 100));
  }
  inject(seg(P | A, seq, 1, 100));
  expect_nothing();
  inject(seg(P | A, seq + 100, 1, 100));
  expect(seg(A, 1, seq + 200));
  seq += 200;
  // Data again after the receiver idled for longer than the RTO: quick ACKs again.
  advance(rto(fd) + 1ms);
  inject(seg(P | A, seq, 1, 100));
  expect(seg(A, 1, seq + 100));
}

TEST_F(Timers, NagleHoldsSmallWritesWhileDataIsUnacked) {
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  expect(seg(P | A, 1, 1, 10));
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  expect_nothing();
  inject(seg(A, 1, 11));
  expect(seg(P | A, 11, 1, 20));  // the held bytes go out together
}

TEST_F(Timers, NagleLetsAWritesSmallTailGoBehindFullSegments) {
  // Minshall's refinement (as Linux): only an unacknowledged small segment holds the next one.
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(1500), now()), 1500);
  expect(seg(A, 1, 1, 1000));
  expect(seg(P | A, 1001, 1, 500));  // classic Nagle held this until the ACK of 1:1001
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  expect_nothing();  // a small segment is unacknowledged
  inject(seg(A, 1, 1501));
  expect(seg(P | A, 1501, 1, 10));
}

TEST_F(Timers, NodelaySendsSmallWritesAtOnce) {
  const int fd = established();
  EXPECT_EQ(stack().set_option(fd, SocketOption::nodelay, 1, now()), 0);
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  EXPECT_EQ(stack().send(fd, bytes(10), now()), 10);
  expect(seg(P | A, 1, 1, 10));
  expect(seg(P | A, 11, 1, 10));
}

TEST_F(Timers, KeepaliveProbesAnIdleConnectionAndGivesUp) {
  StackConfig c = default_config();
  c.tcp.keepalive_idle = 10s;
  c.tcp.keepalive_interval = 2s;
  c.tcp.keepalive_probes = 3;
  configure(c);
  const int fd = established();
  EXPECT_EQ(stack().set_option(fd, SocketOption::keepalive, 1, now()), 0);
  inject(seg(A, 1, 1));  // any segment (re)starts the idle clock
  advance(c.tcp.keepalive_idle - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(A, 0, 1));  // SEG.SEQ = SND.NXT - 1, no data
  inject(seg(A, 1, 1));  // answered: the idle clock restarts
  advance(c.tcp.keepalive_idle);
  expect(seg(A, 0, 1));
  for (int i = 0; i < 2; ++i) {
    advance(c.tcp.keepalive_interval);
    expect(seg(A, 0, 1));
  }
  advance(c.tcp.keepalive_interval);
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::closed);
  int err = 0;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, ETIMEDOUT);
}

TEST_F(Timers, IdleTimeoutResetsAConnectionThatHearsNothingAndTheSocketSeesEtimedout) {
  configure(with_idle_timeout(30s));
  const int fd = established();
  advance(30s - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(R | A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::closed);
  EXPECT_NE(stack().readiness(fd) & readiness::err, 0u);
  int err = 0;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, ETIMEDOUT);
  EXPECT_EQ(stack().stats().tcp_idle_timeouts, 1u);
}

TEST_F(Timers, IdleTimeoutCountsFromTheLastSegmentHeard) {
  configure(with_idle_timeout(30s));
  const int fd = established();
  advance(20s);
  inject(seg(P | A, 1, 1, 10));  // data: the clock restarts
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 1, 11));
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(5, 'x'), now()), 5);  // what we send does not count
  expect(seg(P | A, 1, 11, 5));
  inject(seg(A, 11, 6));
  const Instant heard = now();
  advance(30s - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(R | A, 6, 11));
  EXPECT_EQ(now() - heard, 30s);
}

TEST_F(Timers, IdleTimeoutCountsThePeersKeepalivesAsHeard) {
  configure(with_idle_timeout(30s));
  const int fd = established();
  for (int i = 0; i < 4; ++i) {
    advance(20s);
    inject(seg(A, 0, 1));  // a keepalive: SEG.SEQ = RCV.NXT - 1, no data (as a window probe of Linux's)
    expect(seg(A, 1, 1));  // answered, and the peer is alive
  }
  EXPECT_EQ(state(fd), TcpState::established);
  EXPECT_EQ(stack().stats().tcp_idle_timeouts, 0u);
}

TEST_F(Timers, IdleTimeoutEndsAConnectInSynSentWithoutAnRst) {
  configure(with_idle_timeout(5s));
  const int fd = syn_sent();
  advance(5s - 1ms);
  expect(seg(S, 0));  // the SYN again after 1 s and 3 s
  expect(seg(S, 0));
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::syn_sent);
  advance(1ms);
  expect_nothing();  // nothing was synchronized: nothing to reset
  EXPECT_EQ(state(fd), TcpState::closed);
  int err = 0;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, ETIMEDOUT);
}

TEST_F(Timers, IdleTimeoutResetsAnOrphanInFinWait2BeforeItsOwnTimeout) {
  StackConfig c = with_idle_timeout(10s);
  ASSERT_GT(c.tcp.fin_wait_2_timeout, 10s);
  configure(c);
  fin_wait_2();
  ASSERT_NE(peer_tcb(), nullptr);
  advance(10s);
  expect(seg(R | A, 2, 1));
  EXPECT_EQ(peer_tcb(), nullptr);
  EXPECT_EQ(stack().stats().tcp_idle_timeouts, 1u);
}

TEST_F(Timers, IdleTimeoutLeavesTimeWaitToItsOwnTimer) {
  StackConfig c = with_idle_timeout(10s);
  c.tcp.time_wait = 60s;
  configure(c);
  time_wait();
  advance(59s);
  expect_nothing();
  EXPECT_TRUE(peer_alive());
  advance(1s);
  EXPECT_FALSE(peer_alive());
  EXPECT_EQ(stack().stats().tcp_idle_timeouts, 0u);
}

TEST_F(Timers, NoKeepaliveUnlessAsked) {
  StackConfig c = default_config();
  c.tcp.keepalive_idle = 10s;
  configure(c);
  established();
  advance(100s);
  expect_nothing();
}

TEST_F(Timers, ReadingAFullBufferOpensTheWindow) {
  StackConfig c = default_config();
  c.tcp.receive_buffer = 4096;
  configure(c);
  const int fd = established();
  for (std::uint32_t s = 1; s < 4097; s += 1000) inject(seg(A, s, 1, std::min<std::uint32_t>(1000, 4097 - s)));
  advance(stack().config().tcp.delayed_ack);
  auto last = next_sent();
  while (auto more = next_sent()) last = more;
  ASSERT_TRUE(last);
  EXPECT_EQ(last->ack, 4097u);
  EXPECT_EQ(last->win, 0);
  std::vector<std::uint8_t> buf(4096);
  EXPECT_EQ(stack().recv(fd, buf, now()), 4096);
  auto update = next_sent();
  ASSERT_TRUE(update) << "a window update follows a read that opens the window";
  EXPECT_EQ(update->win, 4096);
}

TEST_F(Timers, ASmallWindowIsOverriddenAfterThePersistTime) {
  // §3.8.6.2.1: sender silly-window avoidance holds back a runt the window allows, but with
  // nothing in flight no ACK will ever come to change that: the override timeout sends it.
  const int fd = established();
  inject(seg(A, 1, 1).with_win(600));
  EXPECT_EQ(stack().send(fd, std::vector<std::uint8_t>(5000, 'w'), now()), 5000);
  expect_nothing();
  advance(rto(fd));
  expect(seg(A, 1, 1, 600));
  inject(seg(A, 1, 601).with_win(65535));
  expect(seg(A, 601, 1, 1000));
}

}  // namespace
}  // namespace mtcpp::test
