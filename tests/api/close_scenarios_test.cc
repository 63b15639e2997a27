// The close scenarios of close-scenarios.md (S01-S30), through mTCP's API on L's side (mtcp_close,
// mtcp_shutdown, read/write, SO_LINGER, SO_ERROR, FIONREAD, epoll) and the packet DSL on P's.
// Each test is named after its scenario; times come from the knobs (R is L's RTO, T_TW and T_FW2
// the configured TIME_WAIT and orphan FIN_WAIT_2 lengths), never constants.
//
// One thread drives both sides. Where a scenario has the application blocked in a call while a
// segment arrives, the segment is queued on the wire first (io_->push_rx) and the blocking call
// then drives the stack until it completes, or the test waits in epoll instead (S25 allows it).
#include <sys/ioctl.h>

#include <algorithm>
#include <string>

#include "support/api_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kIn = MTCP_EPOLLIN, kOut = MTCP_EPOLLOUT, kErr = MTCP_EPOLLERR, kHup = MTCP_EPOLLHUP,
                        kRdhup = MTCP_EPOLLRDHUP, kEt = static_cast<std::uint32_t>(MTCP_EPOLLET);

class ApiScenario : public ApiTest {
 protected:

  Duration rto_now() const { return peer_tcb()->rtt.rto(); }  // R: L's RTO
  TcpState st() const { return peer_state(); }
  bool alive() const { return peer_alive(); }
  std::size_t blocks() { return stack().tcp().connection_count(); }
  const TcpConfig& knobs() const { return stack_->config().tcp; }

  long write_n(int fd, std::size_t n) {
    const std::string data(n, 'x');
    return mtcp_write(mctx_, fd, data.data(), n);
  }
  long read_n(int fd, std::size_t n = 4000) {
    std::string buf(n, '\0');
    return mtcp_read(mctx_, fd, buf.data(), n);
  }
  int so_error(int fd) {
    int v = -1;
    socklen_t len = sizeof v;
    EXPECT_EQ(mtcp_getsockopt(mctx_, fd, SOL_SOCKET, SO_ERROR, &v, &len), 0);
    return v;
  }
  int fionread(int fd) {
    int n = -1;
    EXPECT_EQ(mtcp_socket_ioctl(mctx_, fd, FIONREAD, &n), 0);
    return n;
  }
  void set_blocking(int fd, Duration timeout) {
    int off = 0;
    ASSERT_EQ(mtcp_socket_ioctl(mctx_, fd, FIONBIO, &off), 0);
    const timeval tv{static_cast<time_t>(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()), 0};
    ASSERT_EQ(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    ASSERT_EQ(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
  }
  // "R or R." with this SEQ (the checker rule of close-scenarios.md).
  void expect_rst(std::uint32_t seq) {
    auto got = next_sent();
    ASSERT_TRUE(got.has_value()) << "expected an RST at " << seq << ", L sent nothing";
    EXPECT_TRUE(got->flags & R) << describe(*got);
    EXPECT_FALSE(got->flags & (F | S)) << describe(*got);
    EXPECT_EQ(got->seq, seq) << describe(*got);
  }
  // A FIN at fin_seq, alone or riding on the data segment just seen (S06's two shapes).
  void expect_data_then_fin(std::uint32_t seq, std::uint32_t len, std::uint32_t ack) {
    auto got = next_sent();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->seq, seq);
    EXPECT_EQ(got->len, len);
    EXPECT_EQ(got->ack, ack);
    if (!(got->flags & F)) expect(seg(F | A, seq + len, ack));
  }
  // RFC 5961 §3.2 in a synchronized state: an in-window inexact RST draws a challenge ACK, one
  // outside the window (64 KiB here) is dropped. snd and rcv are L's SND.NXT and RCV.NXT.
  void blind_rsts(std::uint32_t snd, std::uint32_t rcv) {
    inject(seg(R, rcv + 500));
    expect(seg(A, snd, rcv));
    inject(seg(R, rcv + 70000));
    expect_nothing();
  }
  void drain() {
    while (next_sent()) {
    }
  }

};

// ---- A. Graceful close -----------------------------------------------------------------------

TEST_F(ApiScenario, S01_ActiveCloseFourWay) {
  const int fd = api_established();
  const int l = api_listen_id_;
  const Instant t0 = now();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  EXPECT_EQ(context().now(), t0);  // returned without blocking
  expect(seg(F | A, 1, 1));
  EXPECT_EQ(st(), TcpState::fin_wait_1);
  EXPECT_ERRNO(read_n(fd), EBADF);
  EXPECT_ERRNO(write_n(fd, 10), EBADF);
  EXPECT_ERRNO(mtcp_shutdown(mctx_, fd, SHUT_WR), EBADF);
  EXPECT_ERRNO(mtcp_close(mctx_, fd), EBADF);
  advance(10ms);
  inject(seg(A, 1, 2));
  expect_nothing();
  EXPECT_EQ(st(), TcpState::fin_wait_2);
  advance(10ms);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(st(), TcpState::time_wait);
  // fd 3 is unaffected: still a listener, with nothing to accept.
  EXPECT_ERRNO(mtcp_accept(mctx_, l, nullptr, nullptr), EAGAIN);
  int listening = 0;
  socklen_t len = sizeof listening;
  EXPECT_EQ(mtcp_getsockopt(mctx_, l, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len), 0);
  EXPECT_EQ(listening, 1);
}

TEST_F(ApiScenario, S02_PassiveCloseEofWriteInCloseWaitLastAck) {
  const int fd = api_established();
  watch(fd, kIn | kOut | kRdhup | kEt);
  EXPECT_EQ(events_for(fd), kOut);  // the registration's first edge
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  EXPECT_EQ(events_for(fd) & (kIn | kRdhup), kIn | kRdhup);
  EXPECT_EQ(events_for(fd), 0u);  // once
  errno = 0;
  EXPECT_EQ(read_n(fd), 0);
  EXPECT_EQ(read_n(fd), 0);
  EXPECT_EQ(errno, 0);
  EXPECT_EQ(write_n(fd, 1000), 1000);  // legal in CLOSE_WAIT
  expect(seg(P | A, 1, 2, 1000));
  inject(seg(A, 2, 1001));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1001, 2));
  inject(seg(A, 2, 1002));
  expect_nothing();
  EXPECT_FALSE(alive());
  inject(seg(A, 2, 1002));
  expect(seg(R, 1002));  // SEQ = SEG.ACK, no ACK flag (§3.10.7.1)
}

