// mTCP's configuration files, read into a plain value: mtcp.conf (key = value), arp.conf
// (static ARP entries) and route.conf (routes). Parsing only: which io backends, core counts or
// ports are usable is for the caller to decide. Every error reads "FILE:LINE: message", so a user
// can go straight to the line; for a bad value the message names the key, the value and what is
// allowed.
//
// mtcp.conf format: one `key = value` per line; `#` starts a comment (whole-line or trailing, so
// no value can hold a #); blank lines and whitespace around tokens are ignored; CRLF line endings
// are accepted. An unknown key is an error, as in mTCP. A key given twice: the later line wins,
// except `stat_print` and `dpdk_args`, whose lines add up (mTCP's sample config enables one NIC per line).
//
// mTCP's keys (see the reference, section 3):
//   io               dpdk | psio | netmap | onvm, or mtcpp's memory | host | pcap
//   num_cores        1..64                     core_mask   hex, optional 0x, not zero
//   num_mem_ch       1..32 (DPDK's -n)         port        names separated by spaces, or `all`
//   max_concurrency  connections per core, 1.. (-> tcp.max_connections)
//   max_num_buffers  socket buffers per core, 1..
//   rcvbuf, sndbuf   bytes, 2048..1 GiB; each defaults to the other, 8192 if neither is set
//   tcp_timeout      idle timeout in seconds, 30 by default; <= 0 disables it (-> tcp.idle_timeout)
//   tcp_timewait     seconds in TIME_WAIT, 0..; 0 by default as in mTCP (-> tcp.time_wait)
//   stat_print       NIC names to report statistics for
//   multiprocess     0 | 1                     onvm_serv, onvm_inst, onvm_dest   0..65535
//   cc               congestion control algorithm name (mTCP: CCP's)
//
// mtcpp's own keys:
//   address          IPv4/prefix of the first context, e.g. 10.0.0.1/24; context i gets
//                    address + i in the memory backend
//   gateway          IPv4 default gateway, inside address's subnet
//   mac              the first context's MAC, 02:00:00:00:00:01 by default; not multicast or zero
//   mtu              576..9000 (default: the link's)
//   seed             0..2^64-1, makes every random choice (ISNs, ports, timestamp offsets) follow
//                    from it, for reproducible runs (and so predictable ones: tests, simulation,
//                    replay); without it they are keyed by 128 bits from the OS (getrandom)
//   clock            real | manual (the embedder advances time)
//   pcap             write every frame of context 0 to this file; with "%d" in the name, every
//                    context to its own file (e.g. run-%d.pcap); timestamps are the context's clock
//   arp_conf         path of arp.conf; default config/arp.conf next to mtcp.conf, if present
//   route_conf       path of route.conf; default config/route.conf next to mtcp.conf, if present
//                    (mTCP reads both from ./config/; relative paths here are taken from
//                    mtcp.conf's directory, so the result does not depend on the working directory)
//   tcp_rto_min_ms, tcp_rto_initial_ms, tcp_rto_max_ms     1.., with min <= initial <= max
//   tcp_delayed_ack_ms 0..500    tcp_fin_wait_2_timeout_s 1..    tcp_keepalive_idle_s 1..
//   tcp_nagle, tcp_sack, tcp_timestamps, tcp_window_scaling, tcp_syn_cookies     0 | 1
//   tcp_initial_window segments, 1..    tcp_synack_retries, tcp_data_retries  0..
//   tcp_syn_timeout_s 1.. (connect gives up; default 180)    tcp_orphan_persist_timeout_s 1..
//   tcp_max_orphans  1.., closed connections still finishing before the oldest is reset (65536)
//   tcp_zero_window_timeout_s 0.., reset a connection whose peer keeps its window closed this
//                    long while we have data for it (default 0: no limit)
//   tcp_mtu_probing  0 | 1 | 2, RFC 4821 path MTU discovery as Linux's sysctl: 0 off, 1 after
//                    full-size segments time out three times (default), 2 from the start
//   tcp_mtu_probe_floor 552..9000, the path MTU a search falls to and starts from (1024)
//   tcp_mtu_probe_interval_s 1.., a finished search starts again after this (600)
//   tcp_rekey_interval_s 0.., a new secret from the OS for ISNs, ports and SYN cookies this often
//                    (default 3600; 0: never; with a seed there is no secret and nothing to renew)
//   tcp_buffer_memory_mb 0.., the memory all socket buffers of a context may hold; past it they
//                    grow no further (default 1024; 0: no limit)
//   arp_hold_frames  1..65536, frames held per neighbour being resolved (default 64)
//   dpdk_args        DPDK EAL arguments, passed through (io = dpdk), e.g. --no-huge --no-pci
//                    --vdev=net_tap0,iface=mt0; lines add up. mtcpp adds -l (from core_mask),
//                    -n (num_mem_ch) and a private runtime unless given (backends/dpdk)
//   dpdk_checksum_offload 0 | 1, use the PMD's checksum offloads where it has them (default 1)
//   fault_drop, fault_duplicate, fault_reorder, fault_corrupt   0..1, the chance that each frame
//                    the context sends or receives is dropped, duplicated, held back past the
//                    next one, or has a byte inverted (testing; default 0); fault_seed seeds them
//   fault_delay_ms   0..10000, a fixed delay added to every frame each way (testing; default 0)
// The ranges are those StackConfig::validate enforces, so a file that parses builds a stack
// (given an address).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/wrappers/fault_injector.h"
#include "core/config.h"
#include "core/time.h"
#include "core/wire/addr.h"

