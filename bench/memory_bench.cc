// memory_bench: what two mtcpp stacks over the in-memory link cost, next to the Linux kernel's TCP
// over loopback measured in the same run (so the ratio survives a noisy machine).
//   bulk      one connection moving --bytes; wall-clock rate
//   short     --connections sequential connect / 64-byte request / 64-byte reply / close
//   lossy     with --loss: the bulk transfer again over a link that loses that share of frames
//             each way (mtcpp only: this kernel has no netem to do the same to loopback)
// Both mtcpp stacks run in this one thread with a manual clock, so the figure is the stack's own
// CPU cost for both ends; the kernel figures use two threads (client and server) on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "backends/memory/stack_pair.h"

using namespace mtcpp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

StackPair::Options bench_options(const LinkConditions& link = {.delay = 10us}) {
  auto o = StackPair::default_options();
  o.link = link;
  o.a.tcp.send_buffer = o.b.tcp.send_buffer = 1 << 20;
  o.a.tcp.receive_buffer = o.b.tcp.receive_buffer = 1 << 20;
  return o;
}

struct BulkRun {
  double gbps = 0;             // bytes over wall-clock time: what both ends cost in CPU
  double simulated_mbps = 0;   // bytes over simulated time: what the link carried
  std::uint64_t retransmissions = 0;
};

BulkRun mtcpp_bulk(std::uint64_t total, const LinkConditions& link = {.delay = 10us}) {
  StackPair net(bench_options(link));
  Stack& a = net.a();
  Stack& b = net.b();
  const int l = a.socket(net.now());
  a.bind(l, {a.address(), 5001});
  a.listen(l, 8);
  const int c = b.socket(net.now());
  b.connect(c, {a.address(), 5001}, net.now());
  std::vector<std::uint8_t> out(256 * 1024, 'x'), in(256 * 1024);
  std::uint64_t sent = 0, received = 0;
  int s = -1;
  const auto t0 = Clock::now();
  const Instant sim0 = net.now();
  net.run_until(
      [&] {
        if (s < 0) s = a.accept(l, nullptr);
        while (sent < total) {
          const long n = b.send(c, Bytes(out.data(), std::min<std::uint64_t>(out.size(), total - sent)), net.now());
          if (n <= 0) break;
          sent += static_cast<std::uint64_t>(n);
        }
        for (long n; s >= 0 && (n = a.recv(s, in, net.now())) > 0;) received += static_cast<std::uint64_t>(n);
        return received == total;
      },
      3600s);
  const double bits = static_cast<double>(received) * 8;
  return BulkRun{bits / seconds_since(t0) / 1e9,
                 bits / std::chrono::duration<double>(net.now() - sim0).count() / 1e6,
                 b.stats().tcp_retransmissions};
}

double mtcpp_short(int count) {
  StackPair net(bench_options());
  Stack& a = net.a();
  Stack& b = net.b();
  const int l = a.socket(net.now());
  a.bind(l, {a.address(), 80});
  a.listen(l, 128);
  std::vector<std::uint8_t> msg(64, 'q'), in(1024);
  const auto t0 = Clock::now();
  for (int i = 0; i < count; ++i) {
    const int c = b.socket(net.now());
    b.connect(c, {a.address(), 80}, net.now());
    int s = -1;
    bool asked = false, answered = false;
    net.run_until(
        [&] {
          if (s < 0) s = a.accept(l, nullptr);
          if (!asked && (b.readiness(c) & readiness::out)) asked = b.send(c, msg, net.now()) > 0;
          if (s >= 0 && !answered && a.recv(s, in, net.now()) == 64) {
            a.send(s, msg, net.now());
            a.close(s, net.now());
            answered = true;
          }
          if (answered && b.recv(c, in, net.now()) == 64) {
            b.close(c, net.now());
            return true;
          }
          return false;
        },
        60s);
  }
  return count / seconds_since(t0);
}

int listen_loopback(std::uint16_t* port) {
  const int l = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(l, 128) != 0) {
    std::perror("memory_bench: loopback listen");
    std::exit(1);
  }
  socklen_t len = sizeof sa;
  getsockname(l, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return l;
}

int connect_loopback(std::uint16_t port) {
  const int c = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (::connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    std::perror("memory_bench: loopback connect");
    std::exit(1);
  }
  return c;
}

double kernel_bulk(std::uint64_t total) {
  std::uint16_t port = 0;
  const int l = listen_loopback(&port);
  std::thread sender([&] {
    const int c = connect_loopback(port);
    std::vector<char> out(256 * 1024, 'x');
    for (std::uint64_t sent = 0; sent < total;) {
      const ssize_t n = ::send(c, out.data(), std::min<std::uint64_t>(out.size(), total - sent), 0);
      if (n <= 0) break;
      sent += static_cast<std::uint64_t>(n);
    }
    ::close(c);
  });
  const int s = ::accept(l, nullptr, nullptr);
  std::vector<char> in(256 * 1024);
  std::uint64_t received = 0;
  const auto t0 = Clock::now();
  for (ssize_t n; (n = ::recv(s, in.data(), in.size(), 0)) > 0;) received += static_cast<std::uint64_t>(n);
  const double gbps = static_cast<double>(received) * 8 / seconds_since(t0) / 1e9;
  sender.join();
  ::close(s);
  ::close(l);
  return gbps;
}

