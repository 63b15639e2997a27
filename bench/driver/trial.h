// One trial: a workload run on one system for a warm-up and then a measured interval, each side
// on its own pinned core (or both on one core for the -1core workloads). Each trial starts from
// fresh stacks (mtcpp) or fresh sockets on a port of its own (Linux), so trials do not interact.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "bench/driver/workload.h"

namespace bench {

enum class System { mtcpp, linux_kernel };
const char* name_of(System s);

struct Timing {
  std::chrono::milliseconds warmup{100};
  std::chrono::milliseconds measure{500};
};

struct MtcppOptions {
  bool checksum_offload = true;  // the pipe's ports claim checksum offload, as a NIC (and loopback) do
  // The stacks on two DPDK ports joined by net_ring's rings instead of the memory pipe (root;
  // net_ring offloads no checksums, so compare with checksum_offload off).
  bool dpdk = false;
};

struct TrialResult {
  double value = 0;  // the workload's figure in its unit (lat: the p50 round trip)
  double p90 = 0;    // lat only
  double p99 = 0;
  std::uint64_t ops = 0;  // operations (or bulk bytes) in the measured interval
  double seconds = 0;
  std::uint64_t failures = 0;
  std::string error;  // set when the trial could not run
};

TrialResult run_trial(System system, const Workload& w, const Timing& timing, const MtcppOptions& options,
                      std::uint16_t port);

// For instruction counts: mtcpp only, both stacks in the calling thread, on a clock that moves 1 µs
// per reading, until `ops` operations (bulk: bytes) are done. Returns the operations done.
std::uint64_t run_counted(const Workload& w, const MtcppOptions& options, std::uint64_t ops);

}  // namespace bench
