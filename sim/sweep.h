// The loss sweep (`mtcpp-sim sweep`): one bulk transfer per loss rate, seed and peer pairing on
// the scenarios' link, reporting each pairing's transfer time and goodput as the median and
// spread over the seeds, as a table and as JSON lines.
#pragma once
#include <cstdint>
#include <cstdio>
#include <vector>

namespace mtcpp::sim {

struct SweepOptions {
  std::vector<double> losses{0, 0.001, 0.01, 0.02, 0.05, 0.10};  // per direction
  int seeds = 10;                                                // seeds 1..seeds
  std::uint64_t bytes = 4 * 1024 * 1024;
};

// Runs the sweep, printing to `out`; returns how many runs failed their checks (a run that
// fails still reports its time, marked).
int run_sweep(const SweepOptions& options, std::FILE* out);

}  // namespace mtcpp::sim
