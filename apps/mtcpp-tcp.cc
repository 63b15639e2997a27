// mtcpp-tcp: one scripted TCP conversation on mtcpp, through mTCP's API with blocking sockets,
// for interop tests (tests/interop/peer.py speaks the same steps on the Linux kernel's sockets).
// Every call is printed with its result in the API's words ("write=1000", "read=-1 ECONNRESET").
#include <arpa/inet.h>
#include <mtcp_api.h>
#include <mtcp_epoll.h>
#include <mtcpp_ext.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "apps/support/app_common.h"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: mtcpp-tcp -f CONF (--connect IP:PORT | --listen PORT) [--stats] [STEP ...]\n"
               "  Opens one connection on mtcpp (connects, or listens and accepts one), then runs the\n"
               "  steps in order, printing each call and its result. Sockets are blocking, with a\n"
               "  10 s receive timeout. --stats prints the stack's non-zero counters at the end, on\n"
               "  one line: stats: NAME=VALUE ... (retransmissions, loss probes, drops by reason).\n"
               "steps:\n"
               "  write:N       write N bytes of the stream pattern (byte i is i mod 251)\n"
               "  read:N        read until N bytes or the end of the stream or an error, checking\n"
               "                the pattern (a wrong byte prints \"MISMATCH at OFFSET\")\n"
               "  drain         the same, until the end of the stream or an error\n"
               "                (both also print read-seconds=S, the time the step took)\n"
               "  shutdown:wr|rd|rdwr\n"
               "  linger0       SO_LINGER {1, 0}: the next close aborts with RST\n"
               "  close         close the connection\n"
               "  sleep:MS      let the stack run for MS milliseconds\n"
               "At the end the stack runs until no connection is left but TIME_WAIT ones (60 s at\n"
               "most), then 500 ms more, so everything written and the last segments go out.\n"
               "example: mtcpp-tcp -f mtcp.conf --listen 7000 write:10000 close\n");
}

const char* errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n != nullptr ? n : "E?";
}

// Lets the context run for ms milliseconds (an epoll wait with nothing registered).
void run_for(mctx_t mctx, int ep, int ms) {
  mtcp_epoll_event ev;
  mtcp_epoll_wait(mctx, ep, &ev, 1, ms);
}

}  // namespace

