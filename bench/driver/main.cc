// mtcpp-bench: mtcpp side by side with the Linux kernel's TCP, in one run, so that the ratio
// survives a noisy machine. Each workload runs as paired short trials in ABBA order (mtcpp then
// Linux, then Linux then mtcpp, ...), with Linux-against-Linux control pairs interleaved: a control
// ratio far from 1 says the machine was too noisy to trust the run. See --help.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/driver/conns.h"
#include "bench/driver/cost.h"
#include "bench/driver/report.h"
#include "bench/driver/trial.h"

using namespace bench;

namespace {

constexpr char kUsage[] = R"(mtcpp-bench: mtcpp and the Linux kernel's TCP, side by side in one run

Usage: mtcpp-bench [options]

  --workloads LIST      comma-separated names (default: all); --list describes them
  --pairs N             paired trials per workload, in ABBA order (default 20)
  --control N           Linux-against-Linux control pairs per workload (default: pairs/4, at least 2)
  --warmup-ms MS        time before a trial's measurement starts (default 100)
  --trial-ms MS         measured time of each trial (default 500)
  --conns-max N         conns: stop after N connections (default 1000000)
  --conns-budget-mib M  conns: stop when the memory measured passes M MiB (default 2048)
  --timewait-connections N  timewait: connections held in TIME_WAIT (default 100000)
  --cost-scale F        cost: scale the counted runs' lengths (default 1)
  --no-offload          mtcpp computes checksums in software (default: its pipe claims offload, as
                        a NIC does; Linux's loopback computes none)
  --io memory|dpdk      mtcpp's link: the in-memory pipe (default), or two DPDK ports on net_ring's
                        rings in this process (root; --no-huge; net_ring offloads no checksums, so
                        compare with a --no-offload run of the pipe; not for cost)
  --json FILE           write a JSON line per trial and per workload summary to FILE
  --commit ID           the commit measured, recorded in the JSON
  --list                list the workloads and exit
  -h, --help            this text

mtcpp runs as two stacks joined by a lock-free in-memory pipe (or, --io dpdk, by DPDK), each polled by its own thread
pinned to its own core (the -1core workloads: one thread polls both); Linux runs the same
workload code over loopback with epoll, one thread per side pinned the same way. Ratios are
mtcpp's figure over Linux's (for latencies, Linux's over mtcpp's): above 1, mtcpp is ahead.
Exit status: 0 when every trial ran, 1 when any failed, 2 on a usage error.
)";

struct Options {
  std::vector<std::string> workloads;
  int pairs = 20;
  int control = -1;
  Timing timing;
  std::uint64_t conns_max = 1'000'000;
  std::uint64_t conns_budget_mib = 2048;
  std::uint64_t time_wait_connections = 100'000;
  double cost_scale = 1;
  MtcppOptions mtcpp;
  std::string json_path;
  std::string commit;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    const std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<std::string> known_names() {
  std::vector<std::string> names;
  for (const Workload& w : all_workloads()) names.push_back(w.name);
  names.push_back("conns");
  names.push_back("timewait");
  names.push_back("cost");
  return names;
}

const Workload* find_workload(const std::string& name) {
  for (const Workload& w : all_workloads())
    if (w.name == name) return &w;
  return nullptr;
}

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr, "mtcpp-bench: %s (see --help)\n", message.c_str());
  std::exit(2);
}

std::uint64_t number(const char* flag, const char* text, std::uint64_t min, std::uint64_t max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max)
    usage_error(std::string(flag) + " wants a whole number from " + std::to_string(min) + " to " +
                std::to_string(max) + ", not '" + text + "'");
  return v;
}

// Above 1: mtcpp ahead. Latencies are better low, rates high.
double advantage(const Workload& w, double mtcpp, double linux_figure) {
  if (w.kind == Kind::lat) return mtcpp > 0 ? linux_figure / mtcpp : 0;
  return linux_figure > 0 ? mtcpp / linux_figure : 0;
}

class Driver {
 public:
  explicit Driver(const Options& o, std::string self) : o_(o), self_(std::move(self)) {
    if (!o_.json_path.empty()) {
      json_.open(o_.json_path, std::ios::app);
      if (!json_) usage_error("cannot write " + o_.json_path);
    }
  }

