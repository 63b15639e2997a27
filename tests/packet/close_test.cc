// Teardown: the close scenarios of close-scenarios.md (S01-S30) that the packet DSL can stage
// against the core's socket calls. Times are read from the knobs, never constants.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Close = PacketTest;

std::vector<std::uint8_t> bytes(std::size_t n) { return std::vector<std::uint8_t>(n, 'x'); }

TEST_F(Close, S01_ActiveCloseFourWay) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  std::vector<std::uint8_t> buf(10);
  EXPECT_EQ(stack().recv(fd, buf, now()), -EBADF);
  EXPECT_EQ(stack().send(fd, buf, now()), -EBADF);
  EXPECT_EQ(peer_state(), TcpState::fin_wait_1);
  advance(10ms);
  inject(seg(A, 1, 2));
  expect_nothing();
  EXPECT_EQ(peer_state(), TcpState::fin_wait_2);
  advance(10ms);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(peer_state(), TcpState::time_wait);
  EXPECT_EQ(peer_tcb(), nullptr) << "an orphan in TIME_WAIT keeps a record, not its block";
  EXPECT_EQ(stack().tcp().tcb(listen_fd_)->state, TcpState::listen);
}

TEST_F(Close, S02_PassiveCloseEofWriteInCloseWaitLastAck) {
  const int fd = established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  EXPECT_EQ(state(fd), TcpState::close_wait);
  EXPECT_TRUE(stack().readiness(fd) & readiness::in);
  EXPECT_TRUE(stack().readiness(fd) & readiness::rdhup);
  std::vector<std::uint8_t> buf(100);
  EXPECT_EQ(stack().recv(fd, buf, now()), 0);
  EXPECT_EQ(stack().recv(fd, buf, now()), 0);
  EXPECT_EQ(stack().send(fd, bytes(1000), now()), 1000);
  expect(seg(P | A, 1, 2, 1000));
  inject(seg(A, 2, 1001));
  EXPECT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1001, 2));
  inject(seg(A, 2, 1002));
  expect_nothing();
  EXPECT_EQ(peer_tcb(), nullptr);
  inject(seg(A, 2, 1002));
  expect(seg(R, 1002));
}

TEST_F(Close, S03a_SimultaneousCloseThroughClosing) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 1));
  expect(seg(A, 2, 2));
  EXPECT_EQ(peer_state(), TcpState::closing);
  // P's ACK of our FIN is lost: the FIN is retransmitted from CLOSING after one RTO.
  const Duration r = peer_tcb()->rtt.rto();
  advance(r);
  expect(seg(F | A, 1, 2));
  inject(seg(A, 2, 2));
  expect_nothing();
  EXPECT_EQ(peer_state(), TcpState::time_wait);
}

TEST_F(Close, S03b_FinThatAcksOurFinGoesStraightToTimeWait) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(peer_state(), TcpState::time_wait);
  advance(10s);
  expect_nothing();
}

TEST_F(Close, S04_CloseInSynReceivedSendsFin) {
  const int fd = syn_sent();
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  EXPECT_EQ(peer_state(), TcpState::fin_wait_1);
  inject(seg(A, 1, 2));
  EXPECT_EQ(peer_state(), TcpState::fin_wait_2);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(peer_state(), TcpState::time_wait);
}

TEST_F(Close, S05_FinWithDataGetsOneAck) {
  const int fd = established();
  inject(seg(F | P | A, 1, 1, 1000));
  expect(seg(A, 1, 1002));
  expect_nothing();
  EXPECT_EQ(stack().bytes_readable(fd), 1000);
  std::vector<std::uint8_t> buf(4000);
  EXPECT_EQ(stack().recv(fd, buf, now()), 1000);
  EXPECT_EQ(stack().recv(fd, buf, now()), 0);
}

TEST_F(Close, S06_FinFollowsTheData) {
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(1000), now()), 1000);
  EXPECT_EQ(stack().close(fd, now()), 0);
  expect(seg(P | A, 1, 1, 1000));
  expect(seg(F | A, 1001, 1));
  inject(seg(A, 1, 1002));
  EXPECT_EQ(peer_state(), TcpState::fin_wait_2);
  advance(5s);
  expect_nothing();
}

