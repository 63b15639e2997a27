// One TCP/IP stack: one or more interfaces, each an IPv4 address and subnet on a packet-IO device
// of its own with its own ARP cache, and one TCP over all of them. Sans-IO: the caller passes
// `now` to every call and asks when it is next needed; the stack never reads a clock, sleeps or
// calls the OS. Any number of stacks can live in one process.
//
//   poll(now): per interface rx burst → Ethernet → ARP | IPv4 → ICMP | TCP (tcp/demux.cc) ;
//              timers ; per interface tx burst (the route of each datagram picks its interface)
#pragma once
#include <array>
#include <memory>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "core/arp_cache.h"
#include "core/config.h"
#include "core/packet_io.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/tcp/tcp.h"
#include "core/wire/arp.h"
#include "core/wire/ipv4.h"

namespace mtcpp {

// What went through one interface (the stack's StackStats count all interfaces together).
struct InterfaceCounters {
  std::uint64_t frames_received = 0, bytes_received = 0;
  std::uint64_t rx_dropped = 0;  // malformed, a bad checksum, or a source no host may use
  std::uint64_t frames_sent = 0, bytes_sent = 0;
  std::uint64_t tx_dropped = 0;  // no buffer, or the device's ring and the stack's backlog were full
};

class Stack final : private SegmentSink {
 public:
  // Validates the configuration; on error returns its description. `io` is the first interface's
  // device; `more` those of config.more_interfaces, in order (as many as it has).
  static std::variant<std::unique_ptr<Stack>, std::string> create(const StackConfig& config, PacketIo& io,
                                                                   std::span<PacketIo* const> more = {});
  ~Stack() override;
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Receives (at most kMaxRxBursts bursts), runs due timers and transmits; returns when the
  // stack next needs a poll: `now` when frames may be left to receive, kNever if only a new frame
  // or a socket call can wake it.
  Instant poll(Instant now);
  Instant next_deadline() const;
  // Announces the address with a gratuitous ARP (RFC 5227 §3), if configured.
  void start(Instant now);

  // Socket calls: >= 0 on success, a negative errno value on failure. Segments they cause are
  // sent before they return.
  int socket(Instant now) { return tcp_.socket(now); }
  int bind(int s, Endpoint local) { return tcp_.bind(s, local); }
  int listen(int s, int backlog) { return tcp_.listen(s, backlog); }
  int accept(int s, Endpoint* peer) { return tcp_.accept(s, peer); }
  int connect(int s, Endpoint remote, Instant now);
  long send(int s, Bytes data, Instant now);
  long recv(int s, MutableBytes out, Instant now, bool peek = false);
  int shutdown(int s, Shutdown how, Instant now);
  int close(int s, Instant now);
  int abort(int s, Instant now);
  int set_option(int s, SocketOption o, int v, Instant now) {
    const int r = tcp_.set_option(s, o, v, now);
    flush_tx(now);
    return r;
  }
  int get_option(int s, SocketOption o, int* v) { return tcp_.get_option(s, o, v); }
  int local_endpoint(int s, Endpoint* e) const { return tcp_.local_endpoint(s, e); }
  int remote_endpoint(int s, Endpoint* e) const { return tcp_.remote_endpoint(s, e); }
  std::uint32_t readiness(int s) const { return tcp_.readiness(s); }
  long bytes_readable(int s) const { return tcp_.bytes_readable(s); }
  void set_observer(SocketObserver* o) { tcp_.set_observer(o); }
  void set_port_filter(Tcp::PortFilter f) { tcp_.set_port_filter(std::move(f)); }
  void set_port_pool(Ipv4Addr local, Endpoint remote, std::vector<std::uint16_t> ports) {
    tcp_.set_port_pool(local, remote, std::move(ports));
  }
  // A fresh 128-bit secret for ISNs, ephemeral ports and SYN cookies (see Tcp::rekey); the core
  // never draws one itself.
  void rekey(const std::array<std::uint64_t, 2>& secret, Instant now) { tcp_.rekey(secret, now); }

  const StackStats& stats() const { return stats_; }
  const StackConfig& config() const { return config_; }
  const Tcp& tcp() const { return tcp_; }
  // The first interface's MAC and address.
  MacAddr mac() const { return interfaces_[0].caps.mac; }
  Ipv4Addr address() const { return config_.address; }
  std::size_t interface_count() const { return interfaces_.size(); }
  Ipv4Addr interface_address(std::size_t i) const { return interfaces_.at(i).address; }
  // The interface that has address a, if any.
  std::optional<std::size_t> interface_with(Ipv4Addr a) const;
  MacAddr interface_mac(std::size_t i) const { return interfaces_.at(i).caps.mac; }
  const InterfaceCounters& interface_counters(std::size_t i) const { return interfaces_.at(i).counters; }
  // The address a connection to `remote` sends from, or nothing without a route (see SegmentSink).
  std::optional<Ipv4Addr> source_address(Ipv4Addr remote) const override;

