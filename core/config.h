// A stack's configuration: a plain value, validated once, passed at construction. Every timer and
// limit of the TCP core lives here so tests and scenarios can read expected times from the knobs.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tcp/congestion.h"
#include "core/time.h"
#include "core/wire/addr.h"

namespace mtcpp {

using namespace std::chrono_literals;

struct Route {
  Ipv4Addr prefix;
  int prefix_len = 0;
  Ipv4Addr gateway;  // unspecified: the destination is on-link
  // Which interface (0: the first) the route leaves by; -1: the one whose subnet holds the
  // gateway, or the first for an on-link route.
  int interface = -1;
};

// A stack's second and later interfaces (the first is StackConfig's own address, prefix_len and
// mtu): each has its own device, address, subnet and ARP cache.
struct InterfaceConfig {
  Ipv4Addr address;
  int prefix_len = 24;
  std::optional<std::uint16_t> mtu;  // defaults to the link's
};

struct StaticArpEntry {
  Ipv4Addr ip;
  MacAddr mac;
};

struct ArpConfig {
  // A learned entry is confirmed for this long by ARP or by the neighbour's own frames; used after
  // that, it keeps being used while unicast requests confirm it (RFC 1122 §2.3.2.1).
  Duration entry_lifetime = 60s;
  Duration retry_interval = 1s;   // between requests for an address being resolved or confirmed
  int max_requests = 3;           // then waiting packets are dropped (counted) or the entry forgotten
  std::size_t max_pending = 64;   // frames held per unresolved address
  std::size_t max_pending_total = 1024;  // frames held for all unresolved addresses together
  std::size_t max_entries = 1024;
  bool gratuitous_at_start = true;
};

// The most connection blocks one stack may be configured for (2^24).
inline constexpr std::size_t kMaxConnections = std::size_t{1} << 24;

// Packetization-layer path MTU discovery (RFC 4821), the values of Linux's tcp_mtu_probing.
enum class MtuProbing {
  off,         // the path MTU is the interface's, lowered only by ICMP (RFC 1191)
  black_hole,  // as off until full-size segments time out repeatedly; then search (below)
  always,      // every connection starts at mtu_probe_floor and probes upward
};

struct TcpConfig {
  std::uint32_t send_buffer = 256 * 1024;
  std::uint32_t receive_buffer = 256 * 1024;
  // The window scale offered in a SYN covers max(the buffer, this), so that SO_RCVBUF can widen
  // the window after the handshake (Linux sizes it from tcp_rmem[2] the same way): 4 MiB, shift 7.
  std::uint32_t receive_buffer_max = 4 * 1024 * 1024;
  // Receive-buffer autotuning (Linux's tcp_moderate_rcvbuf): the buffer grows toward twice what
  // the application reads per round trip, up to receive_buffer_max. SO_RCVBUF turns it off for
  // the socket.
  bool receive_autotune = true;
  // Send-buffer autotuning (as Linux grows sk_sndbuf): the buffer follows twice the congestion
  // window, up to send_buffer_max, so a small configured buffer (mTCP's 8 KB) does not cap the
  // window and leave a lost retransmission nothing behind it to reveal it. SO_SNDBUF turns it off.
  std::uint32_t send_buffer_max = 4 * 1024 * 1024;
  bool send_autotune = true;
  // Connection blocks, listeners and TIME_WAIT included. At the cap the oldest orphan in
  // TIME_WAIT makes room (tcp_time_wait_reclaimed); with none, socket() fails with ENFILE and a
  // SYN to a listener is answered with an RST (tcp_table_full_resets).
  std::size_t max_connections = 10000;
  int max_backlog = 4096;
  // A listener keeps as many half-open connections as its backlog; past that it answers with
  // SYN cookies (RFC 4987 §3.6), or, with this off, drops the SYN (tcp_syn_queue_overflows).
  bool syn_cookies = true;
  std::uint16_t ephemeral_port_first = 32768;
  std::uint16_t ephemeral_port_last = 60999;

  // Options offered in SYNs (each still needs the peer's agreement).
  bool window_scaling = true;
  bool sack = true;
  bool timestamps = true;
  bool nagle = true;  // default for new sockets; TCP_NODELAY turns it off per socket
  std::uint32_t initial_window_segments = 10;  // RFC 6928
  // The congestion controller of new sockets (TCP_CONGESTION changes it per socket): CUBIC
  // (RFC 9438) with HyStart++, as Linux, or NewReno (RFC 5681, RFC 6582).
  CongestionAlgorithm congestion = CongestionAlgorithm::cubic;

  // RFC 4821. Every packet has DF set; where ICMP is filtered a path with a smaller MTU drops
  // full-size segments silently (a black hole). After kBlackHoleTimeouts timeouts of one segment
  // larger than the floor, the connection falls to mtu_probe_floor (§7.2's 1024 bytes, Linux's
  // tcp_base_mss) and probes upward with single larger segments; a finished search starts again
  // after mtu_probe_interval (Linux's tcp_probe_interval). The default is Linux's 1, not its
  // off: detection costs nothing on a path that carries full-size segments.
  MtuProbing mtu_probing = MtuProbing::black_hole;
  std::uint16_t mtu_probe_floor = 1024;
  Duration mtu_probe_interval = 600s;

