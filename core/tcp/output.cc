// Segment output: what goes out of a connection at `now` (RFC 9293 §3.8.6 window management,
// §3.7.4 Nagle, §3.10.4 the FIN after queued data; RFC 5681 congestion window; RFC 6298 timer).
#include <algorithm>

#include "core/tcp/tcp.h"

namespace mtcpp {

std::uint32_t Tcp::sws_threshold(const Tcb& t) const {
  return std::min<std::uint32_t>(t.rcv.room(buffers_) / 2, t.rcv_mss);
}

std::uint16_t Tcp::advertised_window(Tcb& t) {
  // Receiver silly window avoidance (§3.8.6.2.2, MUST-39): the right edge moves only by at least
  // min(half the buffer, one MSS). It never moves back (§3.8.6: "shrinking the window" is
  // strongly discouraged), except past the memory budget, when the ring cannot hold what was
  // offered: data sent into that promise would be dropped and resent until the sender gave up,
  // where a closed window makes it wait, probing (as Linux's tcp_shrink_window).
  const std::uint32_t window = t.rcv.window(buffers_);
  const SeqNum offered = t.rcv_nxt + window;
  SeqNum right = seq_max(t.rcv_adv, t.rcv_nxt);
  const bool shrink = offered < right && t.rcv.room(buffers_) < t.rcv.capacity();  // the budget limits
  if (shrink || offered - right >= static_cast<std::int32_t>(sws_threshold(t))) right = offered;
  const auto shown = static_cast<std::uint16_t>(
      std::min<std::uint32_t>(static_cast<std::uint32_t>(right - t.rcv_nxt) >> t.rcv_wscale, 65535));
  // The edge the peer learns is the scaled value it sees, rounded down (RFC 7323 §2.3).
  const SeqNum shown_edge = t.rcv_nxt + (std::uint32_t{shown} << t.rcv_wscale);
  if (shrink) ++stats_.tcp_receive_window_shrunk;
  t.rcv_adv = shrink ? shown_edge : seq_max(t.rcv_adv, shown_edge);
  t.rcv_adv_max = seq_max(t.rcv_adv_max, t.rcv_adv);
  return shown;
}

TcpHeader Tcp::header_for(Tcb& t, SeqNum seq, std::uint8_t flags, Instant now) {
  TcpHeader h;
  h.src_port = t.local.port;
  h.dst_port = t.remote.port;
  h.seq = seq.v;
  h.flags = flags;
  if (flags & tcp_flag::ack) {
    h.ack = t.rcv_nxt.v;
    t.last_ack_sent = t.rcv_nxt;
    t.ack_now = false;
    t.unacked_segments = 0;
    t.segments_unacked_in_burst = 0;
    t.delack_at = kNever;
  }
  h.window = advertised_window(t);
  if (t.ts_enabled) h.options.timestamps = TcpTimestamps{tsval(t, now), t.ts_recent};
  if ((flags & tcp_flag::ack) && sack_due(t)) {
    SackRanges ranges;
    const std::size_t n = sack_blocks(t, ranges);
    for (std::size_t i = 0; i < n; ++i)
      h.options.sack[h.options.sack_count++] = {(t.rcv_nxt + ranges[i].begin).v, (t.rcv_nxt + ranges[i].end).v};
    t.dsack.reset();
  }
  return h;
}

std::size_t Tcp::sack_blocks(const Tcb& t, SackRanges& ranges) const {
  if (!sack_due(t)) return 0;
  std::size_t n = t.rcv.ranges(ranges);
  // A FIN held beyond RCV.NXT occupies sequence space we hold too (S12: SACK 1001:1002).
  if (t.fin_seq_received && *t.fin_seq_received > t.rcv_nxt) {
    // Joined to the data it ends, as Linux reports it; alone, it is the newest block.
    const auto fin = static_cast<std::uint32_t>(*t.fin_seq_received - t.rcv_nxt);
    bool joined = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (ranges[i].end != fin) continue;
      ranges[i].end = fin + 1;
      joined = true;
    }
    if (!joined && n < ranges.size()) {
      std::copy_backward(ranges.begin(), ranges.begin() + static_cast<long>(n), ranges.begin() + static_cast<long>(n) + 1);
      ranges[0] = {fin, fin + 1};
      ++n;
    }
  }
  // RFC 2883 §4: a D-SACK block, when there is one, comes first and is sent once.
  if (t.dsack) {
    n = std::min(n, ranges.size() - 1);
    std::copy_backward(ranges.begin(), ranges.begin() + static_cast<long>(n), ranges.begin() + static_cast<long>(n) + 1);
    ranges[0] = {static_cast<std::uint32_t>(t.dsack->first - t.rcv_nxt), static_cast<std::uint32_t>(t.dsack->second - t.rcv_nxt)};
    ++n;
  }
  // 40 bytes of options: four blocks, or three beside timestamps (RFC 2018 §3).
  return std::min<std::size_t>(n, t.ts_enabled ? 3 : 4);
}

