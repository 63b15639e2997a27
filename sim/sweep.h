// The loss sweep (`mtcpp-sim sweep`): one bulk transfer per loss rate, seed and peer pairing on
// the scenarios' CSMA link or the point-to-point bottleneck, reporting each pairing's
// transfer time and goodput as the median and spread over the seeds, as a table and as JSON
// lines. The pairings: mtcpp (NewReno, CUBIC) to mtcpp, mtcpp to ns-3's TCP, and ns-3's best
// (CUBIC with SACK and PRR) to itself, the baseline.
#pragma once
#include <cstdint>
#include <cstdio>
#include <vector>

#include "sim/scenario.h"

namespace mtcpp::sim {

// The bottleneck: 100 Mbit/s, 20 ms round trip, a queue of one bandwidth-delay product
// (250 kB: 167 frames of 1,500 bytes).
inline LinkSpec sweep_point_to_point() { return {.point_to_point = true, .rate = "100Mbps", .delay_us = 10'000, .queue_packets = 167}; }

struct SweepOptions {
  LinkSpec link;  // the scenarios' CSMA link unless told
  std::vector<double> losses{0, 0.001, 0.01, 0.02, 0.05, 0.10};  // per direction
  int seeds = 10;                                                // seeds 1..seeds
  std::uint64_t bytes = 4 * 1024 * 1024;
  // Fairness instead of the loss sweep: this many flows of `bytes` each start together, and each
  // one's share when the first completes gives Jain's index, (Σx)² / (n·Σx²), 1 when even.
  int flows = 0;
};

// Runs the sweep (or, with flows set, the fairness runs), printing to `out`; returns how many runs
// failed their checks (a run that fails still reports its figures, marked).
int run_sweep(const SweepOptions& options, std::FILE* out);

}  // namespace mtcpp::sim
