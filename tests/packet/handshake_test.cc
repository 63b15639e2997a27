// Opening a connection: passive and active open, simultaneous open, option negotiation
// (RFC 9293 §3.5, RFC 7323, RFC 2018), and the LISTEN and CLOSED rules (§3.10.7.1-2, S28).
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Handshake = PacketTest;

TEST_F(Handshake, PassiveOpenAnswersSynWithSynAckAndOurMss) {
  listen_socket();
  inject(seg(S, 0).with_options(syn_options()));
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  EXPECT_EQ(synack->flags, S | A);
  EXPECT_EQ(synack->ack, 1u);
  ASSERT_TRUE(synack->options.mss);
  EXPECT_EQ(*synack->options.mss, 1460);
  // The peer offered no window scale, SACK or timestamps, so the SYN-ACK carries none.
  EXPECT_FALSE(synack->options.window_scale);
  EXPECT_FALSE(synack->options.sack_permitted);
  EXPECT_FALSE(synack->options.timestamps);
  inject(seg(A, 1, 1));
  Endpoint peer;
  const int fd = stack().accept(listen_fd_, &peer);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(state(fd), TcpState::established);
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_mss, 1000);
}

TEST_F(Handshake, AllOptionsNegotiatedWhenThePeerOffersThem) {
  listen_socket();
  TcpOptions o = syn_options();
  o.window_scale = 7;
  o.sack_permitted = true;
  o.timestamps = TcpTimestamps{peer_ts_, 0};
  inject(seg(S, 0).with_options(o));
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  ASSERT_TRUE(synack->options.window_scale);
  // Sized for tcp.receive_buffer_max (4 MiB), not the 64 KiB buffer, so SO_RCVBUF can grow it.
  EXPECT_EQ(*synack->options.window_scale, 7);
  EXPECT_TRUE(synack->options.sack_permitted);
  ASSERT_TRUE(synack->options.timestamps);
  EXPECT_EQ(synack->options.timestamps->tsecr, peer_ts_);
  const Tcb* t = peer_tcb();
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->ts_enabled);
  EXPECT_TRUE(t->sack_enabled);
  EXPECT_EQ(t->snd_wscale, 7);
  EXPECT_EQ(t->snd_mss, 1000 - 12);  // timestamps take 12 bytes of every segment
}

TEST_F(Handshake, WindowScaleOfferedForLargeBuffers) {
  StackConfig c = default_config();
  c.tcp.receive_buffer = 16 << 20;  // above tcp.receive_buffer_max (4 MiB): the buffer decides
  configure(c);
  const int fd = syn_sent();
  const Tcb* t = stack().tcp().tcb(fd);
  EXPECT_EQ(t->rcv_wscale, 9);  // 16 MiB >> 9 fits 16 bits, >> 8 does not
}

