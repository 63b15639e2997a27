// Rekeying (RFC 6528 §3 lets the key change): Stack::rekey gives ISNs, ephemeral ports and SYN
// cookies a new 128-bit key. A tuple's timestamps keep their offset, so a reconnection after a
// rekey still carries newer timestamps than the connection before it (RFC 6191); a cookie sent
// under the old key still makes its connection.
#include "core/tcp/isn.h"
#include "core/tcp/syn_cookie.h"
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

class Rekey : public PacketTest {
 protected:
  void SetUp() override {
    StackConfig c = default_config();
    c.secret = std::array<std::uint64_t, 2>{0x0123456789abcdefull, 0xfedcba9876543210ull};
    configure(c);
  }
  // Connects from local_ to remote_ and aborts at once; returns the SYN (seq relative to the
  // first SYN's ISS).
  Seg syn_then_abort() {
    const int fd = stack().socket(now());
    EXPECT_EQ(stack().bind(fd, local_), 0);
    EXPECT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
    std::optional<Seg> syn = next_sent();
    EXPECT_TRUE(syn && syn->flags == S);
    EXPECT_EQ(stack().abort(fd, now()), 0);  // SYN_SENT: nothing to reset, no TIME_WAIT
    expect_nothing();
    return syn.value_or(Seg{});
  }
};

TEST_F(Rekey, ANewKeyMovesATuplesIsnButNotItsTimestamps) {
  const Seg first = syn_then_abort();
  advance(1s);
  const Seg same_key = syn_then_abort();
  // One key: the ISN moves only with RFC 6528's 4 µs clock.
  EXPECT_EQ(same_key.seq - first.seq, 250'000u);
  advance(1s);
  stack().rekey({0x1111111111111111ull, 0x2222222222222222ull}, now());
  EXPECT_EQ(stack().stats().tcp_rekeys, 1u);
  const Seg new_key = syn_then_abort();
  EXPECT_NE(new_key.seq - same_key.seq, 250'000u);  // the keyed term changed
  ASSERT_TRUE(same_key.options.timestamps && new_key.options.timestamps);
  // The timestamp clock runs on, offset as before: newer than what the peer last saw.
  EXPECT_EQ(new_key.options.timestamps->tsval - same_key.options.timestamps->tsval, 1000u);
}

TEST_F(Rekey, ACookieSentBeforeARekeyStillMakesItsConnection) {
  listen_socket();
  for (int i = 0; i < 8; ++i) {  // the SYN queue (backlog 8) full: the next SYN gets a cookie
    remote_.port = static_cast<std::uint16_t>(41000 + i);
    inject(seg(S, 0));
    ASSERT_TRUE(next_sent().has_value());
  }
  remote_.port = 42000;
  inject(seg(S, 0).with_options(syn_options()));
  ASSERT_TRUE(next_sent().has_value());
  ASSERT_EQ(stack().stats().tcp_syncookies_sent, 1u);
  stack().rekey({0x3333333333333333ull, 0x4444444444444444ull}, now());
  advance(10ms);
  inject(seg(A, 1, 1));
  EXPECT_EQ(stack().stats().tcp_syncookies_validated, 1u);
  EXPECT_GE(stack().accept(listen_fd_, nullptr), 0);
  // Two rekeys later the old key is gone: its cookies are refused.
  remote_.port = 42001;
  inject(seg(S, 0).with_options(syn_options()));
  ASSERT_TRUE(next_sent().has_value());
  stack().rekey({5, 6}, now());
  stack().rekey({7, 8}, now());
  inject(seg(A, 1, 1));
  expect(seg(R, 1));
  EXPECT_EQ(stack().stats().tcp_syncookies_rejected, 1u);
}

TEST_F(Rekey, TheKeyBeforeARekeyValidatesCookiesOnlyAsLongAsACookieLives) {
  StackConfig c = default_config();
  const std::array<std::uint64_t, 2> first{0x0123456789abcdefull, 0xfedcba9876543210ull};
  c.secret = first;
  c.tcp.synack_retries = 12;  // the embryos below keep the SYN queue full for the whole test
  configure(c);
  listen_socket();
  for (int i = 0; i < 8; ++i) {
    remote_.port = static_cast<std::uint16_t>(41000 + i);
    inject(seg(S, 0));
    ASSERT_TRUE(next_sent().has_value());
  }
  const std::array<std::uint64_t, 2> second{9, 10};
  stack().rekey(second, now());
  advance(200s);
  while (next_sent()) {
  }
  remote_.port = 42000;
  inject(seg(S, 0));  // a cookie now, so that ACKs to the listener are checked for one
  ASSERT_TRUE(next_sent().has_value());
  // An ACK bringing the cookie a key would make now, for a SYN from port `port` (MSS 536).
  const auto ack_with_cookie = [&](const std::array<std::uint64_t, 2>& key, std::uint16_t port) {
    const IsnGenerator keyed(key[0], key[1]);
    const Endpoint remote{remote_.addr, port};
    const SeqNum cookie = make_cookie(cookie_period(now()), cookie_mss_index(536), [&](std::uint64_t period) {
      return keyed.hash(local_, remote, (period << 32) | peer_iss_);
    });
    remote_.port = port;
    inject(seg(A, 1, cookie.v + 1 - our_iss_));
  };
  ack_with_cookie(second, 42001);  // the current key: good (the test computes cookies right)
  EXPECT_EQ(stack().stats().tcp_syncookies_validated, 1u);
  ack_with_cookie(first, 42002);   // the key before, 200 s after the rekey: retired
  EXPECT_EQ(stack().stats().tcp_syncookies_validated, 1u);
  EXPECT_EQ(stack().stats().tcp_syncookies_rejected, 1u);
}

}  // namespace
}  // namespace mtcpp::test
