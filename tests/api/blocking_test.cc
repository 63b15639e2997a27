// Blocking sockets, which mTCP compiles out: a blocking accept, connect, read or write drives its
// context's stack until it can complete, honours SO_RCVTIMEO/SO_SNDTIMEO, and returns EINTR when
// a signal registered with mtcp_register_signal arrives.
#include <arpa/inet.h>
#include <pthread.h>
#include <sys/ioctl.h>

#include <atomic>
#include <csignal>
#include <thread>

#include "api/mtcpp_ext.h"
#include "support/api_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

sockaddr_in address(const char* ip, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, ip, &a.sin_addr);
  a.sin_port = htons(port);
  return a;
}

// Two contexts on the in-memory backend with real clocks, each used by its own thread.
class Blocking : public ::testing::Test {
 protected:
  Blocking() {
    EXPECT_EQ(mtcpp_init_text("io = memory\nnum_cores = 2\naddress = 10.0.0.1/24\nmax_concurrency = 64\n"
                              "max_num_buffers = 2048\nrcvbuf = 65536\nsndbuf = 65536\n",
                              "blocking.conf"),
              0);
  }
  ~Blocking() override { mtcp_destroy(); }
};

TEST_F(Blocking, AcceptConnectReadWriteCompleteWithoutEpoll) {
  constexpr std::size_t kSize = 300'000;  // several times the buffers: writes must wait for room
  std::atomic<bool> listening{false};
  std::size_t server_got = 0;
  std::string reply_got;
  std::thread server([&] {
    mctx_t m = mtcp_create_context(0);
    const int l = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = address("10.0.0.1", 80);
    ASSERT_EQ(mtcp_bind(m, l, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(mtcp_listen(m, l, 4), 0);
    listening = true;
    const int c = mtcp_accept(m, l, nullptr, nullptr);  // blocks until the client connects
    ASSERT_GE(c, 0);
    std::vector<char> buf(8192);
    while (server_got < kSize) {
      const ssize_t n = mtcp_read(m, c, buf.data(), buf.size());
      ASSERT_GT(n, 0);
      server_got += static_cast<std::size_t>(n);
    }
    ASSERT_EQ(mtcp_write(m, c, "done", 4), 4);
    char eof[1];
    EXPECT_EQ(mtcp_read(m, c, eof, 1), 0);  // blocks until the client's FIN
    mtcp_close(m, c);
    mtcp_close(m, l);
    mtcp_destroy_context(m);
  });
  std::thread client([&] {
    while (!listening) std::this_thread::yield();
    mctx_t m = mtcp_create_context(1);
    const int s = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = address("10.0.0.1", 80);
    ASSERT_EQ(mtcp_connect(m, s, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);  // blocks
    std::vector<char> data(kSize, 'b');
    EXPECT_EQ(mtcp_write(m, s, data.data(), data.size()), static_cast<ssize_t>(kSize));  // all of it
    char buf[16];
    const ssize_t n = mtcp_read(m, s, buf, sizeof buf);
    ASSERT_GT(n, 0);
    reply_got.assign(buf, static_cast<std::size_t>(n));
    mtcp_close(m, s);
    // Stay until the server has seen the FIN and closed.
    mtcp_epoll_event none[1];
    const int ep = mtcp_epoll_create(m, 1);
    mtcp_epoll_wait(m, ep, none, 1, 200);
    mtcp_destroy_context(m);
  });
  client.join();
  server.join();
  EXPECT_EQ(server_got, kSize);
  EXPECT_EQ(reply_got, "done");
}

TEST_F(Blocking, ConnectToAClosedPortIsRefused) {
  mctx_t m0 = mtcp_create_context(0);
  mctx_t m1 = mtcp_create_context(1);
  ASSERT_NE(m0, nullptr);
  ASSERT_NE(m1, nullptr);
  // Context 0 is driven only while context 1 waits; that is enough to answer with RST only if
  // something polls it, so poll it from its own thread.
  std::atomic<bool> stop{false};
  std::thread peer([&] {
    while (!stop) mtcpp_poll(m0);
  });
  const int s = mtcp_socket(m1, AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = address("10.0.0.1", 81);
  errno = 0;
  EXPECT_EQ(mtcp_connect(m1, s, reinterpret_cast<const sockaddr*>(&a), sizeof a), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  stop = true;
  peer.join();
}

std::atomic<int> g_signals{0};
void count_signal(int) { ++g_signals; }

TEST_F(Blocking, RegisteredSignalInterruptsEpollWait) {
  mctx_t m = mtcp_create_context(0);
  const int ep = mtcp_epoll_create(m, 4);
  ASSERT_NE(mtcp_register_signal(SIGUSR1, count_signal), SIG_ERR);
  const pthread_t self = pthread_self();
  std::thread killer([&] {
    std::this_thread::sleep_for(50ms);
    pthread_kill(self, SIGUSR1);
  });
  mtcp_epoll_event ev[4];
  errno = 0;
  EXPECT_EQ(mtcp_epoll_wait(m, ep, ev, 4, -1), -1);
  EXPECT_EQ(errno, EINTR);
  EXPECT_EQ(g_signals.load(), 1);
  killer.join();
  signal(SIGUSR1, SIG_DFL);
}

// With a manual clock a blocking wait moves time itself, so timeouts are exact.
using BlockingManual = ApiTest;

TEST_F(BlockingManual, ReadTimeoutIsSoRcvtimeo) {
  const int fd = api_established();
  int off = 0;
  ASSERT_EQ(mtcp_socket_ioctl(mctx_, fd, FIONBIO, &off), 0);  // blocking again
  timeval tv{2, 500000};
  ASSERT_EQ(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  const Instant before = context().now();
  char buf[10];
  errno = 0;
  EXPECT_EQ(mtcp_read(mctx_, fd, buf, sizeof buf), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(context().now() - before, 2500ms);
  timeval back{};
  socklen_t len = sizeof back;
  ASSERT_EQ(mtcp_getsockopt(mctx_, fd, SOL_SOCKET, SO_RCVTIMEO, &back, &len), 0);
  EXPECT_EQ(back.tv_sec, 2);
  EXPECT_EQ(back.tv_usec, 500000);
}

TEST_F(BlockingManual, BlockingConnectTimesOutWithEtimedout) {
  StackConfig c = default_config();
  const int fd = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);  // blocking
  const sockaddr_in r = remote_addr();
  errno = 0;
  // Nobody answers the SYNs: the connect drives the SYN retransmissions until R2.
  EXPECT_EQ(mtcp_connect(mctx_, fd, reinterpret_cast<const sockaddr*>(&r), sizeof r), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  int syns = 0;
  while (auto s = next_sent()) syns += s->flags == S;
  // RTO 1 s doubling to 60 s: SYNs at 0, 1, 3, 7, 15, 31, 63 and 123 s, given up at syn_timeout.
  ASSERT_EQ(c.tcp.syn_timeout, 180s);
  EXPECT_EQ(syns, 8);
}

}  // namespace
}  // namespace mtcpp::test
