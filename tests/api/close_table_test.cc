// docs/close.md, one TEST per row: what mtcp_close does for every kind of id. Each test checks the
// return value and errno, the wire, that the id is free afterwards (EBADF), that an epoll
// registration of the closed id vanishes (no event names it again, whatever its peer sends), and
// when the connection's resources come back (connection blocks, after the knobs' timers).
#include <sys/ioctl.h>

#include "support/api_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

class CloseTable : public ApiTest {
 protected:
  // ApiTest::watch registers level-triggered interests, so a registration that survived close
  // would keep reporting.
  void expect_no_event_for(int id) {
    EXPECT_EQ(events_for(id), 0u) << "an event for closed id " << id;
    EXPECT_FALSE(context().entry(ep_)->epoll->watches(id)) << "closed id " << id << " is still registered";
  }

  // Every call on a closed id is EBADF: the id names nothing.
  void expect_id_free(int id) {
    char b[4];
    int v = 0;
    socklen_t len = sizeof v;
    EXPECT_ERRNO(mtcp_read(mctx_, id, b, sizeof b), EBADF);
    EXPECT_ERRNO(mtcp_write(mctx_, id, b, sizeof b), EBADF);
    EXPECT_ERRNO(mtcp_getsockopt(mctx_, id, SOL_SOCKET, SO_ERROR, &v, &len), EBADF);
    EXPECT_ERRNO(mtcp_socket_ioctl(mctx_, id, FIONREAD, &v), EBADF);
    if (ep_ >= 0) {
      mtcp_epoll_event ev{MTCP_EPOLLIN, {}};
      EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, ep_, MTCP_EPOLL_CTL_ADD, id, &ev), EBADF);
    }
    EXPECT_ERRNO(mtcp_close(mctx_, id), EBADF);
  }

  // Connection blocks in use (listeners and unconnected sockets count), checked against the stats.
  std::size_t blocks() {
    EXPECT_EQ(stack().stats().tcp_connections_in_use, stack().tcp().connection_count());
    return stack().tcp().connection_count();
  }
  TcpState tuple_state() { return peer_state(); }
  bool tuple_alive() { return peer_alive(); }

  int shutdown_write(int fd) {
    const int r = mtcp_shutdown(mctx_, fd, SHUT_WR);
    expect(seg(F | A, 1, 1));
    return r;
  }
  void drain() {
    while (next_sent()) {
    }
  }

};

// ---- streams ---------------------------------------------------------------------------------

