// mtcpp-demo: two stacks over an in-memory link, no NIC and no root. A server on A serves a
// file; a client on B fetches it; the server closes first, as mTCP's epserver does. Prints what
// happened (bytes, segments, retransmissions, every state each side passed through) and writes a
// pcap of A's side that Wireshark or tshark opens.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "backends/memory/stack_pair.h"

using namespace mtcpp;
using namespace std::chrono_literals;

namespace {

struct Args {
  std::uint64_t size = 1 << 20;
  double loss = 0.0;
  std::uint64_t seed = 1;
  std::string pcap = "mtcpp-demo.pcap";
};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: mtcpp-demo [--size BYTES] [--loss FRACTION] [--seed N] [--pcap FILE]\n"
               "  Two mtcpp stacks joined by an in-memory link (1 ms one way): a client on 10.0.0.2\n"
               "  fetches BYTES from a server on 10.0.0.1:80, then both close. Prints a summary and\n"
               "  writes the server's side of the exchange to FILE (default mtcpp-demo.pcap).\n"
               "  --loss drops that fraction of frames each way (seeded by --seed), e.g. 0.02.\n");
}

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    if (opt == "--help" || opt == "-h") {
      usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "mtcpp-demo: %s needs a value\n", opt.c_str());
      return false;
    }
    const char* v = argv[++i];
    char* end = nullptr;
    if (opt == "--size") a.size = std::strtoull(v, &end, 10);
    else if (opt == "--loss") a.loss = std::strtod(v, &end);
    else if (opt == "--seed") a.seed = std::strtoull(v, &end, 10);
    else if (opt == "--pcap") a.pcap = v, end = const_cast<char*>(v) + std::strlen(v);
    else {
      std::fprintf(stderr, "mtcpp-demo: unknown option %s (see --help)\n", opt.c_str());
      return false;
    }
    if (end == v || *end != '\0') {
      std::fprintf(stderr, "mtcpp-demo: bad value for %s: %s\n", opt.c_str(), v);
      return false;
    }
  }
  if (a.loss < 0 || a.loss >= 0.5) {
    std::fprintf(stderr, "mtcpp-demo: --loss must be in [0, 0.5)\n");
    return false;
  }
  return true;
}

// Records every state transition of every connection, per side.
class StateLog final : public SocketObserver {
 public:
  explicit StateLog(const char* side) : side_(side) {}
  void socket_changed(int) override {}
  void state_changed(const Tcb& t, TcpState from, Instant now) override {
    if (from == t.state) return;
    char line[128];
    std::snprintf(line, sizeof line, "%-6s %8.3f ms  %s -> %s", side_, to_us(now) / 1000.0,
                  std::string(to_string(from)).c_str(), std::string(to_string(t.state)).c_str());
    lines_.push_back(line);
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  const char* side_;
  std::vector<std::string> lines_;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) return 2;
  auto options = StackPair::default_options();
  options.link.loss = args.loss;
  options.link.seed = args.seed;
  options.pcap_a = args.pcap;
  std::unique_ptr<StackPair> made;
  try {
    made = std::make_unique<StackPair>(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtcpp-demo: %s\n", e.what());
    return 1;
  }
  StackPair& net = *made;
  Stack& server = net.a();
  Stack& client = net.b();
  StateLog server_log("server"), client_log("client");
  server.set_observer(&server_log);
  client.set_observer(&client_log);

  const int l = server.socket(net.now());
  server.bind(l, {server.address(), 80});
  server.listen(l, 16);
  const int c = client.socket(net.now());
  client.connect(c, {server.address(), 80}, net.now());

  std::vector<std::uint8_t> file(args.size);
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<std::uint8_t>('a' + i % 26);
  std::vector<std::uint8_t> buf(64 * 1024);
  std::uint64_t served = 0, fetched = 0, mismatches = 0;
  int s = -1;
  bool server_closed = false, client_closed = false;
  const bool ok = net.run_until(
      [&] {
        if (s < 0) s = server.accept(l, nullptr);
        if (s >= 0 && !server_closed) {
          while (served < file.size()) {
            const long n = server.send(s, Bytes(file.data() + served, file.size() - served), net.now());
            if (n <= 0) break;
            served += static_cast<std::uint64_t>(n);
          }
          if (served == file.size()) server_closed = server.close(s, net.now()) == 0;
        }
        for (long n; !client_closed && (n = client.recv(c, buf, net.now())) != -EAGAIN;) {
          if (n <= 0) {  // end of stream (0) or an error: either way the client is done
            client_closed = client.close(c, net.now()) == 0;
            break;
          }
          for (long i = 0; i < n; ++i) mismatches += buf[static_cast<std::size_t>(i)] != file[fetched + static_cast<std::size_t>(i)];
          fetched += static_cast<std::uint64_t>(n);
        }
        return server_closed && client_closed;
      },
      3600s);
  const Instant done_at = net.now();
  net.run_for(server.config().tcp.time_wait + 1s);  // let TIME_WAIT run out
  server.close(l, net.now());

  const StackStats& a = server.stats();
  const StackStats& b = client.stats();
  std::printf("mtcpp demo: %llu bytes over an in-memory link (1 ms one way, loss %.1f%%, seed %llu)\n",
              static_cast<unsigned long long>(args.size), args.loss * 100, static_cast<unsigned long long>(args.seed));
  std::printf("  fetched            %llu bytes, %s\n", static_cast<unsigned long long>(fetched),
              fetched == args.size && mismatches == 0 ? "intact" : "CORRUPT");
  std::printf("  transfer finished  %.1f ms simulated time\n", to_us(done_at) / 1000.0);
  std::printf("                     %-10s %-10s\n", "server", "client");
  std::printf("  segments sent      %-10llu %-10llu\n", static_cast<unsigned long long>(a.tcp_segments_sent), static_cast<unsigned long long>(b.tcp_segments_sent));
  std::printf("  retransmissions    %-10llu %-10llu\n", static_cast<unsigned long long>(a.tcp_retransmissions), static_cast<unsigned long long>(b.tcp_retransmissions));
  std::printf("  frames lost        %-10llu %-10llu\n", static_cast<unsigned long long>(net.link().a_to_b().dropped), static_cast<unsigned long long>(net.link().b_to_a().dropped));
  std::printf("  connections left   %-10llu %-10llu\n", static_cast<unsigned long long>(a.tcp_connections_in_use), static_cast<unsigned long long>(b.tcp_connections_in_use));
  std::printf("states:\n");
  for (const auto& line : server_log.lines()) std::printf("  %s\n", line.c_str());
  for (const auto& line : client_log.lines()) std::printf("  %s\n", line.c_str());
  std::printf("pcap: %s (open with wireshark or: tshark -r %s)\n", args.pcap.c_str(), args.pcap.c_str());
  const bool clean = ok && fetched == args.size && mismatches == 0 && a.tcp_connections_in_use == 0 &&
                     b.tcp_connections_in_use == 0;
  return clean ? 0 : 1;
}