  // RFC 6298. The minimum RTO is Linux's 200 ms, not §2.4's conservative 1 s: with RACK-TLP
  // repairing losses within a round trip or two, the RTO is the last resort, and a 1 s floor
  // made every tail loss on a short path cost a second (see the README).
  Duration rto_initial = 1s;
  Duration rto_min = 200ms;
  Duration rto_max = 60s;
  Duration syn_timeout = 180s;  // connect() gives up after this (R2 for a SYN, RFC 9293 MUST-23)
  int synack_retries = 5;       // SYN-ACK retransmissions of a passive open before the embryo goes
  int data_retries = 15;        // retransmissions of one segment, or unanswered zero-window probes,
                                // before ETIMEDOUT (R2)

  Duration delayed_ack = 40ms;  // bounded by RFC 9293 §3.8.6.3's 0.5 s
  // Quick-ACK mode (Linux's): at the start of a transfer, and when data comes after the receiver
  // idled for longer than an RTO, up to this many segments are ACKed at once instead of every
  // second one, so that the sender's slow start is not slowed by delayed ACKs. 0 turns it off.
  int quick_acks = 16;
  Duration persist_min = 200ms;
  Duration persist_max = 60s;
  Duration keepalive_idle = 7200s;  // RFC 1122 §4.2.3.6 default
  Duration keepalive_interval = 75s;
  int keepalive_probes = 9;
  Duration fin_wait_2_timeout = 60s;  // orphaned connections only
  Duration orphan_persist_timeout = 60s;  // an orphan facing a closed window is reset after this
  // A connection whose peer has held its window closed this long, while we have data for it, is
  // reset (tcp_zero_window_resets): a peer that answers every probe but never reads would
  // otherwise hold the send buffer for ever. Zero: no limit, as Linux (RFC 1122 §4.2.2.17 keeps
  // such a connection open as long as the probes are answered).
  Duration zero_window_timeout = Duration::zero();
  // A connection that has heard nothing acceptable from its peer this long is reset
  // (tcp_idle_timeouts; the socket gets ETIMEDOUT): mTCP's tcp_timeout. Zero: no limit. TIME_WAIT
  // and LISTEN have their own rules; the handshake states count from the first SYN.
  Duration idle_timeout = Duration::zero();
  // Connections the application has closed that are still finishing (FIN_WAIT, CLOSING,
  // LAST_ACK; TIME_WAIT apart): past this many the oldest is reset (tcp_orphans_reset), as Linux's
  // tcp_max_orphans.
  std::size_t max_orphans = 65536;
  Duration time_wait = 60s;           // 2·MSL
  // A socket buffer emptied (everything read, or acknowledged) keeps its memory this long, so a
  // transfer does not free and regrow it between reads and writes; then an idle connection holds
  // none.
  Duration buffer_release_delay = 200ms;
  // The memory all send and receive rings together may hold (see core/tcp/buffer_memory.h): past
  // it buffers grow no further, so writes find them full and windows stop opening; each ring may
  // still take 512 bytes. Zero: no limit.
  std::uint64_t buffer_memory_limit = std::uint64_t{1} << 30;
  // RFC 5961 §7: at most one challenge ACK per connection per challenge_ack_interval, and per
  // second across the stack a budget drawn at random from [limit/2, limit/2 + limit) (Linux's
  // answer to CVE-2016-5696).
  int challenge_ack_limit = 1000;
  Duration challenge_ack_interval = 500ms;
  // At most one ACK per connection in this interval answers an unacceptable segment without data
  // (out of window, or failing PAWS), so two stacks cannot trade such ACKs without end (Linux's
  // tcp_invalid_ratelimit).
  Duration invalid_ack_interval = 500ms;
  bool rfc1337_ignore_rst_in_time_wait = false;
};

struct StackConfig {
  // The first interface.
  Ipv4Addr address;
  int prefix_len = 24;
  std::optional<std::uint16_t> mtu;  // defaults to the link's
  // Interfaces after the first, in the order of the devices given to Stack::create after its
  // first. Addresses must differ; a datagram for any of them is taken on any interface (RFC 1122
  // §3.3.4.2's weak host model, as Linux).
  std::vector<InterfaceConfig> more_interfaces;
  Ipv4Addr gateway;  // unspecified: no default route; it leaves by the interface whose subnet holds it
  std::vector<Route> routes;
  std::vector<StaticArpEntry> static_arp;  // each in the ARP cache of the interface whose subnet holds it
  // Randomness. With a secret (128 bits from the OS's random source, handed in by whoever owns the
  // process; the core never reads one), ISNs and timestamp offsets are keyed by it and every other
  // draw (ports, IP IDs) comes from it: nothing an outsider can compute (RFC 6528 §3). Without
  // one, all of it comes from `seed`: reproducible, for simulation, tests and replay, and
  // therefore predictable.
  std::uint64_t seed = 1;
  std::optional<std::array<std::uint64_t, 2>> secret;
  ArpConfig arp;
  TcpConfig tcp;

  // A description of the first invalid field, or nothing when the value can build a stack.
  std::optional<std::string> validate() const;
};

}  // namespace mtcpp
