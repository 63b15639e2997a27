#include "sim/ns3_device.h"

#include <algorithm>

#include <ns3/csma-net-device.h>
#include <ns3/mac48-address.h>
#include <ns3/point-to-point-net-device.h>
#include <ns3/queue.h>
#include <ns3/simulator.h>

namespace mtcpp::sim {
namespace {

constexpr std::uint32_t kEthHeader = 14;

MacAddr to_mac(const ns3::Address& a) {
  MacAddr m;
  if (ns3::Mac48Address::IsMatchingType(a)) ns3::Mac48Address::ConvertFrom(a).CopyTo(m.octets.data());
  return m;
}

ns3::Mac48Address to_ns3(const std::uint8_t* octets) {
  ns3::Mac48Address m;
  m.CopyFrom(octets);
  return m;
}

}  // namespace

Ns3Device::Ns3Device(ns3::Ptr<ns3::NetDevice> device, std::size_t pool_buffers)
    : device_(std::move(device)), pool_(pool_buffers) {
  caps_.mac = to_mac(device_->GetAddress());
  if (auto csma = device_->GetObject<ns3::CsmaNetDevice>()) {
    queue_ = csma->GetQueue();
  } else if (auto p2p = device_->GetObject<ns3::PointToPointNetDevice>()) {
    queue_ = p2p->GetQueue();
    point_to_point_ = true;
  }
  caps_.mtu = std::min<std::uint16_t>(1500, device_->GetMtu());
  caps_.rx_checksum_verified = false;
  caps_.tx_checksum_offload = false;
  // Protocol 0 = every EtherType; promiscuous so the handler learns the real destination and
  // packet type (the non-promiscuous path reports the device's own address as destination).
  device_->GetNode()->RegisterProtocolHandler(ns3::MakeCallback(&Ns3Device::receive, this), 0,
                                              device_, true);
  attached_ = true;
}

Ns3Device::~Ns3Device() {
  if (attached_ && device_->GetNode() != nullptr) {
    device_->GetNode()->UnregisterProtocolHandler(ns3::MakeCallback(&Ns3Device::receive, this));
  }
  for (PacketBuffer* b : rx_) pool_.free(b);
}

bool Ns3Device::receive(ns3::Ptr<ns3::NetDevice>, ns3::Ptr<const ns3::Packet> packet,
                        std::uint16_t protocol, const ns3::Address& from, const ns3::Address& to,
                        ns3::NetDevice::PacketType type) {
  // A NIC outside promiscuous mode never sees frames addressed to other hosts.
  if (type == ns3::NetDevice::PACKET_OTHERHOST) return false;
  const std::uint32_t size = packet->GetSize();
  PacketBuffer* b = size + kEthHeader <= pool_.buffer_size() ? pool_.alloc() : nullptr;
  if (b == nullptr) {
    ++rx_dropped_;
    return false;
  }
  // Ethernet II: destination, source, EtherType, payload.
  const MacAddr dst = to_mac(to);
  const MacAddr src = to_mac(from);
  std::copy(dst.octets.begin(), dst.octets.end(), b->data);
  std::copy(src.octets.begin(), src.octets.end(), b->data + 6);
  b->data[12] = static_cast<std::uint8_t>(protocol >> 8);
  b->data[13] = static_cast<std::uint8_t>(protocol);
  packet->CopyData(b->data + kEthHeader, size);
  b->len = kEthHeader + size;
  rx_.push_back(b);
  if (rx_notify_) rx_notify_();
  return true;
}

std::size_t Ns3Device::rx_burst(std::span<PacketBuffer*> out, Instant) {
  std::size_t n = 0;
  while (n < out.size() && !rx_.empty()) {
    out[n++] = rx_.front();
    rx_.pop_front();
  }
  return n;
}

bool Ns3Device::queue_full(std::uint32_t bytes) const {
  if (queue_ == nullptr) return false;
  const ns3::QueueSize cur = queue_->GetCurrentSize();
  const ns3::QueueSize max = queue_->GetMaxSize();
  if (cur.GetUnit() == ns3::QueueSizeUnit::PACKETS) return cur.GetValue() + 1 > max.GetValue();
  return cur.GetValue() + bytes > max.GetValue();
}

std::size_t Ns3Device::tx_burst(std::span<PacketBuffer* const> pkts, Instant) {
  std::size_t taken = 0;
  for (PacketBuffer* b : pkts) {
    // A full device queue is a full tx ring: the rest stay the stack's, offered again later,
    // rather than being accepted here and dropped silently by the device.
    if (queue_full(b->len)) break;
    ++taken;
    const std::uint16_t ethertype =
        b->len < kEthHeader ? 0 : static_cast<std::uint16_t>((b->data[12] << 8) | b->data[13]);
    // Point-to-point carries PPP, which has no ARP: only IPv4 goes out (configure static ARP).
    if (b->len < kEthHeader || (point_to_point_ && ethertype != 0x0800)) {
      ++tx_failed_;
      pool_.free(b);
      continue;
    }
    ns3::Ptr<ns3::Packet> p = ns3::Create<ns3::Packet>(b->data + kEthHeader, b->len - kEthHeader);
    const ns3::Mac48Address dst = to_ns3(b->data);
    const ns3::Mac48Address src = to_ns3(b->data + 6);
    // The device copies the payload into its own Packet, so the buffer goes straight back.
    pool_.free(b);
    const bool ok = device_->SupportsSendFrom() ? device_->SendFrom(p, src, dst, ethertype)
                                                : device_->Send(p, dst, ethertype);
    if (!ok) ++tx_failed_;
  }
  return taken;
}

Instant Ns3Device::next_rx_time() const {
  return rx_.empty() ? kNever : from_us(ns3::Simulator::Now().GetMicroSeconds());
}

}  // namespace mtcpp::sim
