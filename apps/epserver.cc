// epserver: mTCP's static-file web server, with mTCP's command line, on mtcpp. Every regular file
// of the -p directory is read into memory at start and served over HTTP/1.1 (keep-alive; HTTP/1.0
// closes unless asked to keep alive) from one epoll loop per core, each core its own context. The
// backend is the configuration's: `io = pcap` with `port = IFNAME` serves on a real interface.
// Each second it prints mTCP's per-core statistics lines for the ports in stat_print.
#include <arpa/inet.h>
#include <dirent.h>
#include <mtcp_api.h>
#include <mtcp_epoll.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "apps/support/app_common.h"
#include "apps/support/stats_board.h"

namespace {

constexpr int kMaxEvents = 1024;
constexpr std::size_t kMaxRequest = 8192;  // a request header larger than this is refused (400)
constexpr std::size_t kMaxFiles = 1000;

struct Options {
  std::string dir;
  std::string conf = "epserver.conf";
  int cores = 0;     // -N; 0: num_cores of the configuration
  int one_core = -1; // -c: serve on this core only (mTCP's multi-process mode)
  int backlog = 4096;
  int port = 80;
  double duration = 0;  // --duration: stop after this many seconds (0: at SIGINT or SIGTERM)
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: epserver -p DIR [-f CONF] [-N CORES] [-c CORE] [-b BACKLOG] [--port N] [--duration S]\n"
               "  Serves every file of DIR (read into memory at start) over HTTP/1.1 on port 80, one\n"
               "  mTCP context and epoll loop per core, as mTCP's epserver does.\n"
               "  -p DIR       directory of files to serve (required)\n"
               "  -f CONF      mTCP configuration file (default epserver.conf); io = pcap with\n"
               "               port = IFNAME serves on a live interface\n"
               "  -N CORES     cores to use (default: num_cores of CONF)\n"
               "  -c CORE      use this one core only\n"
               "  -b BACKLOG   listen backlog (default 4096)\n"
               "  --port N     TCP port (default 80)\n"
               "  --duration S stop after S seconds (default: run until SIGINT or SIGTERM)\n"
               "example: epserver -p www -f epserver.conf -N 1\n");
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    if (opt == "-h" || opt == "--help") {
      usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "epserver: %s needs a value (see --help)\n", opt.c_str());
      return false;
    }
    const char* v = argv[++i];
    using mtcpp::apps::parse_long;
    if (opt == "-p") {
      o.dir = v;
    } else if (opt == "-f") {
      o.conf = v;
    } else if (auto n = parse_long(v, 1, 64); opt == "-N" && n) {
      o.cores = static_cast<int>(*n);
    } else if (auto c = parse_long(v, 0, 63); opt == "-c" && c) {
      o.one_core = static_cast<int>(*c);
    } else if (auto b = parse_long(v, 1, 1 << 20); opt == "-b" && b) {
      o.backlog = static_cast<int>(*b);
    } else if (auto p = parse_long(v, 1, 65535); opt == "--port" && p) {
      o.port = static_cast<int>(*p);
    } else if (opt == "--duration") {
      char* end = nullptr;
      o.duration = std::strtod(v, &end);
      if (end == v || *end != '\0' || o.duration < 0) {
        std::fprintf(stderr, "epserver: --duration takes seconds\n");
        return false;
      }
    } else {
      std::fprintf(stderr, "epserver: bad option or value: %s %s (see --help)\n", opt.c_str(), v);
      return false;
    }
  }
  if (o.dir.empty()) {
    std::fprintf(stderr, "epserver: -p DIR is required (see --help)\n");
    return false;
  }
  return true;
}

// The files served, by URL path ("/name").
using Files = std::map<std::string, std::string>;

bool load_files(const std::string& dir, Files& files) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    std::fprintf(stderr, "epserver: -p %s: %s\n", dir.c_str(), std::strerror(errno));
    return false;
  }
  while (dirent* e = readdir(d)) {
    const std::string path = dir + "/" + e->d_name;
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (files.size() == kMaxFiles) {
      std::fprintf(stderr, "epserver: more than %zu files in %s; the rest are not served\n", kMaxFiles, dir.c_str());
      break;
    }
    std::ifstream in(path, std::ios::binary);
    files["/" + std::string(e->d_name)] = std::string(std::istreambuf_iterator<char>(in), {});
  }
  closedir(d);
  std::printf("epserver: serving %zu file(s) from %s\n", files.size(), dir.c_str());
  return true;
}

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

