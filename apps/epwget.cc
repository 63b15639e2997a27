// epwget: mTCP's HTTP load generator, with mTCP's command line, on mtcpp. Each core's context
// keeps its share of the concurrency in flight: connect, send "GET path HTTP/1.0" with
// "Connection: Close", read the whole response, and close as soon as it is complete (the client
// closes first, as mTCP's epwget does). Every second it prints each core's progress and mTCP's
// statistics lines for the ports in stat_print; at the end, a summary, including how many
// distinct response bodies it saw, so a test can check every byte.
#include <arpa/inet.h>
#include <mtcp_api.h>
#include <mtcp_epoll.h>
#include <mtcpp_ext.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "apps/support/app_common.h"
#include "apps/support/stats_board.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxEvents = 1024;

struct Options {
  std::string host;  // dotted IPv4
  std::string path = "/";
  std::uint16_t port = 80;
  long total = 0;
  std::string conf = "epwget.conf";
  int cores = 0;         // -N; 0: num_cores of the configuration
  int one_core = -1;     // -n
  int concurrency = 0;   // -c, over all cores; 0: 100 per core
  std::string out;       // -o: the first response body goes there
  double timeout = 0;    // --timeout: give up after this many seconds (0: never)
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: epwget IP[:PORT][/PATH] TOTAL_REQUESTS [-f CONF] [-N CORES] [-c CONCURRENCY] [-o FILE]\n"
               "              [-n CORE] [--timeout S]\n"
               "  Fetches http://IP[:PORT]/PATH TOTAL_REQUESTS times with HTTP/1.0, CONCURRENCY at a\n"
               "  time, one mTCP context per core, closing each connection once its response is in.\n"
               "  -f CONF        mTCP configuration file (default epwget.conf)\n"
               "  -N CORES       cores to use (default: num_cores of CONF)\n"
               "  -n CORE        use this one core only\n"
               "  -c CONCURRENCY connections in flight over all cores (default 100 per core)\n"
               "  -o FILE        write the first response body to FILE\n"
               "  --timeout S    give up after S seconds (default: never)\n"
               "Exit status 0 when every request got a complete response.\n"
               "example: epwget 10.0.0.1/index.html 10000 -f epwget.conf -N 1 -c 100\n");
}

bool parse_url(const std::string& url, Options& o) {
  std::string rest = url;
  if (rest.rfind("http://", 0) == 0) rest.erase(0, 7);
  const std::size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  o.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (const std::size_t colon = authority.find(':'); colon != std::string::npos) {
    const auto p = mtcpp::apps::parse_long(authority.c_str() + colon + 1, 1, 65535);
    if (!p) return false;
    o.port = static_cast<std::uint16_t>(*p);
    authority.resize(colon);
  }
  in_addr a{};
  if (inet_pton(AF_INET, authority.c_str(), &a) != 1) return false;
  o.host = authority;
  return true;
}

bool parse(int argc, char** argv, Options& o) {
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    if (opt == "-h" || opt == "--help") {
      usage(stdout);
      std::exit(0);
    }
    if (opt.empty() || opt[0] != '-') {
      positional.push_back(opt);
      continue;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "epwget: %s needs a value (see --help)\n", opt.c_str());
      return false;
    }
    const char* v = argv[++i];
    using mtcpp::apps::parse_long;
    if (opt == "-f") {
      o.conf = v;
    } else if (auto n = parse_long(v, 1, 64); opt == "-N" && n) {
      o.cores = static_cast<int>(*n);
    } else if (auto c = parse_long(v, 0, 63); opt == "-n" && c) {
      o.one_core = static_cast<int>(*c);
    } else if (auto k = parse_long(v, 1, 1 << 20); opt == "-c" && k) {
      o.concurrency = static_cast<int>(*k);
    } else if (opt == "-o") {
      o.out = v;
    } else if (opt == "--timeout") {
      char* end = nullptr;
      o.timeout = std::strtod(v, &end);
      if (end == v || *end != '\0' || o.timeout < 0) {
        std::fprintf(stderr, "epwget: --timeout takes seconds\n");
        return false;
      }
    } else {
      std::fprintf(stderr, "epwget: bad option or value: %s %s (see --help)\n", opt.c_str(), v);
      return false;
    }
  }
  const auto total = positional.size() == 2 ? mtcpp::apps::parse_long(positional[1].c_str(), 1, 1L << 40) : std::nullopt;
  if (positional.size() != 2 || !parse_url(positional[0], o) || !total) {
    std::fprintf(stderr, "epwget: expected IP[:PORT][/PATH] TOTAL_REQUESTS (see --help)\n");
    return false;
  }
  o.total = *total;
  return true;
}

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

