// The ns-3 backend: an mtcpp stack attached to an ns-3 NetDevice through the packet-IO boundary.
//
//   ns-3 device → Node protocol handler (promiscuous, so the real destination MAC is known)
//     → receive(): rebuild the Ethernet II frame into a pool buffer → rx queue → rx_burst
//   tx_burst → parse the Ethernet header → NetDevice::SendFrom(payload, src, dst, ethertype)
//
// ns-3 strips the link header before delivery and adds its own on send, so frames cross the
// boundary as (protocol, source, destination, payload) and are rebuilt here. Time is the
// simulator's: the stack's `now` is Simulator::Now() in microseconds (see MtcppNode).
//
// CSMA (Ethernet II framing, real ARP) is the main link. Point-to-point works for IPv4 only: PPP
// has no ARP, so the stack needs a static ARP entry for its peer (any MAC: the link ignores it),
// and the source MAC of received frames is the peer device's address.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>

#include <ns3/net-device.h>
#include <ns3/node.h>
#include <ns3/packet.h>
#include <ns3/ptr.h>
#include <ns3/queue-fwd.h>

#include "backends/memory/packet_pool.h"
#include "core/packet_io.h"

namespace mtcpp::sim {

class Ns3Device final : public PacketIo {
 public:
  // `device` must already be installed on a node (CsmaHelper / PointToPointHelper did that). The
  // link MAC is the device's Mac48Address; MTU 1500 (or the device's, if smaller); no offloads.
  explicit Ns3Device(ns3::Ptr<ns3::NetDevice> device, std::size_t pool_buffers = 1024);
  ~Ns3Device() override;
  Ns3Device(const Ns3Device&) = delete;
  Ns3Device& operator=(const Ns3Device&) = delete;

  // Called after each frame is queued for rx (MtcppNode schedules a poll from it).
  void set_rx_notify(std::function<void()> notify) { rx_notify_ = std::move(notify); }

  ns3::Ptr<ns3::NetDevice> device() const { return device_; }
  const PacketPool& pool() const { return pool_; }
  std::size_t rx_pending() const { return rx_.size(); }
  std::uint64_t rx_dropped() const { return rx_dropped_; }  // pool empty or frame too long
  // Runt frames, non-IPv4 frames on point-to-point, frames the device refused.
  std::uint64_t tx_failed() const { return tx_failed_; }

  LinkCaps caps() const override { return caps_; }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override { return pool_.alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override { pool_.free(pkt); }
  Instant next_rx_time() const override;

 private:
  bool receive(ns3::Ptr<ns3::NetDevice> device, ns3::Ptr<const ns3::Packet> packet,
               std::uint16_t protocol, const ns3::Address& from, const ns3::Address& to,
               ns3::NetDevice::PacketType type);

  bool queue_full(std::uint32_t bytes) const;

  ns3::Ptr<ns3::NetDevice> device_;
  ns3::Ptr<ns3::Queue<ns3::Packet>> queue_;  // the device's transmit queue: our tx ring
  bool point_to_point_ = false;
  LinkCaps caps_;
  PacketPool pool_;
  std::deque<PacketBuffer*> rx_;
  std::function<void()> rx_notify_;
  std::uint64_t rx_dropped_ = 0;
  std::uint64_t tx_failed_ = 0;
  bool attached_ = false;
};

}  // namespace mtcpp::sim