// One connection: the request bytes so far, and the response being written.
struct Conn {
  std::string in;
  std::string header;
  const std::string* body = nullptr;
  std::size_t sent = 0;  // of header then body
  bool keep_alive = false;
  bool responding = false;
};

// Parses the complete request at the front of c.in (if any) into a response; false when none is
// complete yet. A request too large or malformed gets a 400 and the connection closes after it.
bool take_request(Conn& c, const Files& files) {
  const std::size_t end = c.in.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (c.in.size() <= kMaxRequest) return false;
    c.header = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    c.body = nullptr;
    c.keep_alive = false;
    c.in.clear();
    return true;
  }
  const std::string request = c.in.substr(0, end);
  c.in.erase(0, end + 4);
  char method[16] = {}, path[1024] = {}, version[16] = {};
  const bool parsed = std::sscanf(request.c_str(), "%15s %1023s %15s", method, path, version) == 3;
  std::string lower = request;
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const bool http11 = std::strcmp(version, "HTTP/1.1") == 0;
  c.keep_alive = http11 ? lower.find("connection: close") == std::string::npos
                        : lower.find("connection: keep-alive") != std::string::npos;
  std::string status = "200 OK";
  c.body = nullptr;
  static const std::string empty;
  if (!parsed || (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0)) {
    status = "400 Bad Request";
    c.keep_alive = false;
    c.body = &empty;
  } else if (auto it = files.find(path); it != files.end()) {
    c.body = &it->second;
  } else {
    status = "404 Not Found";
    c.body = &empty;
  }
  c.header = "HTTP/1.1 " + status + "\r\nServer: mtcpp-epserver\r\nContent-Length: " +
             std::to_string(c.body->size()) + "\r\nConnection: " + (c.keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
  if (std::strcmp(method, "HEAD") == 0) c.body = &empty;
  return true;
}

void watch(mctx_t mctx, int ep, int id, std::uint32_t events, int op) {
  mtcp_epoll_event ev{};
  ev.events = events;
  ev.data.sockid = id;
  mtcp_epoll_ctl(mctx, ep, op, id, &ev);
}

enum class Wrote { all, some, failed };

// Writes what the socket takes: all of the response, some of it (the rest waits for EPOLLOUT), or
// nothing more ever (the connection was reset or closed).
Wrote write_some(mctx_t mctx, int id, Conn& c) {
  const std::size_t total = c.header.size() + (c.body != nullptr ? c.body->size() : 0);
  while (c.sent < total) {
    const bool in_header = c.sent < c.header.size();
    const char* p = in_header ? c.header.data() + c.sent : c.body->data() + (c.sent - c.header.size());
    const std::size_t left = in_header ? c.header.size() - c.sent : total - c.sent;
    const int w = mtcp_write(mctx, id, p, left);
    if (w < 0 && errno != EAGAIN) return Wrote::failed;
    if (w <= 0) return Wrote::some;
    c.sent += static_cast<std::size_t>(w);
  }
  return Wrote::all;
}

