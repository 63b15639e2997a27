// Segment arrival in SYN-SENT and in the synchronized states: RFC 9293 §3.10.7.3 and §3.10.7.4,
// checked in the RFC's order, with RFC 5961's defences and RFC 7323's PAWS.
//   segment_arrives (demux.cc) → syn_sent_input | synchronized_input
//     → check_sequence → process_rst → (SYN) → process_ack → process_text → process_fin → output
#include <algorithm>
#include <cerrno>
#include <chrono>

#include "core/tcp/acceptance.h"
#include "core/tcp/tcp.h"

namespace mtcpp {

// §3.10.7.3: SYN-SENT.
void Tcp::syn_sent_input(Tcb& t, const SegmentIn& seg, Instant now) {
  const TcpHeader& h = seg.h;
  const SeqNum ack{h.ack};
  // First: an ACK must acknowledge our SYN and nothing beyond.
  if (h.has(tcp_flag::ack) && (ack <= t.iss || ack > t.snd_max)) {
    if (!h.has(tcp_flag::rst)) send_rst_for(seg, now);
    return;
  }
  // Second: an RST counts only with an acceptable ACK (RFC 5961 §3.2's SYN-SENT rule).
  if (h.has(tcp_flag::rst)) {
    if (h.has(tcp_flag::ack)) {
      ++stats_.tcp_resets_received;
      connection_lost(t, ECONNREFUSED, now);
    }
    return;
  }
  // Fourth: the SYN.
  if (!h.has(tcp_flag::syn)) return;
  t.irs = SeqNum{h.seq};
  t.rcv_nxt = t.irs + 1;
  t.rcv_adv = t.rcv_adv_max = t.rcv_nxt;
  negotiate_options(t, h.options);
  t.snd_wnd = h.window;  // a window in a SYN is never scaled (RFC 7323 §2.2)
  t.max_snd_wnd = t.snd_wnd;
  t.snd_wl1 = t.irs;
  t.snd_wl2 = ack;
  if (h.has(tcp_flag::ack)) {
    if (t.rtt_timing && t.retransmits == 0) {
      t.rtt.sample(now - t.rtt_start);
      t.rack.rtt_sample(now - t.rtt_start, now);
    }
    t.rtt_timing = false;
    t.snd_una = ack;
    t.retransmits = 0;
    t.rexmit_at = kNever;
    handshake_complete(t);
    heard_from_peer(t, now);
    enter(t, TcpState::established, now);
    t.ack_now = true;
    output(t, now);
    rearm(t);
    return;
  }
  // Simultaneous open (§3.5, figure 8): answer with SYN,ACK from SYN-RECEIVED.
  t.snd_nxt = t.iss;
  t.retransmits = 0;
  enter(t, TcpState::syn_received, now);
  send_syn(t, now);
}

void Tcp::synchronized_input(Tcb& t, const SegmentIn& seg, Instant now) {
  // First: sequence number (and PAWS).
  const SeqCheck check = check_sequence(t, seg, now);
  if (check == SeqCheck::drop) return;
  if (check == SeqCheck::old_ack) {
    if (!process_ack(t, seg, now, false)) return;
    // A peer probing our closed window or keeping the connection alive sends just this: it is
    // alive (mTCP's idle timeout counts any packet of the connection).
    heard_from_peer(t, now);
    answer_unacceptable(t, seg, now);
    output(t, now);  // what the ACK lets go
    rearm(t);
    return;
  }
  // RFC 7323 §4.3: remember the timestamp of the segment the next ACK will cover, but only once
  // the segment has passed every check below (RFC 5961 §5.2 ACK test included): a segment that is
  // then dropped must not move TS.Recent, or genuine segments would fail PAWS afterwards.
  const bool take_ts_recent = acceptance::takes_ts_recent(seg.h, t.ts_enabled, t.ts_recent, t.last_ack_sent);
  // Second: RST.
  if (seg.h.has(tcp_flag::rst)) {
    process_rst(t, seg, now);
    return;
  }
  // Third (security) does not apply. Fourth: a SYN in a synchronized state draws a challenge ACK
  // whatever its sequence number (RFC 5961 §4.2).
  if (seg.h.has(tcp_flag::syn)) {
    challenge_ack(t, now);
    return;
  }
  // Fifth: ACK. A segment without one is dropped.
  if (!seg.h.has(tcp_flag::ack)) return;
  if (!process_ack(t, seg, now)) return;
  if (take_ts_recent) t.ts_recent = seg.h.options.timestamps->tsval;
  heard_from_peer(t, now);
  // Sixth (URG) is not supported: the urgent pointer is ignored (RFC 6093 discourages its use).
  // Seventh: segment text.
  if (!process_text(t, seg, now)) return;
  // Eighth: FIN, once every byte before it has arrived.
  if (t.fin_seq_received && *t.fin_seq_received == t.rcv_nxt) process_fin(t, now);
  output(t, now);
  rearm(t);
}

Tcp::SeqCheck Tcp::check_sequence(Tcb& t, const SegmentIn& seg, Instant now) {
  const TcpHeader& h = seg.h;
  const SeqNum seq{h.seq};
  // RFC 7323 §5.3: PAWS rejects a segment whose timestamp is older than TS.Recent.
  if (acceptance::paws_fails(h, t.ts_enabled, t.ts_recent)) {
    if (!disordered_ack(t, seg)) {
      ++stats_.tcp_paws_drops;
      answer_unacceptable(t, seg, now);
      return SeqCheck::drop;
    }
    ++stats_.tcp_disordered_acks;
  }
  const std::uint32_t len = seg.len();
  // The window as far as it was ever offered: a segment sent before the window shrank (past the
  // memory budget) is still acceptable (RFC 7323 §2.4), though the ring may have no room for it.
  // A zero window still takes the segment that starts at RCV.NXT for its ACK, RST and FIN
  // (§3.10.7.4: "valid ACKs, URGs, and RSTs" must be processed).
  const auto wnd = static_cast<std::uint32_t>(std::max<std::int32_t>(0, t.rcv_adv_max - t.rcv_nxt));
  if (acceptance::in_window(seq, len, t.rcv_nxt, wnd)) return SeqCheck::accept;
  ++stats_.tcp_out_of_window;
  if (h.has(tcp_flag::rst)) return SeqCheck::drop;
  // A retransmitted FIN in TIME_WAIT restarts the 2·MSL wait (§3.10.7.4, eighth step).
  if (t.state == TcpState::time_wait && h.has(tcp_flag::fin)) {
    t.close_at = now + config_.time_wait;
    rearm(t);
  }
  // A segment wholly before RCV.NXT still carries a current ACK: BSD answers it and goes on to
  // process the ACK field ("keep on processing for RST or ACK"). It matters after a zero-window
  // probe: when both sides probe, each may take the other's probe octet, and each one's next ACK
  // (numbered SND.UNA, the probe not yet acknowledged) is then one octet old for the other. Dropped
  // unread, neither would ever learn that its probe was taken or that the window opened.
  // Only a segment at most a window old: farther back, only the ACK field would still have to be
  // guessed right by a blind attacker (RFC 5961 §5 relies on both tests).
  if (is_synchronized(t.state) && acceptance::old_with_ack(h, len, t.rcv_nxt, t.rcv.capacity()))
    return SeqCheck::old_ack;
  answer_unacceptable(t, seg, now);
  return SeqCheck::drop;
}

bool Tcp::disordered_ack(const Tcb& t, const SegmentIn& seg) const {
  // A duplicate ACK overtaken by a later one carries an older timestamp, yet nothing an old
  // duplicate could harm: Linux lets it past PAWS (tcp_disordered_ack) and so does this, under
  // the same conditions. It must be a pure ACK at RCV.NXT, acknowledge exactly SND.UNA, not be
  // able to update the window, and be at most one RTO older than TS.Recent.
  const TcpHeader& h = seg.h;
  const SeqNum seq{h.seq};
  const std::uint32_t wnd = static_cast<std::uint32_t>(h.window) << t.snd_wscale;
  const bool may_update_window = seq > t.snd_wl1 || (seq == t.snd_wl1 && (wnd > t.snd_wnd || wnd == 0));
  const auto age_ms = static_cast<std::int32_t>(t.ts_recent - h.options.timestamps->tsval);
  const auto rto_ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.rtt.rto()).count();
  return h.has(tcp_flag::ack) && seg.len() == 0 && seq == t.rcv_nxt && SeqNum{h.ack} == t.snd_una &&
         !may_update_window && age_ms <= rto_ms;
}

