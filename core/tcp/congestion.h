// Congestion control behind a small interface (RFC 5681's variables), so CUBIC can follow NewReno.
// The sender owns loss detection (duplicate ACKs, RTO, the recovery point of RFC 6582); the
// controller owns only cwnd and ssthresh.
#pragma once
#include <cstdint>

namespace mtcpp {

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual std::uint32_t cwnd() const = 0;
  virtual std::uint32_t ssthresh() const = 0;
  // New data acknowledged outside recovery.
  virtual void on_ack(std::uint32_t acked_bytes) = 0;
  // Three duplicate ACKs: fast retransmit begins (RFC 5681 §3.2 steps 2-3).
  virtual void on_enter_recovery(std::uint32_t flight_size) = 0;
  // A further duplicate ACK in recovery inflates the window (step 4).
  virtual void on_dup_ack_in_recovery() = 0;
  // SACK-based loss recovery begins (RFC 6675 §5 step 4.2): only ssthresh is set; PRR (prr.h)
  // then decides what is sent until recovery ends.
  virtual void on_recovery_start(std::uint32_t flight_size) = 0;
  // SACK-based recovery ends: the window is ssthresh (RFC 6937 §3).
  virtual void on_recovery_end() = 0;
  // The last reduction was spurious (every retransmission it made came back as a D-SACK): the
  // window and ssthresh go back to at least what they were before it (RFC 3708 §4, RFC 4015).
  virtual void undo(std::uint32_t cwnd, std::uint32_t ssthresh) = 0;
  // A partial ACK in recovery (RFC 6582 §3.2 step 5).
  virtual void on_partial_ack(std::uint32_t acked_bytes) = 0;
  // The full ACK that ends recovery (RFC 6582 §3.2 step 6).
  virtual void on_exit_recovery(std::uint32_t flight_size) = 0;
  // The retransmission timer expired (RFC 5681 §3.1, equation 4). ssthresh is set on the first
  // expiry of a segment's timer only: "held constant" on later ones (§3.1, note on equation 4).
  virtual void on_timeout(std::uint32_t flight_size, bool first_expiry) = 0;
  // cwnd = min(cwnd, bytes): the restart window after an idle period longer than the RTO
  // (RFC 5681 §4.1), and the one-segment window after a lost SYN (§3.1).
  virtual void limit_cwnd(std::uint32_t bytes) = 0;
};

// NewReno: RFC 5681 slow start and congestion avoidance, RFC 6582 recovery, RFC 6928 initial window.
class NewReno final : public CongestionControl {
 public:
  NewReno(std::uint32_t mss, std::uint32_t initial_window_bytes);
  std::uint32_t cwnd() const override { return cwnd_; }
  std::uint32_t ssthresh() const override { return ssthresh_; }
  void on_ack(std::uint32_t acked_bytes) override;
  void on_enter_recovery(std::uint32_t flight_size) override;
  void on_dup_ack_in_recovery() override;
  void on_recovery_start(std::uint32_t flight_size) override;
  void on_recovery_end() override;
  void undo(std::uint32_t cwnd, std::uint32_t ssthresh) override;
  void on_partial_ack(std::uint32_t acked_bytes) override;
  void on_exit_recovery(std::uint32_t flight_size) override;
  void on_timeout(std::uint32_t flight_size, bool first_expiry) override;
  void limit_cwnd(std::uint32_t bytes) override;

 private:
  std::uint32_t half_flight(std::uint32_t flight_size) const;
  std::uint32_t mss_;
  std::uint32_t cwnd_;
  std::uint32_t ssthresh_ = 0xffffffffu;  // "arbitrarily high" (RFC 5681 §3.1)
  std::uint32_t avoidance_credit_ = 0;    // bytes acked toward the next +1 MSS in avoidance
};

}  // namespace mtcpp
