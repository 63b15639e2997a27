// CUBIC (RFC 9438): after a loss the window falls to 0.7 of what it was and then grows along a
// cubic curve in the time since, flat around the window where the loss happened (W_max) and
// steep away from it, never slower than Reno would (the Reno-friendly region, §4.3). Slow start
// uses HyStart++ (hystart.h). Recovery arithmetic is NewReno's (congestion.h).
#pragma once
#include "core/tcp/congestion.h"
#include "core/tcp/hystart.h"

namespace mtcpp {

class Cubic final : public NewReno {
 public:
  static constexpr double kC = 0.4;     // C, in segments per second cubed (§5.1)
  static constexpr double kBeta = 0.7;  // β_cubic (§4.6)

  Cubic(std::uint32_t mss, std::uint32_t initial_window_bytes) : NewReno(mss, initial_window_bytes) {}

  void on_ack(std::uint32_t acked_bytes, const AckSample& sample) override;
  void on_timeout(std::uint32_t flight_size, bool first_expiry) override;
  void undo(std::uint32_t cwnd, std::uint32_t ssthresh) override;
  // After idle (RFC 5681 §4.1): the curve's time must not count the idle period (RFC 9438 §5.8),
  // so the next epoch starts afresh.
  void limit_cwnd(std::uint32_t bytes) override {
    NewReno::limit_cwnd(bytes);
    epoch_started_ = false;
  }
  // The curve's windows are in segments: they keep their size in bytes, and the epoch restarts.
  void set_mss(std::uint32_t mss) override {
    const double scale = static_cast<double>(mss_) / mss;
    w_max_ *= scale;
    w_max_before_ *= scale;
    w_est_ *= scale;
    epoch_started_ = false;
    NewReno::set_mss(mss);
  }

  // §4.2's W_cubic(t), in segments, t seconds into the current epoch (for tests).
  double w_cubic(double t) const { return kC * (t - k_) * (t - k_) * (t - k_) + w_max_; }
  double w_max() const { return w_max_; }
  double k() const { return k_; }
  const HyStart& hystart() const { return hystart_; }

 protected:
  // §4.6: ssthresh = cwnd · β_cubic, and W_max remembered (with fast convergence, §4.7).
  std::uint32_t reduced_ssthresh(std::uint32_t flight_size) override;

 private:
  double segments(std::uint32_t bytes) const { return static_cast<double>(bytes) / mss_; }

  HyStart hystart_;
  double w_max_ = 0;          // segments
  double w_max_before_ = 0;   // W_max before the last reduction (for undo)
  double k_ = 0;              // seconds
  double w_est_ = 0;          // the Reno-friendly estimate, segments (§4.3)
  bool epoch_started_ = false;
  Instant epoch_start_{};
  double growth_credit_ = 0;  // fractional bytes of growth not yet added to cwnd
};

}  // namespace mtcpp
