// cost: instructions mtcpp spends per transaction (rr), per connection (cps) and per bulk byte
// (bulk1500), both ends together, counted by valgrind's callgrind. The driver runs itself under
// callgrind twice (with `--counted WORKLOAD N`, then 2N) and divides the difference by the
// operations between the runs, so start-up and teardown cancel. The clock moves 1 µs per reading,
// so the count does not depend on how slowly valgrind runs the program. glibc is told not to copy
// with `rep movsb`, which callgrind would count once per byte.
#pragma once
#include <cstdint>
#include <string>

namespace bench {

struct CostResult {
  std::string workload;  // rr, cps or bulk1500
  std::string per;       // transaction, connection or byte
  double instructions = 0;
  std::string error;
};

CostResult measure_cost(const std::string& self, const std::string& workload, std::uint64_t n, bool offload);

}  // namespace bench
