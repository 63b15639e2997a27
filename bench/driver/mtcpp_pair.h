// Two mtcpp stacks joined back to back, configured for benchmarking: room for every connection a
// run opens (TIME_WAIT included) and the widest ephemeral port range. The server is 10.0.0.1, the
// client 10.0.0.2. The link is the lock-free memory pipe (backends/memory/memory_pipe.h), or with
// MtcppOptions::dpdk two DPDK ports on net_ring's rings (backends/dpdk/dpdk_ring_pair.h): the
// same stacks on DPDK's burst API and mbufs.
#pragma once
#include <memory>
#include <string>

#include "backends/dpdk/dpdk_port.h"
#include "backends/memory/memory_pipe.h"
#include "bench/driver/trial.h"
#include "core/stack.h"

namespace bench {

inline const mtcpp::Ipv4Addr kServerAddress = mtcpp::Ipv4Addr::of(10, 0, 0, 1);
inline const mtcpp::Ipv4Addr kClientAddress = mtcpp::Ipv4Addr::of(10, 0, 0, 2);

class MtcppPair {
 public:
  // Throws std::runtime_error when the link cannot be set up (DPDK's reason).
  MtcppPair(std::uint16_t mtu, const MtcppOptions& options);
  ~MtcppPair();

  mtcpp::Stack& server() { return *server_; }
  mtcpp::Stack& client() { return *client_; }

 private:
  std::unique_ptr<mtcpp::MemoryPipe> pipe_;
  std::unique_ptr<mtcpp::DpdkPort> server_port_, client_port_;
  std::unique_ptr<mtcpp::DpdkQueueIo> server_queue_, client_queue_;
  std::unique_ptr<mtcpp::Stack> server_;
  std::unique_ptr<mtcpp::Stack> client_;
};

}  // namespace bench
