// The sender's side of an arriving ACK: what it acknowledges and SACKs, how loss is detected and
// repaired, and what congestion control learns.
//   With SACK: the scoreboard (scoreboard.h), RACK-TLP's time-based loss detection and tail loss
//   probe (RFC 8985, rack.h), RFC 6675's conservative recovery with PRR deciding how much is sent
//   (RFC 6937, prr.h).
//   Without SACK: RFC 5681 fast retransmit with RFC 6582's NewReno recovery and RFC 3042's
//   limited transmit.
//   process_ack (input.cc) → sender_ack → new_data_acked, sack_received → sack_ack | newreno_ack
//   output (output.cc) → retransmit_lost; timers (timers.cc) → on_loss_probe, on_reorder_timeout
#include <algorithm>
#include <array>

#include "core/tcp/tcp.h"

namespace mtcpp {

namespace {
// RFC 8985 §7.2: the worst-case delayed-ACK time a PTO allows for when one segment is in flight,
// and, as Linux adds, a floor of two milliseconds otherwise.
constexpr Duration kMaxAckDelay = std::chrono::milliseconds(200);
constexpr Duration kPtoFloor = std::chrono::milliseconds(2);
constexpr Duration kPtoWithoutRtt = std::chrono::seconds(1);
}  // namespace

void Tcp::sender_ack(Tcb& t, const SegmentIn& seg, Instant now, bool in_window, bool window_unchanged) {
  const SeqNum ack{seg.h.ack};
  const bool advanced = ack > t.snd_una;
  std::uint32_t delivered = 0;
  const std::uint32_t acked = advanced ? new_data_acked(t, seg, now, delivered) : 0;
  if (!t.cc) return;
  if (t.sack_recovery()) {
    bool dsack = false;
    SeqNum dsack_end;
    const std::uint32_t sacked = sack_received(t, seg, now, dsack, dsack_end);
    // A D-SACK of the probe's retransmission: the original arrived too (RFC 8985 §7.4).
    const bool dsack_of_probe = dsack && t.tlp.end && dsack_end == *t.tlp.end;
    sack_ack(t, seg, now, acked, delivered + sacked, advanced, sacked, dsack, dsack_of_probe);
  } else {
    // RFC 5681 §2: a duplicate ACK carries no data, no SYN or FIN, the same ACK and window, and
    // arrives while data is outstanding (answers to window probes are not duplicates).
    const bool duplicate = !advanced && in_window && ack == t.snd_una && seg.payload.empty() &&
                           !seg.h.has(tcp_flag::fin) && window_unchanged && t.flight_size() > 0 && !t.persisting;
    newreno_ack(t, seg, now, acked, advanced, duplicate);
  }
  if (advanced) autotune_send_buffer(t);
}

std::uint32_t Tcp::new_data_acked(Tcb& t, const SegmentIn& seg, Instant now, std::uint32_t& delivered) {
  const SeqNum ack{seg.h.ack};
  const auto& ts = seg.h.options.timestamps;
  // RTT sample: from the echoed timestamp (RFC 7323 §4.1), else the one timed segment (Karn).
  t.ack_rtt = Duration(-1);
  // The one timed segment (Karn), in microseconds: RACK's minimum takes it whatever the
  // estimator uses.
  std::optional<Duration> timed;
  if (t.rtt_timing && ack > t.rtt_seq) {
    timed = now - t.rtt_start;
    t.rtt_timing = false;
    t.rack.rtt_sample(*timed, now);
  }
  if (t.ts_enabled && ts && ts->tsecr != 0) {
    const auto ms = static_cast<std::int32_t>(tsval(t, now) - ts->tsecr);
    if (ms >= 0) t.rtt.sample(t.ack_rtt = std::chrono::milliseconds(ms));
  } else if (timed) {
    t.rtt.sample(t.ack_rtt = *timed);
  }
  // The SYN and FIN occupy sequence space but not the buffer; congestion control counts data.
  std::uint32_t acked = 0;
  if (ack > t.snd_buf_seq) {
    acked = std::min(static_cast<std::uint32_t>(ack - t.snd_buf_seq), t.snd.size());
    t.snd.consume(acked);
    if (t.snd.size() == 0) buffer_emptied(t, now);
    t.snd_buf_seq += acked;
  }
  delivered = acked;
  if (t.sack_recovery())
    delivered = t.scoreboard.acked(ack, [&](const SentSegment& s) { rack_delivered(t, s, now); });
  t.snd_una = ack;
  if (t.snd_nxt < t.snd_una) t.snd_nxt = t.snd_una;
  if (t.resending && t.snd_una >= t.recover) t.resending = false;
  if (acked >= t.snd_mss) t.mtu.size_verified = true;  // a full segment's worth arrived
  if (t.mtu.probe != 0 && t.snd_una >= t.mtu.probe_end) mtu_probe_acked(t);
  t.dup_acks = 0;
  t.retransmits = 0;
  // The probe octet was the last byte written: nothing is left to probe with.
  if (t.persisting && t.unsent() == 0 && t.snd_una == t.snd_max) t.persisting = false;
  // RFC 6298 §5.2-5.3: stop the timer when all is acknowledged, else restart it.
  if (!t.persisting) t.rexmit_at = t.snd_una == t.snd_max ? kNever : now + t.rtt.rto();
  notify(t);
  return acked;
}

void Tcp::rack_delivered(Tcb& t, const SentSegment& s, Instant now) {
  // RFC 8985 §6.2 step 2: a retransmitted segment's ACK may answer an earlier transmission; an
  // RTT clearly below the minimum says so (below three quarters of it: a path's jitter puts
  // genuine samples a little under the minimum, and a probe's SACK taken for ambiguous would
  // leave the hole before it to the RTO). The RFC's other test, an echoed timestamp older than
  // the retransmission, is not used (nor by Linux): a receiver echoes TS.Recent, which an
  // out-of-order segment does not move (RFC 7323 §4.3), so every SACKed retransmission of a
  // tail would look ambiguous. A tail loss probe's segment is never ambiguous: its original went
  // out a PTO (two round trips) before it, and §7.4 judges the probe by D-SACK; taken for
  // ambiguous, its SACK would leave the hole before it to the RTO.
  // Its sample still does not lower the minimum when it is suspiciously fast (the original may
  // have been answered just after the probe left).
  const bool probe = t.tlp.end && t.tlp.retransmission && s.end == *t.tlp.end;
  const bool too_fast = s.ever_retransmitted && t.rack.min_rtt() != Duration::max() &&
                        (now - s.xmit) * 4 < t.rack.min_rtt() * 3;
  t.rack.delivered(s, now, too_fast && !probe, !too_fast);
  if (!too_fast) t.ack_rtt = now - s.xmit;  // finer than the timestamps' milliseconds
}

AckSample Tcp::ack_sample(const Tcb& t, const SegmentIn& seg, Instant now) const {
  const Duration min_rtt = t.rack.min_rtt() != Duration::max() ? t.rack.min_rtt() : Duration(-1);
  return AckSample{now, t.ack_rtt, min_rtt, SeqNum{seg.h.ack}, t.snd_max};
}

std::uint32_t Tcp::sack_received(Tcb& t, const SegmentIn& seg, Instant now, bool& dsack, SeqNum& dsack_end) {
  const TcpOptions& o = seg.h.options;
  if (o.sack_count == 0) return 0;
  const SeqNum ack{seg.h.ack};
  std::array<std::pair<SeqNum, SeqNum>, TcpOptions::kMaxSackBlocks> blocks;
  std::size_t n = 0;
  for (std::size_t i = 0; i < o.sack_count; ++i) {
    SeqNum begin{o.sack[i].left};
    SeqNum end{o.sack[i].right};
    if (end <= begin) {
      ++stats_.tcp_sack_blocks_ignored;
      continue;
    }
    // RFC 2883 §4: a first block below the cumulative ACK, or within the second block, reports
    // a segment received twice.
    if (i == 0 && (end <= ack || (o.sack_count > 1 && SeqNum{o.sack[1].left} <= begin &&
                                  end <= SeqNum{o.sack[1].right}))) {
      dsack = true;
      dsack_end = end;
      // One of the last reduction's retransmissions, if it lies where they were made.
      if (t.undo_marker && begin >= *t.undo_marker && end <= t.snd_max)
        t.undo_retrans -= std::max(1, static_cast<int>((end - begin + t.snd_mss - 1) / t.snd_mss));
      continue;
    }
    // Only what was sent and is not yet acknowledged can be SACKed; anything else is a
    // confused or forged block and changes nothing.
    if (begin < t.snd_una) {
      ++stats_.tcp_sack_blocks_ignored;
      continue;
    }
    // A receiver may SACK a segment's data and leave out its FIN (ns-3's TCP does); the FIN
    // came with that data, so it is not lost.
    if (t.fin_sent && end == t.fin_seq && begin < end && t.scoreboard.same_segment(end - 1, end)) end = end + 1;
    if (end <= begin || end > t.snd_max) {
      ++stats_.tcp_sack_blocks_ignored;
      continue;
    }
    blocks[n++] = {begin, end};
  }
  if (dsack) {
    ++stats_.tcp_dsacks_received;
    t.rack.dsack_received(t.snd_una, t.snd_max);
  }
  // In sequence order, so RACK sees deliveries below the highest as reordering only when they are.
  for (std::size_t i = 1; i < n; ++i)  // at most four: an insertion sort
    for (std::size_t j = i; j > 0 && blocks[j].first < blocks[j - 1].first; --j) std::swap(blocks[j], blocks[j - 1]);
  std::uint32_t newly = 0;
  for (std::size_t i = 0; i < n; ++i)
    newly += t.scoreboard.sack(blocks[i].first, blocks[i].second,
                               [&](const SentSegment& s) { rack_delivered(t, s, now); });
  return newly;
}

void Tcp::sack_ack(Tcb& t, const SegmentIn& seg, Instant now, std::uint32_t acked, std::uint32_t delivered,
                   bool advanced, std::uint32_t newly_sacked, bool dsack, bool dsack_of_probe) {
  loss_probe_acked(t, seg, now, advanced, newly_sacked, dsack_of_probe);
  if (dsack && t.undo_marker && t.undo_retrans <= 0) undo_reduction(t);
  rack_detect_loss(t, now);
  bool ended = false;
  if (t.in_recovery && t.snd_una >= t.recover) {  // RFC 6675 §5: the RecoveryPoint is acknowledged
    t.in_recovery = false;
    t.cc->on_recovery_end();
    t.rack.recovery_ended();
    ended = true;
  }
  if (!t.in_recovery && !t.resending && lost_unrepaired(t)) start_repair(t);
  if (t.in_recovery) {
    t.prr_budget = t.prr.on_ack(delivered, t.in_flight(), t.cc->ssthresh(), t.snd_mss);
    // The fast retransmit goes whatever PRR says (RFC 6675 §5 step 4.3).
    if (t.prr.out() == 0) t.prr_budget = std::max<std::uint32_t>(t.prr_budget, t.snd_mss);
  } else if (acked > 0 && !ended) {
    t.cc->on_ack(acked, ack_sample(t, seg, now));
  }
  schedule_loss_probe(t, now, advanced);
}

void Tcp::note_reduction(Tcb& t) {
  t.undo_marker = t.snd_una;
  t.undo_cwnd = t.cc->cwnd();
  t.undo_ssthresh = t.cc->ssthresh();
  t.undo_retrans = 0;
}

void Tcp::undo_reduction(Tcb& t) {
  // Every retransmission of the last reduction came back as a duplicate: nothing was lost (the
  // segments were reordered or delayed), so the window goes back (RFC 3708 §4's response).
  t.cc->undo(t.undo_cwnd, t.undo_ssthresh);
  t.undo_marker.reset();
  ++stats_.tcp_spurious_undos;
  if (t.in_recovery && !lost_unrepaired(t)) {
    t.in_recovery = false;
    t.rack.recovery_ended();
  }
}

void Tcp::enter_resending(Tcb& t) {
  t.in_recovery = false;
  t.resending = true;
  t.dup_acks = 0;
  t.recover = t.snd_max;
  t.tlp.end.reset();
  t.probe_at = t.reorder_at = kNever;
}

void Tcp::start_recovery(Tcb& t) {
  // RFC 6675 §5 step 4: RecoveryPoint = HighData; ssthresh from FlightSize (RFC 5681 eq. 4).
  const auto outstanding = static_cast<std::uint32_t>(t.snd_max - t.snd_una);
  note_reduction(t);
  t.in_recovery = true;
  t.recover = t.snd_max;
  t.cc->on_recovery_start(outstanding);
  t.prr.start(outstanding);
  t.probe_at = kNever;
  ++stats_.tcp_fast_retransmits;
}

void Tcp::rack_detect_loss(Tcb& t, Instant now) {
  t.reorder_at = kNever;
  if (t.scoreboard.empty()) return;
  const Duration reo_wnd =
      t.rack.reo_wnd(t.in_recovery || t.resending, t.scoreboard.sacked_segments(), t.rtt.srtt());
  const Duration wait = t.rack.detect_loss(t.scoreboard, now, reo_wnd);
  if (wait > Duration::zero()) t.reorder_at = now + wait;
}

void Tcp::on_reorder_timeout(Tcb& t, Instant now) {
  // RFC 8985 §6.3: the reordering window ran out; what is now deemed lost is repaired at once.
  rack_detect_loss(t, now);
  if (lost_unrepaired(t)) {
    if (!t.in_recovery && !t.resending) start_repair(t);
    if (t.in_recovery) {
      t.prr_budget = t.prr.on_ack(0, t.in_flight(), t.cc->ssthresh(), t.snd_mss);
      // The fast retransmit, or the pipe is empty: no ACK will come to clock anything out.
      if (t.prr.out() == 0 || t.in_flight() == 0) t.prr_budget = std::max<std::uint32_t>(t.prr_budget, t.snd_mss);
    }
  }
  output(t, now);
}

bool Tcp::retransmit_lost(Tcb& t, Instant now) {
  // RFC 6675 NextSeg() rule 1: the first segment deemed lost and not yet resent; in recovery as
  // PRR allows, otherwise (after an RTO) as the congestion window does.
  bool sent = false;
  for (long i = 0; (i = t.scoreboard.next_lost(static_cast<std::size_t>(i))) >= 0;) {
    if (t.in_recovery ? t.prr_budget == 0 : t.in_flight() >= t.cc->cwnd()) break;
    const SentSegment s = t.scoreboard[static_cast<std::size_t>(i)];
    if (s.begin >= t.snd_una + t.snd_wnd) break;  // beyond what the receiver takes now
    if (!take_tx_room(t, now)) break;
    const bool fin = t.fin_sent && s.end == t.fin_seq + 1;
    send_data(t, s.begin, s.len() - (fin ? 1 : 0), fin, now);
    if (!t.scoreboard[static_cast<std::size_t>(i)].retransmitted) break;  // nothing could go (no room)
    sent = true;
    if (t.in_recovery) t.prr_budget -= std::min(t.prr_budget, t.scoreboard[static_cast<std::size_t>(i)].len());
  }
  return sent;
}

bool Tcp::probe_may_go(const Tcb& t) {
  // Only with SACK, in the open state, with data outstanding and a window to send into.
  return t.sack_recovery() && can_send_data(t) && !t.in_recovery && !t.resending && !t.persisting &&
         t.snd_una != t.snd_max;
}

void Tcp::schedule_loss_probe(Tcb& t, Instant now, bool restart) {
  // RFC 8985 §7.2: armed when new data goes out or an ACK advances SND.UNA, in the open state.
  if (!probe_may_go(t)) {
    t.probe_at = kNever;
    return;
  }
  if (!restart && t.probe_at != kNever) return;
  Duration pto = t.rtt.has_sample() ? 2 * t.rtt.srtt() : kPtoWithoutRtt;
  pto += t.snd_max - t.snd_una <= static_cast<std::int32_t>(t.snd_mss) ? kMaxAckDelay : kPtoFloor;
  // Never after the RTO: the probe then goes in its place (and the RTO is rearmed behind it).
  t.probe_at = std::min(now + pto, t.rexmit_at);
}

void Tcp::on_loss_probe(Tcb& t, Instant now) {
  if (t.tlp.end || !probe_may_go(t)) {  // one probe at a time (§7.3)
    rearm(t);
    return;
  }
  const std::uint32_t flight = t.flight_size();
  const std::uint32_t rwnd_room = t.snd_wnd > flight ? t.snd_wnd - flight : 0;
  const std::uint32_t unsent = t.unsent();
  // §7.3: new data if the receiver's window allows it, else the last segment sent again.
  if (unsent > 0 && rwnd_room >= std::min<std::uint32_t>(unsent, t.snd_mss)) {
    const std::uint32_t len = std::min({unsent, rwnd_room, static_cast<std::uint32_t>(t.snd_mss)});
    send_data(t, t.snd_nxt, len, t.fin_queued && len == unsent, now);
    t.tlp.retransmission = false;
  } else if (!t.scoreboard.empty() && !t.scoreboard.back().sacked) {
    const SentSegment s = t.scoreboard.back();
    const bool fin = t.fin_sent && s.end == t.fin_seq + 1;
    send_data(t, s.begin, s.len() - (fin ? 1 : 0), fin, now);
    t.tlp.retransmission = true;
  } else {
    rearm(t);
    return;
  }
  t.tlp.end = t.snd_max;
  ++stats_.tcp_loss_probes;
  t.rexmit_at = now + t.rtt.rto();
  rearm(t);
}

void Tcp::loss_probe_acked(Tcb& t, const SegmentIn& seg, Instant now, bool advanced,
                           std::uint32_t newly_sacked, bool dsack_of_probe) {
  // RFC 8985 §7.4, in Linux's form: did the probe repair a loss?
  if (!t.tlp.end || SeqNum{seg.h.ack} < *t.tlp.end) return;
  if (!t.tlp.retransmission || dsack_of_probe) {  // new data, or the original and the probe both arrived
    t.tlp.end.reset();
    return;
  }
  if (SeqNum{seg.h.ack} > *t.tlp.end) {
    // Only the probe arrived: a loss it repaired. The window comes down as after a recovery.
    t.tlp.end.reset();
    ++stats_.tcp_loss_probe_recoveries;
    t.cc->on_recovery_start(t.cc->cwnd());  // as Linux: half the window, not of what is left
    t.cc->on_recovery_end();
    return;
  }
  if (!advanced && newly_sacked == 0 && seg.payload.empty()) t.tlp.end.reset();  // a pure duplicate
  (void)now;
}

void Tcp::newreno_ack(Tcb& t, const SegmentIn& seg, Instant now, std::uint32_t acked, bool advanced,
                      bool duplicate) {
  if (advanced) {
    if (!t.in_recovery) {
      t.cc->on_ack(acked, ack_sample(t, seg, now));
    } else if (t.snd_una >= t.recover) {  // RFC 6582 §3.2 step 6: full acknowledgment
      t.in_recovery = false;
      t.cc->on_exit_recovery(t.flight_size());
    } else {  // step 5: partial acknowledgment, retransmit the next hole
      t.cc->on_partial_ack(acked);
      const std::uint32_t len = std::min<std::uint32_t>(t.snd_mss, t.snd.size());
      if (len > 0) send_data(t, t.snd_una, len, false, now);
    }
    return;
  }
  if (!duplicate) return;
  ++t.dup_acks;
  if (t.in_recovery) {
    t.cc->on_dup_ack_in_recovery();
    return;
  }
  // RFC 6582 §3.2 step 2: enter recovery only if the loss is beyond the last recovery point.
  // Below three, RFC 3042's limited transmit lets output() send new data (see output.cc).
  if (t.dup_acks == 3 && t.snd_una > t.recover) {
    t.in_recovery = true;
    t.recover = t.snd_max;
    t.cc->on_enter_recovery(t.flight_size());
    ++stats_.tcp_fast_retransmits;
    const std::uint32_t len = std::min<std::uint32_t>(t.snd_mss, t.snd.size());
    const bool fin_only = len == 0 && t.fin_sent;
    if (len > 0 || fin_only) send_data(t, t.snd_una, len, fin_only, now);
  }
}

}  // namespace mtcpp
