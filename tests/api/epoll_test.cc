// Epoll through the mTCP API, checked against Linux epoll's rules: level- and edge-triggered,
// EPOLLONESHOT, several bits in one event, several instances per context, and closed ids that
// vanish from every instance.
#include "support/api_test.h"

namespace mtcpp::test {
namespace {

using Epoll = ApiTest;

mtcp_epoll_event interest(std::uint32_t events, int id) {
  mtcp_epoll_event ev{};
  ev.events = events;
  ev.data.sockid = id;
  return ev;
}

TEST_F(Epoll, ListenerReportsInForAConnectionToAccept) {
  const int l = api_listen();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN, l);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, l, &ev), 0);
  EXPECT_TRUE(wait_events(ep).empty());
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  EXPECT_TRUE(wait_events(ep).empty()) << "an embryonic connection is not acceptable yet";
  inject(seg(A, 1, 1));
  auto got = wait_events(ep);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].events, static_cast<std::uint32_t>(MTCP_EPOLLIN));
  EXPECT_EQ(got[0].data.sockid, l);
  EXPECT_GE(mtcp_accept(mctx_, l, nullptr, nullptr), 0);
  EXPECT_TRUE(wait_events(ep).empty());
}

TEST_F(Epoll, LevelTriggeredRepeatsUntilDrained) {
  const int fd = api_established();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  inject(seg(P | A, 1, 1, 100));
  EXPECT_EQ(wait_events(ep).size(), 1u);
  EXPECT_EQ(wait_events(ep).size(), 1u) << "level-triggered: still readable, reported again";
  char buf[200];
  EXPECT_EQ(mtcp_read(mctx_, fd, buf, sizeof buf), 100);
  EXPECT_TRUE(wait_events(ep).empty());
}

TEST_F(Epoll, EdgeTriggeredReportsEachArrivalOnce) {
  const int fd = api_established();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN | MTCP_EPOLLET, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  wait_events(ep);  // the state at ADD time
  inject(seg(P | A, 1, 1, 100));
  EXPECT_EQ(wait_events(ep).size(), 1u);
  EXPECT_TRUE(wait_events(ep).empty()) << "edge-triggered: no new edge, no event";
  inject(seg(P | A, 101, 1, 100));
  EXPECT_EQ(wait_events(ep).size(), 1u) << "new data is a new edge even if not drained";
}

TEST_F(Epoll, OneShotFiresOnceUntilModified) {
  const int fd = api_established();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN | MTCP_EPOLLONESHOT, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  inject(seg(P | A, 1, 1, 100));
  EXPECT_EQ(wait_events(ep).size(), 1u);
  inject(seg(P | A, 101, 1, 100));
  EXPECT_TRUE(wait_events(ep).empty());
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_MOD, fd, &ev), 0);
  EXPECT_EQ(wait_events(ep).size(), 1u) << "MOD re-arms, and the data is still there";
}

TEST_F(Epoll, SeveralBitsInOneEvent) {
  const int fd = api_established();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN | MTCP_EPOLLOUT | MTCP_EPOLLRDHUP, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  inject(seg(F | P | A, 1, 1, 100));
  auto got = wait_events(ep);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].events, static_cast<std::uint32_t>(MTCP_EPOLLIN | MTCP_EPOLLOUT | MTCP_EPOLLRDHUP));
}

TEST_F(Epoll, ResetRaisesErrAndHupEvenIfNotAsked) {
  const int fd = api_established();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN | MTCP_EPOLLET, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  wait_events(ep);
  inject(seg(R | A, 1, 1));
  auto got = wait_events(ep);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].events & MTCP_EPOLLERR);
  EXPECT_TRUE(got[0].events & MTCP_EPOLLHUP);
  EXPECT_TRUE(got[0].events & MTCP_EPOLLIN);
}

