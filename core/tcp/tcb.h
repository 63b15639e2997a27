// The transmission control block (RFC 9293 §3.3.1), one per connection, listener or unconnected
// socket. Field names follow the RFC's variables.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "core/tcp/congestion.h"
#include "core/tcp/congestion_slot.h"
#include "core/tcp/path_mtu.h"
#include "core/tcp/prr.h"
#include "core/tcp/rack.h"
#include "core/tcp/receive_buffer.h"
#include "core/tcp/rtt.h"
#include "core/tcp/scoreboard.h"
#include "core/tcp/send_buffer.h"
#include "core/tcp/seq.h"
#include "core/tcp/state.h"
#include "core/timer_wheel.h"
#include "core/wire/addr.h"

namespace mtcpp {

struct Tcb {
  Tcb(std::uint32_t send_buffer, std::uint32_t receive_buffer, const RttEstimator& rtt_template)
      : snd(send_buffer), rcv(receive_buffer), rtt(rtt_template) {}

  int socket = -1;  // the application's id; -1 once closed (an orphan) or before accept
  TcpState state = TcpState::closed;
  Endpoint local;
  Endpoint remote;
  bool bound = false;          // local endpoint chosen (bind, connect or accept)
  bool in_flow_table = false;  // reachable by 4-tuple (or by port, for a listener)
  bool in_orphan_list = false; // closed by the application while connected (Tcp's orphan list)
  bool ack_deferred = false;   // on Tcp's list of ACKs sent at the end of the rx burst
  bool tx_blocked = false;     // on Tcp's list of connections waiting for the device to take frames
  std::uint8_t segments_unacked_in_burst = 0;  // in-order segments of the burst since the last ACK
  // The first kHistory states it went through, 4 bits each, for tests and for the socket calls
  // that ask whether it was ever connected (traces and ladders follow SocketObserver instead).
  static constexpr std::size_t kHistory = 16;
  std::uint8_t history_len = 0;  // beside the flags above, where it takes no room of its own
  std::uint64_t history = 0;
  TcpState history_at(std::size_t i) const { return static_cast<TcpState>((history >> (4 * i)) & 0xf); }
  void record(TcpState s) {
    static_assert(static_cast<int>(TcpState::time_wait) < 16, "a state fits 4 bits");
    if (history_len < kHistory) history |= std::uint64_t{static_cast<std::uint8_t>(s)} << (4 * history_len++);
  }

  // Listener: children in SYN_RCVD and established-but-unaccepted, oldest first.
  Tcb* listener = nullptr;     // for a child: its listener until accept()
  Tcb* queue_next = nullptr;   // link in the listener's queue
  Tcb* accept_head = nullptr;
  Tcb* accept_tail = nullptr;
  int backlog = 0;
  int queued = 0;              // children of a listener, embryonic ones included
  int syn_queued = 0;          // of which in SYN_RECEIVED (the SYN queue)
  bool passive_open = false;   // reached SYN_RCVD from LISTEN (RFC 9293 §3.10.7.4, RST check)

  // Send sequence space.
  SeqNum iss, snd_una, snd_nxt, snd_max;  // snd_max: highest sequence sent, for go-back-N on RTO
  std::uint32_t snd_wnd = 0;              // scaled
  std::uint32_t max_snd_wnd = 0;          // RFC 5961 §5.2 ACK acceptability
  SeqNum snd_wl1, snd_wl2;
  std::uint8_t snd_wscale = 0;
  std::uint16_t snd_mss = 536;            // payload bytes per segment (RFC 9293 §3.7.1 effective MSS)
  std::uint16_t rcv_mss = 536;            // the MSS we announced: the receiver's SWS unit (§3.8.6.2.2)
  SeqNum snd_buf_seq;                     // sequence number of the send buffer's first byte
  SeqNum snd_sml;                         // end of the last segment sent shorter than SND.MSS (Nagle)

