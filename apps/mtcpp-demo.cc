// mtcpp-demo: an mTCP application, written as mTCP applications are (one context per core, an
// epoll loop, nonblocking sockets), running on mtcpp with two contexts joined by the in-memory
// backend: no NIC, no root. Core 0 serves a file over HTTP/1.0 as epserver does and closes
// first; core 1 fetches it as epwget does. Prints bytes, segments, retransmissions and every
// state each side passed through, and writes a pcap of core 0's side.
#include <arpa/inet.h>
#include <mtcp_api.h>
#include <mtcp_epoll.h>
#include <mtcpp_ext.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/context.h"

namespace {

constexpr int kMaxEvents = 64;
const char* const kServerIp = "10.0.0.1";

struct Args {
  std::size_t size = 1 << 20;
  std::string pcap = "mtcpp-demo.pcap";
};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: mtcpp-demo [--size BYTES] [--pcap FILE]\n"
               "  An mTCP epoll server (core 0, 10.0.0.1:80) and client (core 1, 10.0.0.2) in one\n"
               "  process, over mtcpp's in-memory backend. The client fetches BYTES (default 1 MiB)\n"
               "  with HTTP/1.0; the server closes first. Prints a summary; writes core 0's frames\n"
               "  to FILE (default mtcpp-demo.pcap).\n");
}

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    const std::string opt = argv[i];
    if (opt == "--help" || opt == "-h") {
      usage(stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "mtcpp-demo: %s needs a value (see --help)\n", opt.c_str());
      return false;
    }
    const char* v = argv[++i];
    if (opt == "--size") {
      char* end = nullptr;
      a.size = std::strtoull(v, &end, 10);
      if (end == v || *end != '\0' || a.size > (1ull << 32)) {
        std::fprintf(stderr, "mtcpp-demo: --size takes a byte count up to 4 GiB\n");
        return false;
      }
    } else if (opt == "--pcap") {
      a.pcap = v;
    } else {
      std::fprintf(stderr, "mtcpp-demo: unknown option %s (see --help)\n", opt.c_str());
      return false;
    }
  }
  return true;
}

// Every state change of one context's connections, with the context's time.
class StateLog final : public mtcpp::SocketObserver {
 public:
  explicit StateLog(const char* side) : side_(side) {}
  void socket_changed(int) override {}
  void state_changed(const mtcpp::Tcb& t, mtcpp::TcpState from, mtcpp::Instant now) override {
    char line[128];
    std::snprintf(line, sizeof line, "%-6s %9.3f ms  %s -> %s", side_, mtcpp::to_us(now) / 1000.0,
                  std::string(mtcpp::to_string(from)).c_str(), std::string(mtcpp::to_string(t.state)).c_str());
    lines.push_back(line);
  }
  std::vector<std::string> lines;

 private:
  const char* side_;
};

struct Result {
  std::size_t bytes = 0;
  bool ok = false;
  std::string error;
};

void add(mctx_t mctx, int ep, int id, uint32_t events, int op = MTCP_EPOLL_CTL_ADD) {
  mtcp_epoll_event ev{};
  ev.events = events;
  ev.data.sockid = id;
  mtcp_epoll_ctl(mctx, ep, op, id, &ev);
}