void Tcp::answer_unacceptable(Tcb& t, const SegmentIn& seg, Instant now) {
  // §3.10.7.4: an unacceptable segment is answered with an ACK. One without data is answered at
  // most once per invalid_ack_interval: two stacks each finding the other's ACKs unacceptable
  // would otherwise trade them without end. Data (or a FIN) is always answered, so a retransmission
  // whose ACK was lost still draws one (Linux's tcp_oow_rate_limited draws the same line).
  const bool carries_data = seg.len() > 0 && !seg.h.has(tcp_flag::syn);
  // Data wholly before RCV.NXT arrived twice: the ACK reports it (RFC 2883 D-SACK).
  if (t.sack_enabled)
    if (auto twice = acceptance::received_twice(SeqNum{seg.h.seq}, static_cast<std::uint32_t>(seg.payload.size()), t.rcv_nxt))
      t.dsack = twice;
  if (!carries_data && !invalid_ack_allowed(t.next_invalid_ack, now)) return;
  t.ack_now = true;
  output(t, now);
}

bool Tcp::invalid_ack_allowed(Instant& next_invalid_ack, Instant now) {
  if (now < next_invalid_ack) {
    ++stats_.tcp_invalid_acks_suppressed;
    return false;
  }
  next_invalid_ack = now + config_.invalid_ack_interval;
  return true;
}

