// TCP_CONGESTION through mTCP's setsockopt/getsockopt (Linux's names and errors), and the
// stack's counters by name (mtcpp_get_counter, mtcpp_counter_name).
#include <netinet/tcp.h>

#include <cstring>
#include <string>

#include "api/mtcpp_ext.h"
#include "support/api_test.h"

namespace mtcpp::test {
namespace {

using ApiCongestion = ApiTest;

std::string congestion_of(mctx_t mctx, int id) {
  char name[16];
  socklen_t len = sizeof name;
  if (mtcp_getsockopt(mctx, id, IPPROTO_TCP, TCP_CONGESTION, name, &len) != 0) return "error";
  return std::string(name, strnlen(name, len));
}

TEST_F(ApiCongestion, CubicByDefaultAndChangedByName) {
  const int fd = api_established();
  EXPECT_EQ(congestion_of(mctx_, fd), "cubic");
  EXPECT_EQ(mtcp_setsockopt(mctx_, fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);  // not NUL-terminated
  EXPECT_EQ(congestion_of(mctx_, fd), "newreno");
  EXPECT_EQ(stack().tcp().tcb(fd)->cc_algorithm, CongestionAlgorithm::newreno);
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, fd, IPPROTO_TCP, TCP_CONGESTION, "bbr", 4), ENOENT);
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, fd, IPPROTO_TCP, TCP_CONGESTION, nullptr, 4), EFAULT);
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", 0), EINVAL);
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, fd, IPPROTO_TCP, TCP_CONGESTION, "cubic", static_cast<socklen_t>(-1)), EINVAL);
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, 999, IPPROTO_TCP, TCP_CONGESTION, "cubic", 6), EBADF);
  // A short buffer gets the name cut, as Linux does.
  char two[2];
  socklen_t len = sizeof two;
  ASSERT_EQ(mtcp_getsockopt(mctx_, fd, IPPROTO_TCP, TCP_CONGESTION, two, &len), 0);
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(std::string(two, 2), "ne");
}

TEST_F(ApiCongestion, AcceptedSocketsTakeTheListenersController) {
  const int l = api_listen();
  ASSERT_EQ(mtcp_setsockopt(mctx_, l, IPPROTO_TCP, TCP_CONGESTION, "newreno", 8), 0);
  inject(seg(S, 0).with_options(syn_options()));
  next_sent();
  inject(seg(A, 1, 1));
  const int fd = mtcp_accept(mctx_, l, nullptr, nullptr);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(congestion_of(mctx_, fd), "newreno");
}

TEST_F(ApiCongestion, CountersByName) {
  api_established();
  std::uint64_t sent = 0;
  ASSERT_EQ(mtcpp_get_counter(mctx_, "tcp_segments_sent", &sent), 0);
  EXPECT_GE(sent, 1u);  // the SYN-ACK
  EXPECT_ERRNO(mtcpp_get_counter(mctx_, "tcp_no_such_counter", &sent), ENOENT);
  EXPECT_ERRNO(mtcpp_get_counter(mctx_, nullptr, &sent), EFAULT);
  EXPECT_ERRNO(mtcpp_get_counter(mctx_, "tcp_segments_sent", nullptr), EFAULT);
  EXPECT_ERRNO(mtcpp_get_counter(nullptr, "tcp_segments_sent", &sent), EINVAL);
  std::size_t n = 0;
  while (mtcpp_counter_name(n) != nullptr) ++n;
  EXPECT_EQ(n, std::size(kStackCounters));
  EXPECT_STREQ(mtcpp_counter_name(0), "frames_received");
}

}  // namespace
}  // namespace mtcpp::test
