// The TCP layer of one stack: connection table, socket operations, segment arrival, output and
// timers. Each concern has its own file:
//   sockets.cc  the socket calls (socket, bind, listen, accept, connect, send, recv, close ...)
//   demux.cc    segment → connection lookup; CLOSED and LISTEN states (RFC 9293 §3.10.7.1-2)
//   syn_cookies.cc  a listener's answer when its SYN queue is full (RFC 4987 §3.6)
//   input.cc    SYN-SENT and the synchronized states (§3.10.7.3-4)
//   acceptance.h  the segment checks of §3.10.7.4 that input.cc and time_wait.cc share
//   output.cc   building segments from the send buffer, ACK and window policy (§3.8.6, §3.10.4)
//   recovery.cc the sender's side of an ACK: SACK scoreboard, RACK-TLP, PRR, NewReno
//   timers.cc   retransmission, persist, delayed ACK, keepalive, FIN_WAIT_2 and TIME_WAIT
//   time_wait.cc  TIME_WAIT once nobody holds the socket: a compact record in place of the block
#pragma once
#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/tcp/flow_table.h"
#include "core/tcp/isn.h"
#include "core/tcp/recycler.h"
#include "core/tcp/tcb.h"
#include "core/tcp/time_wait.h"
#include "core/timer_wheel.h"
#include "core/wire/tcp.h"

namespace mtcpp {

// Where TCP hands finished segments: the stack adds IP and Ethernet and sends them.
class SegmentSink {
 public:
  virtual ~SegmentSink() = default;
  // The payload is `payload_len` bytes at `payload_offset` of tcb's send buffer (none if tcb is
  // null). ip_id goes into the IPv4 header (Tcb::ip_id; 0 outside a connection).
  virtual void send_segment(Ipv4Addr src, Ipv4Addr dst, std::uint16_t ip_id, const TcpHeader& header, const Tcb* tcb,
                            std::uint32_t payload_offset, std::uint32_t payload_len, Instant now) = 0;
  // Whether a segment to `remote` would be queued now: false while the device refuses frames and
  // the stack's backlog for it is full. A connection then stops sending data (nothing is lost
  // for want of room) and goes on when resume_tx is called.
  virtual bool tx_room(Ipv4Addr remote, Instant now) = 0;
  // The IP MTU of the interface the route to `remote` leaves by (as Linux takes a connection's
  // MTU, and the MSS it announces, from its route); with no route (or an unspecified remote),
  // the largest of all interfaces'.
  virtual std::uint16_t mtu_toward(Ipv4Addr remote) const = 0;
  // Whether `addr` is one of the stack's interface addresses (what bind accepts).
  virtual bool is_local_address(Ipv4Addr addr) const = 0;
  // The address a connection to `remote` sends from: the address of the interface its route
  // leaves by (the first interface's for an unspecified remote); nothing when no route reaches
  // it.
  virtual std::optional<Ipv4Addr> source_address(Ipv4Addr remote) const = 0;
};

// Told when a socket's readiness may have changed (data, space, connection, error, close).
// Also told of every state transition of every connection (for traces and ladder diagrams).
class SocketObserver {
 public:
  virtual ~SocketObserver() = default;
  virtual void socket_changed(int socket) = 0;
  virtual void state_changed(const Tcb& tcb, TcpState from, Instant now) {
    (void)tcb, (void)from, (void)now;
  }
};

// Readiness bits, with Linux epoll's values.
namespace readiness {
inline constexpr std::uint32_t in = 0x001;
inline constexpr std::uint32_t out = 0x004;
inline constexpr std::uint32_t err = 0x008;
inline constexpr std::uint32_t hup = 0x010;
inline constexpr std::uint32_t rdhup = 0x2000;
}  // namespace readiness

enum class Shutdown { read, write, both };

enum class SocketOption {
  nodelay, keepalive, linger_abort, error, send_buffer, receive_buffer, max_segment, reuse_address,
  congestion,  // a CongestionAlgorithm's value (TCP_CONGESTION)
};

// A parsed incoming segment.
struct SegmentIn {
  Ipv4Addr src;
  Ipv4Addr dst;
  const TcpHeader& h;
  Bytes payload;
  std::uint32_t len() const {  // SEG.LEN: SYN and FIN count
    return static_cast<std::uint32_t>(payload.size()) + (h.has(tcp_flag::syn) ? 1 : 0) +
           (h.has(tcp_flag::fin) ? 1 : 0);
  }
};

class Tcp {
 public:
  // `secret`, when given, keys the ISNs and timestamp offsets (else rng's draws do).
  Tcp(const TcpConfig& config, SegmentSink& out, Rng& rng,
      const std::optional<std::array<std::uint64_t, 2>>& secret, StackStats& stats);
  ~Tcp();
  Tcp(const Tcp&) = delete;
  Tcp& operator=(const Tcp&) = delete;

