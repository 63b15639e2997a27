// A PacketIo that takes a mutex around every call of the device it wraps: lets stacks polled by
// different threads share one single-threaded MemorySwitch. For the in-memory test backend only;
// the real backends (DPDK queues, the SPSC pipe) need no lock.
#pragma once
#include <mutex>

#include "core/packet_io.h"

namespace mtcpp {

class LockedIo final : public PacketIo {
 public:
  LockedIo(PacketIo& inner, std::mutex& mutex) : inner_(inner), mutex_(mutex) {}
  LinkCaps caps() const override { return inner_.caps(); }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override {
    std::lock_guard lock(mutex_);
    return inner_.rx_burst(out, now);
  }
  PacketBuffer* tx_alloc() override {
    std::lock_guard lock(mutex_);
    return inner_.tx_alloc();
  }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override {
    std::lock_guard lock(mutex_);
    return inner_.tx_burst(pkts, now);
  }
  void release(PacketBuffer* pkt) override {
    std::lock_guard lock(mutex_);
    inner_.release(pkt);
  }
  Instant next_rx_time() const override {
    std::lock_guard lock(mutex_);
    return inner_.next_rx_time();
  }

 private:
  PacketIo& inner_;
  std::mutex& mutex_;
};

}  // namespace mtcpp
