#include "sim/sweep.h"

#include <algorithm>
#include <string>

#include "sim/scenario.h"

namespace mtcpp::sim {

namespace {

// Who sends and who receives: A is always mtcpp, with the controller named.
struct Pairing {
  const char* name;
  Peer peer;
  CongestionAlgorithm a_congestion;
};
constexpr Pairing kPairings[] = {
    {"mtcpp newreno -> mtcpp", Peer::mtcpp, CongestionAlgorithm::newreno},
    {"mtcpp cubic -> mtcpp", Peer::mtcpp, CongestionAlgorithm::cubic},
    {"mtcpp cubic -> ns-3", Peer::ns3, CongestionAlgorithm::cubic},
};

// From A's ESTABLISHED to B's CLOSE_WAIT (B has every byte and the FIN), in seconds; -1 if the
// run never got there.
double transfer_seconds(const Result& r) {
  std::int64_t start = -1, end = -1;
  for (const auto& s : r.states) {
    if (s.host == 0 && s.state == "ESTABLISHED" && start < 0) start = s.time_us;
    if (s.host == 1 && s.state == "CLOSE_WAIT" && end < 0) end = s.time_us;
  }
  return start >= 0 && end > start ? static_cast<double>(end - start) / 1e6 : -1;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int run_sweep(const SweepOptions& o, std::FILE* out) {
  std::fprintf(out, "%llu bytes from A to B, CSMA link 100 Mbit/s, 1 ms each way, seeds 1-%d; loss per direction\n",
               static_cast<unsigned long long>(o.bytes), o.seeds);
  std::fprintf(out, "%-24s %6s %12s %12s %12s %14s\n", "pairing", "loss %", "median s", "min s", "max s",
               "goodput Mbit/s");
  int failed = 0;
  std::string json;
  for (double loss : o.losses) {
    for (const Pairing& p : kPairings) {
      std::vector<double> times;
      int failures = 0;
      for (int seed = 1; seed <= o.seeds; ++seed) {
        RunOptions run;
        run.seed = static_cast<std::uint64_t>(seed);
        run.congestion = p.a_congestion;
        const Result r = bulk_transfer(p.peer, run, loss, o.bytes);
        const double t = transfer_seconds(r);
        if (!r.pass || t < 0) ++failures;
        if (t > 0) times.push_back(t);
      }
      failed += failures;
      if (times.empty()) {
        std::fprintf(out, "%-24s %6.1f %12s\n", p.name, loss * 100, "no run finished");
        continue;
      }
      const double med = median(times);
      const auto [lo, hi] = std::minmax_element(times.begin(), times.end());
      const double goodput = static_cast<double>(o.bytes) * 8 / med / 1e6;
      std::fprintf(out, "%-24s %6.1f %12.3f %12.3f %12.3f %14.2f%s\n", p.name, loss * 100, med, *lo, *hi, goodput,
                   failures ? " (some runs failed their checks)" : "");
      std::fflush(out);
      char line[320];
      std::snprintf(line, sizeof line,
                    "{\"bench\":\"sim_sweep\",\"pairing\":\"%s\",\"loss\":%g,\"bytes\":%llu,\"seeds\":%d,"
                    "\"median_s\":%.6f,\"min_s\":%.6f,\"max_s\":%.6f,\"goodput_mbit_s\":%.3f,\"failed\":%d}\n",
                    p.name, loss, static_cast<unsigned long long>(o.bytes), o.seeds, med, *lo, *hi, goodput, failures);
      json += line;
    }
  }
  std::fputs(json.c_str(), out);
  return failed;
}

}  // namespace mtcpp::sim