  void set_observer(SocketObserver* observer) { observer_ = observer; }
  // Which ephemeral ports connect may choose: where several stacks share an address and a
  // device spreads flows over them by a hash of the 4-tuple (RSS), only a port whose tuple comes
  // back to this stack will do. None: any port.
  using PortFilter = std::function<bool(Endpoint local, Endpoint remote)>;
  void set_port_filter(PortFilter filter) { port_filter_ = std::move(filter); }
  // mTCP's init_rss pool: the source ports a connect from `local` to `remote` takes, in place of
  // the ephemeral range and the filter (the caller keeps only ports the filter would pass). A
  // later pool for the same pair replaces it; an empty one removes it. When every port of a pool
  // is in use, connect fails with EAGAIN.
  void set_port_pool(Ipv4Addr local, Endpoint remote, std::vector<std::uint16_t> ports);
  // A new 128-bit key for ISNs, ephemeral ports and SYN cookies (RFC 6528 §3 lets it change),
  // from whoever owns the process's random source. Cookies sent under the key before still
  // validate for as long as a cookie lives (two 64 s periods). Timestamp offsets and IPv4 ID
  // starts keep the first key, so that a tuple's timestamps keep growing across a rekey: a peer
  // holding the tuple in TIME_WAIT accepts a new SYN by its newer timestamp (RFC 6191) whatever
  // the new ISN. (A stack without a secret keeps its seed-derived timestamp offsets.)
  void rekey(const std::array<std::uint64_t, 2>& secret, Instant now);

  // Segment arrival (RFC 9293 §3.10.7). Between begin_burst and end_burst (the segments of one
  // rx burst), a connection whose in-order data calls for a pure ACK sends it once, at
  // end_burst, covering all it received (or every kSegmentsPerBurstAck segments): one ACK per
  // burst, as GRO gives Linux. Out-of-order data, a hole filled, duplicates, unacceptable
  // segments and anything outside ESTABLISHED are answered at once, so a sender still sees every
  // duplicate ACK and SACK block.
  void segment_arrives(const SegmentIn& seg, Instant now);
  void begin_burst() { bursting_ = true; }
  void end_burst(Instant now);
  // Connections that stopped sending because SegmentSink::tx_room said no: output runs again
  // for each (in the order they stopped), when the sink may have room.
  bool tx_blocked() const { return !tx_blocked_.empty(); }
  void resume_tx(Instant now);
  // A soft error from ICMP destination-unreachable for this 4-tuple (RFC 1122 §4.2.3.9).
  void soft_error(Endpoint local, Endpoint remote, int error);
  // ICMP "fragmentation needed" (RFC 1191) quoting `quoted_seq` of this 4-tuple, with the next
  // hop's MTU (0: not given).
  void path_mtu_reduced(Endpoint local, Endpoint remote, SeqNum quoted_seq, std::uint16_t mtu, Instant now);
  void run_timers(Instant now);
  Instant next_deadline() const {
    const Instant records = records_.oldest != nullptr ? records_.oldest->close_at : kNever;
    return std::min(timers_.next_deadline(), records);
  }

