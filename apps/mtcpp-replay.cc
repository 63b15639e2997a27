// mtcpp-replay: replays a captured TCP conversation against mtcpp. mtcpp plays one endpoint of
// the trace, the other endpoint's segments are fed to it in trace time, and what mtcpp sends is
// printed side by side with what the recorded endpoint sent (apps/support/replay.h).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "apps/support/replay.h"

namespace {

using namespace mtcpp;

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: mtcpp-replay TRACE --as IP[:PORT] [options]\n"
               "  mtcpp plays the endpoint IP:PORT of the capture TRACE (pcap or pcapng; Ethernet with or\n"
               "  without VLAN tags, Linux cooked, raw IPv4): the other endpoint's segments are fed to it in\n"
               "  trace time, with acknowledgement numbers, SACK blocks and echoed timestamps translated\n"
               "  to mtcpp's sequence space; its socket calls follow what the endpoint did (connect or\n"
               "  listen, a write per new data, close or shutdown at its FIN, abort at its RST), or a\n"
               "  script. It prints every call, then each segment the endpoint sent beside the one mtcpp\n"
               "  sent (time, flags, relative seq:end(len), ack, window, options) and what differs.\n"
               "options:\n"
               "  --connection N|all   which connection of the endpoint (1 = first seen, the default)\n"
               "  --list               list the endpoint's connections and stop\n"
               "  --script \"T:CALL..\"  calls instead of inferred ones; T in seconds from the first\n"
               "                       segment, CALL: listen connect write:N shutdown close abort\n"
               "  --out FILE           write mtcpp's side of the conversation to a pcap\n"
               "  --stop-at-first      stop the report at the first differing segment\n"
               "  --mask F,F           do not compare these fields: window, options, option-order,\n"
               "                       timestamps, time (nothing is masked unless asked)\n"
               "  --tolerance MS       time differences up to MS milliseconds are equal (default 10)\n"
               "  --tail S             seconds mtcpp runs after the trace's last segment (default 3)\n"
               "  --seed N             mtcpp's seed (ISNs, ports; default 1)\n"
               "Exit status: 0 no difference, 1 differences, 2 bad arguments or an unreadable trace.\n"
               "example: mtcpp-replay traces/linux/server-closes-first.pcap --as 10.79.0.2:8001 \\\n"
               "           --mask window,option-order,timestamps\n");
}

