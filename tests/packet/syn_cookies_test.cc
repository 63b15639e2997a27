// SYN cookies (RFC 4987 §3.6): a listener whose half-open queue is full answers from the SYN
// alone and keeps nothing; the handshake's ACK brings the cookie back and makes the connection.
#include "core/tcp/syn_cookie.h"
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
class SynCookies : public PacketTest {
 protected:
  // Listens (backlog 8) and fills the SYN queue with half-open connections from other ports;
  // the peer then speaks from port 42000.
  void listen_with_full_syn_queue() {
    listen_socket();
    for (int i = 0; i < 8; ++i) {
      remote_.port = static_cast<std::uint16_t>(41000 + i);
      inject(seg(S, 0));
      ASSERT_TRUE(next_sent().has_value());
    }
    remote_.port = 42000;
  }
};

TEST_F(SynCookies, AFullSynQueueAnswersWithACookieAndTheAckMakesTheConnection) {
  listen_with_full_syn_queue();
  const std::size_t before = stack().tcp().connection_count();
  inject(seg(S, 0).with_options(syn_options()));  // MSS 1000
  const std::optional<Seg> synack = next_sent();
  ASSERT_TRUE(synack.has_value());
  EXPECT_EQ(synack->flags, S | A);
  EXPECT_EQ(synack->ack, 1u);
  EXPECT_EQ(stack().tcp().connection_count(), before);  // nothing kept
  EXPECT_EQ(stack().stats().tcp_syncookies_sent, 1u);
  EXPECT_FALSE(synack->options.timestamps.has_value());  // the SYN had none

  inject(seg(A, 1, 1, 20));  // the ACK, with the first request
  EXPECT_EQ(stack().stats().tcp_syncookies_validated, 1u);
  Endpoint peer;
  const int fd = stack().accept(listen_fd_, &peer);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(peer, remote_);
  EXPECT_EQ(state(fd), TcpState::established);
  EXPECT_EQ(stack().bytes_readable(fd), 20);
  // The MSS came back rounded down to the cookie's table: 1000 -> 536.
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_mss, 536);
  EXPECT_FALSE(stack().tcp().tcb(fd)->sack_enabled);
}

TEST_F(SynCookies, AnAckWithAWrongCookieIsResetAndCounted) {
  listen_with_full_syn_queue();
  inject(seg(S, 0));
  ASSERT_TRUE(next_sent().has_value());
  const std::size_t before = stack().tcp().connection_count();
  inject(seg(A, 1, 2));  // one past the cookie
  expect(seg(R, 2));
  EXPECT_EQ(stack().stats().tcp_syncookies_rejected, 1u);
  EXPECT_EQ(stack().stats().tcp_syncookies_validated, 0u);
  EXPECT_EQ(stack().tcp().connection_count(), before);
}

TEST_F(SynCookies, TheTimestampKeepsWindowScaleAndSack) {
  listen_with_full_syn_queue();
  TcpOptions o;
  o.mss = 1460;
  o.window_scale = 7;
  o.sack_permitted = true;
  o.timestamps = TcpTimestamps{peer_ts_, 0};
  inject(seg(S, 0).with_options(o));
  const std::optional<Seg> synack = next_sent();
  ASSERT_TRUE(synack && synack->options.timestamps);
  EXPECT_TRUE(synack->options.sack_permitted);
  EXPECT_TRUE(synack->options.window_scale.has_value());
  const std::uint32_t tsval = synack->options.timestamps->tsval;
  EXPECT_EQ(tsval & 0x3f, 7u | 0x10u);  // window scale 7, SACK
  Seg ack = seg(A, 1, 1);
  ack.options.timestamps = TcpTimestamps{peer_ts_ + 1, tsval};
  inject(ack);
  const int fd = stack().accept(listen_fd_, nullptr);
  ASSERT_GE(fd, 0);
  const Tcb& t = *stack().tcp().tcb(fd);
  EXPECT_TRUE(t.ws_enabled);
  EXPECT_EQ(t.snd_wscale, 7);
  EXPECT_EQ(t.rcv_wscale, *synack->options.window_scale);
  EXPECT_TRUE(t.sack_enabled);
  EXPECT_TRUE(t.ts_enabled);
  EXPECT_EQ(t.snd_mss, 1460 - 12);
  EXPECT_EQ(t.ts_recent, peer_ts_ + 1);
}

TEST_F(SynCookies, ACookieIsGoodForTwoPeriodsOnly) {
  listen_with_full_syn_queue();
  inject(seg(S, 0));
  ASSERT_TRUE(next_sent().has_value());
  advance(2 * std::chrono::microseconds(kCookiePeriodUs) + 1s);
  while (next_sent()) {
  }  // the half-open ones' SYN-ACK retransmissions
  inject(seg(A, 1, 1));
  expect(seg(R, 1));
  EXPECT_EQ(stack().stats().tcp_syncookies_validated, 0u);
}

TEST_F(SynCookies, WithCookiesOffAFullSynQueueDropsTheSyn) {
  StackConfig c = default_config();
  c.tcp.syn_cookies = false;
  configure(c);
  listen_with_full_syn_queue();
  inject(seg(S, 0));
  expect_nothing();
  EXPECT_EQ(stack().stats().tcp_syn_queue_overflows, 1u);
  EXPECT_EQ(stack().stats().tcp_syncookies_sent, 0u);
}

TEST(SynCookieCodec, RoundTripsTheMssAndRefusesOtherTuplesAndOldPeriods) {
  auto keyed_for = [](std::uint64_t salt) { return [salt](std::uint64_t period) { return (period * 0x9e3779b97f4a7c15ull) ^ salt; }; };
  const SeqNum cookie = make_cookie(1000, cookie_mss_index(1460), keyed_for(5));
  EXPECT_EQ(check_cookie(cookie, 1000, keyed_for(5)), std::optional<std::uint16_t>(1460));
  EXPECT_EQ(check_cookie(cookie, 1001, keyed_for(5)), std::optional<std::uint16_t>(1460));  // the next period
  EXPECT_FALSE(check_cookie(cookie, 1002, keyed_for(5)).has_value());                     // too old
  EXPECT_FALSE(check_cookie(cookie, 1000, keyed_for(6)).has_value());                     // another tuple or ISN
  EXPECT_EQ(cookie_mss_index(100), 0u);  // below the table: its first entry
  EXPECT_EQ(kCookieMss[cookie_mss_index(9000)], 8960);
  // The TSval never moves ahead of the clock, and the options come back.
  const std::uint32_t ts = cookie_tsval(1000, {.window_scale = 14, .sack = true});
  EXPECT_LE(ts, 1000u);
  EXPECT_EQ(cookie_options(ts).window_scale, std::optional<std::uint8_t>(14));
  EXPECT_TRUE(cookie_options(ts).sack);
  EXPECT_FALSE(cookie_options(cookie_tsval(1000, {})).window_scale.has_value());
}

}  // namespace
}  // namespace mtcpp::test