  // Socket calls. Each returns >= 0 on success or a negative errno value.
  int socket(Instant now);
  int bind(int s, Endpoint local);
  int listen(int s, int backlog);
  int accept(int s, Endpoint* peer);
  int connect(int s, Endpoint remote, Instant now);
  long send(int s, Bytes data, Instant now);
  long recv(int s, MutableBytes out, bool peek, Instant now);
  int shutdown(int s, Shutdown how, Instant now);
  int close(int s, Instant now);
  int abort(int s, Instant now);
  int set_option(int s, SocketOption opt, int value, Instant now);
  int get_option(int s, SocketOption opt, int* value);
  int local_endpoint(int s, Endpoint* out) const;
  int remote_endpoint(int s, Endpoint* out) const;
  std::uint32_t readiness(int s) const;
  long bytes_readable(int s) const;

  // Inspection for tests and tools: nullptr for an id not open.
  const Tcb* tcb(int s) const;
  const Tcb* find(Endpoint local, Endpoint remote) const;
  // The state of the connection on a tuple, block or TIME_WAIT record; nothing when none is.
  std::optional<TcpState> state_of(Endpoint local, Endpoint remote) const;
  const TimeWaitRecord* time_wait_record(Endpoint local, Endpoint remote) const;
  std::size_t connection_count() const { return connections_; }
  const BufferMemory& buffer_memory() const { return buffers_; }
  const TcpConfig& config() const { return config_; }

 private:
  static FlowKey key_of(Endpoint local, Endpoint remote) {
    return {(std::uint64_t{local.addr.value} << 32) | remote.addr.value,
            (std::uint32_t{local.port} << 16) | remote.port};
  }

  // Lifecycle (sockets.cc).
  Tcb* new_tcb(std::uint32_t send_buffer, std::uint32_t receive_buffer);
  Tcb* new_tcb() { return new_tcb(config_.send_buffer, config_.receive_buffer); }
  void destroy(Tcb* t);
  void enter(Tcb& t, TcpState s, Instant now);
  // The table is full: the oldest orphan in TIME_WAIT makes room (TIME_WAIT guards against old
  // duplicates, which timestamps and the ISN rule also do; a refused connection is worse). False
  // when there is none.
  bool reclaim_time_wait();
  // The TIME_WAIT and orphan lists (Tcb::aging_prev/next), each oldest first.
  struct AgingList {
    Tcb* oldest = nullptr;
    Tcb* newest = nullptr;
    std::size_t size = 0;
  };
  static void link(AgingList& list, Tcb& t);
  static void unlink(AgingList& list, Tcb& t);
  // The list t is on, by its state: TIME_WAIT's, the orphans' (an orphan in any other state), or
  // none.
  AgingList* aging_list_of(Tcb& t);
  // After t's state or orphan flag changed: from the list it was on (`before`) to the one
  // aging_list_of now gives; tcp_time_wait follows the TIME_WAIT list's size.
  void relink(Tcb& t, AgingList* before);
  // Past TcpConfig::max_orphans the oldest orphan is reset.
  void enforce_orphan_limit(Instant now);
  // A connection holds the tuple: a block, or a TIME_WAIT record.
  bool tuple_in_use(const FlowKey& key) const { return flows_.contains(key) || time_waits_.contains(key); }
  // Asks for the slots tuple_in_use(key) will read.
  void prefetch_tuple(const FlowKey& key) const {
    flows_.prefetch(key);
    time_waits_.prefetch(key);
  }
  void flow_insert(Tcb& t);
  void flow_remove(Tcb& t);
  Tcb* socket_tcb(int s) const;
  int alloc_socket(Tcb* t);
  void free_socket(int s);
  bool port_in_use(Ipv4Addr addr, std::uint16_t port, const Tcb* except) const;
  int pick_ephemeral_port(Ipv4Addr local, Endpoint remote, std::uint16_t* port);
  // After ISS is chosen: the send sequence variables, the timestamp offset and the IPv4 ID start.
  void start_send_sequence(Tcb& t) const;
  void notify(const Tcb& t);
  void queue_fin(Tcb& t, Instant now);
  void close_listener(Tcb& l, Instant now);
  void reset_and_destroy(Tcb& t, Instant now);
  // An RST to the peer, if there is a synchronized (or half-synchronized) connection to reset.
  void reset_peer(Tcb& t, Instant now);
  void connection_lost(Tcb& t, int error, Instant now);
  // We end a connection the peer still holds (idle, or a window closed too long): an RST tells
  // the peer, and the socket sees `error`.
  void give_up(Tcb& t, int error, Instant now);

