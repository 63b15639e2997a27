// mtcpp-sim: the ns-3 scenario runner. No root, no NIC: everything runs in simulated time.
//   mtcpp-sim list
//   mtcpp-sim run <name|glob|all> [--peer mtcpp|ns3|both] [--seed N] [--pcap DIR] [--snaplen N]
//                 [--ladder DIR]
//   mtcpp-sim sweep [--link csma|p2p] [--loss LIST] [--seeds N] [--bytes N] [--flows N]
#include <fnmatch.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/ladder.h"
#include "sim/scenario.h"
#include "sim/sweep.h"

namespace {

using mtcpp::sim::Peer;

const char* kUsage =
    "usage: mtcpp-sim list\n"
    "       mtcpp-sim run <name|glob|all> [--peer mtcpp|ns3|both] [--seed N] [--pcap DIR] [--snaplen N]\n"
    "                     [--ladder DIR]\n"
    "       mtcpp-sim sweep [--link csma|p2p] [--loss LIST] [--seeds N] [--bytes N] [--flows N]\n"
    "\n"
    "Runs TCP scenarios on an ns-3 simulated CSMA link (100 Mbit/s, 1 ms): host A (10.0.0.1) is mtcpp\n"
    "driven through mTCP's API, host B (10.0.0.2) is mtcpp again or ns-3's own TCP. A name ending in\n"
    ".a-client or .a-server says which side A plays. Everything runs in simulated time: no root, no NIC.\n"
    "  list            print every scenario with its description\n"
    "  run PATTERN     run the scenarios whose name matches PATTERN (a shell glob, or 'all')\n"
    "  --peer P        mtcpp, ns3 or both (default both)\n"
    "  --seed N        seed for the stacks and ns-3's random streams (default 1; the golden traces)\n"
    "  --pcap DIR      write DIR/<scenario>-<peer>.pcap (every frame put on the wire) and\n"
    "                  DIR/<scenario>-<peer>.txt (a line per segment: flags, relative seq:end(len), ack)\n"
    "  --snaplen N     keep the first N bytes of each frame in the pcap (default: whole frames)\n"
    "  --ladder DIR    write SVG ladder diagrams DIR/<scenario>-<peer>.svg\n"
    "  sweep           bulk transfers from A to B under seeded random loss, for mtcpp (NewReno, then\n"
    "                  CUBIC) to mtcpp, mtcpp (CUBIC) to ns-3, and ns-3 (CUBIC, SACK, PRR) to ns-3: per\n"
    "                  loss rate the median, fastest and slowest transfer time over the seeds and the\n"
    "                  median's goodput, then JSON lines\n"
    "  --link L        csma: the scenarios' link (default); p2p: a point-to-point line of 100 Mbit/s,\n"
    "                  10 ms each way (20 ms round trip), a queue of one bandwidth-delay product\n"
    "  --flows N       fairness instead: N flows (2..16) start together; Jain's index of what each\n"
    "                  had delivered when the first completed (1: even shares), per pairing\n"
    "  --loss LIST     loss rates per direction in percent, comma-separated (default 0,0.1,1,2,5,10)\n"
    "  --seeds N       seeds 1..N for each rate (default 10)\n"
    "  --bytes N       bytes per transfer (default 4194304)\n"
    "Prints a table (scenario, peer, verdict, segments, simulated time, wall time), what differed for\n"
    "each failure, and where ns-3's TCP behaved differently from mtcpp.\n"
    "Exit status: 0 if every run passed, 1 if one failed, 2 on bad arguments.\n";

int bad(const std::string& msg) {
  std::fprintf(stderr, "mtcpp-sim: %s\n(try mtcpp-sim --help)\n", msg.c_str());
  return 2;
}

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) return true;
  }
  return false;
}

