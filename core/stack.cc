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

// False for a source address no host may use (RFC 1122 §3.2.1.3: silently discarded): limited
// or directed broadcast, multicast, "this network" 0/8 (only while a host learns its address),
// loopback 127/8, and our own address (a spoofed copy of ourselves, as in a LAND attack).
bool valid_source(Ipv4Addr src, const StackConfig& config) {
  const std::uint8_t first = static_cast<std::uint8_t>(src.value >> 24);
  if (src.is_broadcast() || src.is_multicast() || first == 0 || first == 127 || src == config.address)
    return false;
  const std::uint32_t host_bits = ~prefix_mask(config.prefix_len);
  const bool same_subnet = (src.value & ~host_bits) == (config.address.value & ~host_bits);
  return !(config.prefix_len <= 30 && same_subnet && (src.value & host_bits) == host_bits);
}
}  // namespace

std::variant<std::unique_ptr<Stack>, std::string> Stack::create(const StackConfig& config, PacketIo& io) {
  if (auto error = config.validate()) return *error;
  if (io.caps().mac.is_zero() || io.caps().mac.is_multicast()) return std::string("link: the device has no unicast MAC");
  return std::unique_ptr<Stack>(new Stack(config, io));
}

Stack::Stack(const StackConfig& config, PacketIo& io)
    : config_(config),
      io_(io),
      caps_(io.caps()),
      mtu_(std::min<std::uint16_t>(config.mtu.value_or(caps_.mtu), caps_.mtu)),
      rng_(config.secret ? (*config.secret)[0] ^ ((*config.secret)[1] * 0x9e3779b97f4a7c15ull) : config.seed),
      arp_(config.arp),
      tcp_(config.tcp, config.address, *this, rng_, config.secret, stats_) {
  for (const StaticArpEntry& e : config.static_arp) arp_.add_static(e.ip, e.mac);
}

Stack::~Stack() {
  for (PacketBuffer* b : arp_.drain()) io_.release(b);
  for (std::size_t i = 0; i < tx_count_; ++i) io_.release(tx_[i]);
}

void Stack::start(Instant now) {
  if (config_.arp.gratuitous_at_start)
    send_arp(ArpOp::request, MacAddr::broadcast(), config_.address, MacAddr{}, now);
  flush_tx(now);
}

Instant Stack::poll(Instant now) {
  std::array<PacketBuffer*, kBurst> rx;
  // A poll takes at most kMaxRxBursts bursts, so that a flood (or a device that never runs dry)
  // cannot keep timers and the application from running; what is left waits for the next poll.
  bool rx_left = false;
  for (std::size_t bursts = 1;; ++bursts) {
    const std::size_t n = io_.rx_burst(rx, now);
    for (std::size_t i = 0; i < n; ++i) {
      input(Bytes(rx[i]->data, rx[i]->len), now);
      io_.release(rx[i]);
    }
    flush_tx(now);
    if (n < kBurst) break;
    if (bursts == kMaxRxBursts) {
      rx_left = true;
      break;
    }
  }
  tcp_.run_timers(now);
  if (now >= arp_deadline_) run_arp_timers(now);
  flush_tx(now);
  return rx_left ? now : next_deadline();
}