  // Demultiplexing and the unsynchronized states (demux.cc).
  void closed_port_reply(const SegmentIn& seg, Instant now);
  // old_snd_max: the SND.MAX of a TIME_WAIT incarnation the SYN reopens.
  void listen_input(Tcb& l, const SegmentIn& seg, Instant now, std::optional<SeqNum> old_snd_max = {});
  // c: a Tcb in TIME_WAIT, or a TimeWaitRecord.
  template <class C>
  bool time_wait_reopen(const C& c, const SegmentIn& seg) const;
  // A child of listener l for seg's tuple, with the listener's options; nullptr (and an RST) when
  // the connection table is full.
  Tcb* new_child(Tcb& l, const SegmentIn& seg, Instant now);
  // c enters SYN_RECEIVED on l's queue and in the flow table.
  void queue_child(Tcb& l, Tcb& c, Instant now);
  // Connections past the handshake waiting for accept() fill the backlog.
  static bool accept_queue_full(const Tcb& l) { return l.queued - l.syn_queued >= l.backlog; }
  // SYN cookies (syn_cookies.cc). accept_cookie: true when seg returned a good cookie (the
  // connection then exists, or the accept queue was full and the ACK was dropped).
  void send_cookie_syn_ack(Tcb& l, const SegmentIn& seg, Instant now);
  bool accept_cookie(Tcb& l, const SegmentIn& seg, Instant now);
  void negotiate_options(Tcb& t, const TcpOptions& peer);
  // SND.MSS from the peer's MSS, the path MTU, TCP_MAXSEG and the options agreed.
  static std::uint32_t send_mss(const Tcb& t);
  // The handshake is over: the RTO after SYN loss, the congestion controller and its window.
  void handshake_complete(Tcb& t);
  std::uint32_t initial_window(const Tcb& t) const;
  static std::uint8_t window_shift_for(std::uint32_t buffer);
  // The window scale a SYN of t offers (see TcpConfig::receive_buffer_max).
  std::uint8_t offered_window_shift(const Tcb& t) const;

  // Per-connection input (input.cc).
  void syn_sent_input(Tcb& t, const SegmentIn& seg, Instant now);
  void synchronized_input(Tcb& t, const SegmentIn& seg, Instant now);
  // The first check of §3.10.7.4. `old_ack`: the segment lies wholly before RCV.NXT; it is answered
  // and only its ACK is processed (BSD's rule, see check_sequence).
  enum class SeqCheck { accept, old_ack, drop };
  SeqCheck check_sequence(Tcb& t, const SegmentIn& seg, Instant now);
  // A reordered duplicate ACK that PAWS lets through (RFC 7323 §5 leaves this to the sender).
  bool disordered_ack(const Tcb& t, const SegmentIn& seg) const;
  bool process_rst(Tcb& t, const SegmentIn& seg, Instant now);
  // False when the segment is to be dropped (or t is gone). `in_window`: the segment passed the
  // sequence check (only such a segment can be a duplicate ACK).
  bool process_ack(Tcb& t, const SegmentIn& seg, Instant now, bool in_window = true);

