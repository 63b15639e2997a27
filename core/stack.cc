// The network layer of a stack: Ethernet and IPv4 in and out, ICMP echo and unreachable, routing.
#include "core/stack.h"

#include <algorithm>
#include <cerrno>

#include "core/wire/checksum.h"
#include "core/wire/ethernet.h"
#include "core/wire/icmp.h"
#include "core/wire/ipv4.h"

namespace mtcpp {

namespace {
constexpr std::size_t kEth = EthernetHeader::kSize;
constexpr std::size_t kIp = Ipv4Header::kMinSize;
}  // namespace

std::variant<std::unique_ptr<Stack>, std::string> Stack::create(const StackConfig& config, PacketIo& io,
                                                                std::span<PacketIo* const> more) {
  if (auto error = config.validate()) return *error;
  if (more.size() != config.more_interfaces.size())
    return "link: " + std::to_string(1 + more.size()) + " device(s) for " +
           std::to_string(1 + config.more_interfaces.size()) + " interface(s)";
  for (std::size_t i = 0; i <= more.size(); ++i) {
    const PacketIo* device = i == 0 ? &io : more[i - 1];
    if (device == nullptr) return "link: interface " + std::to_string(i) + " has no device";
    if (device->caps().mac.is_zero() || device->caps().mac.is_multicast())
      return "link: " + (i == 0 ? std::string("the device") : "interface " + std::to_string(i) + "'s device") +
             " has no unicast MAC";
  }
  return std::unique_ptr<Stack>(new Stack(config, io, more));
}

Stack::Interface::Interface(PacketIo& device, Ipv4Addr addr, int prefix, std::optional<std::uint16_t> max_mtu,
                            const ArpConfig& arp_config)
    : io(&device),
      caps(device.caps()),
      mtu(std::min<std::uint16_t>(max_mtu.value_or(caps.mtu), caps.mtu)),
      address(addr),
      prefix_len(prefix),
      // A /31 or /32 has no broadcast address (RFC 3021).
      directed_broadcast(prefix <= 30 ? Ipv4Addr{addr.value | ~prefix_mask(prefix)} : Ipv4Addr{}),
      arp(arp_config) {}

Stack::Stack(const StackConfig& config, PacketIo& io, std::span<PacketIo* const> more)
    : config_(config),
      rng_(config.secret ? (*config.secret)[0] ^ ((*config.secret)[1] * 0x9e3779b97f4a7c15ull) : config.seed),
      tcp_(config.tcp, *this, rng_, config.secret, stats_) {
  interfaces_.reserve(1 + more.size());
  interfaces_.emplace_back(io, config.address, config.prefix_len, config.mtu, config.arp);
  for (std::size_t i = 0; i < more.size(); ++i) {
    const InterfaceConfig& f = config.more_interfaces[i];
    interfaces_.emplace_back(*more[i], f.address, f.prefix_len, f.mtu, config.arp);
  }
  for (std::size_t i = 0; i < interfaces_.size(); ++i)
    routes_.push_back(RouteEntry{interfaces_[i].address, interfaces_[i].prefix_len, {}, i});
  for (const Route& r : config.routes) {
    const std::size_t out = r.interface >= 0           ? static_cast<std::size_t>(r.interface)
                            : r.gateway.is_unspecified() ? 0
                                                         : interface_on_link(r.gateway);
    routes_.push_back(RouteEntry{r.prefix, r.prefix_len, r.gateway, out});
  }
  if (!config.gateway.is_unspecified())
    routes_.push_back(RouteEntry{Ipv4Addr{}, 0, config.gateway, interface_on_link(config.gateway)});
  for (const StaticArpEntry& e : config.static_arp) interfaces_[interface_on_link(e.ip)].arp.add_static(e.ip, e.mac);
}

Stack::~Stack() {
  for (Interface& i : interfaces_) {
    for (PacketBuffer* b : i.arp.drain()) i.io->release(b);
    for (std::size_t k = 0; k < i.tx_count; ++k) i.io->release(i.tx[k]);
  }
}

std::size_t Stack::interface_on_link(Ipv4Addr a) const {
  for (std::size_t i = 0; i < interfaces_.size(); ++i)
    if (interfaces_[i].in_subnet(a)) return i;
  return 0;
}

std::optional<std::size_t> Stack::interface_with(Ipv4Addr a) const {
  for (std::size_t i = 0; i < interfaces_.size(); ++i)
    if (interfaces_[i].address == a) return i;
  return std::nullopt;
}

void Stack::start(Instant now) {
  if (config_.arp.gratuitous_at_start)
    for (Interface& i : interfaces_) send_arp(i, ArpOp::request, MacAddr::broadcast(), i.address, MacAddr{}, now);
  flush_tx(now);
}

Instant Stack::poll(Instant now) {
  std::array<PacketBuffer*, kBurst> rx;
  // A poll takes at most kMaxRxBursts bursts from each interface, so that a flood (or a device
  // that never runs dry) cannot keep timers and the application from running; what is left
  // waits for the next poll.
  bool rx_left = false;
  for (Interface& in : interfaces_) {
    for (std::size_t bursts = 1;; ++bursts) {
      const std::size_t n = in.io->rx_burst(rx, now);
      tcp_.begin_burst();
      for (std::size_t i = 0; i < n; ++i) {
        input(in, Bytes(rx[i]->data, rx[i]->len), now);
        in.io->release(rx[i]);
      }
      tcp_.end_burst(now);
      flush_tx(now);
      if (n < kBurst) break;
      if (bursts == kMaxRxBursts) {
        rx_left = true;
        break;
      }
    }
  }
  tcp_.run_timers(now);
  for (Interface& i : interfaces_)
    if (now >= i.arp_deadline) run_arp_timers(i, now);
  flush_tx(now);
  if (tcp_.tx_blocked()) {  // connections that stopped for want of room go on where room is now
    tcp_.resume_tx(now);
    flush_tx(now);
  }
  tx_retry_at_ = tx_queued_ > 0 || tcp_.tx_blocked() ? now + kTxRetry : kNever;
  return rx_left ? now : next_deadline();
}

Instant Stack::next_deadline() const {
  Instant next = std::min(tcp_.next_deadline(), tx_retry_at_);
  for (const Interface& i : interfaces_) next = std::min({next, i.arp_deadline, i.io->next_rx_time()});
  return next;
}

// ---- socket calls that emit segments ---------------------------------------------------------

int Stack::connect(int s, Endpoint remote, Instant now) {
  const int r = tcp_.connect(s, remote, now);
  flush_tx(now);
  return r;
}
long Stack::send(int s, Bytes data, Instant now) {
  const long r = tcp_.send(s, data, now);
  flush_tx(now);
  return r;
}
long Stack::recv(int s, MutableBytes out, Instant now, bool peek) {
  const long r = tcp_.recv(s, out, peek, now);
  flush_tx(now);
  return r;
}
int Stack::shutdown(int s, Shutdown how, Instant now) {
  const int r = tcp_.shutdown(s, how, now);
  flush_tx(now);
  return r;
}
int Stack::close(int s, Instant now) {
  const int r = tcp_.close(s, now);
  flush_tx(now);
  return r;
}
int Stack::abort(int s, Instant now) {
  const int r = tcp_.abort(s, now);
  flush_tx(now);
  return r;
}

// ---- input -----------------------------------------------------------------------------------

void Stack::input(Interface& in, Bytes frame, Instant now) {
  ++stats_.frames_received;
  stats_.bytes_received += frame.size();
  ++in.counters.frames_received;
  in.counters.bytes_received += frame.size();
  const auto eth = EthernetHeader::parse(frame);
  if (!eth) {
    ++stats_.frames_malformed;
    ++in.counters.rx_dropped;
    return;
  }
  if (eth->dst != in.caps.mac && !eth->dst.is_broadcast()) {
    ++stats_.frames_not_for_us;
    return;
  }
  Bytes payload = frame.subspan(kEth);
  switch (eth->ethertype) {
    case static_cast<std::uint16_t>(EtherType::arp): arp_input(in, payload, now); break;
    case static_cast<std::uint16_t>(EtherType::ipv4):
      // We accept only datagrams for our unicast addresses, so one that came as a link-layer
      // broadcast is discarded (RFC 1122 §3.3.6).
      if (eth->dst.is_broadcast()) ++stats_.frames_not_for_us;
      else ipv4_input(in, payload, eth->src, now);
      break;
    default: ++stats_.frames_not_for_us; break;
  }
}

void Stack::ipv4_input(Interface& in, Bytes packet, MacAddr from, Instant now) {
  const auto parsed = Ipv4Header::parse(packet, !in.caps.rx_checksum_verified);
  if (!parsed.header) {
    if (parsed.error == Ipv4Header::Error::bad_checksum) ++stats_.ip_bad_checksum;
    else ++stats_.ip_malformed;
    ++in.counters.rx_dropped;
    return;
  }
  const Ipv4Header& ip = *parsed.header;
  if (!is_local_address(ip.dst)) {
    ++stats_.ip_not_for_us;
    return;
  }
  if (ip.is_fragment()) {  // reassembly is not supported; DF is set on everything we send
    ++stats_.ip_fragments_dropped;
    return;
  }
  if (!valid_source(ip.src)) {
    ++stats_.ip_malformed;
    ++in.counters.rx_dropped;
    return;
  }
  // The neighbour this came through still has the MAC we send to: its entry stays fresh.
  if (NextHop next; next_hop(ip.src, &next) && &interfaces_[next.interface] == &in) in.arp.confirm(next.hop, from, now);
  switch (ip.protocol) {
    case static_cast<std::uint8_t>(IpProto::tcp): {
      const auto tcp = TcpHeader::parse(parsed.payload, ip.src, ip.dst, !in.caps.rx_checksum_verified);
      if (!tcp.header) {
        if (tcp.error == TcpHeader::Error::bad_checksum) ++stats_.tcp_bad_checksum;
        else ++stats_.tcp_malformed;
        ++in.counters.rx_dropped;
        return;
      }
      tcp_.segment_arrives(SegmentIn{ip.src, ip.dst, *tcp.header, tcp.payload}, now);
      return;
    }
    case static_cast<std::uint8_t>(IpProto::icmp): icmp_input(ip, parsed.payload, now); return;
    default: ++stats_.ip_unknown_protocol; return;
  }
}

void Stack::icmp_input(const Ipv4Header& ip, Bytes message, Instant now) {
  const auto icmp = IcmpHeader::parse(message);
  if (!icmp) {
    ++stats_.icmp_malformed;
    return;
  }
  if (icmp->type == IcmpHeader::kEchoRequest && icmp->code == 0) {
    // Echo reply: the same body back (RFC 792), if it fits the MTU of the way back.
    NextHop next;
    if (!next_hop(ip.src, &next)) {
      ++stats_.ip_no_route;
      return;
    }
    if (kIp + message.size() > interfaces_[next.interface].mtu) return;
    PacketBuffer* b = alloc_frame(interfaces_[next.interface]);
    if (b == nullptr) return;
    MutableBytes out(b->data, kEth + kIp + message.size());
    std::copy(message.begin(), message.end(), out.begin() + kEth + kIp);
    IcmpHeader{IcmpHeader::kEchoReply, 0, icmp->rest}.emit(out.subspan(kEth + kIp));
    Ipv4Header reply;
    reply.total_length = static_cast<std::uint16_t>(kIp + message.size());
    reply.id = 0;  // an atomic datagram outside any connection (RFC 6864 §4.1)
    reply.protocol = static_cast<std::uint8_t>(IpProto::icmp);
    reply.src = ip.dst;  // the address it was sent to
    reply.dst = ip.src;
    reply.emit(out.subspan(kEth));
    b->len = static_cast<std::uint32_t>(out.size());
    ++stats_.icmp_echo_replies;
    route_out(b, next, now);
    return;
  }
  if (icmp->type == IcmpHeader::kDestUnreachable) {
    // The body quotes our IP header and the first 8 bytes of our TCP header (RFC 792).
    ++stats_.icmp_unreachable_received;
    const auto quoted = quoted_tcp(message.subspan(IcmpHeader::kSize));
    if (!quoted) return;
    const Endpoint local = quoted->local;
    const Endpoint remote = quoted->remote;
    // Fragmentation needed (RFC 1191): everything is sent with DF, so a smaller link on the path
    // says so here, with its MTU in the header's last 16 bits (0 from pre-RFC 1191 routers).
    if (icmp->code == 4) {
      if (quoted->seq)
        tcp_.path_mtu_reduced(local, remote, SeqNum{*quoted->seq}, static_cast<std::uint16_t>(icmp->rest & 0xffff), now);
      return;
    }
    // Soft errors (RFC 1122 §4.2.3.9): remembered, reported only if the connection then fails.
    const int error = icmp->code == 2 || icmp->code == 3 ? ECONNREFUSED
                      : icmp->code == 0                  ? ENETUNREACH
                                                         : EHOSTUNREACH;
    tcp_.soft_error(local, remote, error);
  }
}

// ---- output ----------------------------------------------------------------------------------

// False for a source address no host may use (RFC 1122 §3.2.1.3: silently discarded): limited
// or directed broadcast (of any of our subnets), multicast, "this network" 0/8 (only while a host
// learns its address), loopback 127/8, and one of our own addresses (a spoofed copy of
// ourselves, as in a LAND attack).
bool Stack::valid_source(Ipv4Addr src) const {
  const std::uint8_t first = static_cast<std::uint8_t>(src.value >> 24);
  if (src.is_broadcast() || src.is_multicast() || first == 0 || first == 127) return false;
  for (const Interface& i : interfaces_)
    if (src == i.address || src == i.directed_broadcast) return false;
  return true;
}

std::uint16_t Stack::mtu_toward(Ipv4Addr remote) const {
  if (interfaces_.size() == 1) return interfaces_[0].mtu;
  if (NextHop next; !remote.is_unspecified() && next_hop(remote, &next)) return interfaces_[next.interface].mtu;
  std::uint16_t largest = 0;
  for (const Interface& i : interfaces_) largest = std::max(largest, i.mtu);
  return largest;
}

bool Stack::is_local_address(Ipv4Addr addr) const {
  // Asked for every datagram: a plain loop (through interface_with it cost 36 more instructions
  // per rr transaction, mtcpp-bench --workloads cost).
  for (const Interface& i : interfaces_)
    if (i.address == addr) return true;
  return false;
}

std::optional<Ipv4Addr> Stack::source_address(Ipv4Addr remote) const {
  if (remote.is_unspecified()) return interfaces_[0].address;
  NextHop next;
  if (!next_hop(remote, &next)) return std::nullopt;
  return interfaces_[next.interface].address;
}

PacketBuffer* Stack::alloc_frame(Interface& out) {
  PacketBuffer* b = out.io->tx_alloc();
  if (b == nullptr) {
    ++stats_.tx_no_buffer;
    ++out.counters.tx_dropped;
  }
  return b;
}

bool Stack::next_hop(Ipv4Addr dst, NextHop* next) const {
  // Routes never change after construction, so the last answer stays true: a run of segments to
  // one peer (the usual case) skips the table.
  if (dst == last_route_.dst && last_route_.found) {
    *next = last_route_.next;
    return true;
  }
  const RouteEntry* best = nullptr;
  for (const RouteEntry& r : routes_)
    if ((best == nullptr || r.prefix_len > best->prefix_len) && same_prefix(dst, r.prefix, r.prefix_len))
      best = &r;
  if (best == nullptr) return false;
  next->interface = best->interface;
  next->hop = best->gateway.is_unspecified() ? dst : best->gateway;
  last_route_ = {dst, *next, true};
  return true;
}

void Stack::send_segment(Ipv4Addr src, Ipv4Addr dst, std::uint16_t ip_id, const TcpHeader& header, const Tcb* tcb,
                         std::uint32_t payload_offset, std::uint32_t payload_len, Instant now) {
  NextHop next;
  if (!next_hop(dst, &next)) {
    ++stats_.ip_no_route;
    return;  // TCP's timers see a loss; the connection fails as for an unreachable peer
  }
  Interface& out_if = interfaces_[next.interface];
  PacketBuffer* b = alloc_frame(out_if);
  if (b == nullptr) return;  // counted; TCP's timers recover as from a loss
  const std::size_t tcp_len = TcpHeader::kMinSize + header.options.encoded_size();
  const std::size_t total = kEth + kIp + tcp_len + payload_len;
  if (total > b->capacity || kIp + tcp_len + payload_len > out_if.mtu) {  // TCP sizes segments to fit: a bug
    ++stats_.tx_oversize;
    out_if.io->release(b);
    return;
  }
  MutableBytes out(b->data, total);
  std::uint8_t* payload = b->data + kEth + kIp + tcp_len;
  if (payload_len > 0) tcb->snd.copy_out(payload_offset, payload_len, payload);
  header.emit(out.subspan(kEth + kIp), src, dst, Bytes(payload, payload_len), !out_if.caps.tx_checksum_offload);
  Ipv4Header ip;
  ip.total_length = static_cast<std::uint16_t>(kIp + tcp_len + payload_len);
  ip.id = ip_id;
  ip.protocol = static_cast<std::uint8_t>(IpProto::tcp);
  ip.src = src;
  ip.dst = dst;
  ip.emit(out.subspan(kEth));
  b->len = static_cast<std::uint32_t>(total);
  ++stats_.tcp_segments_sent;
  route_out(b, next, now);
}

void Stack::route_out(PacketBuffer* b, const NextHop& next, Instant now) {
  Interface& out_if = interfaces_[next.interface];
  const Ipv4Addr hop = next.hop;
  MutableBytes frame(b->data, b->len);
  EthernetHeader eth;
  eth.src = out_if.caps.mac;
  eth.ethertype = static_cast<std::uint16_t>(EtherType::ipv4);
  bool probe_now = false;
  if (const MacAddr* mac = out_if.arp.lookup(hop, now, &probe_now)) {
    eth.dst = *mac;
    eth.emit(frame);
    queue_tx(out_if, b, now);
    if (probe_now) {  // stale but in use: confirm it by unicast while it keeps being used
      send_arp(out_if, ArpOp::request, *mac, hop, MacAddr{}, now);
      ++stats_.arp_confirm_probes;
      out_if.arp_deadline = out_if.arp.next_deadline();
    }
    return;
  }
  eth.emit(frame);  // destination filled in when the address resolves
  bool request_now = false;
  if (!out_if.arp.hold(hop, b, now, &request_now)) {
    ++stats_.arp_unresolved_drops;
    out_if.io->release(b);
    return;
  }
  if (request_now) send_arp(out_if, ArpOp::request, MacAddr::broadcast(), hop, MacAddr{}, now);
  out_if.arp_deadline = out_if.arp.next_deadline();
}

bool Stack::tx_room(Ipv4Addr remote, Instant now) {
  if (tx_queued_ < kBurst) return true;  // no interface's batch is full: the usual case
  NextHop next;
  if (!next_hop(remote, &next)) return true;  // send_segment counts the missing route
  Interface& out = interfaces_[next.interface];
  if (out.tx_count == out.tx.size()) flush_tx(out, now);
  return out.tx_count < out.tx.size();
}

void Stack::queue_tx(Interface& out, PacketBuffer* b, Instant now) {
  if (out.tx_count == out.tx.size()) flush_tx(out, now);
  if (out.tx_count == out.tx.size()) {  // the device refuses, and its backlog is full
    ++stats_.tx_backlog_dropped;
    ++out.counters.tx_dropped;
    out.io->release(b);
    return;
  }
  out.tx[out.tx_count++] = b;
  ++tx_queued_;
}

void Stack::flush_tx(Instant now) {
  if (tx_queued_ == 0) return;  // the usual case: called after every socket call and burst
  for (Interface& i : interfaces_)
    if (i.tx_count != 0) flush_tx(i, now);
}

void Stack::flush_tx(Interface& out, Instant now) {
  if (out.tx_count == 0) return;
  const std::size_t sent = out.io->tx_burst(std::span<PacketBuffer* const>(out.tx.data(), out.tx_count), now);
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < sent; ++i) bytes += out.tx[i]->len;
  stats_.frames_sent += sent;
  stats_.bytes_sent += bytes;
  out.counters.frames_sent += sent;
  out.counters.bytes_sent += bytes;
  tx_queued_ -= sent;
  if (sent == out.tx_count) {
    out.tx_count = 0;
    return;
  }
  // The device's ring is full: what it did not take stays, in order, and goes first next time
  // (TCP stops adding data once the backlog is full: Tcp::take_tx_room).
  ++stats_.tx_ring_full;
  std::copy(out.tx.begin() + static_cast<long>(sent), out.tx.begin() + static_cast<long>(out.tx_count), out.tx.begin());
  out.tx_count -= sent;
  tx_retry_at_ = std::min(tx_retry_at_, now + kTxRetry);
}

}  // namespace mtcpp
