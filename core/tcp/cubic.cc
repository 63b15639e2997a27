#include "core/tcp/cubic.h"

#include <algorithm>
#include <cmath>

namespace mtcpp {

namespace {
double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

void Cubic::on_ack(std::uint32_t acked, const AckSample& s) {
  if (cwnd_ < ssthresh_) {
    hystart_.on_ack(s);
    if (hystart_.phase() != HyStart::Phase::done || ssthresh_ != kUnboundedSsthresh) {
      // Slow start, a quarter as fast in HyStart++'s CSS. Under HyStart++ an ACK counts up to
      // L = 8 SMSS (RFC 9406 §4.3, for a sender without pacing); after that, RFC 3465's limits.
      const std::uint32_t limit = hystart_.phase() != HyStart::Phase::done ? 8 * mss_ : slow_start_limit();
      cwnd_ += std::min(acked, limit) / hystart_.growth_divisor();
      return;
    }
    ssthresh_ = cwnd_;  // HyStart++ ended slow start: congestion avoidance from here (§4.2)
  }
  after_timeout_ = false;
  // In segments, one at least: the growth below divides by it.
  const double cwnd = std::max(segments(cwnd_), 1.0);
  if (!epoch_started_) {  // §4.2: the first ACK of an epoch of congestion avoidance
    epoch_started_ = true;
    epoch_start_ = s.now;
    if (cwnd < w_max_) {
      k_ = std::cbrt((w_max_ - cwnd) / kC);  // §4.2 equation 2, from where the window is now
    } else {
      k_ = 0;
      w_max_ = cwnd;
    }
    w_est_ = cwnd;
  }
  // §4.4: the target is the curve one RTT ahead, between cwnd and 1.5 cwnd.
  const Duration rtt = s.min_rtt > Duration::zero() ? s.min_rtt : std::max(s.rtt, Duration::zero());
  const double t = seconds(s.now - epoch_start_) + seconds(rtt);
  double target = std::clamp(w_cubic(t), cwnd, 1.5 * cwnd);
  // §4.3: Reno's window under the same losses; CUBIC is never slower than it.
  const double alpha = w_est_ >= w_max_ ? 1.0 : 3 * (1 - kBeta) / (1 + kBeta);
  w_est_ += alpha * segments(acked) / cwnd;
  if (w_est_ > target) target = w_est_;
  // Each acknowledged segment adds (target - cwnd) / cwnd segments.
  growth_credit_ += (target - cwnd) / cwnd * acked;  // never negative: target >= cwnd
  growth_credit_ = std::min(growth_credit_, static_cast<double>(1u << 30));  // a window fits 32 bits
  const auto whole = static_cast<std::uint32_t>(growth_credit_);
  cwnd_ += whole;
  growth_credit_ -= whole;
}

std::uint32_t Cubic::reduced_ssthresh(std::uint32_t) {
  const double cwnd = segments(cwnd_);
  w_max_before_ = w_max_;
  // §4.7 fast convergence: a loss below the last W_max releases bandwidth to newer flows.
  w_max_ = cwnd < w_max_ ? cwnd * (1 + kBeta) / 2 : cwnd;
  epoch_started_ = false;
  growth_credit_ = 0;
  hystart_.stop();
  return std::max(static_cast<std::uint32_t>(std::uint64_t{cwnd_} * 7 / 10), 2 * mss_);  // β_cubic, exactly
}

void Cubic::on_timeout(std::uint32_t flight, bool first_expiry) {
  NewReno::on_timeout(flight, first_expiry);  // §4.8: ssthresh as for a loss, cwnd one segment
  epoch_started_ = false;
  hystart_.stop();
}

void Cubic::undo(std::uint32_t cwnd, std::uint32_t ssthresh) {
  NewReno::undo(cwnd, ssthresh);
  // Back in the first slow start: HyStart++ watches it again, or it would run on until the
  // queue overflowed.
  if (ssthresh_ == kUnboundedSsthresh) hystart_.restart();
  w_max_ = std::max(w_max_, w_max_before_);
  epoch_started_ = false;
}

}  // namespace mtcpp