  // The sender's side of an ACK (recovery.cc). `window_unchanged`: the segment's window equals
  // SND.WND (RFC 5681's duplicate-ACK test, used without SACK).
  void sender_ack(Tcb& t, const SegmentIn& seg, Instant now, bool in_window, bool window_unchanged);
  // SND.UNA advanced: returns the data bytes acknowledged; `delivered` gets the bytes that reached
  // the receiver with this ACK for the first time (not SACKed before).
  std::uint32_t new_data_acked(Tcb& t, const SegmentIn& seg, Instant now, std::uint32_t& delivered);
  void rack_delivered(Tcb& t, const SentSegment& s, Instant now);
  // The segment's SACK blocks: returns the bytes newly SACKed; `dsack` tells of a D-SACK.
  std::uint32_t sack_received(Tcb& t, const SegmentIn& seg, Instant now, bool& dsack, SeqNum& dsack_end);
  void sack_ack(Tcb& t, const SegmentIn& seg, Instant now, std::uint32_t acked, std::uint32_t delivered,
                bool advanced, std::uint32_t newly_sacked, bool dsack, bool dsack_of_probe);
  // Something is deemed lost and its repair has not been sent yet.
  static bool lost_unrepaired(const Tcb& t) {
    return t.scoreboard.lost_bytes() > t.scoreboard.retransmitted_bytes();
  }
  // States in which data (and a FIN) may be sent.
  static bool can_send_data(const Tcb& t) {
    return t.state == TcpState::established || t.state == TcpState::close_wait ||
           t.state == TcpState::fin_wait_1 || t.state == TcpState::closing || t.state == TcpState::last_ack;
  }
  void newreno_ack(Tcb& t, const SegmentIn& seg, Instant now, std::uint32_t acked, bool advanced, bool duplicate);
  AckSample ack_sample(const Tcb& t, const SegmentIn& seg, Instant now) const;
  void start_recovery(Tcb& t);
  // Loss found outside recovery: fast recovery, or a resend when the loss is an MTU probe alone.
  void start_repair(Tcb& t);
  // Everything deemed lost goes again, in order, until SND.UNA passes what has been sent (after
  // an RTO or a path MTU drop; Linux's CA_Loss): no fast recovery or loss probe meanwhile.
  void enter_resending(Tcb& t);
  // Remembers the window before a reduction, so D-SACKs can prove it spurious and undo it.
  void note_reduction(Tcb& t);
  void undo_reduction(Tcb& t);
  void rack_detect_loss(Tcb& t, Instant now);
  void loss_probe_acked(Tcb& t, const SegmentIn& seg, Instant now, bool advanced, std::uint32_t newly_sacked,
                        bool dsack_of_probe);
  // Resends what the scoreboard holds lost, as the window or PRR allows; true if anything went.
  bool retransmit_lost(Tcb& t, Instant now);
  static bool probe_may_go(const Tcb& t);
  void schedule_loss_probe(Tcb& t, Instant now, bool restart);
  void on_loss_probe(Tcb& t, Instant now);
  void on_reorder_timeout(Tcb& t, Instant now);
  bool process_text(Tcb& t, const SegmentIn& seg, Instant now);
  void process_fin(Tcb& t, Instant now);
  void challenge_ack(Tcb& t, Instant now);
  // Whether a challenge ACK may go now (RFC 5961 §7); if so, counted and the limit moved on.
  bool challenge_ack_allowed(Instant& next_challenge_ack, Instant now);
  // Whether an ACK to an unacceptable segment without data may go now (invalid_ack_interval).
  bool invalid_ack_allowed(Instant& next_invalid_ack, Instant now);
  void answer_unacceptable(Tcb& t, const SegmentIn& seg, Instant now);

