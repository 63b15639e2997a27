// CUBIC's window against RFC 9438's formulas, and HyStart++'s exit from slow start (RFC 9406),
// driven by a simulated ACK clock: one ACK per segment, a window's worth per round trip.
#include <gtest/gtest.h>

#include <cmath>

#include "core/tcp/cubic.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kMss = 1000;

class CubicTest : public ::testing::Test {
 protected:
  Cubic cc{kMss, 10 * kMss};
  Instant now = from_us(1'000'000);
  SeqNum ack{1};

  // One round trip of `rtt`: cwnd's worth of ACKs, each of one segment, each with that RTT.
  void round_trip(Duration rtt) {
    const std::uint32_t acks = cc.cwnd() / kMss;
    const SeqNum snd_max = ack + cc.cwnd();
    for (std::uint32_t i = 0; i < acks; ++i) {
      now += rtt / acks;
      ack += kMss;
      cc.on_ack(kMss, AckSample{now, rtt, rtt, ack, snd_max});
    }
  }
  // A loss with the window at `segments`: recovery begins and ends (as PRR leaves it).
  void loss() {
    cc.on_recovery_start(cc.cwnd());
    cc.on_recovery_end();
  }
};

TEST_F(CubicTest, TheWindowFollowsTheCubicCurveBackToWmax) {
  while (cc.cwnd() < 100 * kMss) round_trip(100ms);  // slow start (HyStart++ sees no RTT growth)
  cc.adopt(100 * kMss, 0xffffffffu);
  loss();
  // §4.6: ssthresh = cwnd = 0.7 W_max; §4.2: K = cbrt(W_max (1 - β) / C).
  EXPECT_EQ(cc.cwnd(), 70 * kMss);
  EXPECT_EQ(cc.ssthresh(), 70 * kMss);
  EXPECT_DOUBLE_EQ(cc.w_max(), 100);
  round_trip(100ms);  // the epoch begins
  EXPECT_NEAR(cc.k(), std::cbrt(100 * 0.3 / 0.4), 0.05);
  EXPECT_NEAR(cc.w_cubic(0), 70, 0.5);
  EXPECT_NEAR(cc.w_cubic(cc.k()), 100, 1e-9);
  // Round trips of 100 ms for K seconds: the window reaches W_max, and flattens around it.
  const int rounds = static_cast<int>(cc.k() / 0.1);
  for (int i = 1; i < rounds; ++i) round_trip(100ms);
  EXPECT_NEAR(static_cast<double>(cc.cwnd()) / kMss, 100, 3);
  const std::uint32_t at_plateau = cc.cwnd();
  round_trip(100ms);
  EXPECT_LE(cc.cwnd() - at_plateau, 2 * kMss);  // concave-convex: slowest near W_max
  // Past K the curve steepens: 2 s later it is C (2)^3 = 3.2 segments above W_max, and more.
  for (int i = 0; i < 30; ++i) round_trip(100ms);
  EXPECT_GT(static_cast<double>(cc.cwnd()) / kMss, 100 + 0.4 * 8 * 0.9);
}

// Found by the two_stacks fuzzer: NewReno's partial-ACK deflation (which CUBIC inherits) left a
// window of 1 byte; CUBIC then divided by it in segments (0.0007) and its growth overflowed.
TEST_F(CubicTest, APartialAckNeverLeavesLessThanOneSegmentAndGrowthStaysBounded) {
  cc.adopt(kMss + 1, 2 * kMss);
  cc.on_partial_ack(kMss);  // RFC 6582 step 5: 1,001 - 1,000 + 1,000 bytes
  EXPECT_EQ(cc.cwnd(), kMss + 1);
  cc.on_partial_ack(kMss - 1);  // 2 bytes left, less than one segment acknowledged: none added
  EXPECT_EQ(cc.cwnd(), kMss);   // one segment, not 2 bytes
  cc.adopt(1, kMss);            // a window below one segment however it came: growth counts one
  for (int i = 0; i < 1000; ++i) {
    now += 1ms;
    ack += kMss;
    cc.on_ack(kMss, AckSample{now, 100ms, 100ms, ack, ack + kMss});
  }
  EXPECT_LT(cc.cwnd(), 2000 * kMss);  // about one segment per ACK at most, not 10^12 bytes
}

// Found by the two_stacks fuzzer: a recovery that began in slow start (ssthresh unbounded) was
// undone by D-SACKs, which restored the unbounded ssthresh; the recovery's end then set the
// window to it, 4 GB.
TEST_F(CubicTest, ARecoveryUndoneInSlowStartEndsWithTheWindowTheUndoRestored) {
  const std::uint32_t cwnd = cc.cwnd();
  const std::uint32_t ssthresh = cc.ssthresh();  // unbounded: still in slow start
  cc.on_recovery_start(cwnd);
  EXPECT_LT(cc.ssthresh(), cwnd);
  cc.undo(cwnd, ssthresh);
  cc.on_recovery_end();
  EXPECT_EQ(cc.cwnd(), cwnd);
}

TEST_F(CubicTest, FastConvergenceLowersWmaxWhenLossComesBelowTheLastOne) {
  cc.adopt(100 * kMss, 50 * kMss);
  loss();
  EXPECT_DOUBLE_EQ(cc.w_max(), 100);
  cc.adopt(90 * kMss, 63 * kMss);  // the next loss comes at 90 segments, below W_max
  loss();
  EXPECT_DOUBLE_EQ(cc.w_max(), 90 * (1 + 0.7) / 2);  // §4.7
  EXPECT_EQ(cc.cwnd(), 63 * kMss);
}

