// Connection timers. One deadline per kind lives in the TCB; the wheel holds the earliest, so
// arming or cancelling one is O(1) and a connection is touched only when something is due.
//   retransmission (RFC 6298 §5), persist (RFC 9293 §3.8.6.1), delayed ACK (§3.8.6.3),
//   tail loss probe and RACK reordering window (RFC 8985; their handlers are in recovery.cc),
//   keepalive (RFC 1122 §4.2.3.6) and the idle timeout (mTCP's tcp_timeout), orphaned FIN_WAIT_2,
//   TIME_WAIT (§3.6.1, 2·MSL) of a block whose socket is open (records: time_wait.cc)
#include <algorithm>
#include <cerrno>

#include "core/tcp/tcp.h"

namespace mtcpp {

void Tcp::rearm(Tcb& t) {
  const Instant when =
      std::min({t.rexmit_at, t.delack_at, t.idle_at, t.close_at, t.probe_at, t.reorder_at, t.release_at});
  if (when == kNever) timers_.cancel(t.timer);
  else if (!t.timer.linked() || t.timer.when != when) timers_.schedule(t.timer, when);
}

void Tcp::buffer_emptied(Tcb& t, Instant now) {
  t.release_at = now + config_.buffer_release_delay;
  rearm(t);
}

void Tcp::arm_delayed_ack(Tcb& t, Instant now) {
  if (t.delack_at == kNever) t.delack_at = now + config_.delayed_ack;
}

void Tcp::arm_idle_timer(Tcb& t, Instant next_probe) {
  Instant due = next_probe;
  if (next_probe == kNever && keepalive_applies(t) && t.keepalive_sent == 0) due = t.last_heard + config_.keepalive_idle;
  if (idle_timeout_applies(t)) due = std::min(due, t.last_heard + config_.idle_timeout);
  t.idle_at = due;
}

void Tcp::run_timers(Instant now) {
  timers_.expire(now, [&](TimerNode& n) { on_timer(*static_cast<Tcb*>(n.owner), now); });
  expire_time_wait(now);  // records keep no timer: their list is in deadline order
}

void Tcp::on_timer(Tcb& t, Instant now) {
  if (t.close_at <= now) {
    t.close_at = kNever;
    if (t.state == TcpState::fin_wait_2) ++stats_.tcp_fin_wait_2_timeouts;
    // The connection ends silently; a socket still open sees an ordinary end of stream.
    if (t.socket >= 0) connection_lost(t, 0, now);
    else destroy(&t);
    return;
  }
  if (t.delack_at <= now) {
    t.delack_at = kNever;
    t.ack_now = true;
    output(t, now);
  }
  if (t.release_at <= now) {
    t.release_at = kNever;
    t.snd.release_if_empty(buffers_);
    t.rcv.release_if_empty(buffers_);
  }
  if (t.probe_at <= now) {  // before the RTO: a probe due with it goes in its place
    t.probe_at = kNever;
    on_loss_probe(t, now);
  }
  if (t.reorder_at <= now) {
    t.reorder_at = kNever;
    on_reorder_timeout(t, now);
  }
  if (t.rexmit_at <= now) {
    t.rexmit_at = kNever;
    if (t.persisting) on_persist_timeout(t, now);
    else on_rexmit_timeout(t, now);
    return;  // t may be gone; both paths rearm what survives
  }
  if (t.idle_at <= now) {
    on_idle_timeout(t, now);
    return;
  }
  rearm(t);
}

void Tcp::on_rexmit_timeout(Tcb& t, Instant now) {
  const bool handshake = t.state == TcpState::syn_sent || t.state == TcpState::syn_received;
  // Closed (or shut down) in SYN-RECEIVED: the FIN left before the peer acknowledged our SYN.
  const bool syn_unacked = !handshake && t.snd_una == t.iss;
  if (t.snd_una == t.snd_max && !handshake) {  // nothing outstanding any more
    rearm(t);
    return;
  }
  ++t.retransmits;
  // R2 (RFC 1122 §4.2.3.5): an active open's SYN is retried until its deadline (at least three
  // minutes, RFC 9293 MUST-23); a passive open's SYN-ACK and data a number of times.
  const bool syn_phase = handshake || syn_unacked;
  const bool give_up = syn_phase && t.syn_deadline != kNever
                           ? now >= t.syn_deadline
                           : t.retransmits > (syn_phase ? config_.synack_retries : config_.data_retries);
  if (give_up) {
    // R2 reached (RFC 1122 §4.2.3.5): give up, tell the user, send nothing.
    ++stats_.tcp_timeouts;
    if (t.state == TcpState::syn_received && t.listener != nullptr) destroy(&t);
    else connection_lost(t, t.soft_error != 0 ? t.soft_error : ETIMEDOUT, now);
    return;
  }
  t.rtt.back_off();  // §5.5
  t.rtt_timing = false;
  if (syn_phase) {
    ++t.syn_retransmits;  // a timeout, not a simultaneous open's SYN-ACK
    send_syn(t, now);
    t.rexmit_at = std::min(t.rexmit_at, t.syn_deadline);  // give up at the deadline, not after it
    if (syn_unacked) output(t, now);  // the SYN-ACK again, then the FIN behind it
    rearm(t);
    return;
  }
  // §5.4 and RFC 5681 §3.1: resend the first unacknowledged segment with a one-segment window.
  ++stats_.tcp_rto_expirations;
  mtu_black_hole(t);  // before anything goes again, so that it goes at the lower size
  if (t.cc && t.retransmits == 1) note_reduction(t);
  if (t.cc) t.cc->on_timeout(t.flight_size(), t.retransmits == 1);
  enter_resending(t);
  if (t.sack_recovery()) {
    // RFC 6675 §5.1, RFC 8985 §6.3: everything not SACKed is lost and goes again in order, as
    // the window allows, around what the receiver holds. A receiver that SACKed the segment at
    // SND.UNA and then timed us out has dropped what it SACKed (reneging, RFC 2018 §8).
    if (!t.scoreboard.empty() && t.scoreboard[0].sacked) t.scoreboard.clear_sacks();
    t.scoreboard.mark_all_lost();
    // A receiver that closed its window on data in flight: nothing may go but probes, so as
    // without SACK the persist timer takes over (it never times out a peer that answers).
    if (t.snd_wnd == 0) t.snd_nxt = t.snd_una;
  } else {
    t.snd_nxt = t.snd_una;  // go back N
  }
  output(t, now);
}

void Tcp::on_persist_timeout(Tcb& t, Instant now) {
  // Nothing left at SND.UNA to probe with (the last octet went as a probe and was acknowledged).
  if (t.snd.available(static_cast<std::uint32_t>(t.snd_una - t.snd_buf_seq)) == 0) {
    t.persisting = false;
    t.persist_backoff = 0;
    rearm(t);
    return;
  }
  // A peer that keeps its window closed holds our buffers for as long as it likes: an orphan's
  // for orphan_persist_timeout, a socket's for zero_window_timeout when one is set.
  if (now >= persist_limit(t)) {
    ++(t.orphan() ? stats_.tcp_orphan_persist_resets : stats_.tcp_zero_window_resets);
    give_up(t, ETIMEDOUT, now);  // an orphan is destroyed, a socket sees the error
    return;
  }
  // A peer that stopped answering probes is gone, as after R2 retransmissions (RFC 1122 §4.2.2.17
  // keeps a connection open only while the receiver answers).
  if (t.probes_unanswered >= config_.data_retries) {
    ++stats_.tcp_timeouts;
    connection_lost(t, ETIMEDOUT, now);
    return;
  }
  const auto unsent = static_cast<std::uint32_t>(t.unsent());
  if (t.snd_wnd > 0 && unsent > 0) {
    // Override timeout (§3.8.6.2.1): send what the small window allows.
    t.persist_backoff = 0;
    send_data(t, t.snd_nxt, std::min({t.snd_wnd, unsent, static_cast<std::uint32_t>(t.snd_mss)}), false, now);
    rearm(t);
    return;
  }
  // Zero window: probe with one octet of data at SND.UNA, as BSD does (RFC 1122 §4.2.2.17).
  // Unlike an old-sequence empty segment, new data draws an ACK from every receiver (ns-3's TCP
  // ignores the empty kind). It stays a probe: persist timing, no RTT sample, no retransmission
  // count; unanswered probes count toward R2 above.
  const bool timing = t.rtt_timing;
  send_data(t, t.snd_una, 1, false, now);
  t.rtt_timing = timing;
  t.persisting = true;
  ++t.persist_backoff;
  ++t.probes_unanswered;
  ++stats_.tcp_window_probes;
  // The probe interval backs off like the RTO but the connection never times out while the peer
  // keeps answering (RFC 1122 §4.2.2.17).
  Duration interval = std::max(t.rtt.rto(), config_.persist_min);
  for (int i = 0; i < t.persist_backoff && interval < config_.persist_max; ++i) interval *= 2;
  t.rexmit_at = std::min(now + std::min(interval, config_.persist_max), persist_limit(t));
  rearm(t);
}

void Tcp::on_idle_timeout(Tcb& t, Instant now) {
  t.idle_at = kNever;
  if (idle_timeout_applies(t) && now - t.last_heard >= config_.idle_timeout) {
    ++stats_.tcp_idle_timeouts;
    give_up(t, ETIMEDOUT, now);
    return;
  }
  // RFC 1122 §4.2.3.6: probe a connection that has heard nothing for keepalive_idle, then every
  // keepalive_interval; anything heard resets the count (keepalive_sent, in the input path).
  Instant next_probe = kNever;
  if (keepalive_applies(t) && (t.keepalive_sent > 0 || now - t.last_heard >= config_.keepalive_idle)) {
    if (t.keepalive_sent >= config_.keepalive_probes) {
      ++stats_.tcp_timeouts;
      connection_lost(t, ETIMEDOUT, now);
      return;
    }
    send_probe(t, now);
    ++t.keepalive_sent;
    next_probe = now + config_.keepalive_interval;
  }
  arm_idle_timer(t, next_probe);
  rearm(t);
}

}  // namespace mtcpp
