// In-memory Ethernet for tests and simulations: ports (one per stack) joined by a point-to-point
// MemoryLink or a learning MemorySwitch. Single-threaded; time is only what callers pass as `now`,
// so a test drives every delay with a manual clock and runs the same way every time.
//
// Ports are owned by the caller and may be destroyed before or after the link or switch that
// joins them; either side unplugs itself from the other when it goes.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "backends/memory/packet_pool.h"
#include "core/bytes.h"
#include "core/packet_io.h"
#include "core/rng.h"

namespace mtcpp {

// What the wire does to frames. Each chance is drawn per frame from a stream seeded by `seed`
// (while any is above zero: a wire without faults draws nothing).
struct LinkConditions {
  Duration delay{};
  double loss = 0;
  double duplicate = 0;  // the copy arrives right after the original
  double reorder = 0;    // the frame is held reorder_extra_delay longer, so later ones overtake it
  Duration reorder_extra_delay = std::chrono::milliseconds(1);
  std::uint64_t seed = 1;
};

// Per direction of a link, or per egress port of a switch.
struct LinkCounters {
  std::uint64_t sent = 0;        // frames put on the wire
  std::uint64_t delivered = 0;   // copies queued at the receiver, duplicates included
  std::uint64_t dropped = 0;     // lost by chance, or no port at the far end
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t overflowed = 0;  // the receiver had no free buffer (a full NIC ring)
};

class MemoryPort;

// What a port transmits into: a link or a switch.
class MemoryWire {
 public:
  virtual void transmit(MemoryPort& from, Bytes frame, Instant now) = 0;
  // The port is being destroyed: forget it.
  virtual void unplug(MemoryPort& port) = 0;

 protected:
  ~MemoryWire() = default;
};

struct MemoryPortConfig {
  MacAddr mac;
  std::uint16_t mtu = 1500;
  std::size_t buffers = 512;  // both the tx and the rx side draw on this pool
  std::uint32_t buffer_size = PacketPool::kDefaultBufferSize;
  bool checksum_offload = false;  // claim rx-verified and tx-offloaded checksums (both ends must)
};

// One stack's network device.
class MemoryPort final : public PacketIo {
 public:
  explicit MemoryPort(const MemoryPortConfig& config);
  ~MemoryPort() override;
  MemoryPort(const MemoryPort&) = delete;
  MemoryPort& operator=(const MemoryPort&) = delete;

  LinkCaps caps() const override { return caps_; }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override { return pool_.alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override { pool_.free(pkt); }
  Instant next_rx_time() const override;

  // The wire side. Copies `frame` into a buffer of this port's pool, to be received from
  // deliver_at on; false when the pool is empty or the frame does not fit a buffer.
  bool deliver(Bytes frame, Instant deliver_at);
  std::size_t rx_pending() const { return rx_count_; }
  const PacketPool& pool() const { return pool_; }

  // Called by MemoryLink and MemorySwitch; a port is plugged into at most one wire.
  void plug(MemoryWire& wire);
  void unplug() { wire_ = nullptr; }

 private:
  struct Arrival {
    Instant at;
    PacketBuffer* pkt;
  };
  Arrival& rx_at(std::size_t i) { return rx_ring_[(rx_head_ + i) % rx_ring_.size()]; }

  LinkCaps caps_;
  PacketPool pool_;
  // Frames on their way in, in order of arrival time (equal times in the order they were sent):
  // a ring as large as the pool, since every entry holds a pool buffer. A wire with a fixed delay
  // appends at the back; only a reordered frame is inserted further in.
  std::vector<Arrival> rx_ring_;
  std::size_t rx_head_ = 0;
  std::size_t rx_count_ = 0;
  MemoryWire* wire_ = nullptr;
};

// One direction of a wire: applies the conditions with its own random stream and counts.
class WireDirection {
 public:
  explicit WireDirection(std::uint64_t seed) : rng_(seed) {}
  void carry(Bytes frame, Instant now, const LinkConditions& conditions, MemoryPort* to);
  const LinkCounters& counters() const { return counters_; }

 private:
  void deliver_copy(Bytes frame, Instant at, MemoryPort& to);
  Rng rng_;
  LinkCounters counters_;
};

// A cable between two ports.
class MemoryLink final : public MemoryWire {
 public:
  MemoryLink(MemoryPort& a, MemoryPort& b, const LinkConditions& conditions = {});
  ~MemoryLink();
  MemoryLink(const MemoryLink&) = delete;
  MemoryLink& operator=(const MemoryLink&) = delete;

  // Changes delay and chances from now on; the random streams continue (the seed is not reread).
  void set_conditions(const LinkConditions& conditions) { conditions_ = conditions; }
  const LinkCounters& a_to_b() const { return a_to_b_.counters(); }
  const LinkCounters& b_to_a() const { return b_to_a_.counters(); }

  void transmit(MemoryPort& from, Bytes frame, Instant now) override;
  void unplug(MemoryPort& port) override;

 private:
  LinkConditions conditions_;
  Rng seeds_;  // declared before the directions: it seeds their independent streams
  MemoryPort* a_;
  MemoryPort* b_;
  WireDirection a_to_b_;
  WireDirection b_to_a_;
};

// A learning Ethernet switch: unicast goes to the port the destination was last seen on;
// broadcast, multicast and unknown destinations are flooded to every other port. Entries never
// age. The conditions apply to each copy leaving an egress port.
class MemorySwitch final : public MemoryWire {
 public:
  explicit MemorySwitch(const LinkConditions& conditions = {});
  ~MemorySwitch();
  MemorySwitch(const MemorySwitch&) = delete;
  MemorySwitch& operator=(const MemorySwitch&) = delete;

  // Plugs a port in and returns its switch port number (0, 1, ...).
  std::size_t attach(MemoryPort& port);
  void set_conditions(const LinkConditions& conditions) { conditions_ = conditions; }
  std::optional<std::size_t> learned_port(MacAddr mac) const;
  const LinkCounters& counters_to(std::size_t port) const { return ports_.at(port).toward.counters(); }
  std::uint64_t flooded() const { return flooded_; }  // frames sent to every other port
  std::uint64_t filtered() const { return filtered_; }  // frames for a host on their own port

  void transmit(MemoryPort& from, Bytes frame, Instant now) override;
  void unplug(MemoryPort& port) override;

 private:
  struct SwitchPort {
    MemoryPort* port;  // null once unplugged
    WireDirection toward;
  };
  void learn(MacAddr mac, std::size_t port);
  std::optional<std::size_t> port_number(const MemoryPort& port) const;

  LinkConditions conditions_;
  Rng seeds_;  // one seed per port, so each egress port has its own stream
  std::vector<SwitchPort> ports_;
  std::vector<std::pair<MacAddr, std::size_t>> table_;  // a handful of hosts: a scan is enough
  std::uint64_t flooded_ = 0;
  std::uint64_t filtered_ = 0;
};

}  // namespace mtcpp