TEST_F(CloseTable, StreamNeverConnected) {
  const std::size_t before = blocks();
  const int s = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  const sockaddr_in a = local_addr();
  ASSERT_EQ(mtcp_bind(mctx_, s, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  watch(s);
  EXPECT_EQ(blocks(), before + 1);
  errno = 0;
  EXPECT_EQ(mtcp_close(mctx_, s), 0);  // mTCP: -1 ENOTCONN; POSIX closes any socket
  EXPECT_EQ(errno, 0);
  expect_nothing();
  expect_id_free(s);
  expect_no_event_for(s);
  EXPECT_EQ(blocks(), before);
  // The bound port is free at once.
  api_listen();
}

TEST_F(CloseTable, StreamClosedAfterReset) {
  const int fd = api_established();
  watch(fd);
  inject(seg(R | A, 1, 1));
  EXPECT_EQ(tuple_state(), TcpState::closed);
  EXPECT_EQ(blocks(), 2u);  // the id still holds the dead connection's block
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
  expect_id_free(fd);
  expect_no_event_for(fd);
  EXPECT_EQ(blocks(), 1u);  // the listener's
  inject(seg(A, 1, 1));
  expect(seg(R, 1));  // no TCB: the CLOSED rule answers
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamClosedAfterTimeout) {
  const int fd = api_syn_sent();
  watch(fd);
  const TcpConfig& k = stack().config().tcp;
  advance(k.syn_timeout + k.rto_max);  // every SYN retransmission, then R2
  drain();
  EXPECT_EQ(stack().stats().tcp_timeouts, 1u);
  EXPECT_EQ(tuple_state(), TcpState::closed);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
  expect_id_free(fd);
  expect_no_event_for(fd);
  EXPECT_EQ(blocks(), 0u);
}

TEST_F(CloseTable, StreamClosedAfterOrderlyEnd) {
  // shutdown(SHUT_WR), both FINs, and TIME_WAIT over while the id stays open: the socket is
  // CLOSED with no error. Epoll keeps reporting the end (IN|RDHUP|HUP), as reads give 0.
  const int fd = api_established();
  watch(fd);
  shutdown_write(fd);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  advance(stack().config().tcp.time_wait);
  EXPECT_FALSE(tuple_alive());
  const std::uint32_t ended = MTCP_EPOLLIN | MTCP_EPOLLRDHUP | MTCP_EPOLLHUP;
  EXPECT_EQ(events_for(fd) & ended, ended);
  char b[8];
  EXPECT_EQ(mtcp_read(mctx_, fd, b, sizeof b), 0);
  EXPECT_EQ(blocks(), 2u);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
  expect_id_free(fd);
  expect_no_event_for(fd);
  EXPECT_EQ(blocks(), 1u);
}

TEST_F(CloseTable, StreamSynSent) {
  const int fd = api_syn_sent();
  watch(fd);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // mTCP: -1 with errno untouched
  expect_id_free(fd);
  EXPECT_EQ(blocks(), 0u);  // RFC 9293 §3.10.4: delete the TCB
  advance(2 * stack().config().tcp.rto_initial);
  expect_nothing();  // no RST, no more SYNs
  inject(seg(S | A, 0, 1));
  expect(seg(R, 1));
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamSynReceived) {
  const int fd = api_syn_sent();
  inject(seg(S, 0).with_options(syn_options()));  // simultaneous open
  expect(seg(S | A, 0, 1));
  watch(fd);
  const Instant t_close = now();
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));  // §3.10.4: nothing queued, so the FIN goes now
  EXPECT_EQ(tuple_state(), TcpState::fin_wait_1);
  expect_id_free(fd);
  inject(seg(A, 1, 2));
  expect_nothing();
  EXPECT_EQ(tuple_state(), TcpState::fin_wait_2);
  expect_no_event_for(fd);
  EXPECT_EQ(blocks(), 1u);
  // An orphan in FIN_WAIT_2 gives up after the knob (mTCP keeps it forever).
  advance_to(t_close + stack().config().tcp.fin_wait_2_timeout + 1ms);
  expect_nothing();
  EXPECT_EQ(blocks(), 0u);
}

TEST_F(CloseTable, StreamSynReceivedRetransmitsSynAckAndFin) {
  // The FIN went out before P acknowledged our SYN: if both are lost, the retransmission must
  // carry the SYN-ACK first, then the FIN (RFC 9293 §3.10.4, SYN-RECEIVED: the FIN follows).
  const int fd = api_syn_sent();
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  advance(peer_tcb()->rtt.rto());
  expect(seg(S | A, 0, 1));
  expect(seg(F | A, 1, 1));
  expect_nothing();
  inject(seg(A, 1, 2));
  EXPECT_EQ(tuple_state(), TcpState::fin_wait_2);
}