TEST_F(CubicTest, ASmallerMssKeepsWmaxInBytes) {
  cc.adopt(100 * kMss, 50 * kMss);
  loss();
  ASSERT_DOUBLE_EQ(cc.w_max(), 100);
  cc.set_mss(kMss / 2);  // a path MTU drop: the same bytes are twice the segments
  EXPECT_DOUBLE_EQ(cc.w_max(), 200);
  EXPECT_EQ(cc.cwnd(), 70 * kMss);  // the window in bytes stays
}

TEST_F(CubicTest, OnAShortPathTheRenoFriendlyWindowLeads) {
  // 1 ms round trips: the cubic curve hardly moves in 40 of them, Reno's estimate grows by
  // α = 3 (1 - β) / (1 + β) segments per round trip (§4.3), and the window follows it.
  cc.adopt(100 * kMss, 50 * kMss);
  loss();
  for (int i = 0; i < 40; ++i) round_trip(1ms);
  const double alpha = 3 * (1 - 0.7) / (1 + 0.7);
  EXPECT_NEAR(static_cast<double>(cc.cwnd()) / kMss, 70 + 40 * alpha, 3);
  EXPECT_LT(cc.w_cubic(0.041), 75);  // where the cubic curve alone would be
}

TEST_F(CubicTest, HyStartLeavesSlowStartWhenTheRoundTripGrows) {
  round_trip(20ms);
  round_trip(20ms);
  EXPECT_EQ(cc.hystart().phase(), HyStart::Phase::slow_start);
  // The queue builds: this round's minimum RTT is 20 ms + max(4 ms, 20 / 8) higher.
  round_trip(30ms);
  EXPECT_EQ(cc.hystart().phase(), HyStart::Phase::conservative);
  // CSS grows a quarter as fast ...
  const std::uint32_t before = cc.cwnd();
  round_trip(30ms);
  EXPECT_EQ(cc.cwnd() - before, before / kMss * (kMss / HyStart::kCssGrowthDivisor));
  // ... and after CSS_ROUNDS rounds slow start is over: ssthresh = cwnd.
  for (int i = 0; i < HyStart::kCssRounds; ++i) round_trip(30ms);
  EXPECT_EQ(cc.hystart().phase(), HyStart::Phase::done);
  EXPECT_LE(cc.ssthresh(), cc.cwnd());
}

TEST_F(CubicTest, HyStartReturnsToSlowStartWhenTheRoundTripFallsBack) {
  round_trip(20ms);
  round_trip(20ms);
  round_trip(30ms);
  ASSERT_EQ(cc.hystart().phase(), HyStart::Phase::conservative);
  round_trip(20ms);  // below the baseline CSS started from: the increase was noise
  EXPECT_EQ(cc.hystart().phase(), HyStart::Phase::slow_start);
  EXPECT_EQ(cc.ssthresh(), 0xffffffffu);
}

// Appropriate byte counting: how much one ACK of many segments may grow the window in slow start.
TEST(SlowStartByteCounting, NewRenoCountsTwoSegmentsPerAckAndOneAfterATimeout) {
  NewReno cc{kMss, 10 * kMss};
  const AckSample s{from_us(1'000'000), 10ms, 10ms, SeqNum{1}, SeqNum{1}};
  cc.on_ack(2 * kMss, s);  // a delayed ACK: RFC 3465 §2.2's L = 2 SMSS, the window doubles per RTT
  EXPECT_EQ(cc.cwnd(), 12 * kMss);
  cc.on_ack(5 * kMss, s);  // a stretch ACK still counts two
  EXPECT_EQ(cc.cwnd(), 14 * kMss);
  cc.on_timeout(14 * kMss, true);  // ssthresh 7 segments, window 1
  cc.on_ack(2 * kMss, s);          // §2.3: L = 1 SMSS in the slow start after a timeout
  EXPECT_EQ(cc.cwnd(), 2 * kMss);
}

TEST_F(CubicTest, UnderHyStartAnAckCountsUpToEightSegmentsAndAfterATimeoutOne) {
  const AckSample s{now, 10ms, 10ms, ack, ack};
  cc.on_ack(20 * kMss, s);  // RFC 9406 §4.3: L = 8 SMSS without pacing
  EXPECT_EQ(cc.cwnd(), 18 * kMss);
  cc.on_timeout(18 * kMss, true);
  cc.on_ack(2 * kMss, s);
  EXPECT_EQ(cc.cwnd(), 2 * kMss);
}

TEST_F(CubicTest, AnUndoneReductionInTheFirstSlowStartGivesHyStartBack) {
  round_trip(20ms);
  const std::uint32_t cwnd = cc.cwnd();
  cc.on_recovery_start(cwnd);
  ASSERT_EQ(cc.hystart().phase(), HyStart::Phase::done);
  cc.undo(cwnd, 0xffffffffu);  // D-SACKs proved the loss spurious
  EXPECT_EQ(cc.hystart().phase(), HyStart::Phase::slow_start);
  EXPECT_EQ(cc.ssthresh(), 0xffffffffu);
}

TEST(CongestionNames, AreLinuxsAndUnknownOnesAreRefused) {
  EXPECT_EQ(congestion_algorithm("cubic"), CongestionAlgorithm::cubic);
  EXPECT_EQ(congestion_algorithm("reno"), CongestionAlgorithm::newreno);
  EXPECT_EQ(congestion_algorithm("newreno"), CongestionAlgorithm::newreno);
  EXPECT_FALSE(congestion_algorithm("bbr"));
  EXPECT_FALSE(congestion_algorithm(""));
  EXPECT_EQ(congestion_name(CongestionAlgorithm::cubic), "cubic");
}

}  // namespace
}  // namespace mtcpp
