// The packet-IO boundary: the one interface every backend implements (memory links, the host
// C API, libpcap, DPDK, ns-3) and every wrapper (pcap writer, fault injector) both implements and
// wraps. Shaped like DPDK's burst API so DPDK costs nothing: buffers are lent by the backend, the
// stack writes a frame once into a lent tx buffer and hands it back in a burst.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/time.h"
#include "core/wire/addr.h"

namespace mtcpp {

// A frame buffer owned by a backend. `data` points at the first byte of the Ethernet header.
struct PacketBuffer {
  std::uint8_t* data = nullptr;
  std::uint32_t len = 0;       // bytes of frame
  std::uint32_t capacity = 0;  // bytes available at data
  void* backend = nullptr;     // the backend's own handle (an mbuf, a pool slot)
};

struct LinkCaps {
  MacAddr mac;
  std::uint16_t mtu = 1500;            // IP MTU: largest IPv4 packet, headers included
  bool rx_checksum_verified = false;   // the device checked IPv4 and TCP checksums of received frames
  bool tx_checksum_offload = false;    // the device fills IPv4 and TCP checksums of sent frames
};

class PacketIo {
 public:
  virtual ~PacketIo() = default;
  virtual LinkCaps caps() const = 0;
  // Moves up to out.size() received frames into out; the caller owns them until release().
  virtual std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) = 0;
  // A buffer to build a frame in, or nullptr when the pool is empty.
  virtual PacketBuffer* tx_alloc() = 0;
  // Sends frames from the front of pkts; returns how many were taken. The rest stay the caller's.
  virtual std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) = 0;
  // Gives back a buffer from rx_burst, or one from tx_alloc that will not be sent.
  virtual void release(PacketBuffer* pkt) = 0;
  // The earliest time at which rx_burst may have something new (a delayed link), or kNever.
  virtual Instant next_rx_time() const { return kNever; }
};

}  // namespace mtcpp