TEST_F(Close, S07_HalfCloseKeepsReceiving) {
  const int fd = established();
  EXPECT_EQ(stack().shutdown(fd, Shutdown::write, now()), 0);
  expect(seg(F | A, 1, 1));
  EXPECT_EQ(stack().send(fd, bytes(10), now()), -EPIPE);
  inject(seg(A, 1, 2));
  expect_nothing();
  inject(seg(P | A, 1, 2, 1000));
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 2, 1001));
  std::vector<std::uint8_t> buf(2000);
  EXPECT_EQ(stack().recv(fd, buf, now()), 1000);
  inject(seg(F | A, 1001, 2));
  expect(seg(A, 2, 1002));
  EXPECT_EQ(state(fd), TcpState::time_wait);
  EXPECT_EQ(stack().recv(fd, buf, now()), 0);
  EXPECT_EQ(stack().close(fd, now()), 0);
  expect_nothing();
}

TEST_F(Close, S07_FinWait2AfterShutdownHasNoOrphanTimer) {
  const int fd = established();
  EXPECT_EQ(stack().shutdown(fd, Shutdown::write, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  advance(stack().config().tcp.fin_wait_2_timeout * 2);
  EXPECT_EQ(state(fd), TcpState::fin_wait_2);
  expect_nothing();
}

TEST_F(Close, S08a_ShutdownReadThenWriteStillWorks) {
  const int fd = established();
  EXPECT_EQ(stack().shutdown(fd, Shutdown::read, now()), 0);
  expect_nothing();
  std::vector<std::uint8_t> buf(10);
  EXPECT_EQ(stack().recv(fd, buf, now()), 0);
  EXPECT_EQ(stack().send(fd, bytes(1000), now()), 1000);
  expect(seg(P | A, 1, 1, 1000));
  // Data after SHUT_RD is acknowledged and discarded, never answered with RST.
  inject(seg(P | A, 1, 1001, 100));
  expect(seg(A, 1001, 101));
  EXPECT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1001, 101));
}

TEST_F(Close, S08b_ShutdownBothSendsFin) {
  const int fd = established();
  EXPECT_EQ(stack().shutdown(fd, Shutdown::both, now()), 0);
  expect(seg(F | A, 1, 1));
  std::vector<std::uint8_t> buf(10);
  EXPECT_EQ(stack().recv(fd, buf, now()), 0);
  EXPECT_EQ(stack().send(fd, buf, now()), -EPIPE);
}

TEST_F(Close, S09_LostFinRetransmittedWithDoublingIntervals) {
  const int fd = established();
  const Duration r = rto(fd);
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  advance(r);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 1));  // a duplicate ACK does not stop the retransmissions
  advance(2 * r);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  advance(8 * r);
  expect_nothing();
  EXPECT_EQ(peer_state(), TcpState::fin_wait_2);
}

TEST_F(Close, S10a_DuplicateFinInCloseWaitIsAcked) {
  const int fd = established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  EXPECT_EQ(state(fd), TcpState::close_wait);
}

TEST_F(Close, S10b_RetransmittedFinRestartsTimeWait) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Duration tw = stack().config().tcp.time_wait;
  advance(tw / 2);
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Instant t1 = now();
  advance_to(t1 + tw - 1ms);
  ASSERT_TRUE(peer_alive());
  EXPECT_EQ(peer_state(), TcpState::time_wait);
  advance(2ms);
  EXPECT_FALSE(peer_alive());
}

TEST_F(Close, S11a_LastAckRetransmitsFinUntilAcked) {
  const int fd = established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  const Duration r = rto(fd);
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 2));
  advance(r);
  expect(seg(F | A, 1, 2));
  advance(2 * r);
  expect(seg(F | A, 1, 2));
  inject(seg(A, 2, 2));
  expect_nothing();
  EXPECT_EQ(peer_tcb(), nullptr);
  inject(seg(A, 2, 2));
  expect(seg(R, 2));
}

