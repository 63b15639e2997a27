// Round-trip time estimation and the retransmission timeout of RFC 6298.
#pragma once
#include <algorithm>

#include "core/time.h"

namespace mtcpp {

class RttEstimator {
 public:
  RttEstimator(Duration initial, Duration min, Duration max) : rto_(initial), min_(min), max_(max) {}

  // §2.2 and §2.3: fold in a measurement R.
  void sample(Duration r) {
    if (r < Duration::zero()) return;
    if (!has_sample_) {
      srtt_ = r;
      rttvar_ = r / 2;
      has_sample_ = true;
    } else {
      const Duration err = srtt_ > r ? srtt_ - r : r - srtt_;
      rttvar_ = (3 * rttvar_ + err) / 4;  // beta = 1/4
      srtt_ = (7 * srtt_ + r) / 8;        // alpha = 1/8
    }
    // G (clock granularity) is the timer wheel's tick.
    rto_ = std::clamp(srtt_ + std::max<Duration>(std::chrono::milliseconds(1), 4 * rttvar_), min_, max_);
  }

  // §5.7: a fresh RTO when no measurement exists (3 s after a lost SYN), within [min, max].
  void reinitialize(Duration rto) { rto_ = std::clamp(rto, min_, max_); }

  // §5.5: back off the timer after it expires.
  void back_off() { rto_ = std::min(rto_ * 2, max_); }

  Duration rto() const { return rto_; }
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  bool has_sample() const { return has_sample_; }

 private:
  Duration srtt_{};
  Duration rttvar_{};
  Duration rto_;
  Duration min_;
  Duration max_;
  bool has_sample_ = false;
};

}  // namespace mtcpp