  // Output (output.cc).
  void output(Tcb& t, Instant now);
  void send_syn(Tcb& t, Instant now);
  // `mtu_probe`: len may exceed SND.MSS (an RFC 4821 probe, which carries no SACK blocks).
  void send_data(Tcb& t, SeqNum seq, std::uint32_t len, bool fin, Instant now, bool mtu_probe = false);
  void send_ack(Tcb& t, Instant now);
  // An ACK t has due may go: not before its SYN is answered, not once it has ended.
  static bool ack_may_go(const Tcb& t) {
    return t.ack_now && t.state != TcpState::closed && t.state != TcpState::syn_sent;
  }
  // An ACK covers at most this many segments of a burst: a sender grows its window in slow
  // start by at most 8 SMSS per ACK (RFC 9406 §4.3), so a longer stretch would slow it down.
  static constexpr int kSegmentsPerBurstAck = 8;
  bool ack_deferrable(const Tcb& t) const {
    return in_order_data_ && t.state == TcpState::established && !sack_due(t) &&
           t.segments_unacked_in_burst < kSegmentsPerBurstAck;
  }
  void defer_ack(Tcb& t) {
    if (t.ack_deferred) return;
    t.ack_deferred = true;
    deferred_acks_.push_back(&t);
  }
  // Whether t may send a data segment now; if not, t waits on tx_blocked_ for resume_tx.
  bool take_tx_room(Tcb& t, Instant now) {
    if (out_.tx_room(t.remote.addr, now)) return true;
    if (!t.tx_blocked) {
      t.tx_blocked = true;
      tx_blocked_.push_back(&t);
      if (!resuming_tx_) ++stats_.tcp_tx_blocked;  // a connection resumed in vain still waits
    }
    return false;
  }
  void send_probe(Tcb& t, Instant now);
  void send_rst(Tcb& t, Instant now);
  void send_rst_for(const SegmentIn& seg, Instant now);
  TcpHeader header_for(Tcb& t, SeqNum seq, std::uint8_t flags, Instant now);
  // The SACK blocks an ACK sent now carries (RFC 2018 §4), newest first, as offsets from RCV.NXT
  // (modulo 2^32: a D-SACK block lies before it).
  using SackRanges = std::array<ReceiveBuffer::Range, ReceiveBuffer::kMaxRanges>;
  // Whether an ACK sent now carries SACK blocks: cheap, so the common case costs one test.
  static bool sack_due(const Tcb& t) {
    const bool fin_ahead = t.fin_seq_received && *t.fin_seq_received > t.rcv_nxt;
    return t.sack_enabled && (t.rcv.has_out_of_order() || fin_ahead || t.dsack);
  }
  std::size_t sack_blocks(const Tcb& t, SackRanges& out) const;
  // Payload room of a data segment sent now: SND.MSS less the SACK option's bytes (§3.7.1's
  // Eff.snd.MSS counts every option; SND.MSS already leaves room for timestamps).
  std::uint32_t segment_room(const Tcb& t) const;
  std::uint16_t advertised_window(Tcb& t);
  // The receiver's silly-window unit: min(half the buffer, one MSS) (§3.8.6.2.2).
  std::uint32_t sws_threshold(const Tcb& t) const;
  // After the application read or the buffer grew: a window update if the window opened enough.
  void window_opened(Tcb& t, Instant now);
  // SO_RCVBUF and autotuning: a new receive buffer size (never below what is held or promised).
  void resize_receive_buffer(Tcb& t, std::uint32_t bytes);
  void resize_send_buffer(Tcb& t, std::uint32_t bytes);
  // The send buffer follows the congestion window (after an ACK let it grow).
  void autotune_send_buffer(Tcb& t);
  // The application read `copied` bytes: the buffer follows what it reads per round trip.
  void autotune_receive_buffer(Tcb& t, std::uint32_t copied, Instant now);
  std::uint32_t tsval(const Tcb& t, Instant now) const { return ts_clock(now) + t.ts_offset; }
  // The 1 ms timestamp clock (RFC 7323 §5.4), before a connection's offset.
  static std::uint32_t ts_clock(Instant now) { return static_cast<std::uint32_t>(to_us(now) / 1000); }
  // The keyed hash of a tuple that gives its connection's timestamp offset and IPv4 ID start.
  std::uint64_t connection_key(Endpoint local, Endpoint remote) const { return connection_keys_.hash(remote, local); }
  // The MSS t's SYN or SYN-ACK announces: the interface's, or TCP_MAXSEG's when smaller.
  std::uint16_t announced_mss(const Tcb& t) const { return announced_mss(t.user_mss, t.remote.addr); }
  std::uint16_t announced_mss(std::uint16_t user_mss, Ipv4Addr remote) const {
    const auto mss = static_cast<std::uint16_t>(out_.mtu_toward(remote) - 40);
    return user_mss != 0 ? std::min(user_mss, mss) : mss;
  }

