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

#include "bench/driver/linux_sockets.h"
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

// mtcpp's side of conns and timewait: both stacks in this thread on the counted clock, the server
// listening on kPorts ports and accepting everything; a server socket whose peer closes is closed.
class MtcppOpener {
 public:
  explicit MtcppOpener(const MtcppOptions& o)
      : pair_(1500, o),
        clock_(true),
        server_(pair_.server(), kServerAddress, clock_),
        client_(pair_.client(), kServerAddress, clock_) {
    for (int p = 0; p < kPorts; ++p) listeners_.push_back(server_.listen(static_cast<std::uint16_t>(kFirstPort + p), 4096));
  }

  // Connects until `total` have been asked for in all, in chunks the pipe's ring can carry, then
  // polls until the server has accepted them; the client's ids go to `ids` when given. Returns
  // what went wrong, or nothing.
  std::string open(std::uint64_t total, std::vector<int>* ids = nullptr) {
    while (opened_ < total) {
      for (int i = 0; i < 256 && opened_ < total; ++i, ++opened_) {
        const int s = client_.connect(static_cast<std::uint16_t>(kFirstPort + opened_ % kPorts));
        if (s < 0) return std::string("connect: ") + std::strerror(-s);
        if (ids != nullptr) ids->push_back(s);
      }
      poll();
    }
    for (int spins = 0; accepted_ < opened_ && spins < 1'000'000; ++spins) poll();
    return accepted_ < opened_ ? "handshakes did not complete" : "";
  }

  void poll() {
    ready_.clear();
    server_.wait(ready_);
    for (const Ready& e : ready_) {
      if (std::find(listeners_.begin(), listeners_.end(), e.socket) != listeners_.end()) {
        while (server_.accept(e.socket) >= 0) ++accepted_;
      } else if (e.events & (kIn | kHup)) {
        server_.close(e.socket);  // the client's FIN (timewait): close too
      }
    }
    ready_.clear();
    client_.wait(ready_);  // the client's sockets are established before the server can accept
  }

  std::uint64_t accepted() const { return accepted_; }
  MtcppSockets& client() { return client_; }
  MtcppPair& pair() { return pair_; }
  BenchClock& clock() { return clock_; }

 private:
  MtcppPair pair_;
  BenchClock clock_;
  MtcppSockets server_;
  MtcppSockets client_;
  std::vector<int> listeners_;
  std::vector<Ready> ready_;
  std::uint64_t opened_ = 0;
  std::uint64_t accepted_ = 0;
};

ConnsResult mtcpp_conns(std::uint64_t max, std::uint64_t budget, const MtcppOptions& options) {
  ConnsResult r;
  MtcppOpener net(options);
  net.poll();
  malloc_trim(0);  // what earlier workloads freed goes back to the OS: not counted against mtcpp
  r.baseline = rss_bytes();
  for (std::uint64_t target = kBatch; r.limit.empty(); target += kBatch) {
    r.limit = net.open(std::min(max, target));
    r.connections = net.accepted();
    r.bytes = above(rss_bytes(), r.baseline);
    if (r.bytes > budget && r.limit.empty()) r.limit = "memory budget";
    if (r.connections >= max && r.limit.empty()) r.limit = "count asked for";
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
    const sockaddr_in a = loopback(static_cast<std::uint16_t>(kFirstPort + p));
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (l < 0 || bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || ::listen(l, 4096) != 0) {
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
      const sockaddr_in a = loopback(static_cast<std::uint16_t>(kFirstPort + i % kPorts));
      if (c < 0 || ::connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
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
    pair.server().poll(now);
    pair.client().poll(now);
  }
  return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / ticks;
}

}  // namespace

TimeWaitResult measure_time_wait(std::uint64_t connections, const MtcppOptions& options) {
  constexpr int kTicks = 10000;  // 10 s of simulated time: well inside TIME_WAIT's 60 s
  TimeWaitResult r;
  {
    MtcppPair idle(1500, options);
    r.ns_per_tick_idle = ns_per_tick(idle, mtcpp::from_us(1'000'000), kTicks);
  }
  MtcppOpener net(options);
  std::vector<int> opened;
  if (!net.open(connections, &opened).empty()) return r;
  for (std::size_t i = 0; i < opened.size(); ++i) {
    net.client().close(opened[i]);
    if (i % 256 == 255) net.poll();
  }
  mtcpp::Stack& client = net.pair().client();
  for (int spins = 0; client.stats().tcp_time_wait < connections && spins < 1'000'000; ++spins) net.poll();
  r.in_time_wait = client.stats().tcp_time_wait;
  r.ns_per_tick = ns_per_tick(net.pair(), net.clock().now(), kTicks);
  return r;
}

ConnsResult measure_conns(System system, std::uint64_t max_connections, std::uint64_t budget_bytes,
                          const MtcppOptions& options) {
  return system == System::mtcpp ? mtcpp_conns(max_connections, budget_bytes, options)
                                 : linux_conns(max_connections, budget_bytes);
}

}  // namespace bench