  // Receive sequence space.
  SeqNum irs, rcv_nxt;
  std::uint8_t rcv_wscale = 0;
  SeqNum rcv_adv;          // right edge of the window last advertised (shrunk only past the
                           // memory budget, see Tcp::advertised_window)
  SeqNum rcv_adv_max;      // the furthest edge ever advertised: what was sent into it stays
                           // acceptable after a shrink (RFC 7323 §2.4)
  SeqNum last_ack_sent;
  std::optional<SeqNum> fin_seq_received;  // a FIN seen beyond RCV.NXT (out of order)
  // Bytes that arrived twice, reported in the next ACK's first SACK block (RFC 2883 D-SACK).
  std::optional<std::pair<SeqNum, SeqNum>> dsack;

  // Options agreed in the handshake.
  bool ws_enabled = false;
  bool ts_enabled = false;
  bool sack_enabled = false;
  std::uint32_t ts_recent = 0;
  std::uint32_t ts_offset = 0;  // per-connection random offset of TSval (RFC 7323 §5.4)
  // The IPv4 ID of the connection's next segment: a counter per connection from a keyed start
  // (RFC 6864 §4.1: atomic datagrams may carry any ID; one counter for the whole stack would let
  // anyone who talks to it count what it sends to others).
  std::uint16_t ip_id = 0;
  std::uint16_t peer_mss = 536;
  std::uint16_t user_mss = 0;   // TCP_MAXSEG, 0 when unset
  std::uint16_t path_mtu = 0;   // the interface's MTU, lowered by ICMP (RFC 1191), or the MTU
                                // a search has proven (RFC 4821, `mtu`); set at creation
  PathMtuSearch mtu;

  SendBuffer snd;
  ReceiveBuffer rcv;

  // Application intent.
  bool fin_queued = false;  // CLOSE or shutdown(SHUT_WR): a FIN follows the queued data
  bool fin_sent = false;
  SeqNum fin_seq;           // the FIN's sequence number once sent
  bool shut_rd = false;
  bool nodelay = false;
  bool keepalive = false;
  bool linger_abort = false;  // SO_LINGER {1, 0}
  bool reuse_address = false; // SO_REUSEADDR: bind may take a port held only by TIME_WAIT
  bool rcvbuf_locked = false; // SO_RCVBUF was set: the receive buffer is not autotuned
  bool sndbuf_locked = false; // SO_SNDBUF was set: the send buffer is not autotuned
  bool snd_blocked = false;   // a write found the send buffer full since it last grew
  Instant rcv_space_start = kNever;    // the round trip the autotuner is measuring began here
  std::uint32_t rcv_space_copied = 0;  // bytes the application read since then
  int so_error = 0;           // pending error (errno value), cleared by SO_ERROR
  int last_error = 0;         // sticky reason the connection ended, for read/write after SO_ERROR
  int soft_error = 0;         // from ICMP, reported if the connection then times out

  // Retransmission (RFC 6298) and RTT timing (Karn's rule when timestamps are off).
  RttEstimator rtt;
  int retransmits = 0;        // consecutive expiries of the current timer
  int syn_retransmits = 0;    // of our SYN or SYN-ACK (RFC 6298 §5.7, RFC 6928 §2)
  Instant syn_deadline = kNever;  // an active open gives up here (RFC 9293 MUST-23)
  bool rtt_timing = false;
  SeqNum rtt_seq;
  Instant rtt_start;

  // Congestion control and loss recovery: RFC 6675 with PRR and RACK-TLP when the peer SACKs
  // (recovery.cc), RFC 6582's NewReno otherwise.
  CongestionSlot cc;
  CongestionAlgorithm cc_algorithm = CongestionAlgorithm::cubic;
  int dup_acks = 0;
  Duration ack_rtt{-1};       // the RTT sample the ACK being processed gave, if any
  bool in_recovery = false;   // fast recovery (RFC 6675 §5, RFC 6582 §3.2)
  // Everything deemed lost is being sent again after an RTO or a path MTU drop (Linux's
  // CA_Loss), until SND.UNA passes `recover`: no fast recovery, no loss probe meanwhile.
  bool resending = false;
  SeqNum recover;             // RecoveryPoint
  Instant last_data_sent = kNever;  // for the restart window after idle (RFC 5681 §4.1)
  Scoreboard scoreboard;      // with SACK only
  Rack rack;
  LossProbe tlp;
  Prr prr;
  std::uint32_t prr_budget = 0;  // what PRR lets go on the ACK being processed
  // Undoing a reduction that D-SACKs prove spurious (RFC 3708's detection, Linux's undo): the
  // window before the last reduction, and its retransmissions not yet reported as duplicates.
  std::optional<SeqNum> undo_marker;  // SND.UNA when the reduction began; unset: nothing to undo
  std::uint32_t undo_cwnd = 0;
  std::uint32_t undo_ssthresh = 0;
  int undo_retrans = 0;