  // Path MTU (path_mtu.cc): ICMP's word (path_mtu_reduced, above) and RFC 4821's search.
  // The IPv4 and TCP headers of t's data segments with the options every one carries: a packet
  // of `mtu` bytes holds mtu - header_bytes(t) of data.
  static std::uint32_t header_bytes(const Tcb& t) { return 40u + (t.ts_enabled ? 12u : 0u); }
  std::uint16_t path_mtu_ceiling(const Tcb& t) const;
  // Sizes t's segments for a path of `mtu` bytes (SND.MSS and the controller's MSS follow).
  void set_path_mtu(Tcb& t, std::uint32_t mtu);
  void start_mtu_search(Tcb& t);
  void resend_oversized(Tcb& t);
  void mtu_black_hole(Tcb& t);
  bool send_mtu_probe(Tcb& t, Instant now);
  void mtu_probe_acked(Tcb& t);
  void mtu_probe_lost(Tcb& t);
  static bool lost_only_the_mtu_probe(const Tcb& t);

  // TIME_WAIT records (time_wait.cc). enter() marks an orphan entering TIME_WAIT
  // (compact_pending_); settle_time_wait turns it into a record once the socket call or segment
  // that did it is over.
  void settle_time_wait();
  void to_time_wait_record(Tcb& t);
  void link_record(TimeWaitRecord& r);  // into records_, by deadline
  // tcp_time_wait after either TIME_WAIT list changed: blocks whose socket is open, and records.
  void count_time_wait() { stats_.tcp_time_wait = time_wait_.size + records_.size; }
  void unlink_record(TimeWaitRecord& r);
  void end_time_wait(TimeWaitRecord& r);
  void expire_time_wait(Instant now);
  // §3.10.7.4 in TIME-WAIT, for a record.
  void time_wait_input(TimeWaitRecord& r, const SegmentIn& seg, Instant now);
  bool time_wait_ack_acceptable(TimeWaitRecord& r, const SegmentIn& seg, Instant now);
  void time_wait_unacceptable(TimeWaitRecord& r, const SegmentIn& seg, Instant now);
  void time_wait_ack(TimeWaitRecord& r, const std::optional<std::pair<SeqNum, SeqNum>>& dsack, Instant now);

  // Timers (timers.cc).
  void rearm(Tcb& t);
  void on_timer(Tcb& t, Instant now);
  void on_rexmit_timeout(Tcb& t, Instant now);
  void on_persist_timeout(Tcb& t, Instant now);
  void on_idle_timeout(Tcb& t, Instant now);
  // Tcb::idle_at from last_heard: the next keepalive probe (next_probe when given: just after one
  // was sent, or when SO_KEEPALIVE is turned on; else keepalive_idle after last_heard) or the idle
  // timeout, whichever comes first.
  void arm_idle_timer(Tcb& t, Instant next_probe = kNever);
  static bool keepalive_applies(const Tcb& t) {
    return t.keepalive && (t.state == TcpState::established || t.state == TcpState::close_wait);
  }
  bool idle_timeout_applies(const Tcb& t) const {
    return config_.idle_timeout > Duration::zero() && t.state != TcpState::closed &&
           t.state != TcpState::listen && t.state != TcpState::time_wait;
  }
  // An acceptable segment came: the connection is not idle, and keepalive starts counting again.
  static void heard_from_peer(Tcb& t, Instant now) {
    t.last_heard = now;
    t.keepalive_sent = 0;
  }
  // When a connection persisting against a closed window is reset (orphan_persist_timeout, or
  // zero_window_timeout for one the application holds); kNever: never.
  Instant persist_limit(const Tcb& t) const {
    if (t.orphan()) return t.persist_since + config_.orphan_persist_timeout;
    return config_.zero_window_timeout > Duration::zero() ? t.persist_since + config_.zero_window_timeout : kNever;
  }
  void arm_delayed_ack(Tcb& t, Instant now);
  // A ring just emptied: it is freed after TcpConfig::buffer_release_delay if still empty.
  void buffer_emptied(Tcb& t, Instant now);