int main(int argc, char** argv) {
  std::string conf, connect_to;
  int listen_port = 0;
  std::vector<std::string> steps;
  bool print_stats = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    if (a == "--stats") {
      print_stats = true;
      continue;
    }
    if ((a == "-f" || a == "--connect" || a == "--listen") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (a == "-f") conf = v;
      else if (a == "--connect") connect_to = v;
      else listen_port = std::atoi(v.c_str());
      continue;
    }
    if (a.rfind("-", 0) == 0) {
      std::fprintf(stderr, "mtcpp-tcp: unknown option %s (see --help)\n", a.c_str());
      return 2;
    }
    steps.push_back(a);
  }
  if (conf.empty() || (connect_to.empty() == (listen_port <= 0 || listen_port > 65535))) {
    std::fprintf(stderr, "mtcpp-tcp: need -f CONF and one of --connect IP:PORT or --listen PORT (see --help)\n");
    return 2;
  }
  if (mtcp_init(conf.c_str()) != 0) return 1;
  mctx_t mctx = mtcp_create_context(0);
  if (mctx == nullptr) {
    std::fprintf(stderr, "mtcpp-tcp: mtcp_create_context: %s\n", std::strerror(errno));
    return 1;
  }
  const int ep = mtcp_epoll_create(mctx, 4);
  const timeval ten_seconds{10, 0};
  int s = -1;
  if (!connect_to.empty()) {
    const std::size_t colon = connect_to.find(':');
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(std::atoi(connect_to.c_str() + colon + 1)));
    if (colon == std::string::npos || inet_pton(AF_INET, connect_to.substr(0, colon).c_str(), &to.sin_addr) != 1) {
      std::fprintf(stderr, "mtcpp-tcp: --connect takes IP:PORT\n");
      return 2;
    }
    s = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
    mtcp_setsockopt(mctx, s, SOL_SOCKET, SO_SNDTIMEO, &ten_seconds, sizeof ten_seconds);
    const int r = mtcp_connect(mctx, s, reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (r < 0) std::printf("connect=-1 %s\n", errno_name(errno));
    else std::printf("connect=0\n");
    std::fflush(stdout);
    if (r < 0) {
      run_for(mctx, ep, 500);
      mtcp_destroy();
      return 0;
    }
  } else {
    const int l = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(static_cast<std::uint16_t>(listen_port));
    if (mtcp_bind(mctx, l, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || mtcp_listen(mctx, l, 16) != 0) {
      std::fprintf(stderr, "mtcpp-tcp: listen on %d: %s\n", listen_port, std::strerror(errno));
      return 1;
    }
    std::printf("listening on %d\n", listen_port);
    std::fflush(stdout);
    mtcp_setsockopt(mctx, l, SOL_SOCKET, SO_RCVTIMEO, &ten_seconds, sizeof ten_seconds);
    s = mtcp_accept(mctx, l, nullptr, nullptr);
    if (s < 0) {
      std::printf("accept=-1 %s\n", errno_name(errno));
      return 0;
    }
    std::printf("accept=0\n");
    mtcp_close(mctx, l);
  }
  mtcp_setsockopt(mctx, s, SOL_SOCKET, SO_RCVTIMEO, &ten_seconds, sizeof ten_seconds);
  mtcp_setsockopt(mctx, s, SOL_SOCKET, SO_SNDTIMEO, &ten_seconds, sizeof ten_seconds);
  std::vector<char> buf(65536);
  long long pattern = 0;     // offset of the next byte written
  long long received = 0;    // offset of the next byte read
  long long mismatch = -1;   // offset of the first byte read that is not the pattern's
  for (const std::string& step : steps) {
    const std::size_t colon = step.find(':');
    const std::string verb = step.substr(0, colon);
    const std::string arg = colon == std::string::npos ? "" : step.substr(colon + 1);
    if (verb == "write") {
      long long left = std::atoll(arg.c_str()), done = 0;
      int r = 0;
      while (left > 0) {
        const auto n = static_cast<std::size_t>(std::min<long long>(left, static_cast<long long>(buf.size())));
        for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<char>((pattern + static_cast<long long>(i)) % 251);
        r = mtcp_write(mctx, s, buf.data(), n);
        if (r <= 0) break;
        pattern += r;
        done += r;
        left -= r;
      }
      if (left > 0) std::printf("write=%lld then -1 %s\n", done, errno_name(errno));
      else std::printf("write=%lld\n", done);
    } else if (verb == "read" || verb == "drain") {
      const long long want = verb == "read" ? std::atoll(arg.c_str()) : -1;
      const auto started = std::chrono::steady_clock::now();
      long long got = 0;
      int r = 0;
      while (want < 0 || got < want) {
        const auto n = want < 0 ? buf.size() : static_cast<std::size_t>(std::min<long long>(want - got, static_cast<long long>(buf.size())));
        r = mtcp_read(mctx, s, buf.data(), n);
        if (r <= 0) break;
        for (int i = 0; i < r && mismatch < 0; ++i)
          if (static_cast<unsigned char>(buf[static_cast<std::size_t>(i)]) != (received + i) % 251) mismatch = received + i;
        received += r;
        got += r;
      }
      if (r < 0) std::printf("read=%lld then -1 %s\n", got, errno_name(errno));
      else if (r == 0) std::printf("read=%lld then 0\n", got);
      else std::printf("read=%lld\n", got);
      if (mismatch >= 0) std::printf("MISMATCH at %lld\n", mismatch);
      std::printf("read-seconds=%.6f\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    } else if (verb == "shutdown") {
      const int how = arg == "rd" ? SHUT_RD : arg == "wr" ? SHUT_WR : SHUT_RDWR;
      const int r = mtcp_shutdown(mctx, s, how);
      if (r < 0) std::printf("shutdown=-1 %s\n", errno_name(errno));
      else std::printf("shutdown=0\n");
    } else if (verb == "linger0") {
      const linger l{1, 0};
      std::printf("linger0=%d\n", mtcp_setsockopt(mctx, s, SOL_SOCKET, SO_LINGER, &l, sizeof l));
    } else if (verb == "close") {
      const int r = mtcp_close(mctx, s);
      if (r < 0) std::printf("close=-1 %s\n", errno_name(errno));
      else std::printf("close=0\n");
    } else if (verb == "sleep") {
      run_for(mctx, ep, std::max(0, std::atoi(arg.c_str())));
      std::printf("sleep=%s\n", arg.c_str());
    } else {
      std::fprintf(stderr, "mtcpp-tcp: unknown step %s (see --help)\n", step.c_str());
      return 2;
    }
    std::fflush(stdout);
  }
  mtcpp::apps::finish_closing(mctx, ep, std::chrono::seconds(60));
  run_for(mctx, ep, 500);
  if (print_stats) {
    std::printf("stats:");
    for (std::size_t i = 0; const char* name = mtcpp_counter_name(i); ++i) {
      std::uint64_t v = 0;
      if (mtcpp_get_counter(mctx, name, &v) == 0 && v != 0) std::printf(" %s=%llu", name, static_cast<unsigned long long>(v));
    }
    std::printf("\n");
  }
  mtcp_destroy();
  return 0;
}
