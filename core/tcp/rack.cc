#include "core/tcp/rack.h"

#include <algorithm>

namespace mtcpp {

namespace {
// RACK.min_RTT is a windowed minimum (Linux keeps five minutes): a path that got longer must be
// able to raise it.
constexpr Duration kMinRttWindow = std::chrono::minutes(5);
constexpr int kReoWndPersist = 16;  // recoveries a widened window lasts (§6.2 step 4)
constexpr std::uint32_t kDupThresh = 3;
}  // namespace

void Rack::delivered(const SentSegment& s, Instant now, bool ambiguous, bool trusted_rtt) {
  // Step 3, RACK_detect_reordering: delivered below the highest delivered, never resent.
  if (!fack_set_ || s.end > fack_) {
    fack_ = s.end;
    fack_set_ = true;
  } else if (s.end < fack_ && !s.ever_retransmitted) {
    reordering_seen_ = true;
  }
  if (ambiguous) return;
  // Step 2, RACK_update.
  const Duration rtt = now - s.xmit;
  if (trusted_rtt) rtt_sample(rtt, now);
  // RACK.rtt and RACK.xmit_ts come from the most recently sent segment delivered (the RFC
  // walks them in order of sending; the last one's values are those that stay).
  if (s.xmit > xmit_ || (s.xmit == xmit_ && s.end > end_seq_)) {
    rtt_ = rtt;
    xmit_ = s.xmit;
    end_seq_ = s.end;
  }
}

void Rack::rtt_sample(Duration rtt, Instant now) {
  if (rtt >= Duration::zero() && (rtt < min_rtt_ || now - min_rtt_at_ > kMinRttWindow)) {
    min_rtt_ = rtt;
    min_rtt_at_ = now;
  }
}

void Rack::dsack_received(SeqNum snd_una, SeqNum snd_max) {
  if (dsack_round_ && snd_una < *dsack_round_) return;  // already widened this round trip
  dsack_round_ = snd_max;
  reo_wnd_mult_ = std::min(reo_wnd_mult_ + 1, 64);
  reo_wnd_persist_ = kReoWndPersist;
}

void Rack::recovery_ended() {
  if (reo_wnd_persist_ > 0 && --reo_wnd_persist_ > 0) return;
  reo_wnd_mult_ = 1;
}

Duration Rack::reo_wnd(bool in_recovery, std::uint32_t sacked_segments, Duration srtt) const {
  if (!reordering_seen_ && (in_recovery || sacked_segments >= kDupThresh)) return Duration::zero();
  if (min_rtt_ == Duration::max()) return Duration::zero();
  return std::min(reo_wnd_mult_ * min_rtt_ / 4, srtt);
}

Duration Rack::detect_loss(Scoreboard& sb, Instant now, Duration reo_wnd) const {
  if (!has_sample()) return Duration::zero();
  Duration wait = Duration::zero();
  sb.for_each_sent_before(xmit_, end_seq_, [&](const SentSegment& s) {
    const Duration remaining = s.xmit + rtt_ + reo_wnd - now;
    if (remaining <= Duration::zero()) return true;  // lost
    wait = std::max(wait, remaining);
    return false;
  });
  return wait;
}

}  // namespace mtcpp