bool Tcp::process_rst(Tcb& t, const SegmentIn& seg, Instant now) {
  // RFC 5961 §3.2: only an exact match resets; in-window others draw a challenge ACK.
  if (SeqNum{seg.h.seq} != t.rcv_nxt) {
    challenge_ack(t, now);
    return false;
  }
  ++stats_.tcp_resets_received;
  switch (t.state) {
    case TcpState::syn_received:
      if (t.passive_open) {  // back to LISTEN: the embryo goes away, the listener stays
        destroy(&t);
        return false;
      }
      connection_lost(t, ECONNREFUSED, now);
      return false;
    case TcpState::time_wait:
      if (config_.rfc1337_ignore_rst_in_time_wait) return false;  // RFC 1337 §3, TIME-WAIT assassination
      if (t.socket >= 0) connection_lost(t, 0, now);
      else destroy(&t);
      return false;
    case TcpState::closing: case TcpState::last_ack:
      connection_lost(t, t.socket >= 0 ? ECONNRESET : 0, now);
      return false;
    default:  // ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT: queues are flushed, the user told "reset"
      t.rcv.discard_readable(buffers_);
      connection_lost(t, ECONNRESET, now);
      return false;
  }
}

void Tcp::challenge_ack(Tcb& t, Instant now) {
  if (challenge_ack_allowed(t.next_challenge_ack, now)) send_ack(t, now);
}

bool Tcp::challenge_ack_allowed(Instant& next_challenge_ack, Instant now) {
  // RFC 5961 §7 limits challenge ACKs. A budget shared by every connection is a side channel
  // (CVE-2016-5696: an off-path attacker spends it with spoofed RSTs on a victim's connection and
  // counts the challenge ACKs left on its own), so, as Linux since: first a limit per connection,
  // then a stack-wide budget per second drawn at random from [limit/2, limit/2 + limit).
  if (now < next_challenge_ack) {
    ++stats_.tcp_challenge_acks_suppressed;
    return false;
  }
  const std::int64_t second = to_us(now) / 1'000'000;
  if (second != challenge_window_) {
    challenge_window_ = second;
    const auto limit = static_cast<std::uint32_t>(config_.challenge_ack_limit);
    challenge_budget_ = (std::int64_t{limit} + 1) / 2 + rng_.below(limit);
  }
  if (challenge_budget_ <= 0) {
    ++stats_.tcp_challenge_acks_suppressed;
    return false;
  }
  --challenge_budget_;
  next_challenge_ack = now + config_.challenge_ack_interval;
  ++stats_.tcp_challenge_acks;
  return true;
}