std::uint32_t Tcp::segment_room(const Tcb& t) const {
  if (!sack_due(t)) return t.snd_mss;  // every segment but those sent while holding a hole
  SackRanges ranges;
  const std::size_t blocks = sack_blocks(t, ranges);
  const std::uint32_t sack_bytes = blocks == 0 ? 0 : static_cast<std::uint32_t>(4 + 8 * blocks);  // NOP NOP kind len
  return t.snd_mss > sack_bytes ? t.snd_mss - sack_bytes : 0;
}

void Tcp::send_syn(Tcb& t, Instant now) {
  const bool syn_ack = t.state != TcpState::syn_sent;  // the peer's SYN has arrived
  TcpHeader h;
  h.src_port = t.local.port;
  h.dst_port = t.remote.port;
  h.seq = t.iss.v;
  h.flags = tcp_flag::syn;
  h.options.mss = t.rcv_mss = announced_mss(t);
  // A SYN offers what the configuration allows; a SYN-ACK only what the peer offered.
  if (syn_ack ? t.ws_enabled : config_.window_scaling) h.options.window_scale = t.rcv_wscale;
  h.options.sack_permitted = syn_ack ? t.sack_enabled : config_.sack;
  if (syn_ack ? t.ts_enabled : config_.timestamps)
    h.options.timestamps = TcpTimestamps{tsval(t, now), syn_ack ? t.ts_recent : 0};
  h.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(t.rcv.window(buffers_), 65535));
  if (syn_ack) {
    h.flags |= tcp_flag::ack;
    h.ack = t.rcv_nxt.v;
    t.last_ack_sent = t.rcv_nxt;
    t.rcv_adv = t.rcv_nxt + h.window;
    t.rcv_adv_max = seq_max(t.rcv_adv_max, t.rcv_adv);
  }
  out_.send_segment(t.local.addr, t.remote.addr, t.ip_id++, h, nullptr, 0, 0, now);
  if (t.snd_max > t.iss) {
    ++stats_.tcp_retransmissions;
  } else {
    t.rtt_timing = true;
    t.rtt_seq = t.iss;
    t.rtt_start = now;
  }
  t.snd_nxt = t.iss + 1;
  t.snd_max = seq_max(t.snd_max, t.snd_nxt);
  if (t.rexmit_at == kNever) t.rexmit_at = now + t.rtt.rto();
  rearm(t);
}

void Tcp::send_data(Tcb& t, SeqNum seq, std::uint32_t len, bool fin, Instant now, bool mtu_probe) {
  const SeqNum data_end = t.snd_buf_seq + t.snd.size();
  // Never an octet the buffer does not hold (a probe past the data would send stale memory).
  const auto offset = static_cast<std::uint32_t>(seq - t.snd_buf_seq);
  len = std::min(len, t.snd.available(offset));
  // SACK blocks (while out-of-order data is held) come out of the payload.
  const std::uint32_t room = mtu_probe ? len : segment_room(t);
  TcpHeader h = header_for(t, seq, tcp_flag::ack, now);
  if (len > room) {
    len = room;
    fin = false;  // the FIN follows the last byte, which now goes in a later segment
  }
  if (fin) h.flags |= tcp_flag::fin;
  if (len > 0 && seq + len == data_end) h.flags |= tcp_flag::psh;
  out_.send_segment(t.local.addr, t.remote.addr, t.ip_id++, h, &t, offset, len, now);
  if (len > 0) t.last_data_sent = now;
  if (len > 0 && len < t.snd_mss) t.snd_sml = seq_max(t.snd_sml, seq + len);
  if (seq < t.snd_max) {
    ++stats_.tcp_retransmissions;
    // The MTU probe's bytes going again: it was lost (whatever found it so).
    if (t.mtu.probe != 0 && seq < t.mtu.probe_end && t.mtu.probe_begin < seq + std::max(len, 1u)) mtu_probe_lost(t);
    if (t.rtt_timing && seq <= t.rtt_seq) t.rtt_timing = false;  // Karn: never time a retransmission
  } else if (!t.rtt_timing && !t.ts_enabled && len > 0) {
    t.rtt_timing = true;
    t.rtt_seq = seq;
    t.rtt_start = now;
  }
  const SeqNum end = seq + len + (fin ? 1 : 0);
  if (t.sack_recovery() && end > seq) {
    if (seq < t.snd_max) t.scoreboard.retransmitted(seq, seq_min(end, t.snd_max), now);
    if (end > t.snd_max) t.scoreboard.sent(seq_max(seq, t.snd_max), end, now);
    if (t.in_recovery) t.prr.sent(static_cast<std::uint32_t>(end - seq));
    if (seq < t.snd_max && t.undo_marker) ++t.undo_retrans;
  }
  t.snd_nxt = seq_max(t.snd_nxt, end);
  t.snd_max = seq_max(t.snd_max, end);
  if (fin) {
    t.fin_sent = true;
    t.fin_seq = seq + len;
  }
  if (t.rexmit_at == kNever || t.persisting) {
    t.persisting = false;
    t.rexmit_at = now + t.rtt.rto();
  }
}

