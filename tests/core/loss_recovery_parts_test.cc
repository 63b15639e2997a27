// The parts of SACK-based loss recovery on their own: the scoreboard's bookkeeping (RFC 6675 §3),
// PRR's arithmetic (RFC 6937 §3) and RACK's reordering window and loss marking (RFC 8985 §6.2).
#include <gtest/gtest.h>

#include <vector>

#include "core/tcp/prr.h"
#include "core/tcp/rack.h"
#include "core/tcp/scoreboard.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;

constexpr Instant t0 = from_us(1'000'000);
SeqNum s(std::uint32_t v) { return SeqNum{v}; }

// Ten segments of 100 bytes from sequence 1000, sent at t0 + i ms.
Scoreboard ten_segments() {
  Scoreboard sb;
  for (std::uint32_t i = 0; i < 10; ++i) sb.sent(s(1000 + i * 100), s(1100 + i * 100), t0 + i * 1ms);
  return sb;
}

TEST(Scoreboard, SackMarksWholeSegmentsAndCountsNewBytesOnce) {
  Scoreboard sb = ten_segments();
  std::vector<std::uint32_t> delivered;
  const auto note = [&](const SentSegment& seg) { delivered.push_back(seg.begin.v); };
  EXPECT_EQ(sb.sack(s(1200), s(1400), note), 200u);
  EXPECT_EQ(sb.sack(s(1200), s(1500), note), 100u);  // 1200..1400 again: only 1400..1500 is new
  EXPECT_EQ(delivered, (std::vector<std::uint32_t>{1200, 1300, 1400}));
  EXPECT_EQ(sb.sacked_bytes(), 300u);
  EXPECT_EQ(sb.sacked_segments(), 3u);
  EXPECT_TRUE(sb[4].sacked && sb[4].end == s(1500) && !sb[5].sacked);  // the highest SACKed ends at 1500
  EXPECT_EQ(sb.pipe(1000), 700u);
}

TEST(Scoreboard, ABlockMarksOnlyWholeSegmentsAndNeverSplitsOne) {
  // A peer cutting records with byte-sized blocks would make the scoreboard grow without end.
  Scoreboard sb = ten_segments();
  EXPECT_EQ(sb.sack(s(1250), s(1300), [](const SentSegment&) {}), 0u);
  EXPECT_EQ(sb.sack(s(1150), s(1350), [](const SentSegment&) {}), 100u);  // only 1200..1300 is whole
  EXPECT_EQ(sb.size(), 10u);
  EXPECT_TRUE(sb[3].sacked == false && sb[2].sacked);
  EXPECT_EQ(sb.sacked_bytes(), 100u);
}

TEST(Scoreboard, CumulativeAckDeliversOnlyWhatWasNotSackedBefore) {
  Scoreboard sb = ten_segments();
  sb.sack(s(1100), s(1200), [](const SentSegment&) {});
  std::uint32_t calls = 0;
  EXPECT_EQ(sb.acked(s(1250), [&](const SentSegment&) { ++calls; }), 150u);  // 1000..1100 and half of 1200..1300
  EXPECT_EQ(calls, 1u);            // a segment acknowledged in part is trimmed, not yet delivered
  EXPECT_EQ(sb.size(), 8u);
  EXPECT_EQ(sb[0].begin, s(1250));  // trimmed in place
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_EQ(sb.pipe(750), 750u);
}

TEST(Scoreboard, LostAndRetransmittedSegmentsMakeThePipe) {
  Scoreboard sb = ten_segments();
  sb.sack(s(1500), s(2000), [](const SentSegment&) {});
  sb.mark_lost(0);
  sb.mark_lost(1);
  // RFC 6675 SetPipe: 1000 outstanding - 500 SACKed - 200 lost.
  EXPECT_EQ(sb.pipe(1000), 300u);
  EXPECT_EQ(sb.next_lost(), 0);
  sb.retransmitted(s(1000), s(1100), t0 + 20ms);
  EXPECT_EQ(sb.pipe(1000), 400u);  // the repair is in flight
  sb.retransmitted(s(1900), s(2000), t0 + 20ms);  // a probe resending a SACKed one: nothing changes
  sb.retransmitted(s(1400), s(1500), t0 + 20ms);  // a probe resending one not lost: still not lost
  EXPECT_FALSE(sb[4].lost);
  EXPECT_EQ(sb.pipe(1000), 400u);
  EXPECT_EQ(sb.next_lost(), 1);
  sb.mark_lost(0);                 // and deemed lost in its turn (RACK): it goes again
  EXPECT_EQ(sb.next_lost(), 0);
  EXPECT_EQ(sb.pipe(1000), 300u);
}

TEST(Scoreboard, RtoMarksAllButSackedLostAndRenegingForgetsSacks) {
  Scoreboard sb = ten_segments();
  sb.sack(s(1000), s(1100), [](const SentSegment&) {});
  sb.mark_all_lost();
  EXPECT_EQ(sb.lost_bytes(), 900u);
  EXPECT_EQ(sb.next_lost(), 1);
  EXPECT_TRUE(sb[0].sacked);  // the SACKed record at 1000 stays SACKed
  sb.clear_sacks();  // the receiver dropped what it SACKed (RFC 2018 §8)
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_EQ(sb.lost_bytes(), 1000u);
  EXPECT_EQ(sb.next_lost(), 0);
}