bool Tcp::process_ack(Tcb& t, const SegmentIn& seg, Instant now, bool in_window) {
  const TcpHeader& h = seg.h;
  const SeqNum seq{h.seq};
  const SeqNum ack{h.ack};
  if (t.state == TcpState::syn_received) {
    if (!(t.snd_una < ack && ack <= t.snd_max)) {
      send_rst_for(seg, now);
      return false;
    }
    t.snd_wnd = static_cast<std::uint32_t>(h.window) << t.snd_wscale;
    t.max_snd_wnd = std::max(t.max_snd_wnd, t.snd_wnd);
    t.snd_wl1 = seq;
    t.snd_wl2 = ack;
    handshake_complete(t);
    enter(t, t.fin_queued ? TcpState::fin_wait_1 : TcpState::established, now);
  }
  // RFC 5961 §5.2 (an ACK of data never sent among them: ACK and drop, §3.10.7.4).
  if (!acceptance::ack_in_range(ack, t.snd_una, t.snd_max, t.max_snd_wnd)) {
    challenge_ack(t, now);
    return false;
  }
  t.probes_unanswered = 0;  // the peer is there
  const std::uint32_t wnd = static_cast<std::uint32_t>(h.window) << t.snd_wscale;
  sender_ack(t, seg, now, in_window, wnd == t.snd_wnd);  // recovery.cc
  // Window update (§3.10.7.4, fifth step): only from an ACK in SND.UNA..SND.NXT (an older one
  // carries an old window), guarded by SND.WL1/WL2 against reordered segments.
  if (ack >= t.snd_una && (t.snd_wl1 < seq || (t.snd_wl1 == seq && t.snd_wl2 <= ack))) {
    t.snd_wnd = wnd;
    t.max_snd_wnd = std::max(t.max_snd_wnd, wnd);
    t.snd_wl1 = seq;
    t.snd_wl2 = ack;
    if (wnd > 0 && t.persisting) {
      t.persisting = false;
      t.persist_backoff = 0;
      t.rexmit_at = kNever;
      t.snd_nxt = t.snd_una;  // an unaccepted probe octet goes again with the data after it
      if (t.sack_recovery()) t.scoreboard.mark_all_lost();  // what the closed window refused
    }
  }
  const bool fin_acked = t.fin_sent && t.snd_una > t.fin_seq;
  switch (t.state) {
    case TcpState::fin_wait_1:
      if (fin_acked) {
        enter(t, TcpState::fin_wait_2, now);
        // An orphan must not wait forever for the peer's FIN (mTCP leaks it; BSD and Linux time out).
        if (t.socket < 0) t.close_at = now + config_.fin_wait_2_timeout;
      }
      break;
    case TcpState::closing:
      if (fin_acked) {
        enter(t, TcpState::time_wait, now);
        t.rexmit_at = t.delack_at = kNever;
        t.close_at = now + config_.time_wait;
      }
      break;
    case TcpState::last_ack:
      if (fin_acked) {
        if (t.socket >= 0) connection_lost(t, 0, now);
        else destroy(&t);
        return false;
      }
      break;
    default:
      break;
  }
  return true;
}