TEST_F(Close, S11b_LastAckGivesUpAfterRetries) {
  StackConfig c = default_config();
  c.tcp.data_retries = 3;
  configure(c);
  const int fd = established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  ASSERT_EQ(stack().close(fd, now()), 0);
  advance(c.tcp.rto_max * 8);
  EXPECT_EQ(peer_tcb(), nullptr);
  EXPECT_EQ(stack().stats().tcp_timeouts, 1u);
  while (next_sent()) {
  }
  inject(seg(A, 2, 2));
  expect(seg(R, 2));
}

TEST_F(Close, S12_OutOfOrderFinWaitsForTheHole) {
  TcpOptions o = syn_options();
  o.sack_permitted = true;
  const int fd = established(o);
  inject(seg(F | A, 1001, 1));
  auto dup = next_sent();
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->flags, A);
  EXPECT_EQ(dup->ack, 1u);
  // The FIN's sequence number is held out of order: SACK 1001:1002, as S12 asks (and Linux sends).
  ASSERT_EQ(dup->options.sack_count, 1u);
  EXPECT_EQ(dup->options.sack[0].left - peer_iss_, 1001u);
  EXPECT_EQ(dup->options.sack[0].right - peer_iss_, 1002u);
  std::vector<std::uint8_t> buf(2000);
  EXPECT_EQ(stack().recv(fd, buf, now()), -EAGAIN);
  EXPECT_FALSE(stack().readiness(fd) & readiness::in);
  inject(seg(A, 1, 1, 1000));
  expect(seg(A, 1, 1002));
  EXPECT_EQ(state(fd), TcpState::close_wait);
  EXPECT_EQ(stack().recv(fd, buf, now()), 1000);
  EXPECT_EQ(stack().recv(fd, buf, now()), 0);
}

TEST_F(Close, S12_ReorderedDataWithFinIsSacked) {
  TcpOptions o = syn_options();
  o.sack_permitted = true;
  const int fd = established(o);
  inject(seg(F | P | A, 1001, 1, 1000));
  auto dup = next_sent();
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->ack, 1u);
  ASSERT_EQ(dup->options.sack_count, 1u);
  EXPECT_EQ(dup->options.sack[0].left - peer_iss_, 1001u);
  EXPECT_EQ(dup->options.sack[0].right - peer_iss_, 2002u);  // the FIN at 2001 included
  inject(seg(A, 1, 1, 1000));
  expect(seg(A, 1, 2002));
  EXPECT_EQ(state(fd), TcpState::close_wait);
}

TEST_F(Close, S13_OrphanedFinWait2TimesOutSilently) {
  const int fd = established();
  const Instant t_close = now();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  const Duration fw2 = stack().config().tcp.fin_wait_2_timeout;
  advance_to(t_close + fw2 - 1ms);
  ASSERT_NE(peer_tcb(), nullptr);
  expect_nothing();
  advance(2ms);
  EXPECT_EQ(peer_tcb(), nullptr);
  expect_nothing();
  inject(seg(F | A, 1, 2));
  expect(seg(R, 2));
}

TEST_F(Close, S14_FinRetransmissionExhaustedReportsTimeout) {
  StackConfig c = default_config();
  c.tcp.data_retries = 2;
  configure(c);
  const int fd = established();
  EXPECT_EQ(stack().shutdown(fd, Shutdown::write, now()), 0);
  advance(c.tcp.rto_max * 4);
  std::vector<std::uint8_t> buf(10);
  EXPECT_TRUE(stack().readiness(fd) & readiness::err);
  EXPECT_TRUE(stack().readiness(fd) & readiness::hup);
  EXPECT_EQ(stack().recv(fd, buf, now()), -ETIMEDOUT);
  int err = -1;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, 0);
  EXPECT_EQ(stack().send(fd, buf, now()), -EPIPE);
}

TEST_F(Close, S15_UnreadDataMakesCloseReset) {
  const int fd = established();
  inject(seg(P | A, 1, 1, 1000));
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 1, 1001));
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(R | A, 1, 1001));
  EXPECT_EQ(peer_tcb(), nullptr);
  advance(10s);
  expect_nothing();
  inject(seg(A, 1001, 1));
  expect(seg(R, 1));
}

TEST_F(Close, S15_UnreadFinAloneClosesGracefully) {
  const int fd = established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 2));
}