namespace mtcpp::api {

// A route.conf line: `prefix/prefix_len dev`. route.conf has no gateway column; by mTCP's
// convention a /0 entry is the default route and its address is the gateway's. Host bits are
// kept as written (mTCP's sample has 10.0.0.1/24), so that /0 entry keeps its gateway.
struct RouteEntry {
  Ipv4Addr prefix;
  int prefix_len = 0;
  std::string dev;  // interface name such as dpdk0; the memory backend ignores it
  friend bool operator==(const RouteEntry&, const RouteEntry&) = default;
};

enum class ClockMode { real, manual };

// TcpConfig with mTCP's defaults where mTCP has one (8 KiB buffers, no TIME_WAIT); the core's
// defaults elsewhere.
TcpConfig mtcp_default_tcp();

struct MtcpConfig {
  // --- mTCP's keys. Unset optionals leave the choice to the caller, as mTCP does (for example
  // num_cores: all online CPUs).
  std::string io;  // empty: not given (mTCP then uses the I/O module it was built with)
  std::optional<int> num_cores;
  std::optional<std::uint64_t> core_mask;
  std::optional<int> num_mem_ch;
  std::vector<std::string> ports;  // as written, e.g. "dpdk0" or "dpdk0:1"
  bool all_ports = false;          // `port = all`; ports is then empty
  std::size_t max_num_buffers = 10000;
  std::vector<std::string> stat_print;
  bool multiprocess = false;
  std::optional<int> onvm_serv;
  std::optional<int> onvm_inst;
  std::optional<int> onvm_dest;
  std::string cc;  // empty: not given
  // rcvbuf, sndbuf, max_concurrency, tcp_timeout and tcp_timewait land in tcp, with the tcp_* keys
  // below.
  TcpConfig tcp = mtcp_default_tcp();

  // --- mtcpp's keys.
  // `address = IP/LEN [IP/LEN ...]` and `mac = MAC [MAC ...]`: one per port named, in order, for
  // io = dpdk with several ports (a stack with an interface per port); the first is address and
  // mac, the others more_addresses and more_macs.
  Ipv4Addr address;  // unspecified: not given
  int prefix_len = 24;
  std::vector<InterfaceConfig> more_addresses;  // their mtu is left to `mtu`
  Ipv4Addr gateway;  // unspecified: not given
  MacAddr mac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
  std::vector<MacAddr> more_macs;
  bool mac_given = false;  // io = dpdk takes the port's own MAC unless mac is given
  std::optional<std::uint16_t> mtu;
  std::optional<std::uint64_t> seed;  // not given: secrets from the OS (see StackConfig::secret)
  Duration rekey_interval = std::chrono::hours(1);  // tcp_rekey_interval_s; zero: never
  ClockMode clock = ClockMode::real;
  std::string pcap;  // empty: no capture
  std::size_t arp_hold_frames = ArpConfig{}.max_pending;
  FaultChances faults;  // all zero: no fault injector
  Duration link_delay{};  // fault_delay_ms: zero, no delay line
  std::vector<std::string> dpdk_args;  // EAL arguments, as written (lines add up)
  bool dpdk_checksum_offload = true;
  // As written by parse_mtcp_conf (empty: not given); after load_mtcp_conf, the file actually
  // read, or empty when there was none.
  std::string arp_conf;
  std::string route_conf;

  // --- From arp.conf and route.conf (filled by load_mtcp_conf only).
  std::vector<StaticArpEntry> arp;
  std::vector<RouteEntry> routes;
};

// A parsed value, or why there is none.
template <typename T>
struct Parsed {
  std::optional<T> value;
  std::string error;  // "FILE:LINE: message" (or "cannot open PATH: reason") when value is empty

  bool ok() const { return value.has_value(); }
};

using ParseResult = Parsed<MtcpConfig>;

// mtcp.conf text; file_name only labels errors. No file is read: arp and routes stay empty.
ParseResult parse_mtcp_conf(std::string_view text, std::string_view file_name);

// arp.conf text: `ARP_ENTRY n`, then n lines `ip/prefix mac` (prefix 0..32; only ip is kept).
// A file with no entries and no header is empty, not an error.
Parsed<std::vector<StaticArpEntry>> parse_arp_conf(std::string_view text,
                                                   std::string_view file_name);

// route.conf text: `ROUTES n`, then n lines `ip/prefix dev`.
Parsed<std::vector<RouteEntry>> parse_route_conf(std::string_view text,
                                                 std::string_view file_name);

// Reads mtcp.conf at path, then its arp.conf and route.conf (see arp_conf and route_conf above).
// A file that cannot be read is an error "cannot open PATH: reason"; an arp_conf or route_conf
// key naming such a file is reported at that key's line.
ParseResult load_mtcp_conf(const std::string& path);

// The effective configuration, one setting per line, then the routes and static ARP entries:
// what the API layer prints at startup, as mTCP does.
std::string describe(const MtcpConfig& config);

}  // namespace mtcpp::api