TEST_F(ApiScenario, S03a_CrossingFinsThroughClosing) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 1));  // P's FIN does not acknowledge ours
  expect(seg(A, 2, 2));
  EXPECT_EQ(st(), TcpState::closing);
  inject(seg(A, 2, 2));
  expect_nothing();
  EXPECT_EQ(st(), TcpState::time_wait);
  advance(knobs().time_wait / 2);
  expect_nothing();  // never an RST, never a second FIN
}

TEST_F(ApiScenario, S03a_FinalAckLostFinRetransmittedFromClosing) {
  const int fd = api_established();
  const Duration r = rto_now();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 1));
  expect(seg(A, 2, 2));
  advance(r - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(F | A, 1, 2));
  inject(seg(A, 2, 2));
  expect_nothing();
  EXPECT_EQ(st(), TcpState::time_wait);
}

TEST_F(ApiScenario, S03b_FinAckingOurFinGoesToTimeWait) {
  struct Path final : SocketObserver {
    std::vector<TcpState> states;
    void socket_changed(int) override {}
    void state_changed(const Tcb& t, TcpState, Instant) override { states.push_back(t.state); }
  } path;
  context().set_tracer(&path);
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(st(), TcpState::time_wait);
  context().set_tracer(nullptr);
  EXPECT_EQ(std::count(path.states.begin(), path.states.end(), TcpState::closing), 0);
  EXPECT_EQ(path.states.back(), TcpState::time_wait);
  advance(knobs().time_wait / 2);
  expect_nothing();
}

TEST_F(ApiScenario, S03_ShutdownVariantSeesEof) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_shutdown(mctx_, fd, SHUT_WR), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 1));
  expect(seg(A, 2, 2));
  EXPECT_EQ(st(), TcpState::closing);
  EXPECT_EQ(read_n(fd), 0);
  inject(seg(A, 2, 2));
  EXPECT_EQ(st(), TcpState::time_wait);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
}

TEST_F(ApiScenario, S04_CloseInSynReceivedSendsFin) {
  const int fd = api_syn_sent();
  inject(seg(S, 0).with_options(syn_options()));  // simultaneous open
  expect(seg(S | A, 0, 1));
  EXPECT_EQ(st(), TcpState::syn_received);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));  // RFC 9293 §3.10.4: no RST
  EXPECT_EQ(st(), TcpState::fin_wait_1);
  inject(seg(A, 1, 2));
  expect_nothing();
  EXPECT_EQ(st(), TcpState::fin_wait_2);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(st(), TcpState::time_wait);
}

TEST_F(ApiScenario, S05_FinCarriedWithDataGetsOneAck) {
  const int fd = api_established();
  watch(fd, kIn | kOut | kRdhup | kEt);
  EXPECT_EQ(events_for(fd), kOut);
  inject(seg(F | P | A, 1, 1, 1000));
  expect(seg(A, 1, 1002));
  expect_nothing();  // one ACK, not a separate ack 1001 first
  EXPECT_EQ(fionread(fd), 1000);  // the FIN is not a byte
  EXPECT_EQ(events_for(fd) & (kIn | kRdhup), kIn | kRdhup);
  EXPECT_EQ(events_for(fd), 0u);  // one edge
  char peek[4000];
  EXPECT_EQ(mtcp_recv(mctx_, fd, peek, sizeof peek, MSG_PEEK), 1000);
  EXPECT_EQ(fionread(fd), 1000);
  EXPECT_EQ(read_n(fd, 4000), 1000);
  EXPECT_EQ(read_n(fd, 4000), 0);
}

TEST_F(ApiScenario, S06_WriteThenCloseFinFollowsData) {
  const int fd = api_established();
  const Duration r = rto_now();
  EXPECT_EQ(write_n(fd, 1000), 1000);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_data_then_fin(1, 1000, 1);  // the FIN occupies 1001 either way
  inject(seg(A, 1, 1002));
  EXPECT_EQ(st(), TcpState::fin_wait_2);
  advance(8 * r);
  expect_nothing();  // nothing retransmitted
}

TEST_F(ApiScenario, S07_HalfCloseKeepsReceiving) {
  const int fd = api_established();
  EXPECT_EQ(mtcp_shutdown(mctx_, fd, SHUT_WR), 0);
  expect(seg(F | A, 1, 1));
  // EPIPE without SIGPIPE: a raised signal would end this test process.
  EXPECT_ERRNO(write_n(fd, 10), EPIPE);
  inject(seg(A, 1, 2));
  expect_nothing();
  inject(seg(P | A, 1, 2, 1000));
  advance(knobs().delayed_ack);
  expect(seg(A, 2, 1001));
  EXPECT_EQ(read_n(fd), 1000);
  inject(seg(F | A, 1001, 2));
  expect(seg(A, 2, 1002));
  EXPECT_EQ(st(), TcpState::time_wait);
  EXPECT_EQ(read_n(fd), 0);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
}

TEST_F(ApiScenario, S07_FinWait2WithIdOpenHasNoOrphanTimer) {
  const int fd = api_established();
  EXPECT_EQ(mtcp_shutdown(mctx_, fd, SHUT_WR), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  advance(2 * knobs().fin_wait_2_timeout);
  EXPECT_EQ(st(), TcpState::fin_wait_2);  // contrast S13
  expect_nothing();
  EXPECT_ERRNO(read_n(fd), EAGAIN);
}

TEST_F(ApiScenario, S08a_ShutdownReadThenWriteAndClose) {
  const int fd = api_established();
  EXPECT_EQ(mtcp_shutdown(mctx_, fd, SHUT_RD), 0);
  expect_nothing();
  EXPECT_EQ(read_n(fd), 0);  // at once
  EXPECT_EQ(write_n(fd, 1000), 1000);
  expect(seg(P | A, 1, 1, 1000));
  // Implementation-defined (docs/close.md): data after SHUT_RD is acknowledged and discarded,
  // never answered with RST.
  inject(seg(P | A, 1, 1001, 100));
  expect(seg(A, 1001, 101));
  EXPECT_EQ(fionread(fd), 0);
  EXPECT_EQ(read_n(fd), 0);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1001, 101));  // an ordinary FIN: nothing was left unread
}

