// Every mTCP call with bad arguments: -1 and the errno of mTCP's man pages or POSIX, never a
// crash: a bad context, an id never opened, the wrong kind of id, NULL pointers, short lengths,
// the wrong address family.
#include <arpa/inet.h>
#include <sys/ioctl.h>

#include "support/api_test.h"

namespace mtcpp::test {
namespace {

using ApiErrors = ApiTest;

TEST_F(ApiErrors, BadContextIsEinval) {
  mtcp_context fake{0};
  EXPECT_ERRNO(mtcp_socket(nullptr, AF_INET, SOCK_STREAM, 0), EINVAL);
  EXPECT_ERRNO(mtcp_socket(&fake, AF_INET, SOCK_STREAM, 0), EINVAL);
  EXPECT_ERRNO(mtcp_close(&fake, 0), EINVAL);
  EXPECT_ERRNO(mtcp_epoll_create(&fake, 1), EINVAL);
  char buf[4];
  EXPECT_ERRNO(mtcp_read(&fake, 0, buf, sizeof buf), EINVAL);
  EXPECT_ERRNO(mtcp_write(&fake, 0, buf, sizeof buf), EINVAL);
}

TEST_F(ApiErrors, SocketArguments) {
  EXPECT_ERRNO(mtcp_socket(mctx_, AF_INET6, SOCK_STREAM, 0), EAFNOSUPPORT);
  EXPECT_ERRNO(mtcp_socket(mctx_, AF_INET, SOCK_DGRAM, 0), EINVAL);
  EXPECT_ERRNO(mtcp_socket(mctx_, AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
  EXPECT_GE(mtcp_socket(mctx_, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP), 0);
}

TEST_F(ApiErrors, IdsNeverOpenedAreEbadf) {
  char buf[4];
  sockaddr_in a = local_addr();
  socklen_t len = sizeof a;
  for (int id : {-1, 5, 63, 64, 100000}) {
    EXPECT_ERRNO(mtcp_close(mctx_, id), EBADF);
    EXPECT_ERRNO(mtcp_read(mctx_, id, buf, sizeof buf), EBADF);
    EXPECT_ERRNO(mtcp_write(mctx_, id, buf, sizeof buf), EBADF);
    EXPECT_ERRNO(mtcp_bind(mctx_, id, reinterpret_cast<sockaddr*>(&a), sizeof a), EBADF);
    EXPECT_ERRNO(mtcp_listen(mctx_, id, 4), EBADF);
    EXPECT_ERRNO(mtcp_accept(mctx_, id, nullptr, nullptr), EBADF);
    EXPECT_ERRNO(mtcp_connect(mctx_, id, reinterpret_cast<sockaddr*>(&a), sizeof a), EBADF);
    EXPECT_ERRNO(mtcp_getsockname(mctx_, id, reinterpret_cast<sockaddr*>(&a), &len), EBADF);
    EXPECT_ERRNO(mtcp_setsock_nonblock(mctx_, id), EBADF);
    EXPECT_ERRNO(mtcp_shutdown(mctx_, id, SHUT_WR), EBADF);
    EXPECT_ERRNO(mtcp_abort(mctx_, id), EBADF);
  }
}

TEST_F(ApiErrors, ClosedIdIsEbadfAndReusedLast) {
  const int a = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  const int b = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(a, 0);
  EXPECT_EQ(b, 1);
  EXPECT_EQ(mtcp_close(mctx_, a), 0);
  EXPECT_ERRNO(mtcp_close(mctx_, a), EBADF);
  // FIFO reuse: the freed id comes back only after the table has been used up.
  EXPECT_EQ(mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0), 2);
}

TEST_F(ApiErrors, WrongKindOfId) {
  const int ep = mtcp_epoll_create(mctx_, 4);
  int p[2];
  ASSERT_EQ(mtcp_pipe(mctx_, p), 0);
  sockaddr_in a = local_addr();
  socklen_t len = sizeof a;
  EXPECT_ERRNO(mtcp_bind(mctx_, ep, reinterpret_cast<sockaddr*>(&a), sizeof a), ENOTSOCK);
  EXPECT_ERRNO(mtcp_listen(mctx_, p[0], 4), ENOTSOCK);
  EXPECT_ERRNO(mtcp_connect(mctx_, ep, reinterpret_cast<sockaddr*>(&a), sizeof a), ENOTSOCK);
  EXPECT_ERRNO(mtcp_getsockname(mctx_, p[1], reinterpret_cast<sockaddr*>(&a), &len), ENOTSOCK);
  EXPECT_ERRNO(mtcp_shutdown(mctx_, ep, SHUT_RD), ENOTSOCK);
  char buf[4];
  EXPECT_ERRNO(mtcp_read(mctx_, ep, buf, sizeof buf), EINVAL);
  EXPECT_ERRNO(mtcp_read(mctx_, p[1], buf, sizeof buf), EBADF);
  EXPECT_ERRNO(mtcp_write(mctx_, p[0], buf, sizeof buf), EBADF);
  const int s = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_ERRNO(mtcp_accept(mctx_, s, nullptr, nullptr), EINVAL);  // not a listener
  mtcp_epoll_event ev{MTCP_EPOLLIN, {}};
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, s, MTCP_EPOLL_CTL_ADD, ep, &ev), EINVAL);  // s is no epoll
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, ep, &ev), EINVAL);
}