void Tcp::send_ack(Tcb& t, Instant now) {
  // SEQ is the next octet never sent (SND.MAX), not SND.NXT: after a timeout rewinds SND.NXT to
  // retransmit, SND.NXT can lie below the peer's RCV.NXT, the peer finds such an ACK unacceptable
  // (§3.10.7.4) and drops it unread; two stacks doing that to each other trade ACKs forever. BSD
  // fills pure ACKs with snd_max for the same reason; Linux never rewinds snd_nxt.
  // While a closed window is probed, the probe octet is not counted (Tcb::control_seq): two
  // stacks probing each other's closed windows would otherwise each find the other's ACKs beyond
  // RCV.NXT, unacceptable, and answer them without end.
  const TcpHeader h = header_for(t, t.control_seq(), tcp_flag::ack, now);
  out_.send_segment(t.local.addr, t.remote.addr, t.ip_id++, h, nullptr, 0, 0, now);
}

// A zero-window or keepalive probe: an ACK one below SND.UNA that the peer must answer
// (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6), carrying no data so a closed window stays closed.
void Tcp::send_probe(Tcb& t, Instant now) {
  const TcpHeader h = header_for(t, t.snd_una - 1, tcp_flag::ack, now);
  out_.send_segment(t.local.addr, t.remote.addr, t.ip_id++, h, nullptr, 0, 0, now);
}

void Tcp::send_rst(Tcb& t, Instant now) {
  // §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST>, with the ACK so stacks that insist on one take it,
  // and the timestamps if in use (RFC 7323 §3.2 SHOULD: ns-3's TCP, for one, drops an ACK
  // without them, reset or not).
  TcpHeader h = header_for(t, t.control_seq(), tcp_flag::rst | tcp_flag::ack, now);  // see send_ack
  const auto timestamps = h.options.timestamps;
  h.options = {};
  h.options.timestamps = timestamps;
  out_.send_segment(t.local.addr, t.remote.addr, t.ip_id++, h, nullptr, 0, 0, now);
  ++stats_.tcp_resets_sent;
}

void Tcp::send_rst_for(const SegmentIn& seg, Instant now) {
  // §3.10.7.1: with an ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
  TcpHeader h;
  h.src_port = seg.h.dst_port;
  h.dst_port = seg.h.src_port;
  if (seg.h.has(tcp_flag::ack)) {
    h.seq = seg.h.ack;
    h.flags = tcp_flag::rst;
  } else {
    h.ack = seg.h.seq + seg.len();
    h.flags = tcp_flag::rst | tcp_flag::ack;
  }
  out_.send_segment(seg.dst, seg.src, 0, h, nullptr, 0, 0, now);  // no connection: ID 0 (RFC 6864)
  ++stats_.tcp_resets_sent;
}

void Tcp::end_burst(Instant now) {
  bursting_ = false;
  in_order_data_ = false;
  for (Tcb* t : deferred_acks_) {
    t->ack_deferred = false;
    // Unless data sent since carried it, or the connection left the states that acknowledge.
    if (ack_may_go(*t)) {
      send_ack(*t, now);
      rearm(*t);
    }
  }
  deferred_acks_.clear();
}

void Tcp::resume_tx(Instant now) {
  std::vector<Tcb*> waiting;
  waiting.swap(tx_blocked_);
  for (Tcb* t : waiting) t->tx_blocked = false;
  // output destroys no connection (it only sends, or blocks one again), so every pointer stays
  // valid through the loop.
  resuming_tx_ = true;
  for (Tcb* t : waiting) output(*t, now);
  resuming_tx_ = false;
  if (tx_blocked_.empty()) {
    waiting.clear();
    tx_blocked_.swap(waiting);  // keeps the capacity for the next time
  }
}

