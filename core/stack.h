// One TCP/IP stack: an interface with an IPv4 address on one packet-IO device. Sans-IO: the
// caller passes `now` to every call and asks when it is next needed; the stack never reads a
// clock, sleeps or calls the OS. Any number of stacks can live in one process.
//
//   poll(now): rx burst → Ethernet → ARP | IPv4 → ICMP | TCP (tcp/demux.cc) ; timers ; tx burst
#pragma once
#include <array>
#include <memory>
#include <string>
#include <variant>

#include "core/arp_cache.h"
#include "core/config.h"
#include "core/packet_io.h"
#include "core/rng.h"
#include "core/stats.h"
#include "core/tcp/tcp.h"
#include "core/wire/arp.h"
#include "core/wire/ipv4.h"

namespace mtcpp {

class Stack final : private SegmentSink {
 public:
  // Validates the configuration; on error returns its description.
  static std::variant<std::unique_ptr<Stack>, std::string> create(const StackConfig& config, PacketIo& io);
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
  // A fresh 128-bit secret for ISNs, ephemeral ports and SYN cookies (see Tcp::rekey); the core
  // never draws one itself.
  void rekey(const std::array<std::uint64_t, 2>& secret, Instant now) { tcp_.rekey(secret, now); }

  const StackStats& stats() const { return stats_; }
  const StackConfig& config() const { return config_; }
  const Tcp& tcp() const { return tcp_; }
  MacAddr mac() const { return caps_.mac; }
  Ipv4Addr address() const { return config_.address; }

 private:
  Stack(const StackConfig& config, PacketIo& io);

  // Input (stack.cc).
  void input(Bytes frame, Instant now);
  void ipv4_input(Bytes packet, MacAddr from, Instant now);
  void icmp_input(const Ipv4Header& ip, Bytes message, Instant now);
  // ARP (stack_arp.cc).
  void arp_input(Bytes payload, Instant now);
  void send_arp(ArpOp op, MacAddr dst_mac, Ipv4Addr target_ip, MacAddr target_mac, Instant now);
  void run_arp_timers(Instant now);
  // Output.
  void send_segment(Ipv4Addr src, Ipv4Addr dst, std::uint16_t ip_id, const TcpHeader& header, const Tcb* tcb,
                    std::uint32_t payload_offset, std::uint32_t payload_len, Instant now) override;
  std::uint16_t mtu() const override { return mtu_; }
  PacketBuffer* alloc_frame();
  bool next_hop(Ipv4Addr dst, Ipv4Addr* hop) const;
  // Puts dst's MAC into an IPv4 frame and queues it, or holds it for ARP.
  void route_out(PacketBuffer* frame, Ipv4Addr dst, Instant now);
  void queue_tx(PacketBuffer* frame, Instant now);
  void flush_tx(Instant now);

  static constexpr std::size_t kBurst = 32;
  static constexpr std::size_t kMaxRxBursts = 8;  // per poll
  StackConfig config_;
  PacketIo& io_;
  LinkCaps caps_;
  std::uint16_t mtu_;
  StackStats stats_;
  Rng rng_;
  ArpCache arp_;
  Instant arp_deadline_ = kNever;
  Tcp tcp_;
  std::array<PacketBuffer*, kBurst> tx_{};
  std::size_t tx_count_ = 0;
};

}  // namespace mtcpp
