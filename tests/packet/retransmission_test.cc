// Loss recovery: the retransmission timer of RFC 6298 (backoff, cap, Karn, R2) and NewReno's
// fast retransmit and recovery (RFC 5681 §3.2, RFC 6582), with the initial window of RFC 6928.
#include <cmath>

#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Retransmission = PacketTest;

std::vector<std::uint8_t> bytes(std::size_t n) { return std::vector<std::uint8_t>(n, 'd'); }

TEST_F(Retransmission, InitialWindowIsTenSegments) {
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(20000), now()), 20000);
  for (std::uint32_t i = 0; i < 10; ++i) expect(seg(A, 1 + i * 1000, 1, 1000));
  expect_nothing();
  // One ACK for two segments grows cwnd by two SMSS in slow start (RFC 9406 §4.3 allows CUBIC's
  // HyStart++ up to 8), opening room for four: the window doubles each round trip with a
  // receiver that ACKs every second segment.
  inject(seg(A, 1, 2001));
  expect(seg(A, 10001, 1, 1000));
  expect(seg(A, 11001, 1, 1000));
  expect(seg(A, 12001, 1, 1000));
  expect(seg(A, 13001, 1, 1000));
  expect_nothing();
}

TEST_F(Retransmission, TimeoutDoublesUpToTheCapThenGivesUp) {
  StackConfig c = default_config();
  c.tcp.rto_max = 4s;
  c.tcp.data_retries = 4;
  configure(c);
  const int fd = established();
  const Duration r = rto(fd);
  EXPECT_EQ(r, c.tcp.rto_min);  // a 10 ms sample is clamped to RTO_min
  EXPECT_EQ(stack().send(fd, bytes(100), now()), 100);
  expect(seg(P | A, 1, 1, 100));
  Duration interval = r;
  for (int i = 0; i < 4; ++i) {
    advance(interval - 1ms);
    expect_nothing();
    advance(1ms);
    expect(seg(P | A, 1, 1, 100));
    interval = std::min<Duration>(interval * 2, c.tcp.rto_max);
  }
  advance(interval);
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::closed);
  std::vector<std::uint8_t> buf(10);
  EXPECT_EQ(stack().recv(fd, buf, now()), -ETIMEDOUT);
  EXPECT_EQ(stack().stats().tcp_timeouts, 1u);
}

TEST_F(Retransmission, PureAcksCarryTheHighestSequenceSentAfterATimeout) {
  // The timeout rewinds SND.NXT to 1 to resend; the peer has in fact received up to 3001 (its
  // ACK was lost), so an ACK with SEQ 1001 would be old to it and dropped unread (found by the
  // simulation: two stacks in that state traded such ACKs forever). SEQ is SND.MAX instead.
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(3000), now()), 3000);
  expect(seg(A, 1, 1, 1000));
  expect(seg(A, 1001, 1, 1000));
  expect(seg(P | A, 2001, 1, 1000));
  advance(rto(fd));
  expect(seg(A, 1, 1, 1000));  // go-back-N from SND.UNA
  inject(seg(P | A, 1, 1, 100));  // the peer's data, acknowledging nothing new
  advance(50ms);                  // past the delayed-ACK time
  expect(seg(A, 3001, 101));
}