TEST_F(ApiScenario, S08b_ShutdownBoth) {
  const int fd = api_established();
  EXPECT_EQ(mtcp_shutdown(mctx_, fd, SHUT_RDWR), 0);
  expect(seg(F | A, 1, 1));
  EXPECT_EQ(read_n(fd), 0);
  EXPECT_ERRNO(write_n(fd, 10), EPIPE);
}

// ---- B. Loss, reordering, duplication --------------------------------------------------------

TEST_F(ApiScenario, S09_LostFinRetransmittedWithDoublingIntervals) {
  const int fd = api_established();
  const Duration r = rto_now();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));  // t0, dropped
  advance(r - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(F | A, 1, 1));  // t0+R, dropped
  inject(seg(A, 1, 1));      // a duplicate ACK does not stop the timer
  advance(2 * r - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(F | A, 1, 1));  // t0+3R
  inject(seg(A, 1, 2));
  advance(16 * r);
  expect_nothing();
  EXPECT_EQ(st(), TcpState::fin_wait_2);
}

TEST_F(ApiScenario, S10a_DuplicateFinInCloseWait) {
  const int fd = api_established();
  watch(fd, kIn | kRdhup | kEt);
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  EXPECT_EQ(events_for(fd), kIn | kRdhup);
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));  // an unacceptable segment gets an ACK
  EXPECT_EQ(st(), TcpState::close_wait);
  EXPECT_EQ(events_for(fd), 0u);  // no second edge
  EXPECT_EQ(read_n(fd), 0);
}

TEST_F(ApiScenario, S10b_RetransmittedFinRestartsTimeWait) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));  // lost
  const Duration tw = knobs().time_wait;
  advance(tw / 2);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Instant t1 = now();
  advance_to(t1 + tw - 1ms);
  EXPECT_EQ(st(), TcpState::time_wait);  // past t0 + T_TW
  advance(2ms);
  EXPECT_FALSE(alive());
}

TEST_F(ApiScenario, S11a_LastAckRetransmitsFinUntilAcked) {
  const int fd = api_established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  const Duration r = rto_now();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 2));
  EXPECT_EQ(st(), TcpState::last_ack);
  advance(r);
  expect(seg(F | A, 1, 2));
  advance(2 * r);
  expect(seg(F | A, 1, 2));
  inject(seg(A, 2, 2));
  expect_nothing();
  EXPECT_FALSE(alive());
  inject(seg(A, 2, 2));
  expect(seg(R, 2));
}

TEST_F(ApiScenario, S11b_LastAckGivesUpAtR2) {
  StackConfig c = default_config();
  c.tcp.data_retries = 3;  // R2 as a count
  reconfigure(c);
  const int fd = api_established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  int fins = 0;
  for (int i = 0; i < 100 && alive(); ++i) {
    advance(1s);
    while (auto s = next_sent()) {
      EXPECT_EQ(s->flags, F | A) << describe(*s);
      ++fins;
    }
  }
  EXPECT_FALSE(alive());
  EXPECT_EQ(fins, 1 + c.tcp.data_retries);
  EXPECT_EQ(stack().stats().tcp_timeouts, 1u);  // the counter that shows the abort
  advance(10s);
  expect_nothing();  // deleted silently
  inject(seg(A, 2, 2));
  expect(seg(R, 2));
}

TEST_F(ApiScenario, S12_OutOfOrderFinWaitsForTheHole) {
  TcpOptions o = syn_options();
  o.sack_permitted = true;
  const int fd = api_established(o);
  watch(fd, kIn | kRdhup);
  inject(seg(F | A, 1001, 1));
  auto dup = next_sent();
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->flags, A);
  EXPECT_EQ(dup->seq, 1u);
  EXPECT_EQ(dup->ack, 1u);
  ASSERT_EQ(dup->options.sack_count, 1u);
  EXPECT_EQ(dup->options.sack[0].left - peer_iss_, 1001u);
  EXPECT_EQ(dup->options.sack[0].right - peer_iss_, 1002u);
  expect_nothing();
  EXPECT_ERRNO(read_n(fd), EAGAIN);  // not 0
  EXPECT_EQ(events_for(fd), 0u);
  inject(seg(A, 1, 1, 1000));
  expect(seg(A, 1, 1002));  // a filled hole is ACKed at once
  EXPECT_EQ(st(), TcpState::close_wait);
  EXPECT_EQ(events_for(fd), kIn | kRdhup);
  EXPECT_EQ(read_n(fd), 1000);
  EXPECT_EQ(read_n(fd), 0);
}

TEST_F(ApiScenario, S12_ReorderedDataWithFin) {
  TcpOptions o = syn_options();
  o.sack_permitted = true;
  const int fd = api_established(o);
  inject(seg(F | P | A, 1001, 1, 1000));
  auto dup = next_sent();
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->ack, 1u);
  ASSERT_EQ(dup->options.sack_count, 1u);
  EXPECT_EQ(dup->options.sack[0].left - peer_iss_, 1001u);
  EXPECT_EQ(dup->options.sack[0].right - peer_iss_, 2002u);
  EXPECT_ERRNO(read_n(fd), EAGAIN);
  inject(seg(A, 1, 1, 1000));
  expect(seg(A, 1, 2002));
  EXPECT_EQ(st(), TcpState::close_wait);
  EXPECT_EQ(read_n(fd), 2000);
  EXPECT_EQ(read_n(fd), 0);
}

