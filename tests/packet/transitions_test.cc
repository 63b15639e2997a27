// Every arc of RFC 9293's state diagram (§3.3.2, figure 5), each from its own fixture, asserting
// the segment that leaves and the state that results.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
class Transition : public PacketTest {
 protected:
  TcpState conn_state() const { return peer_state(); }
};

TEST_F(Transition, ClosedToListenOnPassiveOpen) {
  const int l = listen_socket();
  EXPECT_EQ(state(l), TcpState::listen);
  expect_nothing();
}

TEST_F(Transition, ListenToSynReceivedOnSyn) {
  listen_socket();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  EXPECT_EQ(conn_state(), TcpState::syn_received);
}

TEST_F(Transition, ListenToClosedOnClose) {
  const int l = listen_socket();
  EXPECT_EQ(stack().close(l, now()), 0);
  expect_nothing();
  EXPECT_EQ(stack().tcp().tcb(l), nullptr);
  EXPECT_EQ(stack().tcp().connection_count(), 0u);
}

TEST_F(Transition, ListenDoesNotSendOnConnect) {
  // RFC 9293 lets SEND move LISTEN to SYN-SENT; like every POSIX stack, a listener cannot connect.
  const int l = listen_socket();
  EXPECT_EQ(stack().connect(l, remote_, now()), -EINVAL);
  expect_nothing();
}

TEST_F(Transition, ClosedToSynSentOnActiveOpen) {
  const int fd = syn_sent();
  EXPECT_EQ(state(fd), TcpState::syn_sent);
}

TEST_F(Transition, SynSentToClosedOnClose) {
  const int fd = syn_sent();
  EXPECT_EQ(stack().close(fd, now()), 0);
  expect_nothing();
  EXPECT_EQ(stack().tcp().connection_count(), 0u);
}

TEST_F(Transition, SynSentToSynReceivedOnSyn) {
  const int fd = syn_received();
  EXPECT_EQ(state(fd), TcpState::syn_received);
}

TEST_F(Transition, SynSentToEstablishedOnSynAck) {
  const int fd = syn_sent();
  inject(seg(S | A, 0, 1));
  expect(seg(A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::established);
}

TEST_F(Transition, SynReceivedToEstablishedOnAck) {
  const int fd = syn_received();
  inject(seg(A, 1, 1));
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::established);
}

TEST_F(Transition, SynReceivedToFinWait1OnClose) {
  const int fd = syn_received();
  EXPECT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 1, 1));
  EXPECT_EQ(conn_state(), TcpState::fin_wait_1);
}

TEST_F(Transition, SynReceivedBackToListenOnRst) {
  listen_socket();
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  inject(seg(R, 1));
  EXPECT_EQ(peer_tcb(), nullptr);
  EXPECT_EQ(state(listen_fd_), TcpState::listen);
}

TEST_F(Transition, EstablishedToFinWait1OnClose) {
  fin_wait_1();
  EXPECT_EQ(conn_state(), TcpState::fin_wait_1);
}

TEST_F(Transition, EstablishedToCloseWaitOnFin) {
  const int fd = close_wait();
  EXPECT_EQ(state(fd), TcpState::close_wait);
}

TEST_F(Transition, FinWait1ToFinWait2OnAckOfFin) {
  fin_wait_2();
  expect_nothing();
  EXPECT_EQ(conn_state(), TcpState::fin_wait_2);
}

TEST_F(Transition, FinWait1ToClosingOnFin) {
  closing();
  EXPECT_EQ(conn_state(), TcpState::closing);
}

TEST_F(Transition, FinWait1ToTimeWaitOnFinAckingOurFin) {
  fin_wait_1();
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  EXPECT_EQ(conn_state(), TcpState::time_wait);
}

TEST_F(Transition, FinWait2ToTimeWaitOnFin) {
  time_wait();
  EXPECT_EQ(conn_state(), TcpState::time_wait);
}

TEST_F(Transition, ClosingToTimeWaitOnAckOfFin) {
  closing();
  inject(seg(A, 2, 2));
  expect_nothing();
  EXPECT_EQ(conn_state(), TcpState::time_wait);
}

TEST_F(Transition, CloseWaitToLastAckOnClose) {
  last_ack();
  EXPECT_EQ(conn_state(), TcpState::last_ack);
}

TEST_F(Transition, LastAckToClosedOnAckOfFin) {
  last_ack();
  inject(seg(A, 2, 2));
  expect_nothing();
  EXPECT_EQ(peer_tcb(), nullptr);
}

TEST_F(Transition, TimeWaitToClosedAfterTwoMsl) {
  time_wait();
  advance(stack().config().tcp.time_wait);
  EXPECT_FALSE(peer_alive());
  expect_nothing();
}

TEST_F(Transition, StateHistoryRecordsThePath) {
  fin_wait_2();
  const Tcb* t = peer_tcb();
  ASSERT_NE(t, nullptr);
  const TcpState want[] = {TcpState::syn_received, TcpState::established, TcpState::fin_wait_1,
                           TcpState::fin_wait_2};
  ASSERT_EQ(t->history_len, std::size(want));
  for (std::size_t i = 0; i < std::size(want); ++i) EXPECT_EQ(t->history_at(i), want[i]) << i;
}

}  // namespace
}  // namespace mtcpp::test