double kernel_short(int count) {
  std::uint16_t port = 0;
  const int l = listen_loopback(&port);
  std::thread server([&] {
    char buf[1024];
    for (int i = 0; i < count; ++i) {
      const int s = ::accept(l, nullptr, nullptr);
      if (::recv(s, buf, 64, MSG_WAITALL) == 64) ::send(s, buf, 64, 0);
      ::close(s);
    }
  });
  char msg[64] = {}, in[64];
  const auto t0 = Clock::now();
  for (int i = 0; i < count; ++i) {
    const int c = connect_loopback(port);
    ::send(c, msg, sizeof msg, 0);
    ::recv(c, in, sizeof in, MSG_WAITALL);
    ::close(c);
  }
  const double rate = count / seconds_since(t0);
  server.join();
  ::close(l);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t bytes = 1ull << 30;
  int connections = 10000;
  double loss_percent = 0;
  long delay_us = 1000;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::printf("usage: memory_bench [--bytes N] [--connections N] [--loss PERCENT [--delay-us US]] [--json]\n"
                  "  Bulk rate and short connections per second of two mtcpp stacks over the in-memory\n"
                  "  link (both in one thread), and of the Linux kernel's TCP over loopback, in one run.\n"
                  "  --loss adds the bulk transfer over a link losing PERCENT of frames each way with\n"
                  "  US microseconds of delay each way (default 1000): mtcpp's CPU cost of loss\n"
                  "  recovery over a large window (wall clock), and its goodput in simulated time.\n"
                  "  Defaults: --bytes 1073741824 --connections 10000.\n");
      return 0;
    }
    if (a == "--json") json = true;
    else if (a == "--bytes" && i + 1 < argc) bytes = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--connections" && i + 1 < argc) connections = std::atoi(argv[++i]);
    else if (a == "--loss" && i + 1 < argc) loss_percent = std::strtod(argv[++i], nullptr);
    else if (a == "--delay-us" && i + 1 < argc) delay_us = std::atol(argv[++i]);
    else {
      std::fprintf(stderr, "memory_bench: unknown or incomplete option %s (see --help)\n", a.c_str());
      return 2;
    }
  }
  if (bytes == 0 || connections <= 0 || connections > 20000) {
    std::fprintf(stderr, "memory_bench: need --bytes > 0 and 0 < --connections <= 20000\n");
    return 2;
  }
  if (!(loss_percent >= 0 && loss_percent < 50) || delay_us < 0 || delay_us > 1000000) {
    std::fprintf(stderr, "memory_bench: need 0 <= --loss < 50 and 0 <= --delay-us <= 1000000\n");
    return 2;
  }
  const double mb = mtcpp_bulk(bytes).gbps, kb = kernel_bulk(bytes);
  const double ms = mtcpp_short(connections), ks = kernel_short(connections);
  BulkRun lossy;
  if (loss_percent > 0)
    lossy = mtcpp_bulk(bytes, {.delay = std::chrono::microseconds(delay_us), .loss = loss_percent / 100});
  if (json) {
    std::printf("{\"bytes\": %llu, \"connections\": %d, \"mtcpp\": {\"bulk_gbps\": %.3f, \"short_conns_per_s\": %.0f}, "
                "\"linux\": {\"bulk_gbps\": %.3f, \"short_conns_per_s\": %.0f}",
                static_cast<unsigned long long>(bytes), connections, mb, ms, kb, ks);
    if (loss_percent > 0)
      std::printf(", \"lossy\": {\"loss_percent\": %g, \"delay_us\": %ld, \"cpu_gbps\": %.3f, "
                  "\"simulated_mbps\": %.1f, \"retransmissions\": %llu}",
                  loss_percent, delay_us, lossy.gbps, lossy.simulated_mbps,
                  static_cast<unsigned long long>(lossy.retransmissions));
    std::printf("}\n");
    return 0;
  }
  std::printf("%-34s %12s %12s %8s\n", "", "mtcpp", "linux", "ratio");
  std::printf("%-34s %12.2f %12.2f %8.2f\n", "bulk, Gbit/s (1 connection)", mb, kb, mb / kb);
  std::printf("%-34s %12.0f %12.0f %8.2f\n", "short connections per second", ms, ks, ms / ks);
  if (loss_percent > 0)
    std::printf("%-34s %12.2f %12s %8s   (%.1f Mbit/s simulated, %llu retransmissions)\n",
                ("bulk, " + std::to_string(loss_percent).substr(0, 4) + " % loss, Gbit/s of CPU").c_str(),
                lossy.gbps, "-", "-", lossy.simulated_mbps, static_cast<unsigned long long>(lossy.retransmissions));
  std::printf("mtcpp: both stacks in one thread over the memory link; linux: two threads over loopback.\n");
  return 0;
}