TEST_F(Close, S16_DataAfterCloseIsReset) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  inject(seg(P | A, 1, 2, 1000));
  expect(seg(R | A, 2, 1));
  EXPECT_EQ(peer_tcb(), nullptr);
}

TEST_F(Close, S17_UnackedDataInFlightClosesGracefully) {
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(3000), now()), 3000);
  expect(seg(A, 1, 1, 1000));
  expect(seg(A, 1001, 1, 1000));
  expect(seg(P | A, 2001, 1, 1000));
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 3001, 1));
  inject(seg(A, 1, 1001));
  advance(peer_tcb()->rtt.rto());
  expect(seg(A, 1001, 1, 1000));
  inject(seg(A, 1, 3002));
  EXPECT_EQ(peer_state(), TcpState::fin_wait_2);
}

TEST_F(Close, S18_ZeroWindowHoldsTheFinAndProbes) {
  const int fd = established();
  inject(seg(A, 1, 1).with_win(1000));  // the peer's window: one segment
  EXPECT_EQ(stack().send(fd, bytes(5000), now()), 5000);
  expect(seg(A, 1, 1, 1000));
  expect_nothing();
  inject(seg(A, 1, 1001).with_win(0));
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect_nothing();  // no FIN while 4000 bytes are unsent
  const Duration r = rto(fd);
  advance(r);
  expect(seg(A, 1001, 1, 1));  // zero-window probe: one octet at SND.UNA
  inject(seg(A, 1, 1001).with_win(0));
  advance(r);
  expect_nothing();  // the interval grows
  advance(r);
  expect(seg(A, 1001, 1, 1));
  inject(seg(A, 1, 1001).with_win(0));
  EXPECT_EQ(peer_state(), TcpState::fin_wait_1);
  inject(seg(A, 1, 1001).with_win(65535));
  for (std::uint32_t s = 1001; s < 4001; s += 1000) expect(seg(A, s, 1, 1000));
  // The FIN at 5001 rides on the last data segment or follows it; both are right (S06).
  auto last = next_sent();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->seq, 4001u);
  EXPECT_EQ(last->len, 1000u);
  if (!(last->flags & F)) expect(seg(F | A, 5001, 1));
  inject(seg(A, 1, 5002));
  EXPECT_EQ(peer_state(), TcpState::fin_wait_2);
}

TEST_F(Close, S19_LingerZeroAborts) {
  const int fd = established();
  EXPECT_EQ(stack().send(fd, bytes(3000), now()), 3000);
  while (next_sent()) {
  }
  inject(seg(A, 1, 1001));
  EXPECT_EQ(stack().set_option(fd, SocketOption::linger_abort, 1, now()), 0);
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(R | A, 3001, 1));
  EXPECT_EQ(peer_tcb(), nullptr);
  advance(10s);
  expect_nothing();
  inject(seg(S, 5000).with_options(syn_options()));
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
}

TEST_F(Close, S20_CloseInSynSentSendsNothing) {
  const int fd = syn_sent();
  const Duration r = rto(fd);
  ASSERT_EQ(stack().close(fd, now()), 0);
  advance(4 * r);
  expect_nothing();
  inject(seg(S | A, 0, 1));
  expect(seg(R, 1));
}

TEST_F(Close, S21_ListenerClosedWithEmbryo) {
  listen_socket();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  ASSERT_EQ(stack().close(listen_fd_, now()), 0);
  expect(seg(R | A, 1, 1));
  advance(10s);
  expect_nothing();
  inject(seg(A, 1, 1));
  expect(seg(R, 1));
  our_iss_ = 0;
  inject(seg(S, 0));
  expect(seg(R | A, 0, 1));
  // The port is free at once.
  listen_socket();
  EXPECT_EQ(stack().tcp().tcb(listen_fd_)->state, TcpState::listen);
}

