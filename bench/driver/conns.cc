#include "bench/driver/conns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "bench/driver/mtcpp_pair.h"
#include "bench/driver/mtcpp_sockets.h"

namespace bench {

namespace {

constexpr int kPorts = 16;  // listening ports: more 4-tuples than one port's ephemeral range gives
constexpr std::uint16_t kFirstPort = 10000;
constexpr std::uint64_t kBatch = 10000;

std::uint64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

// The kernel's slab memory (where sockets live), from /proc/meminfo.
std::uint64_t slab_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0, total = 0;
  std::string unit;
  while (meminfo >> key >> kb) {
    std::getline(meminfo, unit);
    if (key == "Slab:") total = kb * 1024;
  }
  return total;
}

std::uint64_t above(std::uint64_t now, std::uint64_t base) { return now > base ? now - base : 0; }

ConnsResult mtcpp_conns(std::uint64_t max, std::uint64_t budget, const MtcppOptions& options) {
  ConnsResult r;
  MtcppPair pair(1500, options.checksum_offload);
  BenchClock clock(true);
  MtcppSockets server(*pair.server, kServerAddress, clock);
  MtcppSockets client(*pair.client, kServerAddress, clock);
  std::vector<int> listeners;
  for (int p = 0; p < kPorts; ++p) listeners.push_back(server.listen(static_cast<std::uint16_t>(kFirstPort + p), 4096));
  std::vector<Ready> ready;
  auto poll_both = [&] {
    ready.clear();
    server.wait(ready);
    for (const Ready& e : ready)
      if (std::find(listeners.begin(), listeners.end(), e.socket) != listeners.end())
        while (server.accept(e.socket) >= 0) ++r.connections;
    ready.clear();
    client.wait(ready);  // the client's sockets are established before the server can accept
  };
  poll_both();
  malloc_trim(0);  // what earlier workloads freed goes back to the OS: not counted against mtcpp
  const std::uint64_t base = rss_bytes();
  r.baseline = base;
  std::uint64_t opened = 0;
  while (r.limit.empty()) {
    // Connects in chunks the pipe's ring can carry, then polls until the batch is accepted.
    for (std::uint64_t target = std::min(max, opened + kBatch); opened < target;) {
      for (int i = 0; i < 256 && opened < target; ++i, ++opened)
        if (const int s = client.connect(static_cast<std::uint16_t>(kFirstPort + opened % kPorts)); s < 0) {
          r.limit = std::string("connect: ") + std::strerror(-s);
          break;
        }
      poll_both();
      if (!r.limit.empty()) break;
    }
    for (int spins = 0; r.connections < opened && spins < 1'000'000; ++spins) poll_both();
    r.bytes = above(rss_bytes(), base);
    if (r.connections < opened && r.limit.empty()) r.limit = "handshakes did not complete";
    if (r.bytes > budget && r.limit.empty()) r.limit = "memory budget";
    if (opened >= max && r.limit.empty()) r.limit = "count asked for";
  }
  return r;
}

ConnsResult linux_conns(std::uint64_t max, std::uint64_t budget) {
  ConnsResult r;
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  setrlimit(RLIMIT_NOFILE, &files);
  const std::uint64_t fd_room = files.rlim_cur > 200 ? (files.rlim_cur - 200) / 2 : 0;
  if (fd_room < max) max = fd_room;
  std::vector<int> fds;
  auto close_all = [&] {
    for (int fd : fds) ::close(fd);
  };
  std::vector<int> listeners;
  for (int p = 0; p < kPorts; ++p) {
    const int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    const int one = 1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(kFirstPort + p));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l < 0 || bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4096) != 0) {
      r.limit = std::string("listen: ") + std::strerror(errno);
      if (l >= 0) ::close(l);
      close_all();
      return r;
    }
    listeners.push_back(l);
    fds.push_back(l);
  }
  const std::uint64_t base = slab_bytes() + rss_bytes();
  while (r.limit.empty()) {
    const std::uint64_t target = std::min(max, r.connections + 1000);
    for (std::uint64_t i = r.connections; i < target && r.limit.empty(); ++i) {
      const int c = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(kFirstPort + i % kPorts));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (c < 0 || ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        r.limit = std::string("connect: ") + std::strerror(errno);
        if (c >= 0) ::close(c);
        break;
      }
      fds.push_back(c);
      const int s = accept(listeners[i % kPorts], nullptr, nullptr);  // loopback completes it at once
      if (s < 0) {
        r.limit = std::string("accept: ") + std::strerror(errno);
        break;
      }
      fds.push_back(s);
      ++r.connections;
    }
    r.bytes = above(slab_bytes() + rss_bytes(), base);
    if (r.bytes > budget && r.limit.empty()) r.limit = "memory budget";
    if (r.connections >= max && r.limit.empty())
      r.limit = max == fd_room ? "file descriptors (RLIMIT_NOFILE)" : "count asked for";
  }
  close_all();
  return r;
}