  int run() {
    emit(JsonLine()
             .add("type", "run")
             .add("commit", o_.commit)
             .add("cpus", static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)))
             .add("pairs", o_.pairs)
             .add("control_pairs", controls())
             .add("warmup_ms", static_cast<std::uint64_t>(o_.timing.warmup.count()))
             .add("trial_ms", static_cast<std::uint64_t>(o_.timing.measure.count()))
             .add("checksum_offload", o_.mtcpp.checksum_offload && !o_.mtcpp.dpdk)
             .add("io", o_.mtcpp.dpdk ? "dpdk net_ring" : "memory pipe"));
    for (const std::string& name : o_.workloads) {
      if (name == "conns") {
        conns();
      } else if (name == "timewait") {
        time_wait();
      } else if (name == "cost") {
        cost();
      } else {
        paired(*find_workload(name));
      }
    }
    print_table();
    return failed_ ? 1 : 0;
  }

 private:
  struct Row {
    std::string name, unit, mtcpp, linux_figure, ratio, spread, control, note;
  };

  int controls() const { return o_.control >= 0 ? o_.control : std::max(2, o_.pairs / 4); }

  void emit(const JsonLine& line) {
    if (json_) json_ << line.str() << '\n' << std::flush;
  }

  void progress(const std::string& text, bool done) {
    if (isatty(STDERR_FILENO)) {
      std::fprintf(stderr, "\r\033[K%s%s", text.c_str(), done ? "\n" : "");
    } else if (done) {
      std::fprintf(stderr, "%s\n", text.c_str());
    }
  }

  TrialResult trial(System system, const Workload& w, int pair, const char* role) {
    // A port range of its own per trial (see kServerPorts), below Linux's ephemeral range.
    port_ = port_ + 2 * kServerPorts >= 30000 ? 10000 : static_cast<std::uint16_t>(port_ + kServerPorts);
    TrialResult r = run_trial(system, w, o_.timing, o_.mtcpp, port_);
    JsonLine line;
    line.add("type", "trial").add("workload", w.name).add("system", name_of(system)).add("pair", pair);
    line.add("role", role).add("unit", w.unit).add("value", r.value).add("ops", r.ops).add("seconds", r.seconds);
    line.add("failures", r.failures);
    if (w.kind == Kind::lat) line.add("p90", r.p90).add("p99", r.p99);
    if (!r.error.empty()) line.add("error", r.error);
    emit(line);
    if (!r.error.empty()) {
      failed_ = true;
      std::fprintf(stderr, "%s: %s trial failed: %s\n", w.name.c_str(), name_of(system), r.error.c_str());
    }
    return r;
  }

  void paired(const Workload& w) {
    std::vector<double> ratios, mtcpp_values, linux_values, control_ratios, mtcpp_p99, linux_p99;
    std::uint64_t failures = 0;
    int controls_done = 0;
    for (int i = 0; i < o_.pairs; ++i) {
      const bool mtcpp_first = i % 2 == 0;
      TrialResult first = trial(mtcpp_first ? System::mtcpp : System::linux_kernel, w, i, "main");
      TrialResult second = trial(mtcpp_first ? System::linux_kernel : System::mtcpp, w, i, "main");
      const TrialResult& m = mtcpp_first ? first : second;
      const TrialResult& l = mtcpp_first ? second : first;
      failures += m.failures + l.failures;
      if (m.error.empty() && l.error.empty()) {
        ratios.push_back(advantage(w, m.value, l.value));
        mtcpp_values.push_back(m.value);
        linux_values.push_back(l.value);
        mtcpp_p99.push_back(m.p99);
        linux_p99.push_back(l.p99);
      }
      // Control pairs spread evenly among the main ones.
      if ((i + 1) * controls() / o_.pairs > controls_done) {
        const TrialResult a = trial(System::linux_kernel, w, controls_done, "control");
        const TrialResult b = trial(System::linux_kernel, w, controls_done, "control");
        if (a.error.empty() && b.error.empty()) control_ratios.push_back(advantage(w, a.value, b.value));
        ++controls_done;
      }
      progress(w.name + ": pair " + std::to_string(i + 1) + "/" + std::to_string(o_.pairs) + "  mtcpp " +
                   human(m.value) + "  linux " + human(l.value) + "  " + w.unit +
                   (ratios.empty() ? "" : "  ratio " + human(ratios.back()) + "x"),
               false);
    }
    const Quantiles r = quantiles(ratios), mq = quantiles(mtcpp_values), lq = quantiles(linux_values);
    const Quantiles c = quantiles(control_ratios);
    // The control pair runs the same system twice: a median far from 1, or a wide spread, says the
    // machine's noise is as large as the differences being measured.
    const bool noisy = control_ratios.empty() || c.median < 0.9 || c.median > 1.1 || (c.p75 - c.p25) > 0.2;
    JsonLine line;
    line.add("type", "summary").add("workload", w.name).add("unit", w.unit).add("pairs", static_cast<int>(ratios.size()));
    line.add("mtcpp_median", mq.median).add("linux_median", lq.median);
    line.add("ratio_median", r.median).add("ratio_p25", r.p25).add("ratio_p75", r.p75);
    line.add("ratio_min", r.min).add("ratio_max", r.max);
    line.add("control_ratio_median", c.median).add("control_ratio_p25", c.p25).add("control_ratio_p75", c.p75);
    line.add("noisy", noisy).add("failures", failures);
    if (w.kind == Kind::lat)
      line.add("mtcpp_p99_median", quantiles(mtcpp_p99).median).add("linux_p99_median", quantiles(linux_p99).median);
    emit(line);
    std::string note = noisy ? "noisy (control)" : "";
    if (failures > 0) note += (note.empty() ? "" : ", ") + std::to_string(failures) + " failed connections";
    if (w.kind == Kind::lat)
      note += (note.empty() ? "" : ", ") + std::string("p99 ") + human(quantiles(mtcpp_p99).median) + " vs " +
              human(quantiles(linux_p99).median) + " us";
    rows_.push_back({w.name, w.unit, human(mq.median), human(lq.median), human(r.median) + "x",
                     "[" + human(r.p25) + ", " + human(r.p75) + "]", human(c.median) + "x", note});
    progress(w.name + ": " + std::to_string(ratios.size()) + " pairs, median ratio " + human(r.median) + "x", true);
  }

  void conns() {
    progress("conns: opening connections on mtcpp", false);
    const std::uint64_t budget = o_.conns_budget_mib << 20;
    const ConnsResult m = measure_conns(System::mtcpp, o_.conns_max, budget, o_.mtcpp);
    progress("conns: opening connections on Linux", false);
    const ConnsResult l = measure_conns(System::linux_kernel, o_.conns_max, budget, o_.mtcpp);
    for (const auto& [system, r] : {std::pair{"mtcpp", &m}, std::pair{"linux", &l}}) {
      emit(JsonLine()
               .add("type", "conns")
               .add("system", system)
               .add("connections", r->connections)
               .add("bytes", r->bytes)
               .add("bytes_per_socket", r->bytes_per_socket())
               .add("baseline_bytes", r->baseline)
               .add("budget_bytes", budget)
               .add("limit", r->limit));
    }
    const double ratio = m.bytes_per_socket() > 0 ? l.bytes_per_socket() / m.bytes_per_socket() : 0;
    rows_.push_back({"conns", "B/socket", human(m.bytes_per_socket()), human(l.bytes_per_socket()), human(ratio) + "x",
                     "", "",
                     "mtcpp " + human(static_cast<double>(m.connections)) + " conns in " +
                         human(static_cast<double>(m.bytes + m.baseline) / (1 << 20)) + " MiB RSS (" + m.limit + "), linux " +
                         human(static_cast<double>(l.connections)) + " (" + l.limit + ")"});
    progress("conns: done", true);
  }

  void time_wait() {
    progress("timewait: closing connections into TIME_WAIT", false);
    const TimeWaitResult r = measure_time_wait(o_.time_wait_connections, o_.mtcpp);
    emit(JsonLine()
             .add("type", "timewait")
             .add("connections", r.in_time_wait)
             .add("ns_per_tick", r.ns_per_tick)
             .add("ns_per_tick_idle", r.ns_per_tick_idle));
    if (r.in_time_wait < o_.time_wait_connections) {
      failed_ = true;
      std::fprintf(stderr, "timewait: only %llu connections reached TIME_WAIT\n",
                   static_cast<unsigned long long>(r.in_time_wait));
    }
    rows_.push_back({"timewait", "ns/tick", human(r.ns_per_tick), "-", "", "", "",
                     human(static_cast<double>(r.in_time_wait)) + " in TIME_WAIT; " + human(r.ns_per_tick_idle) +
                         " ns with none"});
    progress("timewait: done", true);
  }

  void cost() {
    const std::map<std::string, std::uint64_t> base = {{"rr", 10000}, {"cps", 2000}, {"bulk1500", 8u << 20}};
    for (const auto& [name, n] : base) {
      progress("cost: " + name + " under callgrind", false);
      const auto scaled = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(n) * o_.cost_scale));
      const CostResult c = measure_cost(self_, name, scaled, o_.mtcpp.checksum_offload);
      JsonLine line;
      line.add("type", "cost").add("workload", name).add("per", c.per).add("instructions", c.instructions);
      if (!c.error.empty()) line.add("error", c.error);
      emit(line);
      if (!c.error.empty()) {
        failed_ = true;
        std::fprintf(stderr, "cost %s: %s\n", name.c_str(), c.error.c_str());
      }
      rows_.push_back({"cost " + name, "instr/" + c.per, c.error.empty() ? human(c.instructions) : "failed", "-", "",
                       "", "", "both ends, callgrind"});
    }
    progress("cost: done", true);
  }

  void print_table() const {
    std::printf("\n%-12s %-12s %12s %12s %9s %16s %9s  %s\n", "workload", "unit", "mtcpp", "linux", "ratio",
                "ratio p25-p75", "control", "note");
    for (const Row& r : rows_)
      std::printf("%-12s %-12s %12s %12s %9s %16s %9s  %s\n", r.name.c_str(), r.unit.c_str(), r.mtcpp.c_str(),
                  r.linux_figure.c_str(), r.ratio.c_str(), r.spread.c_str(), r.control.c_str(), r.note.c_str());
  }

  const Options& o_;
  std::string self_;
  std::ofstream json_;
  std::vector<Row> rows_;
  std::uint16_t port_ = static_cast<std::uint16_t>(10000 + getpid() % 1000 * kServerPorts);
  bool failed_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto value = [&](std::size_t& i) -> const char* {
    if (i + 1 >= args.size()) usage_error(args[i] + " needs a value");
    return args[++i].c_str();
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--list") {
      for (const Workload& w : all_workloads()) std::printf("%-10s %s\n", w.name.c_str(), w.what.c_str());
      std::printf("%-10s %s\n", "conns", "established connections within a memory budget; bytes per idle socket");
      std::printf("%-10s %s\n", "timewait", "mtcpp's timer cost per 1 ms tick with --timewait-connections in TIME_WAIT");
      std::printf("%-10s %s\n", "cost", "mtcpp's instructions per transaction, connection and bulk byte (callgrind)");
      return 0;
    } else if (a == "--counted") {  // internal: one count-driven run, for callgrind (see cost.h)
      const std::string name = value(i);
      const std::uint64_t n = number("--counted", value(i), 1, 1ull << 40);
      MtcppOptions options;  // then --no-offload and --io dpdk, in any order
      for (++i; i < args.size(); ++i) {
        if (args[i] == "--no-offload") options.checksum_offload = false;
        else if (args[i] == "--io" && i + 1 < args.size()) options.dpdk = args[++i] == "dpdk";
        else usage_error("--counted takes --no-offload and --io after it, not " + args[i]);
      }
      const Workload* w = find_workload(name);
      if (w == nullptr) usage_error("unknown workload " + name);
      std::printf("counted %llu\n", static_cast<unsigned long long>(run_counted(*w, options, n)));
      return 0;
    } else if (a == "--workloads") {
      o.workloads = split(value(i));
      if (o.workloads.empty()) usage_error("--workloads names none");
    } else if (a == "--pairs") {
      o.pairs = static_cast<int>(number("--pairs", value(i), 1, 1000));
    } else if (a == "--control") {
      o.control = static_cast<int>(number("--control", value(i), 0, 1000));
    } else if (a == "--warmup-ms") {
      o.timing.warmup = std::chrono::milliseconds(number("--warmup-ms", value(i), 0, 60000));
    } else if (a == "--trial-ms") {
      o.timing.measure = std::chrono::milliseconds(number("--trial-ms", value(i), 10, 600000));
    } else if (a == "--conns-max") {
      o.conns_max = number("--conns-max", value(i), 1, 100'000'000);
    } else if (a == "--conns-budget-mib") {
      o.conns_budget_mib = number("--conns-budget-mib", value(i), 1, 1u << 20);
    } else if (a == "--timewait-connections") {
      o.time_wait_connections = number("--timewait-connections", value(i), 1, 10'000'000);
    } else if (a == "--cost-scale") {
      char* end = nullptr;
      const char* text = value(i);
      o.cost_scale = std::strtod(text, &end);
      if (end == text || *end != '\0' || !(o.cost_scale > 0 && o.cost_scale <= 1000))
        usage_error(std::string("--cost-scale wants a number above 0, not '") + text + "'");
    } else if (a == "--no-offload") {
      o.mtcpp.checksum_offload = false;
    } else if (a == "--io") {
      const std::string io = value(i);
      if (io != "memory" && io != "dpdk") usage_error("--io wants memory or dpdk, not '" + io + "'");
      o.mtcpp.dpdk = io == "dpdk";
    } else if (a == "--json") {
      o.json_path = value(i);
    } else if (a == "--commit") {
      o.commit = value(i);
    } else {
      usage_error("unknown option " + a);
    }
  }
  const std::vector<std::string> known = known_names();
  if (o.workloads.empty()) o.workloads = known;
  for (const std::string& name : o.workloads)
    if (std::find(known.begin(), known.end(), name) == known.end()) usage_error("unknown workload " + name);
  if (o.control > o.pairs) usage_error("--control cannot exceed --pairs");
  if (o.mtcpp.dpdk && std::find(o.workloads.begin(), o.workloads.end(), "cost") != o.workloads.end())
    usage_error("cost counts instructions over the memory pipe only: leave it out with --io dpdk");
  // The path of this program, so that cost can run it under callgrind.
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) usage_error("cannot find this program's path");
  self[len] = '\0';
  try {
    return Driver(o, self).run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtcpp-bench: %s\n", e.what());
    return 1;
  }
}