TEST_F(ApiScenario, S13_OrphanedFinWait2TimesOutSilently) {
  const int fd = api_established();
  const Instant t_close = now();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  const Duration fw2 = knobs().fin_wait_2_timeout;
  advance_to(t_close + fw2 - 1ms);
  EXPECT_EQ(st(), TcpState::fin_wait_2);
  expect_nothing();
  advance(2ms);
  EXPECT_FALSE(alive());
  expect_nothing();  // no RST, no keepalive
  EXPECT_EQ(stack().stats().tcp_fin_wait_2_timeouts, 1u);
  EXPECT_EQ(blocks(), 1u);
  inject(seg(F | A, 1, 2));
  expect(seg(R, 2));
}

class ApiScenarioR2 : public ApiScenario {
 protected:
  void SetUp() override {
    StackConfig c = default_config();
    c.tcp.data_retries = 2;
    reconfigure(c);
  }
  // E0, shutdown(SHUT_WR), and P never answers: the FIN at t0, t0+R, t0+3R, then R2 at t0+7R.
  int exhaust_fin_retransmissions() {
    const int fd = api_established();
    const Duration r = rto_now();
    EXPECT_EQ(mtcp_shutdown(mctx_, fd, SHUT_WR), 0);
    expect(seg(F | A, 1, 1));
    advance(r);
    expect(seg(F | A, 1, 1));
    advance(2 * r);
    expect(seg(F | A, 1, 1));
    advance(4 * r);
    expect_nothing();  // no RST either (if one were sent, SEQ would be 2)
    EXPECT_FALSE(alive());
    EXPECT_EQ(stack().stats().tcp_timeouts, 1u);
    return fd;
  }
};

TEST_F(ApiScenarioR2, S14_FinRetransmissionExhaustedReportsTimeout) {
  const int fd = exhaust_fin_retransmissions();
  watch(fd, kIn | kOut | kRdhup);
  EXPECT_EQ(events_for(fd) & (kErr | kHup | kIn), kErr | kHup | kIn);
  EXPECT_ERRNO(read_n(fd), ETIMEDOUT);
  EXPECT_EQ(so_error(fd), 0);  // the read reported it
  EXPECT_ERRNO(write_n(fd, 10), EPIPE);
  EXPECT_EQ(read_n(fd), 0);
  EXPECT_EQ(events_for(fd) & (kErr | kHup), kHup);  // the error was consumed; the hang-up stays
}

TEST_F(ApiScenarioR2, S14_SoErrorOnceThenZero) {
  const int fd = exhaust_fin_retransmissions();
  EXPECT_EQ(so_error(fd), ETIMEDOUT);
  EXPECT_EQ(so_error(fd), 0);
}

TEST_F(ApiScenarioR2, S14_WriteGivesTimedOutThenEpipe) {
  const int fd = exhaust_fin_retransmissions();
  EXPECT_ERRNO(write_n(fd, 10), ETIMEDOUT);
  EXPECT_ERRNO(write_n(fd, 10), EPIPE);
}

TEST_F(ApiScenarioR2, S14_PendingReadGetsTimedOut) {
  // The application blocks in read; the read drives the stack (and the manual clock) through the
  // FIN's retransmissions until R2 ends it.
  const int fd = api_established();
  EXPECT_EQ(mtcp_shutdown(mctx_, fd, SHUT_WR), 0);
  expect(seg(F | A, 1, 1));
  set_blocking(fd, 3600s);
  const Instant t0 = now();
  EXPECT_ERRNO(read_n(fd), ETIMEDOUT);
  catch_up();
  EXPECT_GT(now(), t0);
  expect(seg(F | A, 1, 1));
  expect(seg(F | A, 1, 1));
  expect_nothing();
}

// ---- C. Close with buffered data -------------------------------------------------------------

TEST_F(ApiScenario, S15_UnreadDataMakesCloseReset) {
  const int fd = api_established();
  inject(seg(P | A, 1, 1, 1000));
  advance(knobs().delayed_ack);
  expect(seg(A, 1, 1001));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(R | A, 1, 1001));  // SEQ = SND.NXT
  EXPECT_FALSE(alive());        // no TIME_WAIT
  advance(10s);
  expect_nothing();  // no FIN ever
  inject(seg(A, 1001, 1));
  expect(seg(R, 1));  // the CLOSED rule
}

TEST_F(ApiScenario, S15_UnreadFinAloneClosesGracefully) {
  const int fd = api_established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // the EOF was never read: that loses nothing
  expect(seg(F | A, 1, 2));
}

TEST_F(ApiScenario, S15_UnreadDataAndFinMakeCloseReset) {
  const int fd = api_established();
  inject(seg(F | P | A, 1, 1, 1000));
  expect(seg(A, 1, 1002));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(R | A, 1, 1002));
  EXPECT_FALSE(alive());
}

TEST_F(ApiScenario, S16_DataAfterCloseInFinWait2IsReset) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  inject(seg(P | A, 1, 2, 1000));
  expect_rst(2);  // never an ACK of the data
  expect_nothing();
  EXPECT_FALSE(alive());
}

TEST_F(ApiScenario, S16_DataAfterCloseInFinWait1IsReset) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(P | A, 1, 1, 1000));  // L's FIN still unacknowledged
  expect_rst(2);
  expect_nothing();
  EXPECT_FALSE(alive());
}

TEST_F(ApiScenario, S16_ContrastShutdownStillReceives) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_shutdown(mctx_, fd, SHUT_WR), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  inject(seg(P | A, 1, 2, 1000));
  advance(knobs().delayed_ack);
  expect(seg(A, 2, 1001));
  EXPECT_EQ(fionread(fd), 1000);
  EXPECT_EQ(read_n(fd), 1000);
}

TEST_F(ApiScenario, S17_UnackedDataInFlightClosesGracefully) {
  const int fd = api_established();
  EXPECT_EQ(write_n(fd, 3000), 3000);
  expect(seg(A, 1, 1, 1000));
  expect(seg(A, 1001, 1, 1000));  // dropped
  expect(seg(P | A, 2001, 1, 1000));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // at once, no SO_LINGER
  expect(seg(F | A, 3001, 1));
  inject(seg(A, 1, 1001));
  advance(rto_now());
  expect(seg(A, 1001, 1, 1000));  // go back to the hole, one segment (cwnd = 1 MSS)
  expect_nothing();
  inject(seg(A, 1, 3002));
  EXPECT_EQ(st(), TcpState::fin_wait_2);
  advance(5s);
  expect_nothing();  // no RST, nothing discarded
}