TEST_F(Close, S22_ListenerClosedResetsUnacceptedChildren) {
  listen_socket();
  const std::uint32_t iss = 0;
  (void)iss;
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  inject(seg(A, 1, 1));
  inject(seg(P | A, 1, 1, 100));
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 1, 101));
  const int l = listen_fd_;
  ASSERT_EQ(stack().close(l, now()), 0);
  expect(seg(R | A, 1, 101));
  Endpoint peer;
  EXPECT_EQ(stack().accept(l, &peer), -EBADF);
  EXPECT_EQ(stack().tcp().connection_count(), 0u);
}

TEST_F(Close, S23a_ExactRstInSynReceivedRemovesTheEmbryo) {
  listen_socket();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  inject(seg(R, 1));
  expect_nothing();
  Endpoint peer;
  EXPECT_EQ(stack().accept(listen_fd_, &peer), -EAGAIN);
  advance(5s);
  expect_nothing();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
}

TEST_F(Close, S23bc_OtherRstsInSynReceived) {
  listen_socket();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  inject(seg(R, 9000000));
  expect_nothing();  // (b) out of window: dropped
  advance(stack().config().tcp.rto_initial);
  expect(seg(S | A, 0, 1));  // and the SYN-ACK is retransmitted at the initial RTO
  inject(seg(R, 2));
  expect(seg(A, 1, 1));  // in window, not exact: challenge ACK (RFC 5961 §3.2)
  ASSERT_NE(peer_tcb(), nullptr);
}

TEST_F(Close, S24a_RstWithAcceptableAckRefusesConnect) {
  const int fd = syn_sent();
  inject(seg(R | A, 0, 1));
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::closed);
  EXPECT_TRUE(stack().readiness(fd) & readiness::err);
  EXPECT_TRUE(stack().readiness(fd) & readiness::hup);
  int err = 0;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, ECONNREFUSED);
}

TEST_F(Close, S24bc_OtherRstsInSynSentAreIgnored) {
  const int fd = syn_sent();
  inject(seg(R, 0));
  expect_nothing();
  inject(seg(R | A, 0, 77));
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::syn_sent);
  advance(rto(fd));
  expect(seg(S, 0));
}

TEST_F(Close, S25_ExactRstInEstablished) {
  const int fd = established();
  inject(seg(R | A, 1, 1));
  expect_nothing();
  const std::uint32_t r = stack().readiness(fd);
  EXPECT_TRUE(r & readiness::in);
  EXPECT_TRUE(r & readiness::err);
  EXPECT_TRUE(r & readiness::hup);
  std::vector<std::uint8_t> buf(10);
  EXPECT_EQ(stack().recv(fd, buf, now()), -ECONNRESET);
  EXPECT_EQ(stack().send(fd, buf, now()), -EPIPE);
  EXPECT_EQ(stack().close(fd, now()), 0);
  expect_nothing();
  inject(seg(A, 1, 1));
  expect(seg(R, 1));
}

