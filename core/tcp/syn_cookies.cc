// SYN cookies (RFC 4987 §3.6; the encoding is in syn_cookie.h): a listener whose SYN queue is
// full answers a SYN without keeping anything, and creates the connection when the handshake's
// ACK brings the cookie back.
#include "core/tcp/syn_cookie.h"
#include "core/tcp/tcp.h"

namespace mtcpp {

namespace {
// The keyed hash a cookie carries: the tuple as this stack sees it, the period and the peer's ISN.
auto cookie_hash(const IsnGenerator& isn, Endpoint local, Endpoint remote, SeqNum peer_isn) {
  return [&isn, local, remote, peer_isn](std::uint64_t period) {
    return isn.hash(local, remote, (period << 32) | peer_isn.v);
  };
}
}  // namespace

void Tcp::send_cookie_syn_ack(Tcb& l, const SegmentIn& seg, Instant now) {
  const TcpHeader& syn = seg.h;
  const Endpoint local{seg.dst, syn.dst_port};
  const Endpoint remote{seg.src, syn.src_port};
  // An MSS below the table's smallest cannot be kept: such a SYN is dropped as without cookies.
  if (syn.options.mss.value_or(536) < kCookieMss[0]) {
    ++stats_.tcp_syn_queue_overflows;
    return;
  }
  const std::uint32_t mss_index = cookie_mss_index(syn.options.mss.value_or(536));
  const SeqNum iss = make_cookie(cookie_period(now), mss_index, cookie_hash(isn_, local, remote, SeqNum{syn.seq}));
  TcpHeader h;
  h.src_port = local.port;
  h.dst_port = remote.port;
  h.seq = iss.v;
  h.ack = syn.seq + 1;
  h.flags = tcp_flag::syn | tcp_flag::ack;
  h.options.mss = announced_mss(l.user_mss, remote.addr);
  // What the peer offered and this stack allows, as the connection would agree; without
  // timestamps there is nowhere to keep window scaling and SACK, so they are not offered.
  if (config_.timestamps && syn.options.timestamps) {
    CookieOptions offered;
    if (config_.window_scaling && syn.options.window_scale)
      offered.window_scale = std::min<std::uint8_t>(*syn.options.window_scale, 14);
    offered.sack = config_.sack && syn.options.sack_permitted;
    if (offered.window_scale) h.options.window_scale = offered_window_shift(l);
    h.options.sack_permitted = offered.sack;
    // The clock a connection on this tuple would use (start_send_sequence's offset).
    const auto clock = ts_clock(now) + static_cast<std::uint32_t>(connection_key(local, remote));
    h.options.timestamps = TcpTimestamps{cookie_tsval(clock, offered), syn.options.timestamps->tsval};
  }
  h.window = static_cast<std::uint16_t>(std::min<std::uint32_t>(l.rcv.window(buffers_), 65535));
  cookies_sent_at_ = now;
  ++stats_.tcp_syncookies_sent;
  // Outside any connection: IPv4 ID 0 (RFC 6864 §4.1).
  out_.send_segment(local.addr, remote.addr, 0, h, nullptr, 0, 0, now);
}

bool Tcp::accept_cookie(Tcb& l, const SegmentIn& seg, Instant now) {
  const TcpHeader& h = seg.h;
  const Endpoint local{seg.dst, h.dst_port};
  const Endpoint remote{seg.src, h.src_port};
  const SeqNum iss = SeqNum{h.ack} - 1;
  const SeqNum irs = SeqNum{h.seq} - 1;
  // Under the current key, or the one before a rekey while its cookies may still be alive.
  std::optional<std::uint16_t> mss = check_cookie(iss, cookie_period(now), cookie_hash(isn_, local, remote, irs));
  if (!mss && now < previous_key_until_)
    mss = check_cookie(iss, cookie_period(now), cookie_hash(previous_isn_, local, remote, irs));
  if (!mss) return false;
  ++stats_.tcp_syncookies_validated;
  if (accept_queue_full(l)) {  // as for a SYN, dropped
    ++stats_.tcp_listen_overflows;
    return true;
  }
  Tcb* c = new_child(l, seg, now);
  if (c == nullptr) return true;
  // The SYN the cookie stands for, as far as it can be told: its MSS, and with timestamps the
  // window scale and SACK our TSval kept (echoed in TSecr).
  TcpOptions syn;
  syn.mss = *mss;
  if (config_.timestamps && h.options.timestamps) {
    const CookieOptions kept = cookie_options(h.options.timestamps->tsecr);
    syn.window_scale = kept.window_scale;
    syn.sack_permitted = kept.sack;
    syn.timestamps = TcpTimestamps{h.options.timestamps->tsval, 0};
  }
  c->irs = irs;
  c->rcv_nxt = irs + 1;
  c->iss = iss;
  start_send_sequence(*c);
  c->snd_nxt = c->snd_max = iss + 1;  // our SYN went, as the cookie
  c->rcv_wscale = offered_window_shift(*c);
  negotiate_options(*c, syn);
  c->rcv_mss = announced_mss(*c);
  c->last_ack_sent = c->rcv_nxt;
  // The SYN-ACK's window, recomputed (nothing was kept): as sent unless the buffer budget moved
  // since; acceptable as far as the listener's buffer reaches.
  c->rcv_adv = c->rcv_nxt + std::min<std::uint32_t>(l.rcv.window(buffers_), 65535);
  c->rcv_adv_max = c->rcv_nxt + std::min<std::uint32_t>(l.rcv.capacity(), 65535);
  c->snd_wnd = h.window;
  c->max_snd_wnd = c->snd_wnd;
  c->snd_wl1 = irs;
  c->snd_wl2 = iss;
  queue_child(l, *c, now);
  // From here the ACK is an ordinary SYN-RECEIVED arrival: it completes the handshake and brings
  // whatever data and FIN it carries. Its TSecr echoes the cookie's TSval, up to 63 ms behind the
  // clock: no RTT sample from it.
  TcpHeader ack = h;
  if (ack.options.timestamps) ack.options.timestamps->tsecr = 0;
  synchronized_input(*c, SegmentIn{seg.src, seg.dst, ack, seg.payload}, now);
  return true;
}

}  // namespace mtcpp