  TcpConfig config_;
  // Memory of recently freed blocks and records, for the next ones (a few hundred KB at most).
  Recycler<Tcb> tcbs_{256};
  Recycler<TimeWaitRecord> records_pool_{1024};
  SegmentSink& out_;
  StackStats& stats_;
  BufferMemory buffers_;  // every ring's memory, against TcpConfig::buffer_memory_limit
  IsnGenerator isn_;              // ISNs, ephemeral ports, SYN cookies (rekey replaces it)
  IsnGenerator previous_isn_;     // the key before the last rekey: its cookies still validate
  Instant previous_key_until_ = kNever;  // ... until then (kNever: no rekey yet, the same key)
  const IsnGenerator connection_keys_;  // timestamp offsets and IPv4 ID starts (never rekeyed)
  Rng rng_;
  SocketObserver* observer_ = nullptr;
  PortFilter port_filter_;
  struct PortPool {
    Ipv4Addr local;
    Endpoint remote;
    std::vector<std::uint16_t> ports;
  };
  std::vector<PortPool> port_pools_;  // few: one per destination an application named
  TimerWheel timers_;
  FlowTable flows_;
  // Listeners by address and port (listener_key); the unspecified address is the wildcard.
  std::unordered_map<std::uint64_t, Tcb*> listeners_;
  static std::uint64_t listener_key(Endpoint local) { return (std::uint64_t{local.addr.value} << 16) | local.port; }
  // The listener a segment for `local` reaches: one bound to that address, else a wildcard one.
  Tcb* listener_for(Endpoint local) const;
  // Whether a listener other than `except` holds port at addr (the same address, or either one
  // the wildcard).
  bool listening_on(Ipv4Addr addr, std::uint16_t port, const Tcb* except) const;
  std::vector<Tcb*> sockets_;        // id → TCB
  std::deque<int> free_ids_;         // FIFO of ids to reuse (mTCP's order: an id rests before reuse)
  std::size_t connections_ = 0;
  AgingList time_wait_;  // blocks in TIME_WAIT whose socket is still open (and compact_pending_)
  AgingList orphans_;
  struct RecordList {
    TimeWaitRecord* oldest = nullptr;
    TimeWaitRecord* newest = nullptr;
    std::size_t size = 0;
  };
  RecordList records_;        // TIME_WAIT records, oldest deadline first
  TimeWaitTable time_waits_;  // ... by 4-tuple
  Tcb* compact_pending_ = nullptr;
  bool bursting_ = false;
  bool in_order_data_ = false;  // the segment being processed brought in-order data, in a burst
  std::vector<Tcb*> deferred_acks_;  // connections with an ACK due at end_burst
  std::vector<Tcb*> tx_blocked_;     // connections waiting for room to send (take_tx_room)
  bool resuming_tx_ = false;         // inside resume_tx
  Instant cookies_sent_at_ = kNever;  // the last SYN cookie: only then are ACKs to a listener checked
  // RFC 6056 Algorithm 4's table of counters, one per second-hash value (2^16 of them, each
  // starting at random).
  std::vector<std::uint32_t> port_counters_ = std::vector<std::uint32_t>(std::size_t{1} << 16);
  // What sets the second hash apart from the first (any constant other than an offset's input).
  static constexpr std::uint64_t kPortTableTweak = 0x706f7274'7461626cull;
  static constexpr std::uint64_t kFlowTableTweak = 0x666c6f77'7461626cull;
  static constexpr std::uint64_t kTimeWaitTableTweak = 0x74696d65'77616974ull;
  std::int64_t challenge_window_ = -1;  // the second in which challenge ACKs are being counted
  std::int64_t challenge_budget_ = 0;   // what is left of that second's (random) budget
};

}  // namespace mtcpp