TEST_F(ApiErrors, AddressArguments) {
  const int s = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = local_addr();
  EXPECT_ERRNO(mtcp_bind(mctx_, s, nullptr, sizeof a), EINVAL);
  EXPECT_ERRNO(mtcp_bind(mctx_, s, reinterpret_cast<sockaddr*>(&a), sizeof a - 1), EINVAL);
  a.sin_family = AF_INET6;
  EXPECT_ERRNO(mtcp_bind(mctx_, s, reinterpret_cast<sockaddr*>(&a), sizeof a), EAFNOSUPPORT);
  a = local_addr();
  a.sin_addr.s_addr = htonl(0x0b000001);  // not our address
  EXPECT_ERRNO(mtcp_bind(mctx_, s, reinterpret_cast<sockaddr*>(&a), sizeof a), EADDRNOTAVAIL);
  a = local_addr();
  EXPECT_EQ(mtcp_bind(mctx_, s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  EXPECT_ERRNO(mtcp_bind(mctx_, s, reinterpret_cast<sockaddr*>(&a), sizeof a), EINVAL);  // bound already
  const int t = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(mtcp_listen(mctx_, s, 4), 0);
  EXPECT_ERRNO(mtcp_bind(mctx_, t, reinterpret_cast<sockaddr*>(&a), sizeof a), EADDRINUSE);
  EXPECT_ERRNO(mtcp_connect(mctx_, t, nullptr, sizeof a), EFAULT);
  sockaddr_in r = remote_addr();
  EXPECT_ERRNO(mtcp_connect(mctx_, t, reinterpret_cast<sockaddr*>(&r), 4), EINVAL);
  socklen_t len = 0;  // valid: the address is truncated to nothing and the full length reported
  EXPECT_EQ(mtcp_getsockname(mctx_, s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  len = static_cast<socklen_t>(-1);
  EXPECT_ERRNO(mtcp_getsockname(mctx_, s, reinterpret_cast<sockaddr*>(&a), &len), EINVAL);
  EXPECT_ERRNO(mtcp_getsockname(mctx_, s, reinterpret_cast<sockaddr*>(&a), nullptr), EFAULT);
  len = sizeof a;
  EXPECT_ERRNO(mtcp_getpeername(mctx_, s, reinterpret_cast<sockaddr*>(&a), &len), ENOTCONN);
}

TEST_F(ApiErrors, AcceptWithZeroAddressLengthSucceedsAndLeaksNothing) {
  api_listen();
  EXPECT_EQ(mtcp_setsock_nonblock(mctx_, api_listen_id_), 0);
  const int first = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(mtcp_close(mctx_, first), 0);
  sockaddr_in peer{};
  socklen_t len = 0;
  // Nothing queued: EAGAIN, and no id is used up: the next socket gets the next new id, as if the
  // accept had not happened (the defect took one and queued it for reuse).
  EXPECT_ERRNO(mtcp_accept(mctx_, api_listen_id_, reinterpret_cast<sockaddr*>(&peer), &len), EAGAIN);
  const int second = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(second, first + 1);
  EXPECT_EQ(mtcp_close(mctx_, second), 0);
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  inject(seg(A, 1, 1));
  // A negative length is refused before the connection leaves the queue.
  len = static_cast<socklen_t>(-1);
  EXPECT_ERRNO(mtcp_accept(mctx_, api_listen_id_, reinterpret_cast<sockaddr*>(&peer), &len), EINVAL);
  // Zero is valid (POSIX: the address is truncated): the connection is returned, with an id,
  // nothing written, and the full length reported.
  len = 0;
  const int fd = mtcp_accept(mctx_, api_listen_id_, reinterpret_cast<sockaddr*>(&peer), &len);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(len, sizeof(sockaddr_in));
  EXPECT_EQ(peer.sin_port, 0);
  // The connection is the application's: its close sends the FIN (the defect left P in FIN_WAIT_2).
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
}

TEST_F(ApiErrors, ListenArguments) {
  const int s = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_ERRNO(mtcp_listen(mctx_, s, 0), EINVAL);
  EXPECT_ERRNO(mtcp_listen(mctx_, s, -3), EINVAL);
  EXPECT_ERRNO(mtcp_listen(mctx_, s, 1 << 30), EINVAL);
  EXPECT_EQ(mtcp_listen(mctx_, s, 4), 0);  // unbound: an ephemeral port, as POSIX allows
  sockaddr_in a{};
  socklen_t len = sizeof a;
  EXPECT_EQ(mtcp_getsockname(mctx_, s, reinterpret_cast<sockaddr*>(&a), &len), 0);
  EXPECT_NE(a.sin_port, 0);
}

TEST_F(ApiErrors, DataCallArguments) {
  const int fd = api_established();
  EXPECT_ERRNO(mtcp_read(mctx_, fd, nullptr, 10), EFAULT);
  EXPECT_ERRNO(mtcp_write(mctx_, fd, nullptr, 10), EFAULT);
  char buf[8];
  EXPECT_ERRNO(mtcp_recv(mctx_, fd, buf, sizeof buf, MSG_DONTWAIT), EINVAL);
  EXPECT_ERRNO(mtcp_readv(mctx_, fd, nullptr, 1), EINVAL);
  iovec iov{buf, sizeof buf};
  EXPECT_ERRNO(mtcp_writev(mctx_, fd, &iov, 0), EINVAL);
  EXPECT_ERRNO(mtcp_read(mctx_, fd, buf, sizeof buf), EAGAIN);
  EXPECT_ERRNO(mtcp_read(mctx_, api_listen_id_, buf, sizeof buf), ENOTCONN);
  EXPECT_ERRNO(mtcp_write(mctx_, api_listen_id_, buf, sizeof buf), ENOTCONN);
  const int fresh = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_ERRNO(mtcp_write(mctx_, fresh, buf, sizeof buf), ENOTCONN);
  EXPECT_ERRNO(mtcp_shutdown(mctx_, fd, 7), EINVAL);
  EXPECT_ERRNO(mtcp_shutdown(mctx_, fresh, SHUT_WR), ENOTCONN);
}

TEST_F(ApiErrors, OptionArguments) {
  const int fd = api_established();
  int v = 1;
  socklen_t len = sizeof v;
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_KEEPALIVE, nullptr, sizeof v), EFAULT);
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_KEEPALIVE, &v, 1), EINVAL);
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_BROADCAST, &v, sizeof v), ENOPROTOOPT);
  EXPECT_ERRNO(mtcp_setsockopt(mctx_, fd, 12345, 1, &v, sizeof v), ENOPROTOOPT);
  EXPECT_ERRNO(mtcp_getsockopt(mctx_, fd, SOL_SOCKET, SO_ERROR, nullptr, &len), EFAULT);
  len = 1;
  EXPECT_ERRNO(mtcp_getsockopt(mctx_, fd, SOL_SOCKET, SO_ERROR, &v, &len), EINVAL);
  EXPECT_ERRNO(mtcp_socket_ioctl(mctx_, fd, FIONREAD, nullptr), EFAULT);
  EXPECT_ERRNO(mtcp_socket_ioctl(mctx_, fd, 0x1234, &v), EINVAL);
  EXPECT_ERRNO(mtcp_pipe(mctx_, nullptr), EFAULT);
}