bool parse_endpoint(const std::string& text, Endpoint* e) {
  const std::size_t colon = text.find(':');
  const auto addr = Ipv4Addr::parse(text.substr(0, colon));
  if (!addr) return false;
  e->addr = *addr;
  e->port = 0;
  if (colon != std::string::npos) {
    const long p = std::atol(text.c_str() + colon + 1);
    if (p <= 0 || p > 65535) return false;
    e->port = static_cast<std::uint16_t>(p);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string trace, as_text, connection = "1", script, masks_text;
  replay::RunOptions run_options;
  replay::CompareOptions compare_options;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mtcpp-replay: %s needs a value (see --help)\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    } else if (a == "--as") as_text = value();
    else if (a == "--connection") connection = value();
    else if (a == "--list") list = true;
    else if (a == "--script") script = value();
    else if (a == "--out") run_options.out_pcap = value();
    else if (a == "--stop-at-first") compare_options.stop_at_first = true;
    else if (a == "--mask") masks_text = value();
    else if (a == "--tolerance") compare_options.tolerance = std::chrono::microseconds(static_cast<long>(std::atof(value().c_str()) * 1000));
    else if (a == "--tail") run_options.tail = std::chrono::microseconds(static_cast<long>(std::atof(value().c_str()) * 1e6));
    else if (a == "--seed") run_options.seed = std::strtoull(value().c_str(), nullptr, 10);
    else if (!a.empty() && a[0] != '-' && trace.empty()) trace = a;
    else {
      std::fprintf(stderr, "mtcpp-replay: unexpected argument %s (see --help)\n", a.c_str());
      return 2;
    }
  }
  Endpoint as;
  if (trace.empty() || !parse_endpoint(as_text, &as)) {
    std::fprintf(stderr, "mtcpp-replay: need TRACE and --as IP[:PORT] (see --help)\n");
    return 2;
  }
  std::istringstream mask_words(masks_text);
  for (std::string m; std::getline(mask_words, m, ',');) {
    replay::Masks& k = compare_options.masks;
    if (m == "window") k.window = true;
    else if (m == "options") k.options = true;
    else if (m == "option-order") k.option_order = true;
    else if (m == "timestamps") k.timestamps = true;
    else if (m == "time") k.time = true;
    else {
      std::fprintf(stderr, "mtcpp-replay: --mask: unknown field %s (window, options, option-order, timestamps, time)\n", m.c_str());
      return 2;
    }
  }
  TraceCounters counters;
  auto read = replay::read_connections(trace, as, &counters);
  if (auto* error = std::get_if<std::string>(&read)) {
    std::fprintf(stderr, "mtcpp-replay: %s\n", error->c_str());
    return 2;
  }
  const auto& connections = std::get<std::vector<replay::Connection>>(read);
  std::printf("trace %s: %llu packets, %llu not IPv4 (passed over), %llu truncated; %zu connection(s) of %s\n",
              trace.c_str(), static_cast<unsigned long long>(counters.packets),
              static_cast<unsigned long long>(counters.not_ipv4), static_cast<unsigned long long>(counters.truncated),
              connections.size(), as_text.c_str());
  for (std::size_t i = 0; i < connections.size(); ++i) {
    const auto& c = connections[i];
    std::printf("  %zu: %s:%u <-> %s:%u, %zu segments from the endpoint, %zu from its peer\n", i + 1,
                c.e.addr.to_string().c_str(), c.e.port, c.o.addr.to_string().c_str(), c.o.port, c.from_e.size(),
                c.from_o.size());
  }
  if (list) return 0;
  if (connections.empty()) {
    std::fprintf(stderr, "mtcpp-replay: no TCP segment to or from %s in %s\n", as_text.c_str(), trace.c_str());
    return 2;
  }
  std::size_t first = 0, last = connections.size();
  if (connection != "all") {
    const long n = std::atol(connection.c_str());
    if (n < 1 || static_cast<std::size_t>(n) > connections.size()) {
      std::fprintf(stderr, "mtcpp-replay: --connection %s: there are %zu\n", connection.c_str(), connections.size());
      return 2;
    }
    first = static_cast<std::size_t>(n - 1);
    last = first + 1;
  }
  bool differ = false;
  for (std::size_t i = first; i < last; ++i) {
    const auto& c = connections[i];
    std::vector<replay::Call> calls;
    if (script.empty()) {
      calls = replay::infer_calls(c);
    } else {
      auto parsed = replay::parse_calls(script, c);
      if (auto* error = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "mtcpp-replay: %s\n", error->c_str());
        return 2;
      }
      calls = std::get<std::vector<replay::Call>>(parsed);
    }
    const Instant origin = replay::start_of(c);
    std::printf("\nconnection %zu, calls (%s):", i + 1, script.empty() ? "inferred" : "script");
    for (const auto& k : calls) std::printf(" %s", replay::to_string(k, origin).c_str());
    std::printf("\n");
    const replay::Run r = replay::run(c, calls, run_options);
    if (!r.error.empty()) {
      std::fprintf(stderr, "mtcpp-replay: %s\n", r.error.c_str());
      return 2;
    }
    std::printf("mtcpp's calls (time in the trace's clock, seconds):\n");
    for (const std::string& line : r.log) std::printf("  %s\n", line.c_str());
    std::printf("\n");
    const replay::Summary s = replay::compare(c, r, compare_options, stdout);
    std::printf("summary: the endpoint sent %zu segments, mtcpp %zu; %zu row(s) differ", s.recorded, s.sent, s.differing);
    if (s.first_divergence != 0) std::printf("; first divergence at row %zu", s.first_divergence);
    std::printf("\n");
    differ = differ || s.differing > 0;
  }
  return differ ? 1 : 0;
}