TEST_F(CloseTable, StreamEstablished) {
  const int fd = api_established();
  watch(fd);
  watch(api_listen_id_);
  EXPECT_EQ(blocks(), 2u);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  expect_id_free(fd);
  expect_no_event_for(fd);
  inject(seg(A, 1, 2));
  EXPECT_EQ(tuple_state(), TcpState::fin_wait_2);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(tuple_state(), TcpState::time_wait);
  expect_no_event_for(fd);
  const Instant t_tw = now();
  advance_to(t_tw + stack().config().tcp.time_wait - 1ms);
  EXPECT_EQ(blocks(), 2u);  // TIME_WAIT holds the block
  advance(2ms);
  EXPECT_EQ(blocks(), 1u);
  EXPECT_EQ(stack().stats().tcp_time_wait, 0u);
  inject(seg(A, 2, 2));
  expect(seg(R, 2));
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamEstablishedWithUnreadData) {
  const int fd = api_established();
  watch(fd);
  inject(seg(P | A, 1, 1, 1000));
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 1, 1001));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(R | A, 1, 1001));  // RFC 9293 §3.6.1, RFC 2525 §2.17 (mTCP: FIN, data dropped)
  expect_nothing();
  expect_id_free(fd);
  EXPECT_EQ(blocks(), 1u);  // gone at once: no FIN_WAIT, no TIME_WAIT
  inject(seg(P | A, 1001, 1, 100));
  expect(seg(R, 1));
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamLingerZero) {
  const int fd = api_established();
  watch(fd);
  const linger l{1, 0};
  ASSERT_EQ(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  linger got{};
  socklen_t len = sizeof got;
  ASSERT_EQ(mtcp_getsockopt(mctx_, fd, SOL_SOCKET, SO_LINGER, &got, &len), 0);
  EXPECT_EQ(got.l_onoff, 1);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(R | A, 1, 1));  // §3.10.5 ABORT (mTCP's setsockopt is a no-op: a FIN)
  expect_id_free(fd);
  EXPECT_EQ(blocks(), 1u);
  advance(10s);
  expect_nothing();
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamLingerZeroInTimeWait) {
  // SO_LINGER {1,0} is ABORT, and §3.10.5 deletes the TCB in CLOSING, LAST-ACK and TIME-WAIT
  // without an RST: the peer has closed already.
  const int fd = api_established();
  shutdown_write(fd);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const linger l{1, 0};
  ASSERT_EQ(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
  expect_id_free(fd);
  EXPECT_EQ(blocks(), 1u);  // no TIME_WAIT left
}

TEST_F(CloseTable, StreamFinWait1AfterShutdown) {
  const int fd = api_established();
  watch(fd);
  shutdown_write(fd);
  EXPECT_EQ(tuple_state(), TcpState::fin_wait_1);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // mTCP: -1 EBADF, and the id is freed all the same
  expect_nothing();                     // the FIN is already out
  expect_id_free(fd);
  advance(peer_tcb()->rtt.rto());
  expect(seg(F | A, 1, 1));  // still retransmitted by the orphan
  // Data for an orphan: nobody can read it, so RST and delete (S16).
  inject(seg(P | A, 1, 1, 100));
  expect(seg(R | A, 2, 1));
  EXPECT_EQ(blocks(), 1u);
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamFinWait2AfterShutdown) {
  const int fd = api_established();
  watch(fd);
  shutdown_write(fd);
  inject(seg(A, 1, 2));
  const Duration fw2 = stack().config().tcp.fin_wait_2_timeout;
  advance(2 * fw2);  // no timer while the id is open (S07)
  EXPECT_EQ(tuple_state(), TcpState::fin_wait_2);
  const Instant t_close = now();
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // mTCP: -1 EBADF
  expect_nothing();
  expect_id_free(fd);
  advance_to(t_close + fw2 - 1ms);
  EXPECT_EQ(blocks(), 2u);
  advance(2ms);  // the orphan timer starts at close
  EXPECT_EQ(blocks(), 1u);
  expect_nothing();
  inject(seg(F | A, 1, 2));
  expect(seg(R, 2));
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamCloseWait) {
  const int fd = api_established();
  watch(fd);
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  char b[8];
  EXPECT_EQ(mtcp_read(mctx_, fd, b, sizeof b), 0);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 2));
  EXPECT_EQ(tuple_state(), TcpState::last_ack);
  expect_id_free(fd);
  inject(seg(A, 2, 2));
  expect_nothing();
  EXPECT_EQ(blocks(), 1u);
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamCloseWaitWithUnreadData) {
  const int fd = api_established();
  watch(fd);
  inject(seg(F | P | A, 1, 1, 1000));
  expect(seg(A, 1, 1002));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(R | A, 1, 1002));  // data and FIN unread: RST (S15)
  expect_id_free(fd);
  EXPECT_EQ(blocks(), 1u);
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamClosing) {
  const int fd = api_established();
  watch(fd);
  shutdown_write(fd);
  inject(seg(F | A, 1, 1));  // P's FIN crosses ours
  expect(seg(A, 2, 2));
  EXPECT_EQ(tuple_state(), TcpState::closing);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // mTCP: -1 EBADF
  expect_nothing();
  expect_id_free(fd);
  inject(seg(A, 2, 2));
  EXPECT_EQ(tuple_state(), TcpState::time_wait);
  advance(stack().config().tcp.time_wait + 1ms);
  EXPECT_EQ(blocks(), 1u);
  expect_nothing();
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamLastAck) {
  const int fd = api_established();
  watch(fd);
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  EXPECT_EQ(mtcp_shutdown(mctx_, fd, SHUT_WR), 0);
  expect(seg(F | A, 1, 2));
  EXPECT_EQ(tuple_state(), TcpState::last_ack);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // mTCP: -1 EBADF
  expect_nothing();
  expect_id_free(fd);
  // The peer resets instead of acknowledging: the orphan goes, silently, and nobody hears of it.
  inject(seg(R, 2));
  expect_nothing();
  EXPECT_EQ(blocks(), 1u);
  advance(10s);
  expect_nothing();  // no FIN retransmission
  expect_no_event_for(fd);
}

