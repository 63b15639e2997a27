// HyStart++ (RFC 9406): leaves slow start when the round-trip time starts to grow, before the
// queue overflows, through a few rounds of conservative slow start (CSS) in case the growth was
// noise. Used by CUBIC (cubic.h) in a connection's first slow start.
#pragma once
#include <algorithm>
#include <cstdint>

#include "core/tcp/congestion.h"

namespace mtcpp {

class HyStart {
 public:
  enum class Phase { slow_start, conservative, done };
  // RFC 9406 §4.3's constants.
  static constexpr int kMinRttSamples = 8;             // N_RTT_SAMPLE
  static constexpr std::uint32_t kCssGrowthDivisor = 4;  // CSS_GROWTH_DIVISOR
  static constexpr int kCssRounds = 5;                 // CSS_ROUNDS
  static constexpr Duration kMinRttThresh = std::chrono::milliseconds(4);
  static constexpr Duration kMaxRttThresh = std::chrono::milliseconds(16);

  Phase phase() const { return phase_; }
  // By how much slow start's growth is divided now: 1, or CSS_GROWTH_DIVISOR in CSS.
  std::uint32_t growth_divisor() const { return phase_ == Phase::conservative ? kCssGrowthDivisor : 1; }

  // §4.2, for each ACK of new data in slow start. Afterwards, phase() == done means slow start
  // is over: the caller sets ssthresh to cwnd.
  void on_ack(const AckSample& s) {
    if (phase_ == Phase::done) return;
    if (!round_end_ || s.ack >= *round_end_) {  // a round ends: the next one lasts until SND.MAX
      round_end_ = s.snd_max;
      last_round_min_ = current_round_min_;
      current_round_min_ = Duration::max();
      samples_ = 0;
      if (phase_ == Phase::conservative && ++css_rounds_ >= kCssRounds) {
        phase_ = Phase::done;  // CSS lasted CSS_ROUNDS: on to congestion avoidance
        return;
      }
    }
    if (s.rtt < Duration::zero()) return;
    current_round_min_ = std::min(current_round_min_, s.rtt);
    ++samples_;
    if (phase_ == Phase::slow_start) {
      if (samples_ >= kMinRttSamples && current_round_min_ != Duration::max() &&
          last_round_min_ != Duration::max()) {
        const Duration thresh = std::clamp(last_round_min_ / 8, kMinRttThresh, kMaxRttThresh);
        if (current_round_min_ >= last_round_min_ + thresh) {
          phase_ = Phase::conservative;
          css_baseline_ = current_round_min_;
          css_rounds_ = 0;
        }
      }
    } else if (samples_ >= kMinRttSamples && current_round_min_ < css_baseline_) {
      phase_ = Phase::slow_start;  // the RTT fell back: the increase was spurious (§4.2)
    }
  }
  // A loss or timeout ends slow start for good (HyStart++ is for the first one).
  void stop() { phase_ = Phase::done; }
  // The loss that ended the first slow start proved spurious and was undone: that slow start
  // goes on, watched again from a fresh round.
  void restart() { *this = HyStart{}; }

 private:
  Phase phase_ = Phase::slow_start;
  std::optional<SeqNum> round_end_;
  Duration last_round_min_ = Duration::max();
  Duration current_round_min_ = Duration::max();
  Duration css_baseline_ = Duration::max();
  int samples_ = 0;
  int css_rounds_ = 0;
};

}  // namespace mtcpp