  // ACK policy (RFC 9293 §3.8.6.3; RFC 1122 §4.2.3.2).
  bool ack_now = false;
  int unacked_segments = 0;
  int quick_acks = 0;                  // data segments still to be ACKed at once (Linux's quick-ACK mode)
  Instant last_data_received = kNever; // a receiver idle longer than the RTO quick-ACKs again
  Instant next_invalid_ack{};  // earliest time an unacceptable pure ACK may be answered again
  Instant next_challenge_ack{};  // earliest time another challenge ACK may go (RFC 5961 §7)

  // Timers: one deadline per kind; the wheel holds the earliest.
  Instant rexmit_at = kNever;     // retransmission, or persist while the window is zero
  int persist_backoff = 0;
  int probes_unanswered = 0;      // zero-window probes since the peer last sent an acceptable ACK
  int keepalive_sent = 0;         // keepalive probes unanswered
  bool persisting = false;
  Instant persist_since = kNever; // when the window closed on us (or we were orphaned facing it)
  Instant reorder_at = kNever;    // RACK's reordering window runs out (RFC 8985 §6.2 step 5)
  Instant probe_at = kNever;      // the tail loss probe's timeout (PTO, RFC 8985 §7.2)
  Instant delack_at = kNever;
  // A keepalive probe or the idle timeout may be due; checked against last_heard when it comes,
  // so that a segment arriving costs no timer work.
  Instant idle_at = kNever;
  Instant last_heard = kNever;    // the last acceptable segment from the peer, or the first SYN
  Instant close_at = kNever;      // TIME_WAIT, orphaned FIN_WAIT_2
  Instant release_at = kNever;    // an emptied send or receive ring still empty then is freed
  TimerNode timer;
  // Links in one of the stack's lists, oldest first: connections in TIME_WAIT (what a full table
  // reclaims), or orphans in the other states (what max_orphans bounds). State says which.
  Tcb* aging_prev = nullptr;
  Tcb* aging_next = nullptr;

  bool orphan() const { return socket < 0 && listener == nullptr; }
  std::uint32_t flight_size() const { return static_cast<std::uint32_t>(snd_nxt - snd_una); }
  // Whether loss recovery follows RFC 6675/RACK-TLP (the scoreboard is kept) or RFC 6582.
  bool sack_recovery() const { return sack_enabled && static_cast<bool>(cc); }
  // The bytes the network holds: RFC 6675's pipe with SACK, FlightSize without.
  std::uint32_t in_flight() const {
    return sack_recovery() ? scoreboard.pipe(static_cast<std::uint32_t>(snd_max - snd_una)) : flight_size();
  }
  // The sequence number a segment without data carries: SND.MAX (see Tcp::send_ack), except while
  // probing a closed window, where the probe octet is not in the peer's sequence space unless
  // acknowledged: SND.UNA then, as BSD (whose SND.NXT falls back to SND.UNA) sends.
  SeqNum control_seq() const { return persisting ? snd_una : snd_max; }
  // Bytes in the send buffer not yet sent once.
  std::uint32_t unsent() const {
    const auto sent_data = static_cast<std::uint32_t>(std::max<std::int32_t>(0, snd_nxt - snd_buf_seq));
    return snd.size() > sent_data ? snd.size() - sent_data : 0;
  }
};

}  // namespace mtcpp
