#include "core/tcp/congestion.h"

#include <algorithm>


namespace mtcpp {

std::optional<CongestionAlgorithm> congestion_algorithm(std::string_view name) {
  if (name == "newreno" || name == "reno") return CongestionAlgorithm::newreno;
  if (name == "cubic") return CongestionAlgorithm::cubic;
  return std::nullopt;
}

std::string_view congestion_name(CongestionAlgorithm a) {
  return a == CongestionAlgorithm::cubic ? "cubic" : "newreno";
}

NewReno::NewReno(std::uint32_t mss, std::uint32_t initial_window_bytes)
    : mss_(mss), cwnd_(initial_window_bytes) {}

void NewReno::on_ack(std::uint32_t acked, const AckSample&) {
  if (cwnd_ < ssthresh_) {
    cwnd_ += std::min(acked, slow_start_limit());  // slow start, RFC 5681 equation 2
    return;
  }
  after_timeout_ = false;
  // Congestion avoidance: about one SMSS per RTT (RFC 5681 §3.1, byte counting).
  avoidance_credit_ += acked;
  if (avoidance_credit_ >= cwnd_) {
    avoidance_credit_ -= cwnd_;
    cwnd_ += mss_;
  }
}

std::uint32_t NewReno::reduced_ssthresh(std::uint32_t flight) { return std::max(flight / 2, 2 * mss_); }

void NewReno::on_enter_recovery(std::uint32_t flight) {
  ssthresh_ = reduced_ssthresh(flight);  // equation 4
  cwnd_ = ssthresh_ + 3 * mss_;
}

void NewReno::on_dup_ack_in_recovery() { cwnd_ += mss_; }

void NewReno::on_recovery_start(std::uint32_t flight) { ssthresh_ = reduced_ssthresh(flight); }

void NewReno::undo(std::uint32_t cwnd, std::uint32_t ssthresh) {
  cwnd_ = std::max(cwnd_, cwnd);
  ssthresh_ = std::max(ssthresh_, ssthresh);
  after_timeout_ = false;  // the timeout, if that was the reduction, was spurious
}

void NewReno::on_recovery_end() {
  // An undo during the recovery may have restored slow start's unbounded ssthresh (the reduction
  // came in slow start): the window then stays where the undo put it.
  if (ssthresh_ != kUnboundedSsthresh) cwnd_ = ssthresh_;
  avoidance_credit_ = 0;
}

void NewReno::on_partial_ack(std::uint32_t acked) {
  // Deflate by the amount acked, then add back one SMSS if at least that much was acked; never
  // below one segment (deflating 1,449 bytes by 1,447 would leave a window of 2 bytes).
  cwnd_ = cwnd_ > acked ? cwnd_ - acked : 0;
  if (acked >= mss_) cwnd_ += mss_;
  cwnd_ = std::max(cwnd_, mss_);
}

void NewReno::on_exit_recovery(std::uint32_t flight) {
  cwnd_ = std::min(ssthresh_, std::max(flight, mss_) + mss_);
  avoidance_credit_ = 0;
}

void NewReno::on_timeout(std::uint32_t flight, bool first_expiry) {
  if (first_expiry) ssthresh_ = reduced_ssthresh(flight);
  cwnd_ = mss_;  // loss window, one segment
  avoidance_credit_ = 0;
  after_timeout_ = true;
}

void NewReno::limit_cwnd(std::uint32_t bytes) { cwnd_ = std::min(cwnd_, bytes); }

}  // namespace mtcpp