// Both stacks polled once per simulated millisecond from `from`, for `ticks` ticks: wall-clock
// nanoseconds per tick.
double ns_per_tick(MtcppPair& pair, mtcpp::Instant from, int ticks) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < ticks; ++i) {
    const mtcpp::Instant now = from + std::chrono::milliseconds(i);
    pair.server->poll(now);
    pair.client->poll(now);
  }
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / ticks;
}

}  // namespace

TimeWaitResult measure_time_wait(std::uint64_t connections, const MtcppOptions& options) {
  constexpr int kTicks = 10000;  // 10 s of simulated time: well inside TIME_WAIT's 60 s
  TimeWaitResult r;
  {
    MtcppPair idle(1500, options.checksum_offload);
    r.ns_per_tick_idle = ns_per_tick(idle, mtcpp::from_us(1'000'000), kTicks);
  }
  MtcppPair pair(1500, options.checksum_offload);
  BenchClock clock(true);
  MtcppSockets server(*pair.server, kServerAddress, clock);
  MtcppSockets client(*pair.client, kServerAddress, clock);
  std::vector<int> listeners, accepted, opened;
  for (int p = 0; p < kPorts; ++p) listeners.push_back(server.listen(static_cast<std::uint16_t>(kFirstPort + p), 4096));
  std::vector<Ready> ready;
  auto poll_both = [&] {
    ready.clear();
    server.wait(ready);
    for (const Ready& e : ready) {
      if (std::find(listeners.begin(), listeners.end(), e.socket) != listeners.end()) {
        for (int s; (s = server.accept(e.socket)) >= 0;) accepted.push_back(s);
      } else if (e.events & (kIn | kHup)) {
        server.close(e.socket);  // the client's FIN: close too, so the client ends in TIME_WAIT
      }
    }
    ready.clear();
    client.wait(ready);
  };
  while (opened.size() < connections) {
    for (int i = 0; i < 256 && opened.size() < connections; ++i) {
      const int s = client.connect(static_cast<std::uint16_t>(kFirstPort + opened.size() % kPorts));
      if (s < 0) return r;
      opened.push_back(s);
    }
    poll_both();
  }
  for (int spins = 0; accepted.size() < connections && spins < 1'000'000; ++spins) poll_both();
  for (std::size_t i = 0; i < opened.size(); ++i) {
    client.close(opened[i]);
    if (i % 256 == 255) poll_both();
  }
  for (int spins = 0; pair.client->stats().tcp_time_wait < connections && spins < 1'000'000; ++spins) poll_both();
  r.in_time_wait = pair.client->stats().tcp_time_wait;
  r.ns_per_tick = ns_per_tick(pair, clock.now(), kTicks);
  return r;
}

ConnsResult measure_conns(System system, std::uint64_t max_connections, std::uint64_t budget_bytes,
                          const MtcppOptions& options) {
  return system == System::mtcpp ? mtcpp_conns(max_connections, budget_bytes, options)
                                 : linux_conns(max_connections, budget_bytes);
}

}  // namespace bench
