#include "bench/driver/cost.h"

#include <cstdio>
#include <cstdlib>
#include <regex>

namespace bench {

namespace {

struct Counted {
  std::uint64_t instructions = 0;
  std::uint64_t ops = 0;
  std::string error;
};

Counted run_under_callgrind(const std::string& self, const std::string& workload, std::uint64_t n, bool offload) {
  Counted c;
  const std::string command = "GLIBC_TUNABLES=glibc.cpu.x86_rep_movsb_threshold=2147483647 "
                              "valgrind --tool=callgrind --callgrind-out-file=/dev/null '" +
                              self + "' --counted " + workload + " " + std::to_string(n) +
                              (offload ? "" : " --no-offload") + " 2>&1";
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) {
    c.error = "cannot run valgrind";
    return c;
  }
  std::string out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int status = pclose(p);
  std::smatch m;
  static const std::regex collected(R"(Collected : (\d+))");
  static const std::regex counted(R"(counted (\d+))");
  if (status != 0 || !std::regex_search(out, m, collected)) {
    c.error = status == 127 * 256 || out.find("not found") != std::string::npos
                  ? "valgrind is not installed (scripts/setup installs it)"
                  : "callgrind run failed: " + out.substr(0, 300);
    return c;
  }
  c.instructions = std::stoull(m[1]);
  if (std::regex_search(out, m, counted)) c.ops = std::stoull(m[1]);
  return c;
}

}  // namespace

CostResult measure_cost(const std::string& self, const std::string& workload, std::uint64_t n, bool offload) {
  CostResult r;
  r.workload = workload;
  r.per = workload == "rr" ? "transaction" : workload == "cps" ? "connection" : "byte";
  const Counted once = run_under_callgrind(self, workload, n, offload);
  const Counted twice = once.error.empty() ? run_under_callgrind(self, workload, 2 * n, offload) : once;
  if (!twice.error.empty()) {
    r.error = twice.error;
    return r;
  }
  if (twice.ops <= once.ops || twice.instructions <= once.instructions) {
    r.error = "the longer run did no more work (" + std::to_string(once.ops) + " then " + std::to_string(twice.ops) +
              " operations)";
    return r;
  }
  r.instructions = static_cast<double>(twice.instructions - once.instructions) /
                   static_cast<double>(twice.ops - once.ops);
  return r;
}

}  // namespace bench