TEST_F(ApiScenario, S18_ZeroWindowHoldsTheFin) {
  const int fd = api_established();
  inject(seg(A, 1, 1).with_win(1000));  // room for one segment
  EXPECT_EQ(write_n(fd, 5000), 5000);
  expect(seg(A, 1, 1, 1000));
  expect_nothing();
  inject(seg(A, 1, 1001).with_win(0));
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // immediately
  expect_nothing();  // no FIN while 4000 bytes are unsent
  const Duration r = rto_now();
  advance(r);
  expect(seg(A, 1001, 1, 1));  // a zero-window probe (one octet at SND.UNA), after one RTO
  inject(seg(A, 1, 1001).with_win(0));
  advance(r);
  expect_nothing();  // the interval grows
  advance(r);
  expect(seg(A, 1001, 1, 1));
  inject(seg(A, 1, 1001).with_win(0));
  EXPECT_EQ(st(), TcpState::fin_wait_1);  // the connection stays up while probes are answered
  inject(seg(A, 1, 1001).with_win(65535));
  for (std::uint32_t s = 1001; s < 4001; s += 1000) expect(seg(A, s, 1, 1000));
  expect_data_then_fin(4001, 1000, 1);  // the FIN at 5001
  inject(seg(A, 1, 5002));
  EXPECT_EQ(st(), TcpState::fin_wait_2);
}

TEST_F(ApiScenario, S19_LingerZeroAborts) {
  const int fd = api_established();
  EXPECT_EQ(write_n(fd, 3000), 3000);
  drain();
  inject(seg(A, 1, 1001));
  const linger l{1, 0};
  EXPECT_EQ(mtcp_setsockopt(mctx_, fd, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(R | A, 3001, 1));  // SEQ = SND.NXT (§3.10.5)
  EXPECT_FALSE(alive());
  advance(10s);
  expect_nothing();  // no FIN, no retransmission, no TIME_WAIT
  // A new SYN on the same 4-tuple is accepted at once.
  inject(seg(S, 5000).with_options(syn_options()));
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
  EXPECT_EQ(synack->ack, 5001u);
  inject(seg(A, 5001, 1));
  EXPECT_GE(mtcp_accept(mctx_, api_listen_id_, nullptr, nullptr), 0);
}

// ---- D. Handshake states and listeners -------------------------------------------------------

TEST_F(ApiScenario, S20_CloseInSynSent) {
  const int fd = api_syn_sent();
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);  // mTCP returns -1 here
  expect_nothing();                     // no RST
  advance(2 * knobs().rto_initial);
  expect_nothing();  // no more SYNs
  inject(seg(S | A, 0, 1));
  expect(seg(R, 1));  // SEQ = SEG.ACK, ACK flag off
}

TEST_F(ApiScenario, S21_ListenerClosedWithEmbryo) {
  const int l = api_listen();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  EXPECT_EQ(mtcp_close(mctx_, l), 0);
  expect(seg(R | A, 1, 1));  // the embryo is reset at once
  advance(10s);
  expect_nothing();  // no SYN-ACK retransmission
  inject(seg(A, 1, 1));
  expect(seg(R, 1));
  our_iss_ = 0;  // the CLOSED rule's RST carries SEQ 0
  inject(seg(S, 0));
  expect(seg(R | A, 0, 1));
  // Re-binding and listening on the same port succeeds at once (mTCP: EADDRINUSE).
  const int again = api_listen();
  EXPECT_GE(again, 0);
}

TEST_F(ApiScenario, S22_ListenerClosedResetsUnacceptedChildren) {
  const int l = api_listen();
  // P1 completes the handshake and sends 100 bytes; P2 only completes it. Nobody accepts.
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  const std::uint32_t iss1 = our_iss_;
  inject(seg(A, 1, 1));
  inject(seg(P | A, 1, 1, 100));
  advance(knobs().delayed_ack);
  expect(seg(A, 1, 101));
  const Endpoint p1 = remote_;
  remote_.port = 40001;
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  const std::uint32_t iss2 = our_iss_;
  inject(seg(A, 1, 1));
  EXPECT_EQ(blocks(), 3u);
  EXPECT_EQ(mtcp_close(mctx_, l), 0);
  our_iss_ = iss1;
  expect(seg(R | A, 1, 101));  // P1: SEQ = SND.NXT = 1
  our_iss_ = iss2;
  expect(seg(R | A, 1, 1));  // P2
  expect_nothing();          // no FIN
  EXPECT_ERRNO(mtcp_accept(mctx_, l, nullptr, nullptr), EBADF);
  EXPECT_EQ(blocks(), 0u);
  inject(seg(A, 1, 1));  // P2's tuple is CLOSED now
  expect(seg(R, 1));
  remote_ = p1;
  our_iss_ = iss1;
  inject(seg(A, 101, 1));
  expect(seg(R, 1));
}

TEST_F(ApiScenario, S23a_ExactRstInSynReceivedRemovesTheEmbryo) {
  const int l = api_listen();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  inject(seg(R, 1));
  expect_nothing();
  EXPECT_FALSE(alive());
  EXPECT_ERRNO(mtcp_accept(mctx_, l, nullptr, nullptr), EAGAIN);
  advance(5 * knobs().rto_initial);
  expect_nothing();  // no SYN-ACK retransmission
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));  // the listener still answers
}

TEST_F(ApiScenario, S23b_RstOutsideTheWindowInSynReceivedIsDropped) {
  api_listen();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  inject(seg(R, 70001));  // beyond the 64 KiB window L advertised
  expect_nothing();
  advance(knobs().rto_initial);
  expect(seg(S | A, 0, 1));  // retransmitted at the initial RTO
}

