// RACK-TLP (RFC 8985): time-based loss detection over the scoreboard, and the tail loss probe.
//
// RACK remembers the most recently sent segment that has been delivered (acknowledged or
// SACKed). A segment sent before it and still not delivered after one RTT plus a reordering
// window is lost: that catches lost retransmissions and losses three duplicate ACKs never reveal.
// The tail loss probe (TLP) draws an ACK, and with it RACK's information, when the last segments
// of a burst are lost and no ACK would come until the RTO.
//
// Contract: delivered() is called for each segment newly delivered by an ACK, in sequence order;
// detect_loss() then marks what RACK deems lost and returns how long to wait before looking again
// (zero: nothing to wait for). Time is passed in; nothing here reads a clock.
#pragma once
#include <cstdint>
#include <optional>

#include "core/tcp/scoreboard.h"

namespace mtcpp {

class Rack {
 public:
  // RFC 8985 §6.2 steps 2-3 for one newly delivered segment. `ambiguous`: it was retransmitted
  // and the ACK may answer an earlier transmission (its RTT would be well below the minimum), so
  // it tells nothing about time.
  // `trusted_rtt`: the sample may lower RACK.min_RTT (not so for a probe's SACK arriving
  // suspiciously fast, which still counts for loss marking).
  void delivered(const SentSegment& s, Instant now, bool ambiguous, bool trusted_rtt = true);
  // An RTT measured otherwise (the handshake, a timed segment): RACK.min_RTT takes it too, so
  // that it starts from a sample no queue inflated.
  void rtt_sample(Duration rtt, Instant now);
  // A D-SACK arrived (§6.2 step 4): widen the reordering window, at most once per round trip.
  void dsack_received(SeqNum snd_una, SeqNum snd_max);
  // A loss recovery ended: after 16 of them without a D-SACK the window narrows again.
  void recovery_ended();

  // §6.2 step 4: the reordering window. Zero once DupThresh segments are SACKed (or in recovery)
  // and no reordering has been seen: then RACK acts at once, as RFC 6675's DupThresh would.
  Duration reo_wnd(bool in_recovery, std::uint32_t sacked_segments, Duration srtt) const;
  // §6.2 step 5: marks lost every segment in flight sent before the most recently delivered one
  // whose time is up; returns the time until the next one's is (zero when none is pending).
  Duration detect_loss(Scoreboard& sb, Instant now, Duration reo_wnd) const;

  bool has_sample() const { return xmit_ != Instant{}; }
  Duration rtt() const { return rtt_; }
  Duration min_rtt() const { return min_rtt_; }
  bool reordering_seen() const { return reordering_seen_; }
  int reo_wnd_mult() const { return reo_wnd_mult_; }

 private:
  Instant xmit_{};            // RACK.xmit_ts: the latest send time of a delivered segment
  SeqNum end_seq_;            // RACK.end_seq
  Duration rtt_{};            // RACK.rtt
  Duration min_rtt_ = Duration::max();
  Instant min_rtt_at_{};
  SeqNum fack_;               // RACK.fack: highest sequence delivered so far
  bool fack_set_ = false;
  bool reordering_seen_ = false;
  int reo_wnd_mult_ = 1;
  int reo_wnd_persist_ = 0;
  std::optional<SeqNum> dsack_round_;
};

// The tail loss probe in flight (RFC 8985 §7): where it ends and whether it was a retransmission.
struct LossProbe {
  std::optional<SeqNum> end;  // TLP.end_seq; set while a probe's outcome is unknown
  bool retransmission = false;
};

}  // namespace mtcpp