void serve(int core, const Options& o, const Files& files, mtcpp::apps::StatsBoard& board, std::atomic<int>& failures) {
  mtcp_core_affinitize(core % static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  mctx_t mctx = mtcp_create_context(core);
  if (mctx == nullptr) {
    std::fprintf(stderr, "epserver: core %d: mtcp_create_context: %s\n", core, std::strerror(errno));
    ++failures;
    return;
  }
  board.attach(core, mctx);
  const int ep = mtcp_epoll_create(mctx, kMaxEvents);
  const int listener = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = INADDR_ANY;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (ep < 0 || listener < 0 || mtcp_setsock_nonblock(mctx, listener) < 0 ||
      mtcp_bind(mctx, listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      mtcp_listen(mctx, listener, o.backlog) < 0) {
    std::fprintf(stderr, "epserver: core %d: listen on port %d: %s\n", core, o.port, std::strerror(errno));
    ++failures;
    mtcp_destroy_context(mctx);
    return;
  }
  watch(mctx, ep, listener, MTCP_EPOLLIN, MTCP_EPOLL_CTL_ADD);
  std::printf("CPU %d: initialization finished, listening on port %d\n", core, o.port);
  std::fflush(stdout);
  std::map<int, Conn> conns;
  const auto close_conn = [&](int id) {
    mtcp_close(mctx, id);
    conns.erase(id);
  };
  std::vector<mtcp_epoll_event> events(kMaxEvents);
  char buf[16384];
  auto last_publish = std::chrono::steady_clock::now();
  while (!g_stop) {
    const int n = mtcp_epoll_wait(mctx, ep, events.data(), kMaxEvents, 100);
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "epserver: core %d: epoll_wait: %s\n", core, std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int id = events[static_cast<std::size_t>(i)].data.sockid;
      const std::uint32_t ev = events[static_cast<std::size_t>(i)].events;
      if (id == listener) {
        for (int c; (c = mtcp_accept(mctx, listener, nullptr, nullptr)) >= 0;) {
          mtcp_setsock_nonblock(mctx, c);
          conns[c] = Conn{};
          watch(mctx, ep, c, MTCP_EPOLLIN, MTCP_EPOLL_CTL_ADD);
        }
        continue;
      }
      auto it = conns.find(id);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      bool done_reading = false;
      if (ev & (MTCP_EPOLLIN | MTCP_EPOLLERR | MTCP_EPOLLHUP)) {
        for (;;) {
          const int r = mtcp_read(mctx, id, buf, sizeof buf);
          if (r > 0) {
            c.in.append(buf, static_cast<std::size_t>(r));
            continue;
          }
          done_reading = r == 0 || errno != EAGAIN;  // end of stream, or an error such as ECONNRESET
          break;
        }
      }
      if (!c.responding && take_request(c, files)) {
        c.responding = true;
        c.sent = 0;
      }
      const Wrote wrote = c.responding ? write_some(mctx, id, c) : Wrote::some;
      if (wrote == Wrote::failed) {  // reset or closed mid-response: nothing more can go
        close_conn(id);
        continue;
      }
      if (wrote == Wrote::all) {
        c.responding = false;
        if (!c.keep_alive) {
          close_conn(id);  // the server closes first, as mTCP's epserver does
          continue;
        }
        if (take_request(c, files)) {  // a pipelined request already read
          c.responding = true;
          c.sent = 0;
        }
      }
      if (done_reading && !c.responding) {
        close_conn(id);
        continue;
      }
      watch(mctx, ep, id, c.responding ? MTCP_EPOLLOUT : MTCP_EPOLLIN, MTCP_EPOLL_CTL_MOD);
    }
    if (const auto now = std::chrono::steady_clock::now(); now - last_publish >= std::chrono::milliseconds(200)) {
      board.publish(core, mctx);
      last_publish = now;
    }
  }
  for (auto& [id, c] : conns) mtcp_close(mctx, id);
  mtcp_close(mctx, listener);
  mtcpp::apps::finish_closing(mctx, ep, std::chrono::seconds(5));
  board.publish(core, mctx);
  mtcp_destroy_context(mctx);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) return 2;
  Files files;
  if (!load_files(o.dir, files)) return 1;
  if (mtcp_init(o.conf.c_str()) != 0) {
    std::fprintf(stderr, "epserver: mtcp_init(%s) failed (the reason is above)\n", o.conf.c_str());
    return 1;
  }
  mtcp_conf conf{};
  mtcp_getconf(&conf);
  const auto picked = mtcpp::apps::pick_cores("epserver", o.cores, o.one_core, "-N", "-c");
  if (!picked) return 2;
  const std::vector<int>& cores = *picked;
  mtcp_register_signal(SIGINT, on_signal);
  mtcp_register_signal(SIGTERM, on_signal);
  mtcpp::apps::StatsBoard board(conf.num_cores);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int core : cores) threads.emplace_back(serve, core, std::cref(o), std::cref(files), std::ref(board), std::ref(failures));
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  while (!g_stop && failures.load() < static_cast<int>(cores.size())) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = std::chrono::steady_clock::now();
    if (o.duration > 0 && now - start >= std::chrono::duration<double>(o.duration)) g_stop = true;
    if (now - last >= std::chrono::seconds(1)) {
      board.print(stdout, std::chrono::duration<double>(now - last).count());
      last = now;
    }
  }
  g_stop = true;
  for (std::thread& t : threads) t.join();
  // The last, partial interval: every core published its counters as it ended.
  board.print(stdout, std::chrono::duration<double>(std::chrono::steady_clock::now() - last).count());
  mtcp_destroy();
  return failures.load() > 0 ? 1 : 0;
}