TEST_F(ApiScenario, S23c_InexactRstInSynReceivedDrawsChallengeAck) {
  api_listen();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  inject(seg(R, 2));
  expect(seg(A, 1, 1));  // RFC 5961 §3.2
  EXPECT_EQ(st(), TcpState::syn_received);
}

TEST_F(ApiScenario, S24a_RstRefusesNonblockingConnect) {
  const int fd = api_syn_sent();
  watch(fd, kOut);
  inject(seg(R | A, 0, 1));
  expect_nothing();  // L sends nothing
  EXPECT_EQ(events_for(fd) & (kErr | kHup), kErr | kHup);
  EXPECT_EQ(so_error(fd), ECONNREFUSED);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
}

TEST_F(ApiScenario, S24a_RstRefusesBlockingConnect) {
  // L's ISS is M(now) + F(4-tuple) (RFC 6528): a first attempt, closed in SYN_SENT (which sends
  // nothing, S20), shows P the ISS the blocking connect will use at the same instant. P's RST is
  // then on the wire when the connect starts waiting.
  const int probe = api_syn_sent();
  ASSERT_EQ(mtcp_close(mctx_, probe), 0);
  const int fd = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  set_blocking(fd, 5s);
  const sockaddr_in l = local_addr();
  ASSERT_EQ(mtcp_bind(mctx_, fd, reinterpret_cast<const sockaddr*>(&l), sizeof l), 0);
  ASSERT_TRUE(io_->push_rx(frame_for(seg(R | A, 0, 1))));
  const sockaddr_in r = remote_addr();
  EXPECT_ERRNO(mtcp_connect(mctx_, fd, reinterpret_cast<const sockaddr*>(&r), sizeof r), ECONNREFUSED);
  catch_up();
  expect(seg(S, 0));
  expect_nothing();
}

TEST_F(ApiScenario, S24b_RstWithoutAckInSynSentIsIgnored) {
  const int fd = api_syn_sent();
  inject(seg(R, 0));
  expect_nothing();
  EXPECT_EQ(st(), TcpState::syn_sent);
  advance(knobs().rto_initial);
  expect(seg(S, 0));
  EXPECT_EQ(so_error(fd), 0);
}

TEST_F(ApiScenario, S24c_RstWithUnacceptableAckInSynSentIsIgnored) {
  const int fd = api_syn_sent();
  inject(seg(R | A, 0, 77));
  expect_nothing();  // and an RST is never answered
  EXPECT_EQ(st(), TcpState::syn_sent);
  EXPECT_EQ(so_error(fd), 0);
}

// ---- E. RST in synchronized states, CLOSED and LISTEN -----------------------------------------

TEST_F(ApiScenario, S25_ExactRstWakesBlockedRead) {
  const int fd = api_established();
  set_blocking(fd, 3600s);
  ASSERT_TRUE(io_->push_rx(frame_for(seg(R | A, 1, 1))));  // arrives while read waits
  EXPECT_ERRNO(read_n(fd), ECONNRESET);
  catch_up();
  expect_nothing();
  EXPECT_FALSE(alive());
  EXPECT_EQ(read_n(fd), 0);
  EXPECT_ERRNO(write_n(fd, 10), EPIPE);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
  inject(seg(A, 1, 1));
  expect(seg(R, 1));
}

TEST_F(ApiScenario, S25_ExactRstWakesBlockedEpollWait) {
  const int fd = api_established();
  watch(fd, kIn | kRdhup);
  ASSERT_TRUE(io_->push_rx(frame_for(seg(R | A, 1, 1))));
  mtcp_epoll_event ev[4];
  ASSERT_EQ(mtcp_epoll_wait(mctx_, ep_, ev, 4, -1), 1);
  EXPECT_EQ(ev[0].data.sockid, fd);
  EXPECT_EQ(ev[0].events, kIn | kErr | kHup | kRdhup);
  EXPECT_EQ(so_error(fd), ECONNRESET);
  EXPECT_EQ(so_error(fd), 0);  // once
  EXPECT_ERRNO(write_n(fd, 10), EPIPE);
  EXPECT_EQ(mtcp_close(mctx_, fd), 0);
  expect_nothing();
}

TEST_F(ApiScenario, S25_WriteAfterRstGivesResetThenEpipe) {
  const int fd = api_established();
  inject(seg(R | A, 1, 1));
  expect_nothing();
  EXPECT_ERRNO(write_n(fd, 10), ECONNRESET);
  EXPECT_ERRNO(write_n(fd, 10), EPIPE);
}

TEST_F(ApiScenario, S25_UnreadDataIsFlushedByRst) {
  // Implementation-defined; mtcpp follows RFC 9293 §3.10.7.4 (flush the queues), not Linux.
  const int fd = api_established();
  inject(seg(P | A, 1, 1, 500));
  EXPECT_EQ(fionread(fd), 500);
  inject(seg(R | A, 501, 1));
  EXPECT_EQ(fionread(fd), 0);
  EXPECT_ERRNO(read_n(fd), ECONNRESET);
  EXPECT_EQ(read_n(fd), 0);
}

TEST_F(ApiScenario, S26a_InWindowRstDrawsChallengeAck) {
  const int fd = api_established();
  inject(seg(R, 501));
  expect(seg(A, 1, 1));
  EXPECT_EQ(st(), TcpState::established);
  EXPECT_EQ(so_error(fd), 0);
  inject(seg(R, 1));  // then an exact one resets (S25)
  expect_nothing();
  EXPECT_EQ(so_error(fd), ECONNRESET);
}

TEST_F(ApiScenario, S26b_RstOutsideTheWindowIsDropped) {
  const int fd = api_established();
  inject(seg(R, 70001));
  expect_nothing();
  EXPECT_EQ(st(), TcpState::established);
  EXPECT_EQ(so_error(fd), 0);
}

TEST_F(ApiScenario, S26c_SynInEstablishedDrawsChallengeAck) {
  const int fd = api_established();
  inject(seg(S, 12345));
  expect(seg(A, 1, 1));  // no RST, no state change
  EXPECT_EQ(st(), TcpState::established);
  EXPECT_EQ(so_error(fd), 0);
}

