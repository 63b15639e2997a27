#include "backends/memory/memory_link.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/wire/ethernet.h"

namespace mtcpp {

// ---- MemoryPort ----

MemoryPort::MemoryPort(const MemoryPortConfig& config)
    : caps_{.mac = config.mac,
            .mtu = config.mtu,
            .rx_checksum_verified = config.checksum_offload,
            .tx_checksum_offload = config.checksum_offload},
      pool_(config.buffers, config.buffer_size),
      rx_ring_(config.buffers) {}

MemoryPort::~MemoryPort() {
  if (wire_ != nullptr) wire_->unplug(*this);
}

void MemoryPort::plug(MemoryWire& wire) {
  if (wire_ != nullptr) {
    std::fprintf(stderr, "MemoryPort: plugged into a second link or switch\n");
    std::abort();
  }
  wire_ = &wire;
}

std::size_t MemoryPort::rx_burst(std::span<PacketBuffer*> out, Instant now) {
  std::size_t n = 0;
  while (n < out.size() && rx_count_ > 0 && rx_at(0).at <= now) {
    out[n++] = rx_at(0).pkt;
    rx_head_ = (rx_head_ + 1) % rx_ring_.size();
    --rx_count_;
  }
  return n;
}

std::size_t MemoryPort::tx_burst(std::span<PacketBuffer* const> pkts, Instant now) {
  for (PacketBuffer* pkt : pkts) {
    // Without a wire the frame goes nowhere, like a device with its cable pulled.
    if (wire_ != nullptr) wire_->transmit(*this, Bytes(pkt->data, pkt->len), now);
    pool_.free(pkt);
  }
  return pkts.size();
}

Instant MemoryPort::next_rx_time() const {
  return rx_count_ == 0 ? kNever : rx_ring_[rx_head_].at;
}

bool MemoryPort::deliver(Bytes frame, Instant deliver_at) {
  if (frame.size() > pool_.buffer_size()) return false;
  PacketBuffer* pkt = pool_.alloc();
  if (pkt == nullptr) return false;
  std::copy(frame.begin(), frame.end(), pkt->data);
  pkt->len = static_cast<std::uint32_t>(frame.size());
  // The pool holds no more buffers than the ring has entries, so there is room. Entries due
  // later than this one move back a place.
  std::size_t i = rx_count_++;
  for (; i > 0 && rx_at(i - 1).at > deliver_at; --i) rx_at(i) = rx_at(i - 1);
  rx_at(i) = {deliver_at, pkt};
  return true;
}

// ---- WireDirection ----

void WireDirection::carry(Bytes frame, Instant now, const LinkConditions& conditions, MemoryPort* to) {
  ++counters_.sent;
  // While any fault is configured every chance is drawn for every frame, so changing one
  // probability does not shift the decisions the others make for the same seed.
  const bool faults = conditions.loss > 0 || conditions.duplicate > 0 || conditions.reorder > 0;
  const bool lose = faults && rng_.chance(conditions.loss);
  const bool duplicate = faults && rng_.chance(conditions.duplicate);
  const bool reorder = faults && rng_.chance(conditions.reorder);
  if (lose || to == nullptr) {
    ++counters_.dropped;
    return;
  }
  Instant at = now + conditions.delay;
  if (reorder) {
    at += conditions.reorder_extra_delay;
    ++counters_.reordered;
  }
  deliver_copy(frame, at, *to);
  if (duplicate) {
    ++counters_.duplicated;
    deliver_copy(frame, at, *to);
  }
}

void WireDirection::deliver_copy(Bytes frame, Instant at, MemoryPort& to) {
  if (to.deliver(frame, at)) {
    ++counters_.delivered;
  } else {
    ++counters_.overflowed;
  }
}

// ---- MemoryLink ----

MemoryLink::MemoryLink(MemoryPort& a, MemoryPort& b, const LinkConditions& conditions)
    : conditions_(conditions),
      seeds_(conditions.seed),
      a_(&a),
      b_(&b),
      a_to_b_(seeds_.next()),
      b_to_a_(seeds_.next()) {
  a.plug(*this);
  b.plug(*this);
}

MemoryLink::~MemoryLink() {
  if (a_ != nullptr) a_->unplug();
  if (b_ != nullptr) b_->unplug();
}

void MemoryLink::transmit(MemoryPort& from, Bytes frame, Instant now) {
  if (&from == a_) {
    a_to_b_.carry(frame, now, conditions_, b_);
  } else if (&from == b_) {
    b_to_a_.carry(frame, now, conditions_, a_);
  }
}

void MemoryLink::unplug(MemoryPort& port) {
  if (&port == a_) a_ = nullptr;
  if (&port == b_) b_ = nullptr;
}

// ---- MemorySwitch ----

MemorySwitch::MemorySwitch(const LinkConditions& conditions)
    : conditions_(conditions), seeds_(conditions.seed) {}

MemorySwitch::~MemorySwitch() {
  for (SwitchPort& p : ports_) {
    if (p.port != nullptr) p.port->unplug();
  }
}

std::size_t MemorySwitch::attach(MemoryPort& port) {
  port.plug(*this);
  ports_.push_back({&port, WireDirection(seeds_.next())});
  return ports_.size() - 1;
}

std::optional<std::size_t> MemorySwitch::learned_port(MacAddr mac) const {
  for (const auto& [known, port] : table_) {
    if (known == mac) return port;
  }
  return std::nullopt;
}

void MemorySwitch::learn(MacAddr mac, std::size_t port) {
  // A group address never appears as a source on a sane network; learning it would misdirect.
  if (mac.is_multicast() || mac.is_zero()) return;
  for (auto& [known, where] : table_) {
    if (known == mac) {
      where = port;  // the host moved
      return;
    }
  }
  table_.emplace_back(mac, port);
}

std::optional<std::size_t> MemorySwitch::port_number(const MemoryPort& port) const {
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (ports_[i].port == &port) return i;
  }
  return std::nullopt;
}

void MemorySwitch::transmit(MemoryPort& from, Bytes frame, Instant now) {
  const std::optional<EthernetHeader> eth = EthernetHeader::parse(frame);
  const std::optional<std::size_t> ingress = port_number(from);
  if (!eth || !ingress) return;  // a runt cannot be switched
  learn(eth->src, *ingress);

  const std::optional<std::size_t> egress =
      eth->dst.is_multicast() ? std::nullopt : learned_port(eth->dst);
  if (egress) {
    if (*egress == *ingress) {
      ++filtered_;
      return;
    }
    SwitchPort& out = ports_[*egress];
    out.toward.carry(frame, now, conditions_, out.port);
    return;
  }
  ++flooded_;
  for (std::size_t i = 0; i < ports_.size(); ++i) {
    if (i != *ingress && ports_[i].port != nullptr) {
      ports_[i].toward.carry(frame, now, conditions_, ports_[i].port);
    }
  }
}

void MemorySwitch::unplug(MemoryPort& port) {
  if (const auto number = port_number(port)) ports_[*number].port = nullptr;
}

}  // namespace mtcpp