void Tcp::output(Tcb& t, Instant now) {
  const bool data_ok = can_send_data(t);
  // RFC 5681 §4.1: after idling longer than the RTO, start again from at most the initial window.
  if (t.cc && t.flight_size() == 0 && t.last_data_sent != kNever && now - t.last_data_sent > t.rtt.rto())
    t.cc->limit_cwnd(initial_window(t));
  // Lost segments first (RFC 6675 NextSeg() rule 1), then new data.
  bool sent = data_ok && t.sack_recovery() && retransmit_lost(t, now);
  // An RFC 4821 probe goes first, so that the segments behind it reveal its loss.
  bool sent_new = data_ok && t.cc && t.mtu.searching() && send_mtu_probe(t, now);
  sent = sent || sent_new;
  while (data_ok && t.cc) {
    const SeqNum data_end = t.snd_buf_seq + t.snd.size();
    // Bytes from SND.NXT to the end of the buffer (0 once the FIN is out).
    const auto unsent = static_cast<std::uint32_t>(std::max<std::int32_t>(0, data_end - t.snd_nxt));
    // A FIN is still to go (again, after going back N) once SND.NXT reaches the data's end.
    const bool fin_due = t.fin_queued && !(t.fin_sent && t.snd_nxt > t.fin_seq);
    if (unsent == 0 && !(fin_due && t.snd_nxt == data_end)) break;  // the usual case: nothing to send
    // The receiver's window bounds the sequence space; the congestion window (or PRR, during a
    // SACK recovery) bounds what the network holds.
    const std::uint32_t flight = t.flight_size();
    const std::uint32_t rwnd_room = t.snd_wnd > flight ? t.snd_wnd - flight : 0;
    std::uint32_t cwnd_room;
    if (t.in_recovery && t.sack_recovery()) {
      cwnd_room = t.prr_budget > 0 ? std::max<std::uint32_t>(t.prr_budget, t.snd_mss) : 0;
    } else {
      // RFC 3042 limited transmit: each of the first two duplicate ACKs lets one more segment go.
      const std::uint32_t limited =
          t.in_recovery ? 0 : static_cast<std::uint32_t>(std::min(t.dup_acks, 2)) * t.snd_mss;
      const std::uint32_t cwnd = t.cc->cwnd() + limited;
      const std::uint32_t pipe = t.in_flight();
      cwnd_room = cwnd > pipe ? cwnd - pipe : 0;
    }
    const std::uint32_t usable = std::min(rwnd_room, cwnd_room);
    const std::uint32_t mss = segment_room(t);
    const std::uint32_t len = std::min({unsent, mss, usable});
    const bool fin = fin_due && t.snd_nxt + len == data_end;
    if (len == 0 && !fin) break;
    if (len < unsent && len < mss) {
      // Window-limited runt: sender silly-window avoidance (§3.8.6.2.1).
      if (len == 0 || len < t.max_snd_wnd / 2) break;
    } else if (len < mss && len > 0 && !t.nodelay && t.snd_sml > t.snd_una && t.snd_sml <= t.snd_nxt &&
               t.snd_nxt >= t.snd_max && !fin) {
      // Nagle (§3.7.4) with Minshall's refinement, as Linux: one small segment unacknowledged
      // at a time. Full segments in flight do not hold back the small one that ends a write, so
      // a tail is not left waiting for an ACK (or, if that is lost, for a timer). Only new data
      // waits: a retransmission (going back after a timeout) never does.
      break;
    }
    if (!take_tx_room(t, now)) break;
    const bool is_new = t.snd_nxt >= t.snd_max;
    send_data(t, t.snd_nxt, len, fin, now);
    sent = true;
    sent_new = sent_new || is_new;
    if (t.in_recovery && t.sack_recovery()) t.prr_budget -= std::min(t.prr_budget, len + (fin ? 1 : 0));
    if (fin) break;
  }
  t.prr_budget = 0;  // PRR's allowance is for the ACK that granted it
  if (sent_new) schedule_loss_probe(t, now, true);
  // A connection waiting for room sends its ACK with what it sends when resumed.
  if (!sent && !t.tx_blocked && ack_may_go(t)) {
    if (ack_deferrable(t)) defer_ack(t);
    else send_ack(t, now);
  }
  // Data waiting, nothing in flight, and the window too small to send (zero, or a runt that
  // sender silly-window avoidance holds back): without a timer nothing would ever move it. The
  // persist timer probes a zero window (§3.8.6.1) and is the override timeout for a small one
  // (§3.8.6.2.1).
  if (data_ok && t.unsent() > 0 && t.flight_size() == 0 && t.rexmit_at == kNever && !t.tx_blocked) {
    if (!t.persisting) t.persist_since = now;
    t.persisting = true;
    t.rexmit_at = now + std::min<Duration>(std::max(t.rtt.rto(), config_.persist_min), config_.persist_max);
  }
  rearm(t);
}

}  // namespace mtcpp
