// TIME-WAIT kept as a compact record (core/tcp/time_wait.h) once nobody holds the socket: it
// answers on the wire as the connection block answered (RFC 9293 §3.10.7.4 in TIME-WAIT, RFC 5961,
// RFC 7323's PAWS, RFC 2883's D-SACK, RFC 6191's reopening), keeps the block's deadline, and
// holds no block or ring.
#include <cerrno>

#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using TimeWait = PacketTest;

TcpOptions ts_sack_syn() {
  TcpOptions o = PacketTest::ts_syn_options();
  o.sack_permitted = true;
  return o;
}

class TimeWaitTs : public TimeWait {
 protected:
  // L received 100 bytes and read them, closed first, and P's FIN came: L's ACK of it is returned.
  Seg to_time_wait() {
    const int fd = established(ts_sack_syn());
    inject(with_ts(seg(P | A, 1, 1, 100), ++peer_ts_));
    std::vector<std::uint8_t> buf(100);
    EXPECT_EQ(stack().recv(fd, buf, now()), 100);
    EXPECT_EQ(stack().close(fd, now()), 0);
    while (auto s = next_sent()) {  // the ACK of the data, then the FIN
      if (s->flags & F) break;
    }
    inject(with_ts(seg(F | A, 101, 2), ++peer_ts_));
    auto ack = next_sent();
    EXPECT_TRUE(ack);
    return ack ? *ack : Seg{};
  }
};

TEST_F(TimeWaitTs, AnOrphanKeepsARecordInPlaceOfItsBlock) {
  const Seg ack = to_time_wait();
  EXPECT_EQ(describe(ack), describe(seg(A, 2, 102).with_win(ack.win)));
  EXPECT_EQ(peer_tcb(), nullptr);
  EXPECT_EQ(peer_state(), TcpState::time_wait);
  const TimeWaitRecord* r = stack().tcp().time_wait_record(local_, remote_);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rcv_nxt.v, peer_iss_ + 102);
  EXPECT_EQ(r->snd_max.v, our_iss_ + 2);
  EXPECT_EQ(r->ts_recent, peer_ts_);
  EXPECT_EQ(stack().tcp().connection_count(), 2u);  // the listener and the record
  EXPECT_EQ(stack().stats().tcp_time_wait, 1u);
  EXPECT_EQ(stack().tcp().buffer_memory().in_use(), 0u);
}

TEST_F(TimeWaitTs, ARetransmittedFinIsAnsweredAsTheBlockAnsweredItAndRestartsTheWait) {
  const Seg first = to_time_wait();
  ASSERT_TRUE(first.options.timestamps);
  advance(250ms);
  inject(with_ts(seg(F | A, 101, 2), ++peer_ts_));
  const auto again = next_sent();
  ASSERT_TRUE(again);
  EXPECT_EQ(describe(*again), describe(first));  // flags, numbers and window
  ASSERT_TRUE(again->options.timestamps);
  EXPECT_EQ(again->options.timestamps->tsval, first.options.timestamps->tsval + 250);
  // The FIN lies before RCV.NXT, unacceptable: it moves no TS.Recent (RFC 7323 §4.3).
  EXPECT_EQ(again->options.timestamps->tsecr, first.options.timestamps->tsecr);
  EXPECT_EQ(again->options.sack_count, 0u);
  const Instant restarted = now();
  advance_to(restarted + stack().config().tcp.time_wait - 1ms);
  EXPECT_TRUE(peer_alive());
  advance(2ms);
  EXPECT_FALSE(peer_alive());
  EXPECT_EQ(stack().tcp().connection_count(), 1u);
  expect_nothing();
  inject(with_ts(seg(A, 102, 2), ++peer_ts_));  // the tuple is free: CLOSED answers
  expect(seg(R, 2));
}

TEST_F(TimeWaitTs, DataReceivedTwiceDrawsAnAckWithADsackBlock) {
  to_time_wait();
  inject(with_ts(seg(P | A, 1, 2, 100), ++peer_ts_));
  const auto ack = next_sent();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->flags, A);
  EXPECT_EQ(ack->seq, 2u);
  EXPECT_EQ(ack->ack, 102u);
  ASSERT_EQ(ack->options.sack_count, 1u);
  EXPECT_EQ(ack->options.sack[0].left - peer_iss_, 1u);
  EXPECT_EQ(ack->options.sack[0].right - peer_iss_, 101u);
}

TEST_F(TimeWaitTs, AnOldTimestampIsAnsweredAtMostOncePerInterval) {
  to_time_wait();
  inject(with_ts(seg(A, 102, 2), peer_ts_ - 10));
  expect(seg(A, 2, 102));
  inject(with_ts(seg(A, 102, 2), peer_ts_ - 10));
  expect_nothing();
  EXPECT_EQ(stack().stats().tcp_paws_drops, 2u);
  EXPECT_EQ(stack().stats().tcp_invalid_acks_suppressed, 1u);
  EXPECT_TRUE(peer_alive());
}