// epserver's shape: accept, read the request, write the file until EAGAIN, close when sent.
void serve(mctx_t mctx, const std::vector<char>& file, const std::atomic<bool>& stop, Result& r) {
  const int ep = mtcp_epoll_create(mctx, kMaxEvents);
  const int listener = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
  mtcp_setsock_nonblock(mctx, listener);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = INADDR_ANY;
  addr.sin_port = htons(80);
  if (mtcp_bind(mctx, listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      mtcp_listen(mctx, listener, 4096) < 0) {
    r.error = std::string("server: ") + std::strerror(errno);
    return;
  }
  add(mctx, ep, listener, MTCP_EPOLLIN);
  const std::string header = "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(file.size()) + "\r\n\r\n";
  std::vector<char> response(header.begin(), header.end());
  response.insert(response.end(), file.begin(), file.end());
  std::vector<std::size_t> sent(1024, 0);
  mtcp_epoll_event events[kMaxEvents];
  while (!stop) {
    const int n = mtcp_epoll_wait(mctx, ep, events, kMaxEvents, 10);
    for (int i = 0; i < n; ++i) {
      const int id = events[i].data.sockid;
      if (id == listener) {
        for (int c; (c = mtcp_accept(mctx, listener, nullptr, nullptr)) >= 0;) {
          mtcp_setsock_nonblock(mctx, c);
          add(mctx, ep, c, MTCP_EPOLLIN);
        }
        continue;
      }
      if (events[i].events & MTCP_EPOLLIN) {
        char request[1024];
        if (mtcp_read(mctx, id, request, sizeof request) <= 0) {
          mtcp_close(mctx, id);
          continue;
        }
        sent[static_cast<std::size_t>(id)] = 0;
        add(mctx, ep, id, MTCP_EPOLLOUT, MTCP_EPOLL_CTL_MOD);
      }
      if (events[i].events & MTCP_EPOLLOUT) {
        std::size_t& done = sent[static_cast<std::size_t>(id)];
        for (ssize_t w; done < response.size() &&
                        (w = mtcp_write(mctx, id, response.data() + done, response.size() - done)) > 0;)
          done += static_cast<std::size_t>(w);
        if (done == response.size()) {
          r.bytes += file.size();
          mtcp_close(mctx, id);  // the server closes first, as epserver does for HTTP/1.0
        }
      }
    }
  }
  mtcp_close(mctx, listener);
  mtcp_close(mctx, ep);
  r.ok = true;
}

// epwget's shape: nonblocking connect, request on EPOLLOUT, read to end of stream, close.
void fetch(mctx_t mctx, std::size_t expected, Result& r) {
  const int ep = mtcp_epoll_create(mctx, kMaxEvents);
  const int s = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
  mtcp_setsock_nonblock(mctx, s);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, kServerIp, &addr.sin_addr);
  addr.sin_port = htons(80);
  if (mtcp_connect(mctx, s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 && errno != EINPROGRESS) {
    r.error = std::string("client connect: ") + std::strerror(errno);
    return;
  }
  add(mctx, ep, s, MTCP_EPOLLOUT);
  const char request[] = "GET /file HTTP/1.0\r\nConnection: Close\r\n\r\n";
  std::string body;
  bool requested = false;
  mtcp_epoll_event events[kMaxEvents];
  for (;;) {
    const int n = mtcp_epoll_wait(mctx, ep, events, kMaxEvents, 5000);
    if (n == 0) {
      r.error = "client: no progress for 5 s";
      return;
    }
    if (events[0].events & MTCP_EPOLLERR) {
      r.error = "client: connection failed";
      return;
    }
    if (!requested && (events[0].events & MTCP_EPOLLOUT)) {
      mtcp_write(mctx, s, request, sizeof request - 1);
      requested = true;
      add(mctx, ep, s, MTCP_EPOLLIN, MTCP_EPOLL_CTL_MOD);
      continue;
    }
    char buf[16384];
    ssize_t got;
    while ((got = mtcp_read(mctx, s, buf, sizeof buf)) > 0) body.append(buf, static_cast<std::size_t>(got));
    if (got == 0) break;  // end of stream: the server closed
  }
  mtcp_close(mctx, s);
  mtcp_close(mctx, ep);
  const auto header_end = body.find("\r\n\r\n");
  r.bytes = header_end == std::string::npos ? 0 : body.size() - header_end - 4;
  r.ok = r.bytes == expected;
  if (!r.ok) r.error = "client: got " + std::to_string(r.bytes) + " bytes of " + std::to_string(expected);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) return 2;
  const std::string conf = "io = memory\nnum_cores = 2\naddress = 10.0.0.1/24\nmax_concurrency = 1024\n"
                           "rcvbuf = 262144\nsndbuf = 262144\ntcp_timewait = 1\npcap = " + args.pcap + "\n";
  // mtcp_init takes a file; the extension takes the same text directly.
  if (mtcpp_init_text(conf.c_str(), "mtcpp-demo.conf") < 0) return 1;
  std::vector<char> file(args.size);
  for (std::size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>('a' + i % 26);

  StateLog server_log("server"), client_log("client");
  Result served, fetched;
  std::atomic<bool> stop{false};
  std::atomic<int> ready{0};
  mctx_t contexts[2] = {};
  std::thread server([&] {
    mtcp_core_affinitize(0);
    contexts[0] = mtcp_create_context(0);
    mtcpp::api::context_of(contexts[0])->set_tracer(&server_log);
    ++ready;
    serve(contexts[0], file, stop, served);
  });
  std::thread client([&] {
    while (ready == 0) std::this_thread::yield();
    contexts[1] = mtcp_create_context(1);
    mtcpp::api::context_of(contexts[1])->set_tracer(&client_log);
    fetch(contexts[1], file.size(), fetched);
    // Let the last ACKs cross and TIME_WAIT (tcp_timewait = 1 s) run out on both sides.
    mtcp_epoll_event none[1];
    const int ep = mtcp_epoll_create(contexts[1], 1);
    mtcp_epoll_wait(contexts[1], ep, none, 1, 1500);
    stop = true;
  });
  client.join();
  server.join();

  const mtcpp::StackStats& a = mtcpp::api::context_of(contexts[0])->stack().stats();
  const mtcpp::StackStats& b = mtcpp::api::context_of(contexts[1])->stack().stats();
  std::printf("mtcpp demo: an mTCP epoll server and client, %zu bytes over the in-memory backend\n", args.size);
  std::printf("  fetched            %zu bytes, %s\n", fetched.bytes, fetched.ok ? "intact" : fetched.error.c_str());
  std::printf("                     %-10s %-10s\n", "server", "client");
  std::printf("  segments sent      %-10llu %-10llu\n", static_cast<unsigned long long>(a.tcp_segments_sent),
              static_cast<unsigned long long>(b.tcp_segments_sent));
  std::printf("  retransmissions    %-10llu %-10llu\n", static_cast<unsigned long long>(a.tcp_retransmissions),
              static_cast<unsigned long long>(b.tcp_retransmissions));
  std::printf("  connections left   %-10llu %-10llu\n", static_cast<unsigned long long>(a.tcp_connections_in_use),
              static_cast<unsigned long long>(b.tcp_connections_in_use));
  std::printf("states:\n");
  for (const auto& line : server_log.lines) std::printf("  %s\n", line.c_str());
  for (const auto& line : client_log.lines) std::printf("  %s\n", line.c_str());
  std::printf("pcap: %s (tshark -r %s)\n", args.pcap.c_str(), args.pcap.c_str());
  const bool clean = fetched.ok && served.ok && a.tcp_connections_in_use == 0 && b.tcp_connections_in_use == 0;
  mtcp_destroy_context(contexts[0]);
  mtcp_destroy_context(contexts[1]);
  mtcp_destroy();
  return clean ? 0 : 1;
}