TEST_F(CloseTable, StreamTimeWait) {
  const int fd = api_established();
  watch(fd);
  shutdown_write(fd);
  inject(seg(A, 1, 2));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Instant t_tw = now();
  EXPECT_EQ(tuple_state(), TcpState::time_wait);
  advance(stack().config().tcp.time_wait / 2);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // mTCP: -1 EBADF
  expect_nothing();
  expect_id_free(fd);
  // TIME_WAIT runs from when it began, not from close.
  advance_to(t_tw + stack().config().tcp.time_wait - 1ms);
  EXPECT_EQ(blocks(), 2u);
  advance(2ms);
  EXPECT_EQ(blocks(), 1u);
  inject(seg(A, 2, 2));
  expect(seg(R, 2));
  expect_no_event_for(fd);
}

TEST_F(CloseTable, TimeWaitReopenedWhileIdOpen) {
  // A newer SYN takes over a TIME_WAIT tuple (RFC 6191) whose id is still open: the old id must
  // keep naming its own, finished connection, not a freed or reused one.
  const int fd = api_established();
  shutdown_write(fd);
  inject(seg(A, 1, 2));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  inject(seg(S, 100000).with_options(syn_options()));
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
  char b[8];
  EXPECT_EQ(mtcp_read(mctx_, fd, b, sizeof b), 0);  // the old connection ended in order
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
  EXPECT_EQ(tuple_state(), TcpState::syn_received);  // the new incarnation is untouched
  inject(seg(A, 100001, 1));
  const int again = mtcp_accept(mctx_, api_listen_id_, nullptr, nullptr);
  EXPECT_GE(again, 0);
  EXPECT_EQ(tuple_state(), TcpState::established);
}

// ---- listeners -------------------------------------------------------------------------------

TEST_F(CloseTable, ListenerWithEmbryo) {
  const int l = api_listen();
  watch(l);
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  EXPECT_EQ(blocks(), 2u);
  EXPECT_EQ(mtcp_close(mctx_, l), 0);
  expect(seg(R | A, 1, 1));  // the embryo is reset (mTCP: orphaned, listener left in its hash)
  expect_id_free(l);
  EXPECT_EQ(blocks(), 0u);
  advance(10s);
  expect_nothing();  // no SYN-ACK retransmission
  inject(seg(A, 1, 1));
  expect(seg(R, 1));
  our_iss_ = 0;
  inject(seg(S, 0));
  expect(seg(R | A, 0, 1));
  expect_no_event_for(l);
  api_listen();  // the port is free at once (mTCP: EADDRINUSE)
}

TEST_F(CloseTable, ListenerWithUnacceptedChildren) {
  const int l = api_listen();
  watch(l);
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  inject(seg(A, 1, 1));
  inject(seg(P | A, 1, 1, 100));
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 1, 101));
  EXPECT_EQ(events_for(l), static_cast<std::uint32_t>(MTCP_EPOLLIN));
  EXPECT_EQ(blocks(), 2u);
  EXPECT_EQ(mtcp_close(mctx_, l), 0);
  expect(seg(R | A, 1, 101));  // nobody can ever read it: reset (mTCP: orphaned until tcp_timeout)
  expect_nothing();
  EXPECT_ERRNO(mtcp_accept(mctx_, l, nullptr, nullptr), EBADF);
  expect_id_free(l);
  EXPECT_EQ(blocks(), 0u);
  inject(seg(A, 101, 1));
  expect(seg(R, 1));
  expect_no_event_for(l);
}