TEST_F(ApiErrors, EpollArguments) {
  EXPECT_ERRNO(mtcp_epoll_create(mctx_, 0), EINVAL);
  EXPECT_ERRNO(mtcp_epoll_create1(mctx_, 77), EINVAL);
  const int ep = mtcp_epoll_create1(mctx_, 0);
  ASSERT_GE(ep, 0);
  const int s = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, s, nullptr), EFAULT);
  mtcp_epoll_event ev{MTCP_EPOLLIN, {}};
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, ep, 9, s, &ev), EINVAL);
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_MOD, s, &ev), ENOENT);
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_DEL, s, &ev), ENOENT);
  EXPECT_EQ(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, s, &ev), 0);
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, s, &ev), EEXIST);
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, ep, MTCP_EPOLL_CTL_ADD, 40, &ev), EBADF);
  mtcp_epoll_event out[2];
  EXPECT_ERRNO(mtcp_epoll_wait(mctx_, ep, out, 0, 0), EINVAL);
  EXPECT_ERRNO(mtcp_epoll_wait(mctx_, ep, nullptr, 2, 0), EFAULT);
  EXPECT_ERRNO(mtcp_epoll_wait(mctx_, s, out, 2, 0), EINVAL);
  EXPECT_ERRNO(mtcp_epoll_wait(mctx_, 50, out, 2, 0), EBADF);
}

TEST_F(ApiErrors, EventToStringNamesEveryBit) {
  EXPECT_STREQ(EventToString(MTCP_EPOLLIN | MTCP_EPOLLOUT), "EPOLLIN|EPOLLOUT");
  EXPECT_STREQ(EventToString(0), "EPOLLNONE");
  EXPECT_STREQ(EventToString(MTCP_EPOLLERR | MTCP_EPOLLHUP | MTCP_EPOLLRDHUP), "EPOLLERR|EPOLLHUP|EPOLLRDHUP");
}

}  // namespace
}  // namespace mtcpp::test