std::uint64_t fnv1a(const char* p, std::size_t n, std::uint64_t h = 0xcbf29ce484222325ull) {
  for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(p[i])) * 0x100000001b3ull;
  return h;
}

// What every core reports, read by the main thread.
struct Progress {
  std::atomic<long> connects{0}, completes{0}, failures{0};
  std::atomic<long long> bytes_read{0}, bytes_written{0}, resp_us_total{0}, resp_us_max{0};
};

struct Shared {
  std::mutex mutex;                   // guards bodies and out_written
  std::set<std::uint64_t> bodies;     // digests of complete response bodies
  bool out_written = false;
};

struct Flow {
  std::string head;  // the response header, until it is complete
  bool head_done = false;
  long long content_length = -1;  // -1: until the server closes
  long long body = 0;
  std::uint64_t digest = 0xcbf29ce484222325ull;
  std::string first_body;  // kept only while -o has not been written
  Clock::time_point start;
  bool connected = false;
};

struct Worker {
  int core;
  long share;
  int concurrency;
  const Options& o;
  Progress& p;
  Shared& shared;
  mtcpp::apps::StatsBoard& board;
  bool keep_body = false;

  void finish(mctx_t mctx, int id, Flow& f, bool ok) {
    mtcp_close(mctx, id);
    if (!ok) {
      ++p.failures;
      return;
    }
    ++p.completes;
    const long long us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - f.start).count();
    p.resp_us_total += us;
    for (long long m = p.resp_us_max; us > m && !p.resp_us_max.compare_exchange_weak(m, us);) {
    }
    std::lock_guard lock(shared.mutex);
    shared.bodies.insert(f.digest);
    if (keep_body && !shared.out_written) {  // a core that kept the body (core 0) writes it
      if (std::FILE* out = std::fopen(o.out.c_str(), "wb")) {
        std::fwrite(f.first_body.data(), 1, f.first_body.size(), out);
        std::fclose(out);
      } else {
        std::fprintf(stderr, "epwget: -o %s: %s\n", o.out.c_str(), std::strerror(errno));
      }
      shared.out_written = true;
    }
    keep_body = false;  // only the first complete body is written
  }

  // Takes n received bytes; true when the response is complete.
  bool take(Flow& f, const char* data, std::size_t n) {
    if (!f.head_done) {
      f.head.append(data, n);
      const std::size_t end = f.head.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      f.head_done = true;
      std::string lower = f.head.substr(0, end);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (const std::size_t cl = lower.find("content-length:"); cl != std::string::npos)
        f.content_length = std::atoll(lower.c_str() + cl + 15);
      const std::string rest = f.head.substr(end + 4);
      f.head.resize(end);
      data = rest.data();
      n = rest.size();
      return body(f, data, n);
    }
    return body(f, data, n);
  }
  bool body(Flow& f, const char* data, std::size_t n) {
    f.digest = fnv1a(data, n, f.digest);
    f.body += static_cast<long long>(n);
    if (keep_body) f.first_body.append(data, n);
    return f.content_length >= 0 && f.body >= f.content_length;
  }

  void run() {
    mctx_t mctx = mtcp_create_context(core);
    if (mctx == nullptr) {
      std::fprintf(stderr, "epwget: core %d: mtcp_create_context: %s\n", core, std::strerror(errno));
      p.failures += share;
      return;
    }
    board.attach(core, mctx);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(o.port);
    inet_pton(AF_INET, o.host.c_str(), &dst.sin_addr);
    mtcp_init_rss(mctx, INADDR_ANY, 1, dst.sin_addr.s_addr, dst.sin_port);
    const int ep = mtcp_epoll_create(mctx, kMaxEvents);
    const std::string request = "GET " + o.path + " HTTP/1.0\r\nHost: " + o.host +
                                "\r\nUser-Agent: mtcpp-epwget\r\nConnection: Close\r\n\r\n";
    keep_body = !o.out.empty() && core == 0;
    std::unordered_map<int, Flow> flows;
    long started = 0;
    std::vector<mtcp_epoll_event> events(kMaxEvents);
    std::vector<char> buf(65536);
    auto last_publish = Clock::now();
    while (!g_stop && (started < share || !flows.empty())) {
      while (started < share && static_cast<int>(flows.size()) < concurrency) {
        const int s = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
        if (s < 0) break;  // out of ids for now: wait for some to close
        mtcp_setsock_nonblock(mctx, s);
        ++started;
        const int r = mtcp_connect(mctx, s, reinterpret_cast<sockaddr*>(&dst), sizeof dst);
        if (r < 0 && errno != EINPROGRESS) {
          mtcp_close(mctx, s);
          ++p.failures;
          continue;
        }
        Flow& f = flows[s];
        f.start = Clock::now();
        mtcp_epoll_event ev{};
        ev.events = MTCP_EPOLLOUT;
        ev.data.sockid = s;
        mtcp_epoll_ctl(mctx, ep, MTCP_EPOLL_CTL_ADD, s, &ev);
      }
      const int n = mtcp_epoll_wait(mctx, ep, events.data(), kMaxEvents, 100);
      for (int i = 0; i < n; ++i) {
        const int id = events[static_cast<std::size_t>(i)].data.sockid;
        auto it = flows.find(id);
        if (it == flows.end()) continue;
        Flow& f = it->second;
        if (!f.connected) {
          int err = 0;
          socklen_t len = sizeof err;
          mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0 || mtcp_write(mctx, id, request.data(), request.size()) != static_cast<int>(request.size())) {
            finish(mctx, id, f, false);
            flows.erase(it);
            continue;
          }
          f.connected = true;
          ++p.connects;
          p.bytes_written += static_cast<long long>(request.size());
          mtcp_epoll_event ev{};
          ev.events = MTCP_EPOLLIN;
          ev.data.sockid = id;
          mtcp_epoll_ctl(mctx, ep, MTCP_EPOLL_CTL_MOD, id, &ev);
          continue;
        }
        bool complete = false, ended = false;
        for (;;) {
          const int r = mtcp_read(mctx, id, buf.data(), buf.size());
          if (r > 0) {
            p.bytes_read += r;
            if (take(f, buf.data(), static_cast<std::size_t>(r))) {
              complete = true;
              break;
            }
            continue;
          }
          if (r == 0 || errno != EAGAIN) ended = true;
          break;
        }
        if (complete || ended) {
          const bool ok = complete || (ended && f.head_done && f.content_length < 0 && errno != ECONNRESET);
          finish(mctx, id, f, ok);
          flows.erase(it);
        }
      }
      if (const auto now = Clock::now(); now - last_publish >= std::chrono::milliseconds(200)) {
        board.publish(core, mctx);
        last_publish = now;
      }
    }
    for (auto& [id, f] : flows) {  // stopped early: what is still in flight failed
      mtcp_close(mctx, id);
      ++p.failures;
    }
    p.failures += share - started;
    mtcpp::apps::finish_closing(mctx, ep, std::chrono::seconds(10));
    board.publish(core, mctx);
    if (mtcpp_stats st{}; mtcpp_get_stats(mctx, &st) == 0 && (st.tx_dropped > 0 || st.rx_dropped > 0))
      std::fprintf(stderr, "epwget: core %d: %llu frame(s) dropped on the way out, %llu on the way in\n", core,
                   static_cast<unsigned long long>(st.tx_dropped), static_cast<unsigned long long>(st.rx_dropped));
    mtcp_destroy_context(mctx);
  }
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) return 2;
  if (mtcp_init(o.conf.c_str()) != 0) {
    std::fprintf(stderr, "epwget: mtcp_init(%s) failed (the reason is above)\n", o.conf.c_str());
    return 1;
  }
  mtcp_conf conf{};
  mtcp_getconf(&conf);
  const auto picked = mtcpp::apps::pick_cores("epwget", o.cores, o.one_core, "-N", "-n");
  if (!picked) return 2;
  const std::vector<int>& cores = *picked;
  const int per_core = std::max(1, (o.concurrency > 0 ? o.concurrency : 100 * static_cast<int>(cores.size())) /
                                       static_cast<int>(cores.size()));
  mtcp_register_signal(SIGINT, on_signal);
  mtcp_register_signal(SIGTERM, on_signal);
  mtcpp::apps::StatsBoard board(conf.num_cores);
  Shared shared;
  std::vector<std::unique_ptr<Progress>> progress;
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (std::size_t i = 0; i < cores.size(); ++i) {
    progress.push_back(std::make_unique<Progress>());
    const long share = o.total / static_cast<long>(cores.size()) + (static_cast<long>(i) < o.total % static_cast<long>(cores.size()) ? 1 : 0);
    threads.emplace_back([&, i, share] {
      mtcp_core_affinitize(cores[i] % static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
      Worker{cores[i], share, per_core, o, *progress[i], shared, board}.run();
    });
  }
  const auto finished = [&] {
    long done = 0;
    for (auto& p : progress) done += p->completes + p->failures;
    return done >= o.total;
  };
  std::vector<long> last_completes(cores.size(), 0);
  // mTCP's per-core progress lines: totals so far, and completions since the previous line.
  const auto print_progress = [&] {
    for (std::size_t i = 0; i < cores.size(); ++i) {
      const Progress& p = *progress[i];
      const long c = p.completes;
      const long long avg = c > 0 ? p.resp_us_total / c : 0;
      std::printf("[CPU %2d] connect: %ld, read: %.1f MB, write: %.1f MB, completes: %ld (+%ld), failures: %ld "
                  "(resp_time avg: %lld, max: %lld us)\n",
                  cores[i], p.connects.load(), p.bytes_read / 1e6, p.bytes_written / 1e6, c, c - last_completes[i],
                  p.failures.load(), avg, p.resp_us_max.load());
      last_completes[i] = c;
    }
  };
  auto last = start;
  while (!finished() && !g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = Clock::now();
    if (o.timeout > 0 && now - start >= std::chrono::duration<double>(o.timeout)) {
      std::fprintf(stderr, "epwget: --timeout %.1f s reached\n", o.timeout);
      g_stop = true;
    }
    if (now - last < std::chrono::seconds(1)) continue;
    print_progress();
    board.print(stdout, std::chrono::duration<double>(now - last).count());
    last = now;
  }
  for (std::thread& t : threads) t.join();
  // The last, partial interval: every core published its counters as it ended.
  print_progress();
  board.print(stdout, std::chrono::duration<double>(Clock::now() - last).count());
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  long completes = 0, failures = 0;
  long long bytes = 0;
  for (auto& p : progress) {
    completes += p->completes;
    failures += p->failures;
    bytes += p->bytes_read;
  }
  std::printf("[ ALL  ] completed: %ld, failed: %ld, read: %lld bytes, distinct bodies: %zu, elapsed: %.3f s, "
              "requests/s: %.0f\n",
              completes, failures, bytes, shared.bodies.size(), elapsed, completes / std::max(elapsed, 1e-9));
  mtcp_destroy();
  return failures == 0 && completes == o.total ? 0 : 1;
}
