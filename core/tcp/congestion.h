// Congestion control behind a small interface (RFC 5681's variables): NewReno here, CUBIC in
// cubic.h. The sender owns loss detection (duplicate ACKs, SACK, RACK, RTO, the recovery point);
// the controller owns only cwnd and ssthresh.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/tcp/seq.h"
#include "core/time.h"

namespace mtcpp {

// What an ACK that acknowledged new data tells a controller besides the bytes.
struct AckSample {
  Instant now;
  Duration rtt{-1};       // a round-trip sample this ACK gave (negative: none)
  Duration min_rtt{-1};   // the connection's smallest so far (negative: none yet)
  SeqNum ack;             // SEG.ACK
  SeqNum snd_max;         // the highest sequence sent: where a round that starts now ends
};

enum class CongestionAlgorithm { newreno, cubic };
// "newreno" or "cubic" (as Linux names them); nothing for another name.
std::optional<CongestionAlgorithm> congestion_algorithm(std::string_view name);
std::string_view congestion_name(CongestionAlgorithm a);

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual std::uint32_t cwnd() const = 0;
  virtual std::uint32_t ssthresh() const = 0;
  // New data acknowledged outside recovery.
  virtual void on_ack(std::uint32_t acked_bytes, const AckSample& sample) = 0;
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
  // Takes over the window of the controller this one replaces (TCP_CONGESTION on an open
  // connection).
  virtual void adopt(std::uint32_t cwnd, std::uint32_t ssthresh) = 0;
  // SMSS changed (a smaller path MTU, RFC 1191 §6): increases and floors count in the new size;
  // the window in bytes stays.
  virtual void set_mss(std::uint32_t mss) = 0;
};

// NewReno: RFC 5681 slow start and congestion avoidance, RFC 6582 recovery, RFC 6928 initial window.
// CUBIC reuses its recovery arithmetic and changes how the window grows and how far it falls.
class NewReno : public CongestionControl {
 public:
  NewReno(std::uint32_t mss, std::uint32_t initial_window_bytes);
  std::uint32_t cwnd() const override { return cwnd_; }
  std::uint32_t ssthresh() const override { return ssthresh_; }
  void on_ack(std::uint32_t acked_bytes, const AckSample& sample) override;
  void on_enter_recovery(std::uint32_t flight_size) override;
  void on_dup_ack_in_recovery() override;
  void on_recovery_start(std::uint32_t flight_size) override;
  void on_recovery_end() override;
  void undo(std::uint32_t cwnd, std::uint32_t ssthresh) override;
  void on_partial_ack(std::uint32_t acked_bytes) override;
  void on_exit_recovery(std::uint32_t flight_size) override;
  void on_timeout(std::uint32_t flight_size, bool first_expiry) override;
  void limit_cwnd(std::uint32_t bytes) override;
  void adopt(std::uint32_t cwnd, std::uint32_t ssthresh) override {
    cwnd_ = cwnd;
    ssthresh_ = ssthresh;
  }
  void set_mss(std::uint32_t mss) override { mss_ = mss; }

 protected:
  // RFC 3465 §2.2: slow start counts up to L = 2 SMSS of what one ACK acknowledges, so that a
  // window still doubles each round trip when the receiver ACKs every second segment (with L = 1
  // it grew by half). §2.3: L = 1 SMSS in the slow start after a timeout, whose ACKs may cover
  // segments the receiver held already.
  std::uint32_t slow_start_limit() const { return after_timeout_ ? mss_ : 2 * mss_; }
  // ssthresh after a congestion event: RFC 5681 equation 4, max(FlightSize / 2, 2 SMSS).
  virtual std::uint32_t reduced_ssthresh(std::uint32_t flight_size);
  std::uint32_t mss_;
  std::uint32_t cwnd_;
  static constexpr std::uint32_t kUnboundedSsthresh = 0xffffffffu;  // "arbitrarily high" (RFC 5681 §3.1)
  std::uint32_t ssthresh_ = kUnboundedSsthresh;
  std::uint32_t avoidance_credit_ = 0;    // bytes acked toward the next +1 MSS in avoidance
  bool after_timeout_ = false;            // in the slow start that follows an RTO
};


}  // namespace mtcpp
