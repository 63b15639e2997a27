// conns: how many established connections fit in a memory budget, and what an idle one costs.
// Connections are opened in batches and memory is measured after each, never computed:
//   mtcpp  both stacks in this process (one thread, the counted clock): the process's RSS
//   Linux  both ends in this process over loopback: the kernel's slab memory plus the RSS
// Both figures count both ends of each connection, so a connection's cost is per pair and an
// idle socket's is half of it.
#pragma once
#include <cstdint>
#include <string>

#include "bench/driver/trial.h"

namespace bench {

struct ConnsResult {
  std::uint64_t connections = 0;  // established, both ends in this process
  std::uint64_t bytes = 0;        // memory measured above the baseline
  std::uint64_t baseline = 0;     // before the first connection: the stacks (mtcpp) or nothing (Linux)
  double bytes_per_socket() const { return connections ? static_cast<double>(bytes) / (2.0 * connections) : 0; }
  std::string limit;  // what stopped the run: the budget, the count asked for, or an error
};

// timewait: what connections in TIME_WAIT cost the timers. `connections` connections are opened
// and closed (the client first, so its stack holds them in TIME_WAIT for 60 s), then both stacks
// are polled once per simulated millisecond for 10 s, timed, and compared with the same stacks
// holding no connection at all.
struct TimeWaitResult {
  std::uint64_t in_time_wait = 0;
  double ns_per_tick = 0;        // both stacks' polls, with them in TIME_WAIT
  double ns_per_tick_idle = 0;   // the same with no connection
};
TimeWaitResult measure_time_wait(std::uint64_t connections, const MtcppOptions& options);

ConnsResult measure_conns(System system, std::uint64_t max_connections, std::uint64_t budget_bytes,
                          const MtcppOptions& options);

}  // namespace bench
