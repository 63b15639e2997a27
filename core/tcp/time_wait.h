// What a connection in TIME-WAIT keeps once nobody holds its socket: the tuple, the sequence
// numbers, the timestamps, the window it showed and its deadline, in 96 bytes instead of a
// 944-byte connection block (and its rings). TIME-WAIT only answers (RFC 9293 §3.10.7.4: a
// retransmitted FIN is acknowledged and restarts the 2·MSL wait, anything else unacceptable is
// answered with an ACK, an RST or SYN is checked), and a SYN may open a new incarnation
// (RFC 6191), so this is all it needs; Linux's inet_timewait_sock is the same idea.
//
// It answers as the block would, with two differences, both as Linux's TIME-WAIT: an old
// timestamp is always a PAWS failure (the block lets a disordered duplicate ACK pass, which in
// TIME-WAIT has nothing left to do), and the window shown is the one the last ACK showed (the
// block computes it again, which can differ only while the memory budget is short).
//
// Tcp turns an orphan's block into a record when the connection enters TIME-WAIT (or when the
// application closes a socket already there), at the end of the call that did it, so no code
// holding the block sees it go. A socket still open in TIME-WAIT (shutdown, not close) keeps its
// block: the application may still read from it.
#pragma once
#include <cstdint>

#include "core/tcp/seq.h"
#include "core/time.h"
#include "core/wire/addr.h"

namespace mtcpp {

struct TimeWaitRecord {
  Endpoint local;
  Endpoint remote;
  SeqNum snd_una;                 // our FIN acknowledged: SND.UNA = SND.MAX but for what was
  SeqNum snd_max;                 //   never sent; an ACK is checked against both (RFC 5961 §5.2)
  SeqNum rcv_nxt;                 // past the peer's FIN
  std::uint32_t rcv_wnd = 0;      // how far past RCV.NXT a segment may reach and be acceptable
  std::uint32_t rcv_capacity = 0; // an old segment up to this far back still has its ACK read
  std::uint32_t max_snd_wnd = 0;  // RFC 5961 §5.2's ACK test
  std::uint32_t ts_recent = 0;
  std::uint32_t ts_offset = 0;
  std::uint16_t window = 0;       // the window field of our ACKs, as last sent (scaled)
  std::uint16_t ip_id = 0;        // the connection's IPv4 ID counter goes on
  bool ts_enabled = false;
  bool sack_enabled = false;
  Instant close_at = kNever;      // the end of 2·MSL
  Instant next_invalid_ack{};     // the rate limits of Tcb::next_invalid_ack and
  Instant next_challenge_ack{};   //   Tcb::next_challenge_ack carry over
  // The stack's list of records, oldest deadline first.
  TimeWaitRecord* older = nullptr;
  TimeWaitRecord* newer = nullptr;
};

}  // namespace mtcpp