bool Tcp::process_text(Tcb& t, const SegmentIn& seg, Instant now) {
  const SeqNum seq{seg.h.seq};
  const bool data_states = t.state == TcpState::established || t.state == TcpState::fin_wait_1 ||
                           t.state == TcpState::fin_wait_2;
  if (seg.h.has(tcp_flag::fin) && data_states && !t.fin_seq_received) {
    t.fin_seq_received = seq + static_cast<std::uint32_t>(seg.payload.size());
    if (*t.fin_seq_received != t.rcv_nxt) t.ack_now = true;  // out of order: a duplicate ACK
  }
  if (seg.payload.empty() || !data_states) return true;
  // Trim what was already received.
  Bytes data = seg.payload;
  std::int32_t offset = seq - t.rcv_nxt;
  // Bytes received twice are reported in a D-SACK block (RFC 2883 §4): it tells the sender its
  // retransmission was spurious, so it can undo its window reduction and learn of reordering.
  if (offset < 0) {
    const auto dup = static_cast<std::uint32_t>(std::min<std::size_t>(static_cast<std::size_t>(-offset), data.size()));
    if (t.sack_enabled) t.dsack = {seq, seq + dup};
    if (dup == data.size()) {
      t.ack_now = true;  // a pure duplicate: ACK it so the peer stops retransmitting
      return true;
    }
    data = data.subspan(dup);
    offset = 0;
  } else if (offset > 0 && t.sack_enabled && t.rcv.holds(static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(data.size()))) {
    t.dsack = {seq, seq + static_cast<std::uint32_t>(data.size())};
  }
  // New data after the application closed: nobody will read it (§3.6.1, RFC 2525 §2.16, S16).
  if (t.orphan()) {
    send_rst(t, now);
    destroy(&t);
    return false;
  }
  const bool had_holes = t.rcv.has_out_of_order();
  // Quick-ACK mode (as Linux's): at the start of a transfer, and when data comes again after
  // the receiver idled for longer than an RTO, ACK every segment at once for a while, so the
  // sender's slow start is not held back by delayed ACKs.
  if (t.last_data_received == kNever || now - t.last_data_received > t.rtt.rto())
    t.quick_acks = std::min(config_.quick_acks,
                            static_cast<int>(std::max<std::uint32_t>(t.rcv.capacity() / (2 * t.rcv_mss), 2)));
  t.last_data_received = now;
  // Past the memory budget the ring may hold less than the window offered: what does not fit is
  // dropped (the sender will send it again), and the next ACK shrinks the window to the ring.
  const std::uint32_t window = t.rcv.window(buffers_);
  const std::uint32_t unbudgeted = t.rcv.capacity() - t.rcv.readable();
  if (window < unbudgeted && offset + data.size() > window && static_cast<std::uint32_t>(offset) < unbudgeted) {
    ++stats_.tcp_receive_memory_drops;
    t.ack_now = true;  // the shrunk window goes out at once
  }
  const std::uint32_t advance = t.rcv.insert(static_cast<std::uint32_t>(offset), data, buffers_);
  // In-order data in a burst: its ACK may wait for the burst's end (Tcp::ack_deferrable).
  in_order_data_ = bursting_ && offset == 0 && advance > 0 && !had_holes && !t.shut_rd;
  if (in_order_data_) ++t.segments_unacked_in_burst;
  if (advance > 0) {
    t.rcv_nxt += advance;
    // After SHUT_RD, data is acknowledged and discarded (docs/close.md) once in order, so
    // out-of-order data and its SACK blocks stay exact.
    if (t.shut_rd) t.rcv.discard_readable(buffers_);
    else notify(t);
  }
  // RFC 5681 §4.2: out-of-order data and hole fills are ACKed at once; in-order data every
  // second full segment or after the delayed-ACK time (RFC 9293 §3.8.6.3).
  if (t.shut_rd || offset > 0 || had_holes || advance == 0) {
    t.ack_now = true;
  } else if (t.quick_acks > 0) {
    --t.quick_acks;
    t.ack_now = true;
  } else if (++t.unacked_segments >= 2 || config_.delayed_ack == Duration::zero()) {
    t.ack_now = true;
  } else {
    arm_delayed_ack(t, now);
  }
  return true;
}

void Tcp::process_fin(Tcb& t, Instant now) {
  t.fin_seq_received.reset();
  t.rcv_nxt += 1;
  t.ack_now = true;
  switch (t.state) {
    case TcpState::syn_received: case TcpState::established:
      enter(t, TcpState::close_wait, now);
      break;
    case TcpState::fin_wait_1:
      if (t.fin_sent && t.snd_una > t.fin_seq) {
        enter(t, TcpState::time_wait, now);
        t.rexmit_at = kNever;
        t.close_at = now + config_.time_wait;
      } else {
        enter(t, TcpState::closing, now);
      }
      break;
    case TcpState::fin_wait_2:
      enter(t, TcpState::time_wait, now);
      t.rexmit_at = kNever;
      t.close_at = now + config_.time_wait;
      break;
    default:
      break;
  }
}

void Tcp::soft_error(Endpoint local, Endpoint remote, int error) {
  if (Tcb* t = flows_.find(key_of(local, remote))) t->soft_error = error;
}

}  // namespace mtcpp