TEST(Scoreboard, RetransmissionOfAPrefixSplitsTheSegment) {
  Scoreboard sb = ten_segments();
  sb.mark_lost(0);
  sb.retransmitted(s(1000), s(1040), t0 + 5ms);  // a smaller segment after the MSS shrank
  EXPECT_TRUE(sb[0].retransmitted);
  EXPECT_EQ(sb[0].end, s(1040));
  EXPECT_TRUE(sb[1].lost);
  EXPECT_FALSE(sb[1].retransmitted);
  EXPECT_EQ(sb.next_lost(), 1);
}

TEST(Prr, ProportionalPartSendsSsthreshOverRecoverFsPerDeliveredByte) {
  // RFC 6937 §3: 20 segments outstanding, ssthresh 10: one segment out per two delivered.
  Prr prr;
  prr.start(20000);
  std::uint32_t sent = 0;
  for (int ack = 0; ack < 8; ++ack) {
    const std::uint32_t sndcnt = prr.on_ack(1000, 19000 - 1000 * static_cast<std::uint32_t>(ack) + sent, 10000, 1000);
    const std::uint32_t go = sndcnt >= 1000 ? 1000 : 0;
    prr.sent(go);
    sent += go;
  }
  EXPECT_EQ(sent, 4000u);
  EXPECT_EQ(prr.delivered(), 8000u);
}

TEST(Prr, SlowStartReductionBoundRefillsThePipeAfterHeavyLoss) {
  // Pipe already below ssthresh: PRR-SSRB sends what was delivered plus one segment, never more
  // than ssthresh - pipe.
  Prr prr;
  prr.start(20000);
  EXPECT_EQ(prr.on_ack(1000, 4000, 10000, 1000), 2000u);
  prr.sent(2000);
  EXPECT_EQ(prr.on_ack(3000, 4000, 10000, 1000), 4000u);  // MAX(1000 - 0... , 3000) + 1000
  EXPECT_EQ(prr.on_ack(1000, 9500, 10000, 1000), 500u);   // capped by ssthresh - pipe
}

TEST(Rack, ReorderingWindowIsZeroAfterThreeSacksUntilReorderingIsSeen) {
  Rack rack;
  SentSegment a{s(1000), s(1100), t0};
  rack.delivered(a, t0 + 40ms, false);
  EXPECT_EQ(rack.min_rtt(), 40ms);
  EXPECT_EQ(rack.reo_wnd(false, 1, 40ms), 10ms);  // min_RTT / 4
  EXPECT_EQ(rack.reo_wnd(false, 3, 40ms), 0ms);   // DupThresh SACKed, no reordering known
  EXPECT_EQ(rack.reo_wnd(true, 0, 40ms), 0ms);
  // A segment delivered below the highest delivered, never retransmitted: reordering.
  SentSegment early{s(900), s(1000), t0};
  rack.delivered(early, t0 + 41ms, false);
  EXPECT_TRUE(rack.reordering_seen());
  EXPECT_EQ(rack.reo_wnd(true, 5, 40ms), 10ms);
  // A D-SACK widens it, once per round trip, and it lasts 16 recoveries.
  rack.dsack_received(s(1100), s(5000));
  rack.dsack_received(s(2000), s(6000));  // same round trip: no change
  EXPECT_EQ(rack.reo_wnd(true, 5, 40ms), 20ms);
  EXPECT_EQ(rack.reo_wnd(true, 5, 15ms), 15ms);  // never more than SRTT
  for (int i = 0; i < 15; ++i) rack.recovery_ended();
  EXPECT_EQ(rack.reo_wnd_mult(), 2);
  rack.recovery_ended();
  EXPECT_EQ(rack.reo_wnd_mult(), 1);
}

TEST(Rack, SegmentsSentBeforeTheDeliveredOneAreLostOnceTheirTimeIsUp) {
  Scoreboard sb = ten_segments();  // sent at t0 .. t0 + 9 ms
  Rack rack;
  sb.sack(s(1500), s(1600), [&](const SentSegment& seg) { rack.delivered(seg, t0 + 25ms, false); });
  // RACK.rtt = 20 ms (segment 5 left at t0 + 5 ms). Segment i is lost at t0 + i ms + 20 ms + 2 ms.
  const Duration reo = 2ms;
  EXPECT_EQ(rack.detect_loss(sb, t0 + 25ms, reo), 1ms);  // segment 4 is due at 26 ms
  EXPECT_EQ(sb.lost_bytes(), 400u);                      // segments 0..3 are due by 25 ms
  EXPECT_EQ(rack.detect_loss(sb, t0 + 26ms, reo), Duration::zero());
  EXPECT_EQ(sb.lost_bytes(), 500u);                      // segment 4 too; 6.. were sent later
  EXPECT_FALSE(sb[6].lost);
}

TEST(Rack, AnAmbiguousRetransmissionTeachesNothingAboutTime) {
  Rack rack;
  SentSegment resent{s(1000), s(1100), t0 + 30ms};
  resent.ever_retransmitted = true;
  rack.delivered(resent, t0 + 31ms, true);
  EXPECT_FALSE(rack.has_sample());
}

}  // namespace
}  // namespace mtcpp