TEST_F(CloseTable, ListenerWithAcceptedChild) {
  const int fd = api_established();
  const int l = api_listen_id_;
  watch(l);
  watch(fd);
  EXPECT_EQ(mtcp_close(mctx_, l), 0);
  expect_nothing();  // an accepted child is the application's, not the listener's
  expect_id_free(l);
  EXPECT_EQ(blocks(), 1u);
  EXPECT_EQ(tuple_state(), TcpState::established);
  inject(seg(P | A, 1, 1, 10));
  expect(seg(A, 1, 11));  // a quick ACK: the first data of the connection
  char b[16];
  EXPECT_EQ(mtcp_read(mctx_, fd, b, sizeof b), 10);
  EXPECT_EQ(mtcp_write(mctx_, fd, b, 10), 10);
  expect(seg(P | A, 1, 11, 10));
  EXPECT_NE(events_for(fd) & MTCP_EPOLLOUT, 0u);  // the child's own registration lives on
  expect_no_event_for(l);
  // New SYNs meet a closed port.
  const Endpoint first = remote_;
  const std::uint32_t iss = our_iss_;
  remote_.port = 40001;
  our_iss_ = 0;  // the CLOSED rule's RST has SEQ 0, not one of ours
  inject(seg(S, 0));
  expect(seg(R | A, 0, 1));
  remote_ = first;
  our_iss_ = iss;
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 11, 11));
}

// ---- epoll instances and pipes ---------------------------------------------------------------

TEST_F(CloseTable, EpollInstance) {
  const int fd = api_established();
  const int doomed = mtcp_epoll_create(mctx_, 4);
  watch(fd);  // also in the test's own instance
  mtcp_epoll_event ev{static_cast<std::uint32_t>(MTCP_EPOLLIN | MTCP_EPOLLET), {}};
  ev.data.sockid = fd;
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, doomed, MTCP_EPOLL_CTL_ADD, fd, &ev), 0);
  EXPECT_EQ(mtcp_close(mctx_, doomed), 0);
  expect_nothing();
  mtcp_epoll_event out[4];
  EXPECT_ERRNO(mtcp_epoll_wait(mctx_, doomed, out, 4, 0), EBADF);
  EXPECT_ERRNO(mtcp_epoll_ctl(mctx_, doomed, MTCP_EPOLL_CTL_DEL, fd, &ev), EBADF);
  expect_id_free(doomed);
  // The socket it watched is untouched, and other instances still see it.
  EXPECT_EQ(context().entry(fd)->watchers, std::vector<int>{ep_});
  inject(seg(P | A, 1, 1, 10));
  EXPECT_NE(events_for(fd) & MTCP_EPOLLIN, 0u);
  EXPECT_EQ(blocks(), 2u);
}

TEST_F(CloseTable, PipeReadEnd) {
  int p[2];
  ASSERT_EQ(mtcp_pipe(mctx_, p), 0);
  watch(p[0]);
  watch(p[1], MTCP_EPOLLOUT);
  EXPECT_EQ(mtcp_close(mctx_, p[0]), 0);
  expect_nothing();
  expect_id_free(p[0]);
  // The writer learns at once: ERR with OUT, and EPIPE (never SIGPIPE).
  EXPECT_EQ(events_for(p[1]), static_cast<std::uint32_t>(MTCP_EPOLLERR | MTCP_EPOLLOUT));
  EXPECT_ERRNO(mtcp_write(mctx_, p[1], "x", 1), EPIPE);
  EXPECT_EQ(mtcp_close(mctx_, p[1]), 0);
  expect_id_free(p[1]);
  expect_no_event_for(p[0]);
  expect_no_event_for(p[1]);
}