TEST_F(ApiScenario, S26d_AckOfUnsentDataIsNotProcessed) {
  const int fd = api_established();
  watch(fd, kIn | kRdhup);
  inject(seg(A, 1, 5000));
  expect(seg(A, 1, 1));  // mtcpp follows the RFC text: ACK and drop
  advance(stack().config().tcp.challenge_ack_interval);  // one such ACK per interval
  inject(seg(F | P | A, 1, 5000, 10));
  expect(seg(A, 1, 1));
  EXPECT_EQ(st(), TcpState::established);  // neither the FIN nor the data was taken
  EXPECT_EQ(fionread(fd), 0);
  EXPECT_EQ(events_for(fd), 0u);
}

TEST_F(ApiScenario, S26e_ChallengeAckRateLimit) {
  StackConfig c = default_config();
  c.tcp.challenge_ack_limit = 3;  // per second (RFC 5961 §7), drawn at random in 2..4
  c.tcp.challenge_ack_interval = Duration::zero();  // the stack-wide budget alone
  reconfigure(c);
  api_established();
  for (int i = 0; i < 5; ++i) inject(seg(R, 501));
  int acks = 0;
  while (next_sent()) ++acks;
  EXPECT_GE(acks, 2);
  EXPECT_LE(acks, 4);
  EXPECT_EQ(stack().stats().tcp_challenge_acks_suppressed, static_cast<std::uint64_t>(5 - acks));
  advance(1s);
  inject(seg(R, 501));
  expect(seg(A, 1, 1));
}

TEST_F(ApiScenario, S27_ExactRstInFinWait1AfterClose) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  blind_rsts(2, 1);
  inject(seg(R, 1));
  expect_nothing();
  EXPECT_FALSE(alive());
  advance(4 * knobs().rto_max);
  expect_nothing();  // FIN retransmissions stop
}

TEST_F(ApiScenario, S27_ExactRstInFinWait2AfterCloseRemovesTheOrphan) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  blind_rsts(2, 1);
  inject(seg(R, 1));
  expect_nothing();
  EXPECT_FALSE(alive());
  EXPECT_EQ(blocks(), 1u);
}

TEST_F(ApiScenario, S27_ExactRstInFinWait2AfterShutdownResetsTheReader) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_shutdown(mctx_, fd, SHUT_WR), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  blind_rsts(2, 1);
  inject(seg(R, 1));
  expect_nothing();
  EXPECT_ERRNO(read_n(fd), ECONNRESET);
  EXPECT_EQ(read_n(fd), 0);
}

TEST_F(ApiScenario, S27_ExactRstInCloseWaitWriteGivesResetThenEpipe) {
  const int fd = api_established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  EXPECT_EQ(read_n(fd), 0);  // EOF already read
  blind_rsts(1, 2);
  inject(seg(R, 2));
  expect_nothing();
  EXPECT_ERRNO(write_n(fd, 10), ECONNRESET);
  EXPECT_ERRNO(write_n(fd, 10), EPIPE);
  EXPECT_EQ(read_n(fd), 0);
}

TEST_F(ApiScenario, S27_ExactRstInCloseWaitReadGivesResetOnce) {
  // The choice documented in docs/close.md: the reset is reported to the next call that can
  // report it, a read included (Linux gives 0 here); afterwards reads give 0.
  const int fd = api_established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  EXPECT_EQ(read_n(fd), 0);
  inject(seg(R, 2));
  EXPECT_ERRNO(read_n(fd), ECONNRESET);
  EXPECT_EQ(read_n(fd), 0);
}

TEST_F(ApiScenario, S27_ExactRstInClosing) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 1));
  expect(seg(A, 2, 2));
  EXPECT_EQ(st(), TcpState::closing);
  blind_rsts(2, 2);
  inject(seg(R, 2));
  expect_nothing();
  EXPECT_FALSE(alive());
  advance(4 * knobs().rto_max);
  expect_nothing();  // FIN retransmissions stop
}

TEST_F(ApiScenario, S27_ExactRstInLastAck) {
  const int fd = api_established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 2));
  blind_rsts(2, 2);
  inject(seg(R, 2));
  expect_nothing();
  EXPECT_FALSE(alive());
  advance(4 * knobs().rto_max);
  expect_nothing();
}

TEST_F(ApiScenario, S27_ExactRstInTimeWaitFreesTheTuple) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  blind_rsts(2, 2);
  inject(seg(R, 2));  // RFC 9293 (the knob's default, as Linux): delete the TCB
  expect_nothing();
  EXPECT_FALSE(alive());
  inject(seg(A, 2, 2));
  expect(seg(R, 2));  // the tuple is free
}

TEST_F(ApiScenario, S27_Rfc1337KnobKeepsTimeWait) {
  StackConfig c = default_config();
  c.tcp.rfc1337_ignore_rst_in_time_wait = true;
  reconfigure(c);
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  inject(seg(R, 2));
  expect_nothing();
  EXPECT_EQ(st(), TcpState::time_wait);  // the tuple is still held
  inject(seg(A, 2, 2));
  expect_nothing();
}

TEST_F(ApiScenario, S28_SegmentsWithoutConnectionAndInListen) {
  api_listen();  // 8080; nothing on 8081
  const Endpoint listening = local_;
  local_.port = 8081;
  inject(seg(S, 0));
  expect(seg(R | A, 0, 1));  // SEQ 0, ACK = SEG.SEQ + SEG.LEN
  inject(seg(A, 1, 100));
  expect(seg(R, 100));  // SEQ = SEG.ACK, no ACK flag
  inject(seg(F, 5));
  expect(seg(R | A, 0, 6));  // the FIN counts one
  inject(seg(P | A, 1, 7, 10));
  expect(seg(R, 7));
  inject(seg(R, 1));
  inject(seg(R | A, 1, 1));
  expect_nothing();  // an RST gets nothing, ever
  local_ = listening;
  inject(seg(R, 1));
  expect_nothing();  // LISTEN ignores an RST
  inject(seg(A, 1, 9));
  expect(seg(R, 9));
  inject(seg(P, 1, 0, 10));  // neither SYN nor ACK
  inject(seg(F, 1));
  expect_nothing();
  EXPECT_ERRNO(mtcp_accept(mctx_, api_listen_id_, nullptr, nullptr), EAGAIN);
}