TEST_F(Retransmission, RtoFollowsMeasuredRoundTrips) {
  StackConfig c = default_config();
  c.tcp.rto_min = 200ms;
  configure(c);
  const int fd = established();
  // SRTT = 10 ms, RTTVAR = 5 ms after the handshake sample: RTO = max(RTO_min, 10 + 4*5).
  EXPECT_EQ(rto(fd), 200ms);
  double srtt = 10'000, rttvar = 5'000;  // microseconds, RFC 6298 §2.3 by hand
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(stack().send(fd, bytes(100), now()), 100);
    auto sent = next_sent();
    ASSERT_TRUE(sent);
    advance(150ms);
    inject(seg(A, 1, sent->seq + 100));
    rttvar = 0.75 * rttvar + 0.25 * std::abs(srtt - 150'000);
    srtt = 0.875 * srtt + 0.125 * 150'000;
  }
  const Tcb* t = stack().tcp().tcb(fd);
  EXPECT_NEAR(static_cast<double>(t->rtt.srtt().count()), srtt, 8);
  EXPECT_NEAR(static_cast<double>(rto(fd).count()), std::max(200'000.0, srtt + 4 * rttvar), 40);
}

TEST_F(Retransmission, KarnRuleIgnoresAckOfRetransmittedSegment) {
  const int fd = established();
  const Duration srtt = stack().tcp().tcb(fd)->rtt.srtt();
  EXPECT_EQ(stack().send(fd, bytes(100), now()), 100);
  expect(seg(P | A, 1, 1, 100));
  advance(rto(fd));
  expect(seg(P | A, 1, 1, 100));
  advance(5s);
  inject(seg(A, 1, 101));
  EXPECT_EQ(stack().tcp().tcb(fd)->rtt.srtt(), srtt) << "an ambiguous sample must not be taken";
}

TEST_F(Retransmission, ThreeDuplicateAcksTriggerFastRetransmit) {
  StackConfig c = default_config();
  c.tcp.congestion = CongestionAlgorithm::newreno;  // RFC 5681's arithmetic
  configure(c);
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(5000), now()), 5000);
  for (std::uint32_t s = 1; s < 5001; s += 1000) expect(seg(s == 4001 ? P | A : A, s, 1, 1000));
  inject(seg(A, 1, 1001));  // 1001:2001 is lost; the rest arrive
  inject(seg(A, 1, 1001));
  inject(seg(A, 1, 1001));
  expect_nothing();
  inject(seg(A, 1, 1001));
  expect(seg(A, 1001, 1, 1000));
  EXPECT_EQ(stack().stats().tcp_fast_retransmits, 1u);
  const Tcb* t = stack().tcp().tcb(fd);
  EXPECT_TRUE(t->in_recovery);
  // ssthresh = max(FlightSize/2, 2*SMSS) = 2000; cwnd = ssthresh + 3*SMSS.
  EXPECT_EQ(t->cc->ssthresh(), 2000u);
  EXPECT_EQ(t->cc->cwnd(), 5000u);
  inject(seg(A, 1, 5001));  // full ACK ends recovery
  EXPECT_FALSE(t->in_recovery);
  EXPECT_LE(t->cc->cwnd(), 2000u + 1000u);
}

TEST_F(Retransmission, PartialAckRetransmitsTheNextHole) {
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(6000), now()), 6000);
  while (next_sent()) {
  }
  // 1:1001 and 3001:4001 lost.
  for (int i = 0; i < 4; ++i) inject(seg(A, 1, 1));
  expect(seg(A, 1, 1, 1000));
  inject(seg(A, 1, 3001));  // partial ACK: the next hole goes out at once (RFC 6582 step 5)
  expect(seg(A, 3001, 1, 1000));
  EXPECT_TRUE(stack().tcp().tcb(fd)->in_recovery);
  inject(seg(A, 1, 6001));
  EXPECT_FALSE(stack().tcp().tcb(fd)->in_recovery);
}

TEST_F(Retransmission, TimeoutAfterLossResendsOneSegmentThenSlowStarts) {
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(3000), now()), 3000);
  while (next_sent()) {
  }
  advance(rto(fd));
  expect(seg(A, 1, 1, 1000));
  expect_nothing();  // cwnd is one segment after a timeout (RFC 5681 §3.1)
  EXPECT_EQ(stack().tcp().tcb(fd)->cc->cwnd(), 1000u);
  inject(seg(A, 1, 1001));
  expect(seg(A, 1001, 1, 1000));
  expect(seg(P | A, 2001, 1, 1000));
}

}  // namespace
}  // namespace mtcpp::test
