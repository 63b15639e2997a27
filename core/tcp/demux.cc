// Segment arrival: find the connection, or answer for the CLOSED and LISTEN states
// (RFC 9293 §3.10.7.1 and §3.10.7.2), and option negotiation for a new connection.
#include <algorithm>

#include "core/tcp/syn_cookie.h"
#include "core/tcp/tcp.h"

namespace mtcpp {

void Tcp::segment_arrives(const SegmentIn& seg, Instant now) {
  ++stats_.tcp_segments_received;
  in_order_data_ = false;
  const Endpoint local{seg.dst, seg.h.dst_port};
  const Endpoint remote{seg.src, seg.h.src_port};
  const FlowKey key = key_of(local, remote);
  std::optional<SeqNum> reopened_after;  // SND.MAX of a TIME_WAIT incarnation this SYN replaces
  if (Tcb* found = flows_.find(key)) {
    Tcb& t = *found;
    if (t.state == TcpState::time_wait && time_wait_reopen(t, seg)) {
      // A new incarnation (RFC 9293 §3.6.1, RFC 6191): the old one ends and the SYN falls through
      // to LISTEN. An id still open on the old one (shutdown, not close) keeps it, ended.
      reopened_after = t.snd_max;
      if (t.socket >= 0) connection_lost(t, 0, now);
      else destroy(&t);
    } else {
      if (t.state == TcpState::syn_sent) syn_sent_input(t, seg, now);
      else synchronized_input(t, seg, now);
      settle_time_wait();
      return;
    }
  } else if (TimeWaitRecord* r = time_waits_.find(key)) {
    if (!time_wait_reopen(*r, seg)) {
      time_wait_input(*r, seg, now);
      return;
    }
    reopened_after = r->snd_max;
    end_time_wait(*r);
  }
  if (Tcb* l = listener_for(local)) {
    listen_input(*l, seg, now, reopened_after);
    return;
  }
  closed_port_reply(seg, now);
}

// §3.10.7.1: no connection. An RST is dropped; anything else is answered with a RST that the
// sender will accept.
void Tcp::closed_port_reply(const SegmentIn& seg, Instant now) {
  if (seg.h.has(tcp_flag::rst)) return;
  send_rst_for(seg, now);
}

// A SYN may reopen a connection in TIME_WAIT if it is from a newer incarnation: a higher
// timestamp when both sides use them, else a sequence number beyond RCV.NXT (RFC 6191 §2).
template <class C>
bool Tcp::time_wait_reopen(const C& c, const SegmentIn& seg) const {
  if (!seg.h.has(tcp_flag::syn) || seg.h.has(tcp_flag::ack) || seg.h.has(tcp_flag::rst)) return false;
  if (listener_for(c.local) == nullptr) return false;
  if (c.ts_enabled && seg.h.options.timestamps)
    return static_cast<std::int32_t>(seg.h.options.timestamps->tsval - c.ts_recent) > 0;
  return SeqNum{seg.h.seq} > c.rcv_nxt;
}

std::uint8_t Tcp::offered_window_shift(const Tcb& t) const {
  return window_shift_for(std::max(t.rcv.capacity(), config_.receive_buffer_max));
}

std::uint8_t Tcp::window_shift_for(std::uint32_t buffer) {
  std::uint8_t shift = 0;
  while (shift < 14 && (buffer >> shift) > 65535) ++shift;
  return shift;
}

void Tcp::negotiate_options(Tcb& t, const TcpOptions& peer) {
  // Window scaling (RFC 7323 §2.2): both SYNs must carry the option.
  const bool we_offer_ws = config_.window_scaling;
  t.ws_enabled = we_offer_ws && peer.window_scale.has_value();
  if (t.ws_enabled) {
    t.snd_wscale = std::min<std::uint8_t>(*peer.window_scale, 14);
    // rcv_wscale stays what our SYN offers (set once, by connect() or listen_input()).
  } else {
    t.snd_wscale = 0;
    t.rcv_wscale = 0;
  }
  // Past the memory budget the ring still holds two units of the scaled window, or the window it
  // shows would round down to zero for good.
  t.rcv.set_min_ring(2u << t.rcv_wscale);
  t.sack_enabled = config_.sack && peer.sack_permitted;
  t.ts_enabled = config_.timestamps && peer.timestamps.has_value();
  if (t.ts_enabled) t.ts_recent = peer.timestamps->tsval;
  t.peer_mss = peer.mss.value_or(536);  // §3.7.1: without the option the peer's MSS is 536
  if (config_.mtu_probing == MtuProbing::always) start_mtu_search(t);
  t.snd_mss = static_cast<std::uint16_t>(send_mss(t));
  t.cc.emplace(t.cc_algorithm, t.snd_mss, initial_window(t));
}

std::uint32_t Tcp::send_mss(const Tcb& t) {
  // §3.7.1: the least of the peer's MSS, what the path carries and TCP_MAXSEG, less the options
  // every segment carries. A tiny or zero MSS is raised to a floor before the options are taken
  // off (in 32 bits: 8 - 12 must not wrap to 65,532).
  constexpr std::uint32_t kMinPeerMss = 64;
  const std::uint32_t path = t.path_mtu - 40u;
  const std::uint32_t user_cap = t.user_mss != 0 ? t.user_mss : path;
  const std::uint32_t mss = std::max(std::min({std::uint32_t{t.peer_mss}, path, user_cap}), kMinPeerMss);
  return t.ts_enabled ? mss - 12 : mss;
}

std::uint32_t Tcp::initial_window(const Tcb& t) const {
  // RFC 6928 §2: N segments, at most max(2 segments, N·1460 bytes) (14,600 bytes for IW10,
  // whatever the MTU). Also the restart window's bound after idle (RFC 5681 §4.1).
  const std::uint32_t mss = t.snd_mss;
  const std::uint32_t n = config_.initial_window_segments;
  return std::min(n * mss, std::max(2 * mss, n * 1460));
}

void Tcp::handshake_complete(Tcb& t) {
  // RFC 6298 §5.7: a SYN that timed out and no RTT measurement: the RTO starts again at 3 s (or
  // the configured initial RTO, when that is longer), not at the backed-off value.
  if (t.syn_retransmits > 0 && !t.rtt.has_sample())
    t.rtt.reinitialize(std::max<Duration>(std::chrono::seconds(3), config_.rto_initial));
  // RFC 5681 §3.1, RFC 6928 §2: one segment once our SYN (or SYN-ACK) timed out more than once
  // (Linux draws the line there too). Counted here, as SYN-ACKs may be retransmitted after the
  // controller was made.
  t.cc->limit_cwnd(t.syn_retransmits > 1 ? t.snd_mss : initial_window(t));
}

// §3.10.7.2: LISTEN.
void Tcp::listen_input(Tcb& l, const SegmentIn& seg, Instant now, std::optional<SeqNum> old_snd_max) {
  const TcpHeader& h = seg.h;
  if (h.has(tcp_flag::rst)) return;                    // first: ignore an RST
  if (h.has(tcp_flag::ack)) {                           // second: any ACK is bad...
    // ...unless it returns a SYN cookie sent in the last two periods.
    if (!h.has(tcp_flag::syn) && cookies_sent_at_ != kNever &&
        cookie_period(now) - cookie_period(cookies_sent_at_) <= 1) {
      if (accept_cookie(l, seg, now)) return;
      ++stats_.tcp_syncookies_rejected;
    }
    send_rst_for(seg, now);
    return;
  }
  if (!h.has(tcp_flag::syn)) return;                    // fourth: other text or control
  // third: a SYN. Connections waiting for accept() are bounded by the backlog; past it a SYN is
  // dropped (the client retries once the application has caught up).
  if (accept_queue_full(l)) {
    ++stats_.tcp_listen_overflows;
    return;
  }
  // Half-open connections have a queue of their own, as large; past it, SYN cookies (RFC 4987
  // §3.6) keep the listener answering without keeping anything. Not for a SYN that reopens a
  // TIME_WAIT connection (as Linux): its ISS must lie above the old one's, which a cookie cannot
  // promise, and the old connection is already gone.
  if (l.syn_queued >= l.backlog && !old_snd_max) {
    if (config_.syn_cookies) send_cookie_syn_ack(l, seg, now);
    else ++stats_.tcp_syn_queue_overflows;
    return;
  }
  Tcb* c = new_child(l, seg, now);
  if (c == nullptr) return;
  c->irs = SeqNum{h.seq};
  c->rcv_nxt = c->irs + 1;
  c->rcv_adv = c->rcv_adv_max = c->rcv_nxt;
  c->iss = isn_.isn(c->local, c->remote, now);
  // Reopening from TIME_WAIT: the new ISS lies above anything the old incarnation sent (§3.6.1,
  // MAY-2), a window beyond it as Linux does, so no old segment can be taken for a new one.
  if (old_snd_max && c->iss <= *old_snd_max) c->iss = *old_snd_max + 65537;
  start_send_sequence(*c);
  c->snd_wnd = h.window;  // never scaled in a SYN (RFC 7323 §2.2)
  c->snd_wl1 = c->irs;
  c->snd_wl2 = c->iss;
  c->rcv_wscale = offered_window_shift(*c);  // fixed here: the SYN-ACK carries it (RFC 7323 §2.2)
  negotiate_options(*c, h.options);
  c->max_snd_wnd = c->snd_wnd;
  queue_child(l, *c, now);
  send_syn(*c, now);
}

Tcb* Tcp::new_child(Tcb& l, const SegmentIn& seg, Instant now) {
  Tcb* c = new_tcb(l.snd.capacity(), l.rcv.capacity());
  if (c == nullptr) {
    // Every connection block is taken (TcpConfig::max_connections, TIME_WAIT included). Unlike a
    // full backlog this does not pass in a moment: the client is told at once (ECONNREFUSED, as
    // Linux's tcp_abort_on_overflow does) instead of retrying its SYN for a minute.
    ++stats_.tcp_table_full_resets;
    send_rst_for(seg, now);
    return nullptr;
  }
  c->local = {seg.dst, seg.h.dst_port};
  c->remote = {seg.src, seg.h.src_port};
  c->path_mtu = out_.mtu_toward(seg.src);
  c->bound = true;
  c->listener = &l;
  c->cc_algorithm = l.cc_algorithm;  // as Linux: the listener's TCP_CONGESTION
  c->rcvbuf_locked = l.rcvbuf_locked;  // and its SO_RCVBUF, SO_SNDBUF
  c->sndbuf_locked = l.sndbuf_locked;
  c->passive_open = true;
  c->nodelay = l.nodelay;
  c->keepalive = l.keepalive;
  c->user_mss = l.user_mss;
  c->linger_abort = l.linger_abort;
  return c;
}

void Tcp::queue_child(Tcb& l, Tcb& c, Instant now) {
  (l.accept_tail != nullptr ? l.accept_tail->queue_next : l.accept_head) = &c;
  l.accept_tail = &c;
  ++l.queued;
  ++l.syn_queued;  // until it leaves SYN_RECEIVED (enter, destroy)
  enter(c, TcpState::syn_received, now);
  flow_insert(c);
  ++stats_.tcp_passive_opens;
}

}  // namespace mtcpp