// ---- F. TIME_WAIT ----------------------------------------------------------------------------

TEST_F(ApiScenario, S29_TimeWaitDurationAndConduct) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Instant t0 = now();
  EXPECT_EQ(stack().stats().tcp_time_wait, 1u);
  inject(seg(A, 2, 2));
  expect_nothing();  // a duplicate pure ACK gets nothing
  advance_to(t0 + knobs().time_wait - 1ms);
  expect_nothing();  // no spontaneous segment
  EXPECT_EQ(st(), TcpState::time_wait);
  advance(2ms);
  EXPECT_FALSE(alive());
  EXPECT_EQ(stack().stats().tcp_time_wait, 0u);
  EXPECT_EQ(blocks(), 1u);
  inject(seg(A, 2, 2));
  expect(seg(R, 2));
}

TEST_F(ApiScenario, S29_ClientTupleInTimeWaitIsNotReused) {
  StackConfig c = default_config();
  c.tcp.ephemeral_port_first = c.tcp.ephemeral_port_last = 50000;  // one ephemeral port
  reconfigure(c);
  const int fd = mtcp_socket(mctx_, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const sockaddr_in r = remote_addr();
  EXPECT_ERRNO(mtcp_connect(mctx_, fd, reinterpret_cast<const sockaddr*>(&r), sizeof r), EINPROGRESS);
  sockaddr_in me{};
  socklen_t len = sizeof me;
  ASSERT_EQ(mtcp_getsockname(mctx_, fd, reinterpret_cast<sockaddr*>(&me), &len), 0);
  ASSERT_EQ(ntohs(me.sin_port), 50000);
  local_.port = 50000;
  expect(seg(S, 0));
  inject(seg(S | A, 0, 1).with_options(syn_options()));
  expect(seg(A, 1, 1));
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);  // L is the active closer
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(st(), TcpState::time_wait);
  // An explicit bind to the port is refused, and ephemeral selection skips the tuple.
  const int bound = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_ERRNO(mtcp_bind(mctx_, bound, reinterpret_cast<const sockaddr*>(&me), sizeof me), EADDRINUSE);
  const int again = mtcp_socket(mctx_, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  EXPECT_ERRNO(mtcp_connect(mctx_, again, reinterpret_cast<const sockaddr*>(&r), sizeof r), EAGAIN);
  expect_nothing();
  advance(knobs().time_wait);
  EXPECT_ERRNO(mtcp_connect(mctx_, again, reinterpret_cast<const sockaddr*>(&r), sizeof r), EINPROGRESS);
}

TEST_F(ApiScenario, S30a_NewerSynReopensTimeWait) {
  // L is the server and closed first, as epserver does.
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const std::uint32_t old_iss = our_iss_;
  inject(seg(S, 100000).with_options(syn_options()));  // SEG.SEQ > RCV.NXT
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
  EXPECT_EQ(synack->ack, 100001u);
  EXPECT_GT(static_cast<std::int32_t>(our_iss_ - (old_iss + 2)), 0) << "ISS' > SND.NXT of the old incarnation";
  inject(seg(A, 100001, 1));
  const int next = mtcp_accept(mctx_, api_listen_id_, nullptr, nullptr);
  EXPECT_GE(next, 0);
  EXPECT_EQ(st(), TcpState::established);
}

TEST_F(ApiScenario, S30a_NewerTimestampReopensTimeWait) {
  TcpOptions o = syn_options();
  o.timestamps = TcpTimestamps{100, 0};
  const int fd = api_established(o);
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  Seg fin = seg(F | A, 1, 2);
  fin.options.timestamps = TcpTimestamps{200, 0};
  inject(fin);
  expect(seg(A, 2, 2));
  // An older TSval is not a new incarnation, even with a newer sequence number (PAWS drops it).
  Seg stale = seg(S, 100000).with_options(syn_options());
  stale.options.timestamps = TcpTimestamps{150, 0};
  inject(stale);
  if (auto got = next_sent()) {
    EXPECT_EQ(got->flags, A) << "never a SYN-ACK or RST";
  }
  EXPECT_EQ(st(), TcpState::time_wait);
  // A newer TSval is, even with an old sequence number.
  Seg fresh = seg(S, 0).with_options(syn_options());
  fresh.options.timestamps = TcpTimestamps{300, 0};
  inject(fresh);
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
  EXPECT_EQ(st(), TcpState::syn_received);
}

TEST_F(ApiScenario, S30b_OldSynLeavesTimeWait) {
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  inject(seg(S, 0));  // SEG.SEQ <= RCV.NXT
  if (auto got = next_sent()) {
    EXPECT_EQ(got->flags, A) << "never a SYN-ACK or RST";
    EXPECT_EQ(got->seq, 2u);
    EXPECT_EQ(got->ack, 2u);
  }
  EXPECT_EQ(st(), TcpState::time_wait);
  EXPECT_ERRNO(mtcp_accept(mctx_, api_listen_id_, nullptr, nullptr), EAGAIN);
}

TEST_F(ApiScenario, S30c_ExactRstEndsTimeWaitThenSynSucceeds) {
  // mtcpp reopens (S30a), so (c)'s premise does not hold; its recovery path works all the same.
  const int fd = api_established();
  ASSERT_EQ(mtcp_close(mctx_, fd), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  inject(seg(S, 0));
  expect(seg(A, 2, 2));  // s:s ack r
  inject(seg(R, 2));     // P answers with R r:r, exact: TIME_WAIT ends (S27)
  expect_nothing();
  EXPECT_FALSE(alive());
  inject(seg(S, 0).with_options(syn_options()));  // P's retransmitted SYN
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
  inject(seg(A, 1, 1));
  EXPECT_GE(mtcp_accept(mctx_, api_listen_id_, nullptr, nullptr), 0);
}

}  // namespace
}  // namespace mtcpp::test
