// The scoreboard's two shortcuts, against the plain walks they replace: RACK's walk over the
// transmissions in the order they left (for_each_sent_before) must judge exactly the records a
// walk over every record would, and sack() skipping what earlier blocks marked must deliver
// exactly what marking every record in the block would. Random runs of sends, retransmissions
// (splitting records), SACK blocks, cumulative ACKs, losses, reneging and timeouts, with several
// sends at one instant; after every step the counters are checked against the records.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "core/tcp/scoreboard.h"

namespace mtcpp {
namespace {

using Range = std::pair<std::uint32_t, std::uint32_t>;

std::vector<SentSegment> records(const Scoreboard& sb) {
  std::vector<SentSegment> out;
  for (std::size_t i = 0; i < sb.size(); ++i) out.push_back(sb[i]);
  return out;
}

bool in_flight(const SentSegment& s) { return !s.sacked && !(s.lost && !s.retransmitted); }

void expect_consistent(const Scoreboard& sb, SeqNum una, SeqNum snd_max) {
  std::uint32_t sacked = 0, sacked_segments = 0, lost = 0, retransmitted = 0;
  SeqNum next = una;
  for (const SentSegment& s : records(sb)) {
    ASSERT_EQ(s.begin, next) << "records must tile SND.UNA..SND.MAX";
    ASSERT_LT(s.begin, s.end);
    next = s.end;
    if (s.sacked) sacked += s.len(), ++sacked_segments;
    if (s.lost) lost += s.len();
    if (s.retransmitted) retransmitted += s.len();
  }
  if (!sb.empty()) {
    ASSERT_EQ(next, snd_max);
  }
  EXPECT_EQ(sb.sacked_bytes(), sacked);
  EXPECT_EQ(sb.sacked_segments(), sacked_segments);
  EXPECT_EQ(sb.lost_bytes(), lost);
  EXPECT_EQ(sb.retransmitted_bytes(), retransmitted);
}

void random_run(std::uint64_t seed, int steps) {
  std::mt19937_64 rng(seed);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  constexpr std::uint32_t unit = 100;
  Scoreboard sb;
  SeqNum una{1000}, snd_max{1000};
  Instant now = from_us(1'000'000);
  // One run in three seldom retransmits, so the records stay in the order they left for long
  // stretches (the scoreboard's other mode) while SACKs, losses and RACK checks go on.
  const int resend_percent = seed % 3 == 0 ? 1 : 12;
  for (int step = 0; step < steps; ++step) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " step " + std::to_string(step));
    if (chance(60)) now += std::chrono::microseconds(pick(3));  // often several sends at one instant
    const auto units = static_cast<std::uint32_t>(snd_max - una) / unit;
    const int what = static_cast<int>(pick(100));
    if (what < 30 || units == 0) {  // a first transmission of one to three units
      const SeqNum end = snd_max + unit * (1 + pick(3));
      sb.sent(snd_max, end, now);
      snd_max = end;
    } else if (what < 30 + resend_percent) {  // a retransmission from a unit boundary, maybe cutting a record
      const SeqNum begin = una + unit * pick(units);
      const SeqNum end = seq_min(begin + unit * (1 + pick(3)), snd_max);
      sb.retransmitted(begin, end, now);
    } else if (what < 70) {  // a SACK block
      const std::uint32_t first = pick(units);
      const SeqNum begin = una + unit * first, end = una + unit * (first + 1 + pick(units - first));
      std::vector<Range> expected;
      std::uint32_t expected_bytes = 0;
      for (const SentSegment& s : records(sb)) {
        if (s.begin >= begin && s.end <= end && !s.sacked) {
          expected.emplace_back(s.begin.v, s.end.v);
          expected_bytes += s.len();
        }
      }
      std::vector<Range> delivered;
      const std::uint32_t newly =
          sb.sack(begin, end, [&](const SentSegment& s) { delivered.emplace_back(s.begin.v, s.end.v); });
      EXPECT_EQ(newly, expected_bytes);
      EXPECT_EQ(delivered, expected);  // the same records, in sequence order
    } else if (what < 80) {  // a cumulative ACK
      una = una + unit * pick(units + 1);
      sb.acked(una, [](const SentSegment&) {});
    } else if (what < 97) {  // RACK's check against a reference transmission
      const std::vector<SentSegment> before = records(sb);
      Instant ref_xmit = now - std::chrono::microseconds(pick(20));
      SeqNum ref_end = una + unit * pick(units + 1);
      if (!before.empty() && chance(70)) {  // usually a record's own transmission
        const SentSegment& r = before[pick(static_cast<std::uint32_t>(before.size()))];
        ref_xmit = r.xmit;
        ref_end = r.end;
      }
      const Instant deadline = now - std::chrono::microseconds(pick(10));  // sent by then: lost
      std::set<Range> expected_judged, expected_lost;
      for (const SentSegment& s : before) {
        if (!in_flight(s) || !(s.xmit < ref_xmit || (s.xmit == ref_xmit && s.end < ref_end))) continue;
        expected_judged.emplace(s.begin.v, s.end.v);
        if (s.xmit <= deadline) expected_lost.emplace(s.begin.v, s.end.v);
      }
      std::set<Range> judged;
      sb.for_each_sent_before(ref_xmit, ref_end, [&](const SentSegment& s) {
        judged.emplace(s.begin.v, s.end.v);
        return s.xmit <= deadline;
      });
      EXPECT_EQ(judged, expected_judged);
      for (const SentSegment& s : records(sb)) {
        if (expected_lost.count({s.begin.v, s.end.v})) {
          EXPECT_TRUE(s.lost && !s.retransmitted);
        }
      }
    } else if (what < 98) {
      if (!sb.empty()) sb.mark_lost(pick(static_cast<std::uint32_t>(sb.size())));
    } else if (what < 99) {
      sb.clear_sacks();
    } else {
      sb.mark_all_lost();
    }
    expect_consistent(sb, una, snd_max);
    if (testing::Test::HasFailure()) return;
  }
}

TEST(ScoreboardModel, RackWalkAndSackSkipsMatchTheWholeWalks) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) random_run(seed, 400);
}

}  // namespace
}  // namespace mtcpp