// Parses `mtcpp-sim sweep`'s options and runs it: 0 when every run passed its checks.
int sweep(int argc, char** argv) {
  mtcpp::sim::SweepOptions o;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return bad(a + " needs a value");
    const std::string v = argv[++i];
    char* end = nullptr;
    errno = 0;
    if (a == "--link") {
      if (v == "p2p") o.link = mtcpp::sim::sweep_point_to_point();
      else if (v == "csma") o.link = mtcpp::sim::LinkSpec{};
      else return bad("--link: '" + v + "' is not csma or p2p");
    } else if (a == "--loss") {
      o.losses.clear();
      std::size_t at = 0;
      while (at <= v.size()) {
        const std::size_t comma = std::min(v.find(',', at), v.size());
        const std::string item = v.substr(at, comma - at);
        const double pct = std::strtod(item.c_str(), &end);
        if (item.empty() || *end != '\0' || errno != 0 || !(pct >= 0 && pct < 100))
          return bad("--loss: '" + item + "' is not a percentage from 0 to below 100");
        o.losses.push_back(pct / 100);
        at = comma + 1;
      }
    } else if (a == "--flows") {
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-' || n < 2 || n > 16)
        return bad("--flows: '" + v + "' is not a number from 2 to 16");
      o.flows = static_cast<int>(n);
    } else if (a == "--seeds" || a == "--bytes") {
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      const unsigned long long most = a == "--seeds" ? 1000 : (1ull << 30);
      if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-' || n < 1 || n > most)
        return bad(a + ": '" + v + "' is not a number from 1 to " + std::to_string(most));
      if (a == "--seeds") o.seeds = static_cast<int>(n);
      else o.bytes = n;
    } else {
      return bad("sweep: unknown option '" + a + "'");
    }
  }
  return mtcpp::sim::run_sweep(o, stdout) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (wants_help(argc, argv)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc < 2) return bad("missing command (list or run)");
  const std::string cmd = argv[1];
  const auto& all = mtcpp::sim::scenarios();
  if (cmd == "list") {
    if (argc > 2) return bad(std::string("list takes no arguments, got '") + argv[2] + "'");
    for (const auto& s : all) std::printf("%-34s %s\n", s.name.c_str(), s.description.c_str());
    return 0;
  }
  if (cmd == "sweep") return sweep(argc, argv);
  if (cmd != "run") return bad("unknown command '" + cmd + "'");
  std::string pattern;
  std::vector<Peer> peers = {Peer::mtcpp, Peer::ns3};
  mtcpp::sim::RunOptions options;
  std::string ladder_dir;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--peer") {
      if (!value(&v)) return bad("--peer needs a value: mtcpp, ns3 or both");
      if (v == "mtcpp") peers = {Peer::mtcpp};
      else if (v == "ns3") peers = {Peer::ns3};
      else if (v == "both") peers = {Peer::mtcpp, Peer::ns3};
      else return bad("--peer: '" + v + "' is not mtcpp, ns3 or both");
    } else if (a == "--seed") {
      if (!value(&v)) return bad("--seed needs a number");
      char* end = nullptr;
      errno = 0;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-') return bad("--seed: '" + v + "' is not a number");
      options.seed = n;
    } else if (a == "--pcap") {
      if (!value(&options.pcap_dir)) return bad("--pcap needs a directory");
    } else if (a == "--snaplen") {
      if (!value(&v)) return bad("--snaplen needs a number of bytes");
      char* end = nullptr;
      errno = 0;
      const unsigned long n = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-' || n < 64 || n > 65535)
        return bad("--snaplen: '" + v + "' is not a number of bytes from 64 to 65535");
      options.snaplen = static_cast<std::uint32_t>(n);
    } else if (a == "--ladder") {
      if (!value(&ladder_dir)) return bad("--ladder needs a directory");
    } else if (a.rfind("--", 0) == 0) {
      return bad("unknown option '" + a + "'");
    } else if (pattern.empty()) {
      pattern = a;
    } else {
      return bad("more than one scenario pattern ('" + pattern + "', '" + a + "')");
    }
  }
  if (pattern.empty()) return bad("run needs a scenario name, glob or 'all'");
  std::vector<const mtcpp::sim::Scenario*> chosen;
  for (const auto& s : all) {
    if (pattern == "all" || fnmatch(pattern.c_str(), s.name.c_str(), 0) == 0) chosen.push_back(&s);
  }
  if (chosen.empty()) return bad("no scenario matches '" + pattern + "' (see mtcpp-sim list)");
  for (const std::string* dir : {&options.pcap_dir, &ladder_dir}) {
    if (dir->empty()) continue;
    std::error_code ec;
    std::filesystem::create_directories(*dir, ec);
    if (ec) return bad("cannot create directory '" + *dir + "': " + ec.message());
  }

  std::printf("%-34s %-6s %-7s %9s %12s %10s\n", "scenario", "peer", "verdict", "segments", "sim time", "wall");
  int failed = 0, runs = 0;
  const auto start = std::chrono::steady_clock::now();
  std::string failures, notes;
  for (const auto* s : chosen) {
    for (Peer p : peers) {
      const auto t0 = std::chrono::steady_clock::now();
      const mtcpp::sim::Result r = s->run(p, options);
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ++runs;
      std::printf("%-34s %-6s %-7s %9zu %10.3f s %8.3f s\n", s->name.c_str(), mtcpp::sim::to_string(p),
                  r.pass ? "pass" : "FAIL", r.segments.size(), static_cast<double>(r.sim_time_us) / 1e6, wall);
      std::fflush(stdout);
      if (!r.pass) {
        ++failed;
        failures += "\n" + s->name + " (peer " + mtcpp::sim::to_string(p) + "):\n" + r.differences;
      }
      if (!r.peer_note.empty() && notes.find(r.peer_note) == std::string::npos)
        notes += "  " + s->name + " (peer " + mtcpp::sim::to_string(p) + "): " + r.peer_note + "\n";
      if (!options.pcap_dir.empty()) {  // the same run as readable text, one segment a line
        const std::string path = options.pcap_dir + "/" + s->name + "-" + mtcpp::sim::to_string(p) + ".txt";
        std::ofstream(path) << mtcpp::sim::segment_text(r.segments);
      }
      if (!ladder_dir.empty()) {
        const std::string path = ladder_dir + "/" + s->name + "-" + mtcpp::sim::to_string(p) + ".svg";
        std::ofstream(path) << mtcpp::sim::ladder_svg(mtcpp::sim::ladder_of(r, s->name, p));
      }
    }
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu scenario(s), %d run(s), %d passed, %d failed, %.3f s wall (target for the whole suite: < 60 s)\n",
              chosen.size(), runs, runs - failed, failed, total);
  if (!notes.empty()) std::printf("where the peers differ:\n%s", notes.c_str());
  if (!failures.empty()) std::printf("%s", failures.c_str());
  return failed == 0 ? 0 : 1;
}
