// The path MTU a connection sizes its segments by: what ICMP says (RFC 1191, believed only as
// RFC 5927 allows), and, where ICMP is filtered, what the connection finds out itself (RFC 4821):
// a black hole shown by repeated timeouts of full-size segments, and single larger probes that
// raise the segment size once acknowledged.
//   negotiate_options (demux.cc) → start_mtu_search           (tcp.mtu_probing = always)
//   on_rexmit_timeout (timers.cc) → mtu_black_hole
//   output (output.cc) → send_mtu_probe
//   new_data_acked (recovery.cc) → mtu_probe_acked
//   send_data (a retransmission of the probe's bytes) → mtu_probe_lost
//   sack_ack, on_reorder_timeout → start_repair: a probe lost alone is not congestion
#include <algorithm>

#include "core/tcp/tcp.h"

namespace mtcpp {

namespace {
// Neither ICMP nor a black hole takes a path below 552 bytes (Linux's min_pmtu): lower, a forged
// ICMP could make every segment tiny.
constexpr std::uint32_t kMinPathMtu = 552;
// Consecutive timeouts of one segment before its size is suspected: three (Linux's
// tcp_retries1) while no segment of that size has been acknowledged, as on a new connection
// behind a black hole; six once one has, since the path then carried the size and only a route
// change would stop it. On a path losing 10 % three timeouts running come by chance, and each
// cost the rest of the transfer a smaller size (a 4 MiB transfer 31.7 -> 41.6 s).
constexpr int kBlackHoleTimeouts = 3;
constexpr int kVerifiedBlackHoleTimeouts = 6;
// RFC 4821 §7.4's preconditions, in Linux's figures: a window of 11 segments at least, so that a
// lost probe costs little, and enough data behind the probe (the reordering threshold and one)
// that its loss shows in SACKs like any other segment's. The first probe of a search, at the
// ceiling, needs only a window of 4: after a black hole that was loss, not size (three timeouts
// of one segment happen on a path losing 10 %), it brings the size back as soon as the window
// allows instead of when it reaches 11 segments, which on such a path may be never.
constexpr std::uint32_t kProbeMinWindowSegments = 11;
constexpr std::uint32_t kFirstProbeMinWindowSegments = 4;
constexpr std::uint32_t kProbeFollowingSegments = 4;
}  // namespace

std::uint16_t Tcp::path_mtu_ceiling(const Tcb& t) const {
  // What the interface sends and the peer takes (its MSS, or TCP_MAXSEG's, plus the headers).
  std::uint32_t ceiling = std::min<std::uint32_t>(out_.mtu_toward(t.remote.addr), t.peer_mss + 40u);
  if (t.user_mss != 0) ceiling = std::min<std::uint32_t>(ceiling, t.user_mss + 40u);
  return static_cast<std::uint16_t>(ceiling);
}

void Tcp::set_path_mtu(Tcb& t, std::uint32_t mtu) {
  if (mtu != t.path_mtu) t.mtu.size_verified = false;
  t.path_mtu = static_cast<std::uint16_t>(mtu);
  const auto mss = static_cast<std::uint16_t>(send_mss(t));
  if (mss == t.snd_mss) return;
  t.snd_mss = mss;
  if (t.cc) t.cc->set_mss(mss);
}

void Tcp::start_mtu_search(Tcb& t) {
  // Only with SACK: without it a lost probe cannot be told from congestion (NewReno halves the
  // window on it), and resending it alone means going back N.
  if (!t.sack_enabled) return;
  const std::uint16_t ceiling = path_mtu_ceiling(t);
  const auto floor = std::min<std::uint16_t>(config_.mtu_probe_floor, ceiling);
  t.mtu.start(floor, ceiling);
  t.path_mtu = std::min(t.path_mtu, floor);
}

void Tcp::resend_oversized(Tcb& t) {
  // The segments in flight that no longer fit go again, cut to the new size. Not a congestion
  // signal: the window stays (as Linux's tcp_simple_retransmit), and fast recovery waits until
  // they are acknowledged (`resending`).
  if (t.sack_recovery()) {
    for (std::size_t i = 0; i < t.scoreboard.size(); ++i)
      if (t.scoreboard[i].len() > t.snd_mss) t.scoreboard.mark_lost(i);
  } else {
    t.snd_nxt = t.snd_una;
  }
  enter_resending(t);
}

void Tcp::path_mtu_reduced(Endpoint local, Endpoint remote, SeqNum quoted, std::uint16_t mtu, Instant now) {
  Tcb* found = flows_.find(key_of(local, remote));
  // RFC 5927 §4.1: believed only for a segment in flight (its sequence number in SND.UNA..SND.MAX),
  // which a blind attacker must guess; a forged message changes nothing.
  if (found == nullptr || !is_synchronized(found->state) || !(found->snd_una <= quoted && quoted < found->snd_max)) {
    ++stats_.tcp_pmtu_ignored;
    return;
  }
  Tcb& t = *found;
  // RFC 1191 §5: without the next hop's MTU, the plateau below what was sent (its table, cut at
  // the floor).
  std::uint32_t next_hop = mtu;
  if (next_hop == 0) {
    const std::uint32_t sent = std::max<std::uint32_t>(t.mtu.probe, t.snd_mss + header_bytes(t));
    for (std::uint32_t plateau : {1492u, 1006u, 576u})
      if (plateau < sent) {
        next_hop = plateau;
        break;
      }
  }
  next_hop = std::max(next_hop, kMinPathMtu);
  // A router answering an RFC 4821 probe: the search learns its ceiling, and the probe's bytes
  // go again at the size in use.
  const bool probe_dropped = t.mtu.probe > next_hop;
  if (probe_dropped) ++stats_.tcp_mtu_probes_lost;
  t.mtu.lower(static_cast<std::uint16_t>(next_hop));
  const std::uint16_t old_mss = t.snd_mss;
  if (next_hop < t.path_mtu) set_path_mtu(t, next_hop);  // never raises it (RFC 1191 §6)
  if (t.snd_mss < old_mss) ++stats_.tcp_pmtu_reductions;
  else if (!probe_dropped) return;  // the peer's MSS or TCP_MAXSEG was already smaller
  // A fast recovery under way ends with its reduction in place (before SND.NXT moves back, while
  // FlightSize is still what is in flight); what follows is a resend.
  if (t.in_recovery && t.cc) {
    if (t.sack_recovery()) t.cc->on_recovery_end();
    else t.cc->on_exit_recovery(t.flight_size());
  }
  resend_oversized(t);
  output(t, now);
}

void Tcp::mtu_black_hole(Tcb& t) {
  // RFC 4821 §7.7: repeated timeouts may mean that the path silently drops our size (a router
  // whose ICMP is filtered). From the third on, each timeout lowers the size again (to the floor,
  // then by halves to 552), while the segment that timed out is larger than the size below:
  // a path narrower than the floor is found too.
  if (config_.mtu_probing == MtuProbing::off ||
      t.retransmits < (t.mtu.size_verified ? kVerifiedBlackHoleTimeouts : kBlackHoleTimeouts))
    return;
  const std::uint32_t floor = config_.mtu_probe_floor;
  const std::uint32_t below = t.path_mtu > floor ? floor : std::max(kMinPathMtu, t.path_mtu / 2u);
  const std::uint32_t head = std::min<std::uint32_t>(t.snd_mss, static_cast<std::uint32_t>(t.snd_max - t.snd_una));
  if (below >= t.path_mtu || head + header_bytes(t) <= below) return;
  // The ceiling is the size that timed out (within what the peer takes): if the timeouts were
  // loss, not size, probes find the way back up. Without SACK nothing probes (start_mtu_search).
  t.mtu.fall_to(static_cast<std::uint16_t>(below), std::min(t.path_mtu, path_mtu_ceiling(t)));
  set_path_mtu(t, below);
  ++stats_.tcp_mtu_black_holes;
}

bool Tcp::send_mtu_probe(Tcb& t, Instant now) {
  // §7.8: a search that ended starts again after mtu_probe_interval, in case the path changed.
  if (t.mtu.probe != 0 || !t.sack_recovery()) return false;
  if (t.mtu.done()) {
    if (t.mtu.resume_at == kNever) t.mtu.resume_at = now + config_.mtu_probe_interval;
    if (now < t.mtu.resume_at) return false;
    t.mtu.start(t.mtu.low, path_mtu_ceiling(t));
    if (t.mtu.done()) return false;
  }
  // §7.4: in the open state, sending new data, with no SACK option to take room from the probe.
  if (t.in_recovery || t.resending || t.persisting || t.snd_nxt != t.snd_max || segment_room(t) != t.snd_mss)
    return false;
  const std::uint16_t size = std::min(t.mtu.next_probe(), path_mtu_ceiling(t));
  const std::uint32_t len = size - header_bytes(t);
  if (len <= t.snd_mss) {  // nothing above the size in use (the peer's MSS caps it)
    t.mtu.high = t.mtu.low;
    return false;
  }
  const std::uint32_t cwnd = t.cc->cwnd();
  const std::uint32_t flight = t.flight_size();
  const std::uint32_t min_window = t.mtu.probe_failed ? kProbeMinWindowSegments : kFirstProbeMinWindowSegments;
  if (cwnd < min_window * t.snd_mss || t.in_flight() + len > cwnd || flight + len > t.snd_wnd ||
      t.unsent() < len + kProbeFollowingSegments * t.snd_mss)
    return false;
  const SeqNum seq = t.snd_nxt;
  send_data(t, seq, len, false, now, /*mtu_probe=*/true);
  t.mtu.probe = size;
  t.mtu.probe_begin = seq;
  t.mtu.probe_end = seq + len;
  ++stats_.tcp_mtu_probes;
  return true;
}

void Tcp::mtu_probe_acked(Tcb& t) {
  // §7.6.1: the path carries the probe's size; every segment may now be that large.
  t.mtu.probe_acked();
  ++stats_.tcp_mtu_probes_acked;
  if (t.mtu.low > t.path_mtu) set_path_mtu(t, t.mtu.low);
  t.mtu.size_verified = true;  // the probe was of this size
}

void Tcp::mtu_probe_lost(Tcb& t) {
  // Conclusive only if the probe alone was deemed lost, by SACKs of what followed it, and not by
  // a timeout (§7.6.4: with other losses, or after a timeout or a speculative tail loss probe,
  // it says nothing of the size, and the size is tried again).
  const bool conclusive = lost_only_the_mtu_probe(t) && t.retransmits == 0;
  t.mtu.probe_lost(conclusive);
  if (conclusive) ++stats_.tcp_mtu_probes_lost;
}

bool Tcp::lost_only_the_mtu_probe(const Tcb& t) {
  if (t.mtu.probe == 0 || t.snd_una != t.mtu.probe_begin || t.scoreboard.empty()) return false;
  const SentSegment& head = t.scoreboard[0];
  return head.lost && head.end == t.mtu.probe_end && t.scoreboard.lost_bytes() == head.len();
}

void Tcp::start_repair(Tcb& t) {
  // A probe lost alone says the path does not carry its size, not that the path is congested
  // (RFC 4821 §7.6.2; Linux restores the window the same way): its bytes go again at the size in
  // use, and the window stays.
  if (lost_only_the_mtu_probe(t)) {
    mtu_probe_lost(t);
    resend_oversized(t);
    return;
  }
  start_recovery(t);
}

}  // namespace mtcpp