 private:
  static constexpr std::size_t kBurst = 32;
  static constexpr std::size_t kMaxRxBursts = 8;  // per poll, per interface
  // While the device refuses frames, how long until the stack wants a poll to offer them again
  // (a caller polling all the time offers them at every poll). A 10 Gbit/s NIC sends some
  // 80 full-sized frames in 100 µs; a simulated link with a full queue frees room at its rate.
  static constexpr Duration kTxRetry = std::chrono::microseconds(100);

  struct Interface {
    Interface(PacketIo& device, Ipv4Addr addr, int prefix, std::optional<std::uint16_t> max_mtu, const ArpConfig& arp_config);
    bool in_subnet(Ipv4Addr a) const { return same_prefix(a, address, prefix_len); }
    PacketIo* io;
    LinkCaps caps;
    std::uint16_t mtu;
    Ipv4Addr address;
    int prefix_len;
    Ipv4Addr directed_broadcast;  // of the subnet; unspecified for a /31 or /32
    ArpCache arp;
    Instant arp_deadline = kNever;
    // The frames to send at the next flush: the tx batch, and also the backlog of frames the
    // device refused, offered again first. Full only while the device refuses.
    std::array<PacketBuffer*, kBurst> tx{};
    std::size_t tx_count = 0;
    InterfaceCounters counters;
  };
  // A route with its interface resolved: the connected subnets first, then the configured
  // routes, then the default gateway.
  struct RouteEntry {
    Ipv4Addr prefix;
    int prefix_len;
    Ipv4Addr gateway;  // unspecified: on-link
    std::size_t interface;
  };
  struct NextHop {
    std::size_t interface;  // index into interfaces_
    Ipv4Addr hop;           // the neighbour whose MAC the frame goes to
  };

  Stack(const StackConfig& config, PacketIo& io, std::span<PacketIo* const> more);
  // The interface whose subnet holds a (the first such), else the first interface.
  std::size_t interface_on_link(Ipv4Addr a) const;

  // Input (stack.cc).
  void input(Interface& in, Bytes frame, Instant now);
  void ipv4_input(Interface& in, Bytes packet, MacAddr from, Instant now);
  void icmp_input(const Ipv4Header& ip, Bytes message, Instant now);
  bool valid_source(Ipv4Addr src) const;
  // ARP (stack_arp.cc).
  void arp_input(Interface& in, Bytes payload, Instant now);
  void send_arp(Interface& out, ArpOp op, MacAddr dst_mac, Ipv4Addr target_ip, MacAddr target_mac, Instant now);
  void run_arp_timers(Interface& i, Instant now);
  // Output.
  void send_segment(Ipv4Addr src, Ipv4Addr dst, std::uint16_t ip_id, const TcpHeader& header, const Tcb* tcb,
                    std::uint32_t payload_offset, std::uint32_t payload_len, Instant now) override;
  bool tx_room(Ipv4Addr remote, Instant now) override;
  std::uint16_t mtu_toward(Ipv4Addr remote) const override;
  bool is_local_address(Ipv4Addr addr) const override;
  PacketBuffer* alloc_frame(Interface& out);
  // Longest prefix wins; on a tie, the earlier entry. False: no route.
  bool next_hop(Ipv4Addr dst, NextHop* next) const;
  // Puts the hop's MAC into an IPv4 frame built in that interface's buffer and queues it, or holds
  // it for ARP.
  void route_out(PacketBuffer* frame, const NextHop& next, Instant now);
  void queue_tx(Interface& out, PacketBuffer* frame, Instant now);
  void flush_tx(Instant now);
  void flush_tx(Interface& out, Instant now);

  StackConfig config_;
  std::vector<Interface> interfaces_;  // never resized after construction
  std::size_t tx_queued_ = 0;          // frames in every interface's tx batch together
  Instant tx_retry_at_ = kNever;       // frames or connections wait for a device to take frames
  std::vector<RouteEntry> routes_;
  // next_hop's last answer (a memo: routes are fixed at construction).
  struct LastRoute {
    Ipv4Addr dst;
    NextHop next{};
    bool found = false;
  };
  mutable LastRoute last_route_;
  StackStats stats_;
  Rng rng_;
  Tcp tcp_;
};

}  // namespace mtcpp