TEST_F(Close, S26_BlindAttackDefences) {
  const int fd = established();
  const Duration apart = stack().config().tcp.challenge_ack_interval;  // one challenge ACK each
  inject(seg(R, 501));
  expect(seg(A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::established);
  inject(seg(R, 70001));
  expect_nothing();
  advance(apart);
  inject(seg(S, 12345));
  expect(seg(A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::established);
  advance(apart);
  inject(seg(F | A, 1, 5000));
  expect(seg(A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::established) << "a FIN acknowledging unsent data is not processed";
  inject(seg(R, 1));
  EXPECT_EQ(state(fd), TcpState::closed);
}

TEST_F(Close, S26e_ChallengeAckRateLimit) {
  // The stack-wide budget alone (no per-connection interval): a random 2..4 per second for a
  // limit of 3 (CVE-2016-5696: a fixed budget is a side channel).
  StackConfig c = default_config();
  c.tcp.challenge_ack_limit = 3;
  c.tcp.challenge_ack_interval = Duration::zero();
  configure(c);
  established();
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

TEST_F(Close, S26f_OneChallengeAckPerConnectionPerInterval) {
  const int fd = established();
  const Duration apart = stack().config().tcp.challenge_ack_interval;
  for (int i = 0; i < 50; ++i) inject(seg(R, 501));
  expect(seg(A, 1, 1));
  expect_nothing();
  EXPECT_EQ(stack().stats().tcp_challenge_acks_suppressed, 49u);
  advance(apart - 1ms);
  inject(seg(R, 501));
  expect_nothing();
  advance(1ms);
  inject(seg(R, 501));
  expect(seg(A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::established);
}

TEST_F(Close, S26g_SpoofedRstsOnOneConnectionLeaveAnothersChallengeAcksAlone) {
  // CVE-2016-5696: an off-path attacker floods in-window RSTs spoofed on a victim's connection and
  // counts the challenge ACKs its own connection still gets in that second. The answer must not
  // depend on the flood.
  const auto own_connection_acks = [&](bool flood) {
    configure(default_config());
    remote_.port = 40000;
    established();  // the victim's connection
    remote_.port = 40001;
    listen_fd_ = -1;
    inject(seg(S, 0).with_options(syn_options()));  // the attacker's own, on the same listener
    auto synack = next_sent();
    EXPECT_TRUE(synack && synack->flags == (S | A));
    inject(seg(A, 1, 1));
    while (next_sent()) {
    }
    if (flood) {
      remote_.port = 40000;
      for (int i = 0; i < 2000; ++i) inject(seg(R, 501));
      while (next_sent()) {
      }
    }
    remote_.port = 40001;
    const std::uint64_t before = stack().stats().tcp_challenge_acks;
    for (int i = 0; i < 20; ++i) inject(seg(R, 501));
    return stack().stats().tcp_challenge_acks - before;
  };
  const std::uint64_t quiet = own_connection_acks(false);
  const std::uint64_t flooded = own_connection_acks(true);
  EXPECT_EQ(quiet, 1u);
  EXPECT_EQ(flooded, quiet) << "the flood on another connection changed what the attacker sees";
}

TEST_F(Close, S27_ExactRstInFinWait1StopsRetransmission) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(R, 1));
  EXPECT_EQ(peer_tcb(), nullptr);
  advance(30s);
  expect_nothing();
}

TEST_F(Close, S27_ExactRstInTimeWaitFreesTheTuple) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  inject(seg(R, 2));
  expect_nothing();
  EXPECT_EQ(peer_tcb(), nullptr);
}

TEST_F(Close, S27_Rfc1337KnobIgnoresRstInTimeWait) {
  StackConfig c = default_config();
  c.tcp.rfc1337_ignore_rst_in_time_wait = true;
  configure(c);
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  inject(seg(R, 2));
  expect_nothing();
  ASSERT_TRUE(peer_alive());
  EXPECT_EQ(peer_state(), TcpState::time_wait);
}

TEST_F(Close, S29_TimeWaitLastsTheKnobThenResets) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const Instant t0 = now();
  EXPECT_EQ(stack().stats().tcp_time_wait, 1u);
  inject(seg(A, 2, 2));
  expect_nothing();
  advance_to(t0 + stack().config().tcp.time_wait - 1ms);
  expect_nothing();
  ASSERT_TRUE(peer_alive());
  advance(2ms);
  EXPECT_FALSE(peer_alive());
  EXPECT_EQ(stack().stats().tcp_time_wait, 0u);
  inject(seg(A, 2, 2));
  expect(seg(R, 2));
}

TEST_F(Close, S29_ClientTupleInTimeWaitIsNotReused) {
  active_close_to_time_wait(syn_sent());
  const int again = stack().socket(now());
  EXPECT_EQ(stack().bind(again, local_), -EADDRINUSE);
}

TEST_F(Close, S30a_NewerSynReopensTimeWait) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  const std::uint32_t old_iss = our_iss_;
  inject(seg(S, 100000).with_options(syn_options()));
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
  EXPECT_GT(static_cast<std::int32_t>(our_iss_ - (old_iss + 2)), 0) << "ISS' > SND.NXT of the old incarnation";
}

TEST_F(Close, S30b_OldSynInTimeWaitIsNotANewConnection) {
  const int fd = established();
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  inject(seg(S, 0));
  auto got = next_sent();
  if (got) {
    EXPECT_EQ(got->flags, A) << "never a SYN-ACK or RST";
  }
  EXPECT_EQ(peer_state(), TcpState::time_wait);
}

}  // namespace
}  // namespace mtcpp::test