Instant Stack::next_deadline() const {
  return std::min({tcp_.next_deadline(), arp_deadline_, io_.next_rx_time()});
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

void Stack::input(Bytes frame, Instant now) {
  ++stats_.frames_received;
  stats_.bytes_received += frame.size();
  const auto eth = EthernetHeader::parse(frame);
  if (!eth) {
    ++stats_.frames_malformed;
    return;
  }
  if (eth->dst != caps_.mac && !eth->dst.is_broadcast()) {
    ++stats_.frames_not_for_us;
    return;
  }
  Bytes payload = frame.subspan(kEth);
  switch (eth->ethertype) {
    case static_cast<std::uint16_t>(EtherType::arp): arp_input(payload, now); break;
    case static_cast<std::uint16_t>(EtherType::ipv4):
      // We accept only datagrams for our unicast address, so one that came as a link-layer
      // broadcast is discarded (RFC 1122 §3.3.6).
      if (eth->dst.is_broadcast()) ++stats_.frames_not_for_us;
      else ipv4_input(payload, eth->src, now);
      break;
    default: ++stats_.frames_not_for_us; break;
  }
}

void Stack::ipv4_input(Bytes packet, MacAddr from, Instant now) {
  const auto parsed = Ipv4Header::parse(packet, !caps_.rx_checksum_verified);
  if (!parsed.header) {
    if (parsed.error == Ipv4Header::Error::bad_checksum) ++stats_.ip_bad_checksum;
    else ++stats_.ip_malformed;
    return;
  }
  const Ipv4Header& ip = *parsed.header;
  if (ip.dst != config_.address) {
    ++stats_.ip_not_for_us;
    return;
  }
  if (ip.is_fragment()) {  // reassembly is not supported; DF is set on everything we send
    ++stats_.ip_fragments_dropped;
    return;
  }
  if (!valid_source(ip.src, config_)) {
    ++stats_.ip_malformed;
    return;
  }
  // The neighbour this came through still has the MAC we send to: its entry stays fresh.
  if (Ipv4Addr hop; next_hop(ip.src, &hop)) arp_.confirm(hop, from, now);
  switch (ip.protocol) {
    case static_cast<std::uint8_t>(IpProto::tcp): {
      const auto tcp = TcpHeader::parse(parsed.payload, ip.src, ip.dst, !caps_.rx_checksum_verified);
      if (!tcp.header) {
        if (tcp.error == TcpHeader::Error::bad_checksum) ++stats_.tcp_bad_checksum;
        else ++stats_.tcp_malformed;
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
    // Echo reply: the same body back (RFC 792), if it fits our MTU.
    if (kIp + message.size() > mtu_) return;
    PacketBuffer* b = alloc_frame();
    if (b == nullptr) return;
    MutableBytes out(b->data, kEth + kIp + message.size());
    std::copy(message.begin(), message.end(), out.begin() + kEth + kIp);
    IcmpHeader{IcmpHeader::kEchoReply, 0, icmp->rest}.emit(out.subspan(kEth + kIp));
    Ipv4Header reply;
    reply.total_length = static_cast<std::uint16_t>(kIp + message.size());
    reply.id = 0;  // an atomic datagram outside any connection (RFC 6864 §4.1)
    reply.protocol = static_cast<std::uint8_t>(IpProto::icmp);
    reply.src = config_.address;
    reply.dst = ip.src;
    reply.emit(out.subspan(kEth));
    b->len = static_cast<std::uint32_t>(out.size());
    ++stats_.icmp_echo_replies;
    route_out(b, ip.src, now);
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

PacketBuffer* Stack::alloc_frame() {
  PacketBuffer* b = io_.tx_alloc();
  if (b == nullptr) ++stats_.tx_no_buffer;
  return b;
}

bool Stack::next_hop(Ipv4Addr dst, Ipv4Addr* hop) const {
  // Longest prefix wins: the connected subnet, the configured routes, then the default gateway.
  int best_len = -1;
  if ((dst.value & prefix_mask(config_.prefix_len)) == (config_.address.value & prefix_mask(config_.prefix_len))) {
    best_len = config_.prefix_len;
    *hop = dst;
  }
  for (const Route& r : config_.routes) {
    if (r.prefix_len > best_len && (dst.value & prefix_mask(r.prefix_len)) == (r.prefix.value & prefix_mask(r.prefix_len))) {
      best_len = r.prefix_len;
      *hop = r.gateway.is_unspecified() ? dst : r.gateway;
    }
  }
  if (best_len < 0 && !config_.gateway.is_unspecified()) {
    best_len = 0;
    *hop = config_.gateway;
  }
  return best_len >= 0;
}

void Stack::send_segment(Ipv4Addr src, Ipv4Addr dst, std::uint16_t ip_id, const TcpHeader& header, const Tcb* tcb,
                         std::uint32_t payload_offset, std::uint32_t payload_len, Instant now) {
  PacketBuffer* b = alloc_frame();
  if (b == nullptr) return;  // counted; TCP's timers recover as from a loss
  const std::size_t tcp_len = TcpHeader::kMinSize + header.options.encoded_size();
  const std::size_t total = kEth + kIp + tcp_len + payload_len;
  if (total > b->capacity || kIp + tcp_len + payload_len > mtu_) {  // TCP sizes segments to fit: a bug
    ++stats_.tx_oversize;
    io_.release(b);
    return;
  }
  MutableBytes out(b->data, total);
  std::uint8_t* payload = b->data + kEth + kIp + tcp_len;
  if (payload_len > 0) tcb->snd.copy_out(payload_offset, payload_len, payload);
  header.emit(out.subspan(kEth + kIp), src, dst, Bytes(payload, payload_len), !caps_.tx_checksum_offload);
  Ipv4Header ip;
  ip.total_length = static_cast<std::uint16_t>(kIp + tcp_len + payload_len);
  ip.id = ip_id;
  ip.protocol = static_cast<std::uint8_t>(IpProto::tcp);
  ip.src = src;
  ip.dst = dst;
  ip.emit(out.subspan(kEth));
  b->len = static_cast<std::uint32_t>(total);
  ++stats_.tcp_segments_sent;
  route_out(b, dst, now);
}

void Stack::route_out(PacketBuffer* b, Ipv4Addr dst, Instant now) {
  Ipv4Addr hop;
  if (!next_hop(dst, &hop)) {
    ++stats_.ip_no_route;
    io_.release(b);
    return;
  }
  MutableBytes frame(b->data, b->len);
  EthernetHeader eth;
  eth.src = caps_.mac;
  eth.ethertype = static_cast<std::uint16_t>(EtherType::ipv4);
  bool probe_now = false;
  if (const MacAddr* mac = arp_.lookup(hop, now, &probe_now)) {
    eth.dst = *mac;
    eth.emit(frame);
    queue_tx(b, now);
    if (probe_now) {  // stale but in use: confirm it by unicast while it keeps being used
      send_arp(ArpOp::request, *mac, hop, MacAddr{}, now);
      ++stats_.arp_confirm_probes;
      arp_deadline_ = arp_.next_deadline();
    }
    return;
  }
  eth.emit(frame);  // destination filled in when the address resolves
  bool request_now = false;
  if (!arp_.hold(hop, b, now, &request_now)) {
    ++stats_.arp_unresolved_drops;
    io_.release(b);
    return;
  }
  if (request_now) send_arp(ArpOp::request, MacAddr::broadcast(), hop, MacAddr{}, now);
  arp_deadline_ = arp_.next_deadline();
}

void Stack::queue_tx(PacketBuffer* b, Instant now) {
  if (tx_count_ == tx_.size()) flush_tx(now);
  tx_[tx_count_++] = b;
}

void Stack::flush_tx(Instant now) {
  if (tx_count_ == 0) return;
  const std::size_t sent = io_.tx_burst(std::span<PacketBuffer* const>(tx_.data(), tx_count_), now);
  stats_.frames_sent += sent;
  for (std::size_t i = 0; i < sent; ++i) stats_.bytes_sent += tx_[i]->len;
  for (std::size_t i = sent; i < tx_count_; ++i) {
    ++stats_.tx_ring_full;
    io_.release(tx_[i]);
  }
  tx_count_ = 0;
}

}  // namespace mtcpp