TEST_F(Handshake, ActiveOpenCompletesOnSynAck) {
  const int fd = syn_sent();
  EXPECT_EQ(state(fd), TcpState::syn_sent);
  inject(seg(S | A, 0, 1).with_options(syn_options()));
  expect(seg(A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::established);
  EXPECT_TRUE(stack().readiness(fd) & readiness::out);
}

TEST_F(Handshake, SynRetransmittedWithBackoffThenTimesOut) {
  StackConfig c = default_config();
  c.tcp.syn_timeout = c.tcp.rto_initial * 7;  // SYNs at 0, 1 and 3 RTOs; given up at 7
  configure(c);
  const int fd = syn_sent();
  const Duration r = c.tcp.rto_initial;
  advance(r - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(S, 0));
  advance(2 * r);
  expect(seg(S, 0));
  advance(4 * r);
  expect_nothing();
  EXPECT_EQ(state(fd), TcpState::closed);
  int err = 0;
  EXPECT_EQ(stack().get_option(fd, SocketOption::error, &err), 0);
  EXPECT_EQ(err, ETIMEDOUT);
}

TEST_F(Handshake, SimultaneousOpen) {
  const int fd = syn_sent();
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  EXPECT_EQ(state(fd), TcpState::syn_received);
  inject(seg(S | A, 0, 1).with_options(syn_options()));
  // Already synchronized by the SYN: the SYN-ACK's SYN draws a challenge ACK, its ACK completes.
  EXPECT_EQ(state(fd), TcpState::syn_received);
  inject(seg(A, 1, 1));
  EXPECT_EQ(state(fd), TcpState::established);
}

TEST_F(Handshake, ListenBacklogBoundsEmbryonicConnectionsThenCookiesAnswer) {
  listen_socket();
  for (int i = 0; i < 8; ++i) {
    remote_.port = static_cast<std::uint16_t>(41000 + i);
    inject(seg(S, 0));
    expect(seg(S | A, 0, 1));
  }
  // The SYN queue is full: a SYN cookie answers (syn_cookies_test.cc), nothing is kept.
  const std::size_t before = stack().tcp().connection_count();
  remote_.port = 42000;
  inject(seg(S, 0));
  const std::optional<Seg> synack = next_sent();
  ASSERT_TRUE(synack.has_value());
  EXPECT_EQ(synack->flags, S | A);
  EXPECT_EQ(stack().tcp().connection_count(), before);
  EXPECT_EQ(stack().stats().tcp_syncookies_sent, 1u);
}

TEST_F(Handshake, AFullConnectionTableRefusesASynWithAReset) {
  StackConfig c = default_config();
  c.tcp.max_connections = 2;  // the listener and one child
  configure(c);
  listen_socket();
  remote_.port = 41000;
  inject(seg(S, 0));
  expect(seg(S | A, 0, 1));
  remote_.port = 41001;
  inject(seg(S, 0));
  // Refused at once, as a closed port answers (RFC 9293 §3.10.7.1): the client sees ECONNREFUSED.
  our_iss_ = 0;
  expect(seg(R | A, 0, 1));
  EXPECT_EQ(stack().stats().tcp_table_full_resets, 1u);
  EXPECT_EQ(stack().stats().tcp_listen_overflows, 0u);
  EXPECT_EQ(stack().socket(now()), -ENFILE);
}

TEST_F(Handshake, AFullConnectionTableEndsTheOldestTimeWaitToTakeASyn) {
  StackConfig c = default_config();
  c.tcp.max_connections = 2;  // the listener and one connection
  configure(c);
  time_wait();  // L closed first: the connection rests in TIME_WAIT, its id gone
  ASSERT_EQ(stack().stats().tcp_time_wait, 1u);
  remote_.port = 41000;
  inject(seg(S, 0));
  const std::optional<Seg> reply = next_sent();
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->flags, S | A);  // taken, not refused
  EXPECT_EQ(stack().stats().tcp_time_wait_reclaimed, 1u);
  EXPECT_EQ(stack().stats().tcp_time_wait, 0u);
  EXPECT_EQ(stack().stats().tcp_table_full_resets, 0u);
}

// S28: segments with no connection, and the LISTEN state.
TEST_F(Handshake, S28_ClosedPortAnswersWithAcceptableResets) {
  local_.port = 8081;
  inject(seg(S, 0));
  expect(seg(R | A, 0, 1));
  our_iss_ = 0;
  inject(seg(A, 1, 100));
  expect(seg(R, 100));
  inject(seg(F, 5));
  expect(seg(R | A, 0, 6));
  inject(seg(P | A, 1, 7, 10));
  expect(seg(R, 7));
  inject(seg(R, 1));
  inject(seg(R | A, 1, 1));
  expect_nothing();
}

TEST_F(Handshake, S28_ListenIgnoresRstResetsAckDropsBareSegments) {
  listen_socket();
  our_iss_ = 0;
  inject(seg(R, 1));
  expect_nothing();
  inject(seg(A, 1, 9));
  expect(seg(R, 9));
  inject(seg(P, 1, 0, 5));
  expect_nothing();
}

}  // namespace
}  // namespace mtcpp::test

namespace mtcpp::test {
namespace {

using Orphans = PacketTest;

TEST_F(Orphans, PastMaxOrphansTheOldestIsReset) {
  StackConfig c = default_config();
  c.tcp.max_orphans = 2;
  configure(c);
  listen_socket();
  std::vector<int> fds;
  for (std::uint16_t port : {40000, 40001, 40002}) {
    remote_.port = port;
    inject(seg(S, 0));
    ASSERT_TRUE(next_sent().has_value());
    inject(seg(A, 1, 1));
    fds.push_back(stack().accept(listen_fd_, nullptr));
    ASSERT_GE(fds.back(), 0);
  }
  // Each is closed and sends its FIN, which the peer never acknowledges: FIN_WAIT_1 orphans.
  for (int fd : fds) ASSERT_EQ(stack().close(fd, now()), 0);
  EXPECT_EQ(stack().stats().tcp_orphans_reset, 1u);
  EXPECT_EQ(stack().tcp().find(local_, {remote_.addr, 40000}), nullptr);  // the oldest, reset
  ASSERT_NE(stack().tcp().find(local_, {remote_.addr, 40001}), nullptr);
  EXPECT_EQ(stack().tcp().find(local_, {remote_.addr, 40001})->state, TcpState::fin_wait_1);
  ASSERT_NE(stack().tcp().find(local_, {remote_.addr, 40002}), nullptr);
  bool reset_sent = false;
  while (const std::optional<Seg> s = next_sent()) reset_sent = reset_sent || (s->flags & R) != 0;
  EXPECT_TRUE(reset_sent);
}

}  // namespace
}  // namespace mtcpp::test