TEST_F(TimeWaitTs, OnlyAnExactRstEndsIt) {
  to_time_wait();
  inject(with_ts(seg(R, 103), ++peer_ts_));  // in window, not at RCV.NXT: a challenge ACK (RFC 5961 §3.2)
  expect(seg(A, 2, 102));
  EXPECT_TRUE(peer_alive());
  inject(seg(R, 102));
  expect_nothing();
  EXPECT_FALSE(peer_alive());
  EXPECT_EQ(stack().stats().tcp_time_wait, 0u);
}

TEST_F(TimeWaitTs, AnAckForDataNeverSentDrawsAChallengeAck) {
  to_time_wait();
  inject(with_ts(seg(A, 102, 500), ++peer_ts_));
  expect(seg(A, 2, 102));
  EXPECT_EQ(stack().stats().tcp_challenge_acks, 1u);
  EXPECT_TRUE(peer_alive());
}

TEST_F(TimeWaitTs, ASynWithANewerTimestampOpensANewIncarnation) {
  to_time_wait();
  // An older timestamp: not a new incarnation (RFC 6191 §2), a challenge ACK instead.
  inject(with_ts(seg(S, 5000), peer_ts_ - 1));
  expect(seg(A, 2, 102));
  Seg syn = seg(S, 5000).with_options(ts_sack_syn());
  syn.options.timestamps = TcpTimestamps{peer_ts_ + 1, 0};
  inject(syn);
  const auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
  EXPECT_EQ(synack->ack, 5001u);
  EXPECT_EQ(peer_state(), TcpState::syn_received);
  EXPECT_EQ(stack().stats().tcp_time_wait, 0u);
}

TEST_F(TimeWait, ASocketHeldInTimeWaitBecomesARecordWhenClosedAndKeepsItsDeadline) {
  const int fd = established();
  ASSERT_EQ(stack().shutdown(fd, Shutdown::write, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Instant entered = now();
  EXPECT_EQ(state(fd), TcpState::time_wait);
  EXPECT_NE(peer_tcb(), nullptr) << "the application can still read: the block stays";
  advance(1s);
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect_nothing();
  EXPECT_EQ(peer_tcb(), nullptr);
  EXPECT_EQ(peer_state(), TcpState::time_wait);
  advance_to(entered + stack().config().tcp.time_wait - 1ms);
  EXPECT_TRUE(peer_alive());
  advance(2ms);
  EXPECT_FALSE(peer_alive());
}

TEST_F(TimeWait, ARecordHoldsItsTupleAgainstBindAndConnect) {
  time_wait();
  ASSERT_EQ(stack().close(listen_fd_, now()), 0);  // only the record holds the port now
  const int s = stack().socket(now());
  ASSERT_GE(s, 0);
  EXPECT_EQ(stack().bind(s, local_), -EADDRINUSE);
  ASSERT_EQ(stack().set_option(s, SocketOption::reuse_address, 1, now()), 0);
  ASSERT_EQ(stack().bind(s, local_), 0);  // SO_REUSEADDR shares a port held only in TIME_WAIT
  EXPECT_EQ(stack().connect(s, remote_, now()), -EADDRINUSE);  // the tuple itself is still held
}

TEST_F(TimeWait, ARecordDueEarlierGoesAheadOfNewerOnes) {
  const Endpoint first = remote_;
  const int fd = established();
  ASSERT_EQ(stack().shutdown(fd, Shutdown::write, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Instant first_entered = now();  // held by its socket: a block until close
  advance(1s);
  remote_.port = 40001;  // a second connection, an orphan: a record at once
  inject(seg(S, 0).with_options(syn_options()));
  ASSERT_TRUE(next_sent());
  inject(seg(A, 1, 1));
  const int second_fd = stack().accept(listen_fd_, nullptr);
  ASSERT_GE(second_fd, 0);
  ASSERT_EQ(stack().close(second_fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Instant second_entered = now();
  advance(1s);
  ASSERT_EQ(stack().close(fd, now()), 0);  // its record is due before the second's
  const Duration tw = stack().config().tcp.time_wait;
  advance_to(first_entered + tw + 1ms);
  EXPECT_FALSE(stack().tcp().state_of(local_, first).has_value());
  EXPECT_EQ(stack().tcp().state_of(local_, remote_).value_or(TcpState::closed), TcpState::time_wait);
  advance_to(second_entered + tw + 1ms);
  EXPECT_FALSE(stack().tcp().state_of(local_, remote_).has_value());
  EXPECT_EQ(stack().stats().tcp_time_wait, 0u);
}

TEST_F(TimeWait, AnEphemeralPortHeldByARecordIsNotChosen) {
  StackConfig c = default_config();
  c.tcp.ephemeral_port_first = c.tcp.ephemeral_port_last = 50000;  // one port to choose from
  configure(c);
  local_.port = 50000;
  const int fd = stack().socket(now());
  ASSERT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
  expect(seg(S, 0));
  active_close_to_time_wait(fd);
  ASSERT_EQ(peer_tcb(), nullptr);
  const int again = stack().socket(now());
  EXPECT_EQ(stack().connect(again, remote_, now()), -EAGAIN);  // the only port's tuple is in TIME_WAIT
  expect_nothing();
  advance(stack().config().tcp.time_wait);
  EXPECT_EQ(stack().connect(again, remote_, now()), -EINPROGRESS);
}

}  // namespace
}  // namespace mtcpp::test