TEST_F(Epoll, AnyNumberOfInstancesWatchOneSocket) {
  const int fd = api_established();
  const int ep1 = mtcp_epoll_create(mctx_, 8);
  const int ep2 = mtcp_epoll_create(mctx_, 8);
  auto in = interest(MTCP_EPOLLIN, fd);
  auto out = interest(MTCP_EPOLLOUT, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep1, MTCP_EPOLL_CTL_ADD, fd, &in), 0);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep2, MTCP_EPOLL_CTL_ADD, fd, &out), 0);
  auto got2 = wait_events(ep2);
  ASSERT_EQ(got2.size(), 1u);
  EXPECT_EQ(got2[0].events, static_cast<std::uint32_t>(MTCP_EPOLLOUT));
  EXPECT_TRUE(wait_events(ep1).empty());
  inject(seg(P | A, 1, 1, 10));
  auto got1 = wait_events(ep1);
  ASSERT_EQ(got1.size(), 1u);
  EXPECT_EQ(got1[0].events, static_cast<std::uint32_t>(MTCP_EPOLLIN));
}

TEST_F(Epoll, ClosedIdVanishesFromEveryInstance) {
  const int fd = api_established();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN | MTCP_EPOLLOUT, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(P | A, 1, 2, 100));  // data after close: RST, and the connection is gone
  expect(seg(R | A, 2, 1));
  EXPECT_TRUE(wait_events(ep).empty());
  // The id, reused by a new socket, starts with no registration.
  EXPECT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_DEL, fd, &ev), -1);
}

TEST_F(Epoll, DeletedInterestReportsNothing) {
  const int fd = api_established();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  inject(seg(P | A, 1, 1, 10));
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_DEL, fd, nullptr), 0);
  EXPECT_TRUE(wait_events(ep).empty());
}

TEST_F(Epoll, WaitWithTimeoutDrivesTimers) {
  const int fd = api_established();
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto ev = interest(MTCP_EPOLLIN, fd);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  inject(seg(P | A, 1, 1, 100));
  ASSERT_EQ(wait_events(ep).size(), 1u);
  char buf[100];
  ASSERT_EQ(mtcp_read(mctx_, fd, buf, sizeof buf), 100);
  // Nothing to report: a 1 s wait on the manual clock runs the delayed-ACK timer on the way.
  mtcp_epoll_event out[4];
  const Instant before = context().now();
  EXPECT_EQ(mtcp_epoll_wait(mctx_, ep, out, 4, 1000), 0);
  EXPECT_EQ(context().now() - before, std::chrono::seconds(1));
  expect(seg(A, 1, 101));
}

TEST_F(Epoll, PipeEndsWorkWithEpoll) {
  int p[2];
  ASSERT_EQ(mtcp_pipe(mctx_, p), 0);
  const int ep = mtcp_epoll_create(mctx_, 8);
  auto r = interest(MTCP_EPOLLIN, p[0]);
  auto w = interest(MTCP_EPOLLOUT, p[1]);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, p[0], &r), 0);
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, p[1], &w), 0);
  auto got = wait_events(ep);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].data.sockid, p[1]);
  ASSERT_EQ(mtcp_write(mctx_, p[1], "hello", 5), 5);
  got = wait_events(ep);
  ASSERT_EQ(got.size(), 2u);
  char buf[16];
  ASSERT_EQ(mtcp_setsock_nonblock(mctx_, p[0]), 0);
  EXPECT_EQ(mtcp_read(mctx_, p[0], buf, sizeof buf), 5);
  EXPECT_EQ(mtcp_read(mctx_, p[0], buf, sizeof buf), -1);
  EXPECT_EQ(errno, EAGAIN);
  ASSERT_EQ(mtcp_close(mctx_, p[1]), 0);
  got = wait_events(ep);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].events & MTCP_EPOLLHUP);
  EXPECT_EQ(mtcp_read(mctx_, p[0], buf, sizeof buf), 0) << "end of stream once the writer closed";
}

TEST_F(Epoll, PipeWriterGetsEpipeWhenReaderClosed) {
  int p[2];
  ASSERT_EQ(mtcp_pipe(mctx_, p), 0);
  ASSERT_EQ(mtcp_close(mctx_, p[0]), 0);
  EXPECT_EQ(mtcp_write(mctx_, p[1], "x", 1), -1);
  EXPECT_EQ(errno, EPIPE);
}

}  // namespace
}  // namespace mtcpp::test
