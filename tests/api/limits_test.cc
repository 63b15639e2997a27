// Limits as an mTCP application sees them: tcp_timeout (an idle connection ends with EPOLLERR and
// SO_ERROR = ETIMEDOUT, as in mTCP, and the peer is told with an RST), and the stack's budget for
// socket-buffer memory (a write past it takes what the smallest ring holds, then EAGAIN until its
// own data is acknowledged; EPOLLOUT tells when).
#include <arpa/inet.h>

#include "support/api_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Limits = ApiTest;

TEST_F(Limits, TcpTimeoutEndsAnIdleConnectionWithEpollerrAndEtimedout) {
  StackConfig c = default_config();
  c.tcp.idle_timeout = 30s;
  reconfigure(c);
  mtcp_conf conf{};
  ASSERT_EQ(mtcp_getconf(&conf), 0);
  EXPECT_EQ(conf.tcp_timeout, 30000);  // in 1 ms ticks, as mTCP reports it
  const int fd = api_established();
  watch(fd, MTCP_EPOLLIN | MTCP_EPOLLRDHUP);
  EXPECT_EQ(events_for(fd), 0u);
  advance(30s - 1ms);  // from the handshake's last ACK
  expect_nothing();
  advance(1ms);
  expect(seg(R | A, 1, 1));
  EXPECT_NE(events_for(fd) & MTCP_EPOLLERR, 0u);
  int err = 0;
  socklen_t len = sizeof err;
  ASSERT_EQ(mtcp_getsockopt(mctx_, fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
  EXPECT_EQ(err, ETIMEDOUT);
  EXPECT_EQ(stack().stats().tcp_idle_timeouts, 1u);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
}

TEST_F(Limits, TcpTimeoutSetThroughSetconfAppliesToContextsCreatedAfter) {
  mtcp_conf conf{};
  ASSERT_EQ(mtcp_getconf(&conf), 0);
  EXPECT_EQ(conf.tcp_timeout, 0);  // this fixture's stack has none
  conf.tcp_timeout = 5000;
  ASSERT_EQ(mtcp_setconf(&conf), 0);
  ASSERT_EQ(mtcp_getconf(&conf), 0);
  EXPECT_EQ(conf.tcp_timeout, 5000);
}

TEST_F(Limits, PastTheBufferBudgetAWriterGetsEagainUntilItsOwnDataIsAcknowledged) {
  StackConfig c = default_config();
  c.tcp.buffer_memory_limit = 64 * 1024;
  c.tcp.send_buffer = 256 * 1024;
  c.tcp.send_autotune = false;
  reconfigure(c);
  const int fd = api_established();
  std::vector<char> block(256 * 1024, 'a');  // SO_SNDBUF is 256 KiB: the budget is what stops it
  EXPECT_EQ(mtcp_write(mctx_, fd, block.data(), block.size()), 64 * 1024);
  EXPECT_EQ(stack().stats().tcp_buffer_memory, 64u * 1024);
  EXPECT_EQ(stack().stats().tcp_send_memory_limited, 1u);
  watch(fd, MTCP_EPOLLOUT);
  EXPECT_EQ(events_for(fd), 0u);
  EXPECT_ERRNO(mtcp_write(mctx_, fd, block.data(), block.size()), EAGAIN);
  for (std::uint32_t i = 0; i < 10; ++i) expect(seg(A, 1 + 1000 * i, 1, 1000));  // IW10 of MSS 1000
  inject(seg(A, 1, 10001));
  EXPECT_NE(events_for(fd) & MTCP_EPOLLOUT, 0u);
  EXPECT_EQ(mtcp_write(mctx_, fd, block.data(), block.size()), 10000);
  EXPECT_EQ(stack().stats().tcp_buffer_memory, 64u * 1024);
}

}  // namespace
}  // namespace mtcpp::test