TEST_F(CloseTable, PipeWriteEnd) {
  int p[2];
  ASSERT_EQ(mtcp_pipe(mctx_, p), 0);
  watch(p[0]);
  watch(p[1], MTCP_EPOLLOUT);
  ASSERT_EQ(mtcp_write(mctx_, p[1], "hello", 5), 5);
  EXPECT_EQ(mtcp_close(mctx_, p[1]), 0);
  expect_id_free(p[1]);
  EXPECT_EQ(events_for(p[0]), static_cast<std::uint32_t>(MTCP_EPOLLIN | MTCP_EPOLLHUP));
  char b[16];
  EXPECT_EQ(mtcp_read(mctx_, p[0], b, sizeof b), 5);  // what was written is still read
  EXPECT_EQ(mtcp_read(mctx_, p[0], b, sizeof b), 0);  // then end of file
  EXPECT_EQ(mtcp_close(mctx_, p[0]), 0);
  expect_id_free(p[0]);
  expect_no_event_for(p[1]);
}

TEST_F(CloseTable, PipeEndIdReusedHearsNothingFromTheOldPipe) {
  // Ids are reused first-in first-out, so fill the table until the closed write end's id comes
  // back as the write end of another pipe; the old pipe's reader must not wake its new owner.
  int old_pipe[2];
  ASSERT_EQ(mtcp_pipe(mctx_, old_pipe), 0);
  ASSERT_EQ(mtcp_write(mctx_, old_pipe[1], "abc", 3), 3);
  ASSERT_EQ(mtcp_close(mctx_, old_pipe[1]), 0);
  watch(old_pipe[0]);  // ep_ takes an id too
  int fresh[2] = {-1, -1};
  for (int i = 0; i < 64 && fresh[1] != old_pipe[1]; ++i) ASSERT_EQ(mtcp_pipe(mctx_, fresh), 0);
  ASSERT_EQ(fresh[1], old_pipe[1]) << "the id did not come back";
  watch(fresh[1], static_cast<std::uint32_t>(MTCP_EPOLLOUT | MTCP_EPOLLET));
  EXPECT_EQ(events_for(fresh[1]), static_cast<std::uint32_t>(MTCP_EPOLLOUT));  // the first edge
  char b[8];
  EXPECT_EQ(mtcp_read(mctx_, old_pipe[0], b, sizeof b), 3);
  EXPECT_EQ(events_for(fresh[1]), 0u) << "the old pipe woke the id's new owner";
}

TEST_F(CloseTable, ClosedIdReusedIsNotReportedToTheOldRegistration) {
  // The registration goes with the id: once the id names something else (FIFO reuse, after the
  // table has cycled), the old interest must not report the newcomer.
  const int fd = api_established();
  watch(fd);
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  int p[2] = {-1, -1};
  for (int i = 0; i < 64 && p[0] != fd && p[1] != fd; ++i) ASSERT_EQ(mtcp_pipe(mctx_, p), 0);
  ASSERT_TRUE(p[0] == fd || p[1] == fd) << "the id did not come back";
  ASSERT_EQ(mtcp_write(mctx_, p[1], "x", 1), 1);  // both ends ready now
  EXPECT_TRUE(wait_events(ep_).empty());
}

// ---- ids that name nothing, and contexts that are not ------------------------------------------

TEST_F(CloseTable, IdNeverOpened) {
  for (int id : {-1, 0, 5, 63, 64, 1 << 20}) EXPECT_ERRNO(mtcp_close(mctx_, id), EBADF);
  expect_nothing();
}

TEST_F(CloseTable, IdAlreadyClosed) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  EXPECT_ERRNO(mtcp_close(mctx_, fd), EBADF);  // the connection lives on, but not under this id
  expect_nothing();
  EXPECT_EQ(tuple_state(), TcpState::fin_wait_1);
  EXPECT_EQ(blocks(), 2u);
}

TEST_F(CloseTable, BadContext) {
  const int fd = api_established();
  mtcp_context made_up{0};
  EXPECT_ERRNO(mtcp_close(nullptr, fd), EINVAL);
  EXPECT_ERRNO(mtcp_close(&made_up, fd), EINVAL);
  expect_nothing();
  EXPECT_EQ(tuple_state(), TcpState::established);  // nothing was closed
  // A destroyed context is not a context either (mTCP says EPERM while one is exiting).
  mctx_t gone = mctx_;
  mtcp_destroy_context(gone);
  stack_ = nullptr;
  EXPECT_ERRNO(mtcp_close(gone, fd), EINVAL);
}

}  // namespace
}  // namespace mtcpp::test
