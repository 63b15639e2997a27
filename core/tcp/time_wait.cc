// TIME-WAIT as a compact record (core/tcp/time_wait.h): the block of an orphan that enters
// TIME-WAIT becomes a record, which answers segments as RFC 9293 §3.10.7.4 has TIME-WAIT answer
// them and ends at its deadline, when an RST ends it, when a SYN opens a new incarnation, or
// when a full table takes it back.
#include <algorithm>

#include "core/tcp/acceptance.h"
#include "core/tcp/tcp.h"

namespace mtcpp {

void Tcp::settle_time_wait() {
  Tcb* const t = std::exchange(compact_pending_, nullptr);
  if (t != nullptr && t->state == TcpState::time_wait && t->orphan()) to_time_wait_record(*t);
}

void Tcp::to_time_wait_record(Tcb& t) {
  TimeWaitRecord* r = records_pool_.make();
  r->local = t.local;
  r->remote = t.remote;
  r->snd_una = t.snd_una;
  r->snd_max = t.snd_max;
  r->rcv_nxt = t.rcv_nxt;
  r->rcv_wnd = static_cast<std::uint32_t>(std::max<std::int32_t>(0, t.rcv_adv_max - t.rcv_nxt));
  r->rcv_capacity = t.rcv.capacity();
  r->max_snd_wnd = t.max_snd_wnd;
  r->ts_recent = t.ts_recent;
  r->ts_offset = t.ts_offset;
  // The window the ACK of the FIN showed: nothing more arrives, so every later ACK shows it too.
  r->window = static_cast<std::uint16_t>(
      std::min<std::uint32_t>(static_cast<std::uint32_t>(std::max<std::int32_t>(0, t.rcv_adv - t.rcv_nxt)) >> t.rcv_wscale,
                              65535));
  r->ip_id = t.ip_id;
  r->ts_enabled = t.ts_enabled;
  r->sack_enabled = t.sack_enabled;
  r->close_at = t.close_at;
  r->next_invalid_ack = t.next_invalid_ack;
  r->next_challenge_ack = t.next_challenge_ack;
  destroy(&t);  // the block, its rings and its timer go; the record takes its place
  ++connections_;
  stats_.tcp_connections_in_use = connections_;
  link_record(*r);
  time_waits_.insert_or_assign(key_of(r->local, r->remote), r);
}

void Tcp::link_record(TimeWaitRecord& r) {
  // Deadlines are 2·MSL after entry, so a record almost always goes last; one whose socket was
  // held in TIME-WAIT for a while before close() goes further back.
  TimeWaitRecord* after = records_.newest;
  while (after != nullptr && after->close_at > r.close_at) after = after->older;
  r.older = after;
  r.newer = after != nullptr ? after->newer : records_.oldest;
  (after != nullptr ? after->newer : records_.oldest) = &r;
  (r.newer != nullptr ? r.newer->older : records_.newest) = &r;
  ++records_.size;
  count_time_wait();
}

void Tcp::unlink_record(TimeWaitRecord& r) {
  (r.older != nullptr ? r.older->newer : records_.oldest) = r.newer;
  (r.newer != nullptr ? r.newer->older : records_.newest) = r.older;
  r.older = r.newer = nullptr;
  --records_.size;
  count_time_wait();
}

void Tcp::end_time_wait(TimeWaitRecord& r) {
  unlink_record(r);
  time_waits_.erase_if_holds(key_of(r.local, r.remote), &r);
  records_pool_.recycle(&r);
  --connections_;
  stats_.tcp_connections_in_use = connections_;
}

void Tcp::expire_time_wait(Instant now) {
  while (records_.oldest != nullptr && records_.oldest->close_at <= now) end_time_wait(*records_.oldest);
}

void Tcp::time_wait_input(TimeWaitRecord& r, const SegmentIn& seg, Instant now) {
  const TcpHeader& h = seg.h;
  const SeqNum seq{h.seq};
  // First: PAWS (RFC 7323 §5.3). A disordered duplicate ACK gets no pass here, as in Linux's
  // TIME-WAIT: it could only have been a duplicate of an ACK with nothing left to do.
  if (acceptance::paws_fails(h, r.ts_enabled, r.ts_recent)) {
    ++stats_.tcp_paws_drops;
    time_wait_unacceptable(r, seg, now);
    return;
  }
  const std::uint32_t len = seg.len();
  if (!acceptance::in_window(seq, len, r.rcv_nxt, r.rcv_wnd)) {
    ++stats_.tcp_out_of_window;
    if (h.has(tcp_flag::rst)) return;
    // A retransmitted FIN restarts the 2·MSL wait (§3.10.7.4, eighth step).
    if (h.has(tcp_flag::fin)) {
      r.close_at = now + config_.time_wait;
      unlink_record(r);
      link_record(r);
    }
    // An old segment's ACK field is still checked, as Tcp::check_sequence does for a block.
    if (acceptance::old_with_ack(h, len, r.rcv_nxt, r.rcv_capacity) && !time_wait_ack_acceptable(r, seg, now)) return;
    time_wait_unacceptable(r, seg, now);
    return;
  }
  // Second: RST. Only an exact match ends TIME-WAIT (RFC 5961 §3.2), unless RFC 1337 §3 keeps
  // it from being assassinated.
  if (h.has(tcp_flag::rst)) {
    if (seq != r.rcv_nxt) {
      if (challenge_ack_allowed(r.next_challenge_ack, now)) time_wait_ack(r, {}, now);
      return;
    }
    ++stats_.tcp_resets_received;
    if (!config_.rfc1337_ignore_rst_in_time_wait) end_time_wait(r);
    return;
  }
  // Fourth: a SYN that did not open a new incarnation (demux.cc) draws a challenge ACK (RFC 5961 §4.2).
  if (h.has(tcp_flag::syn)) {
    if (challenge_ack_allowed(r.next_challenge_ack, now)) time_wait_ack(r, {}, now);
    return;
  }
  // Fifth: ACK.
  if (!h.has(tcp_flag::ack) || !time_wait_ack_acceptable(r, seg, now)) return;
  // RFC 7323 §4.3 (the last ACK sent acknowledged RCV.NXT).
  if (acceptance::takes_ts_recent(h, r.ts_enabled, r.ts_recent, r.rcv_nxt)) r.ts_recent = h.options.timestamps->tsval;
  // Seventh and eighth: text and a FIN after the peer's FIN are ignored.
}

bool Tcp::time_wait_ack_acceptable(TimeWaitRecord& r, const SegmentIn& seg, Instant now) {
  if (acceptance::ack_in_range(SeqNum{seg.h.ack}, r.snd_una, r.snd_max, r.max_snd_wnd)) return true;
  if (challenge_ack_allowed(r.next_challenge_ack, now)) time_wait_ack(r, {}, now);
  return false;
}

void Tcp::time_wait_unacceptable(TimeWaitRecord& r, const SegmentIn& seg, Instant now) {
  // As answer_unacceptable: data (or a FIN) is always answered, a bare segment at most once per
  // invalid_ack_interval; bytes received twice are reported in a D-SACK block (RFC 2883).
  const bool carries_data = seg.len() > 0 && !seg.h.has(tcp_flag::syn);
  if (!carries_data && !invalid_ack_allowed(r.next_invalid_ack, now)) return;
  std::optional<std::pair<SeqNum, SeqNum>> dsack;
  if (r.sack_enabled)
    dsack = acceptance::received_twice(SeqNum{seg.h.seq}, static_cast<std::uint32_t>(seg.payload.size()), r.rcv_nxt);
  time_wait_ack(r, dsack, now);
}

void Tcp::time_wait_ack(TimeWaitRecord& r, const std::optional<std::pair<SeqNum, SeqNum>>& dsack, Instant now) {
  // What Tcp::send_ack sends from TIME-WAIT: <SEQ=SND.MAX><ACK=RCV.NXT><CTL=ACK>.
  TcpHeader h;
  h.src_port = r.local.port;
  h.dst_port = r.remote.port;
  h.seq = r.snd_max.v;
  h.ack = r.rcv_nxt.v;
  h.flags = tcp_flag::ack;
  h.window = r.window;
  if (r.ts_enabled) h.options.timestamps = TcpTimestamps{ts_clock(now) + r.ts_offset, r.ts_recent};
  if (dsack) h.options.sack[h.options.sack_count++] = {dsack->first.v, dsack->second.v};
  out_.send_segment(r.local.addr, r.remote.addr, r.ip_id++, h, nullptr, 0, 0, now);
}

std::optional<TcpState> Tcp::state_of(Endpoint local, Endpoint remote) const {
  const FlowKey key = key_of(local, remote);
  if (const Tcb* t = flows_.find(key)) return t->state;
  if (time_waits_.contains(key)) return TcpState::time_wait;
  return std::nullopt;
}

const TimeWaitRecord* Tcp::time_wait_record(Endpoint local, Endpoint remote) const {
  return time_waits_.find(key_of(local, remote));
}

}  // namespace mtcpp
