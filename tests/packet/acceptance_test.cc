// What an arriving segment may change once it is found acceptable, and what an unacceptable one
// draws: TS.Recent (RFC 7323 §4.3 with RFC 5961 §5.2), the send window (RFC 9293 §3.10.7.4, fifth
// step), and the rate of ACKs answering unacceptable segments.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Acceptance = PacketTest;

TcpOptions ts_syn() { return PacketTest::ts_syn_options(); }

TEST_F(Acceptance, RefusedSegmentDoesNotMoveTsRecent) {
  established(ts_syn());
  // In window, but acknowledging data never sent: ACKed and dropped, its timestamp forgotten.
  inject(with_ts(seg(F | A, 1, 9999), 200000));
  auto ack = next_sent();
  ASSERT_TRUE(ack && ack->options.timestamps);
  EXPECT_EQ(ack->options.timestamps->tsecr, peer_ts_);
  // The same through an in-window SYN (a challenge ACK, the next one the connection may send).
  advance(stack().config().tcp.challenge_ack_interval);
  inject(with_ts(seg(S, 1), 300000));
  ack = next_sent();
  ASSERT_TRUE(ack && ack->options.timestamps);
  EXPECT_EQ(ack->options.timestamps->tsecr, peer_ts_);
  // A genuine segment with the next timestamp passes PAWS and is acknowledged, echoing it.
  inject(with_ts(seg(P | A, 1, 1, 1000), peer_ts_ + 1));
  advance(stack().config().tcp.delayed_ack);
  ack = next_sent();
  ASSERT_TRUE(ack);
  EXPECT_EQ(describe(*ack), describe(seg(A, 1, 1001).with_win(65535 - 1000)));
  ASSERT_TRUE(ack->options.timestamps);
  EXPECT_EQ(ack->options.timestamps->tsecr, peer_ts_ + 1);
  EXPECT_EQ(stack().stats().tcp_paws_drops, 0u);
}

TEST_F(Acceptance, WindowIsNotTakenFromAnAckBelowSndUna) {
  const int fd = established();
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(3000, 'd'), now()), 3000);
  while (next_sent()) {
  }
  inject(seg(A, 1, 3001));
  // A reordered segment from P, newer by sequence number but acknowledging less: its window 0
  // is old news (§3.10.7.4: the window is updated only when SND.UNA <= SEG.ACK <= SND.NXT).
  inject(seg(A, 101, 2001, 100).with_win(0));
  expect(seg(A, 3001, 1));  // out-of-order data: a duplicate ACK
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(500, 'e'), now()), 500);
  expect(seg(P | A, 3001, 1, 500));
}

TEST_F(Acceptance, OldSegmentsAckIsProcessedAndWhatItLetsGoIsSent) {
  // BSD's rule: a segment wholly before RCV.NXT is answered and its ACK taken.
  const int fd = established();
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(20000, 'o'), now()), 20000);
  std::uint32_t sent = 0;
  while (auto s = next_sent()) sent += s->len;
  ASSERT_EQ(sent, 10000u);  // the initial window
  inject(seg(P | A, 1, 1, 100));  // P's data
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 10001, 101));
  // Pure ACKs numbered before RCV.NXT (as a sender that went back after a timeout sends them):
  // the first is answered, the second, 1 ms later, not (one answer per 500 ms), but what each
  // acknowledges still lets data go at once.
  for (std::uint32_t acked : {1001u, 2001u}) {
    inject(seg(A, 1, acked));
    std::uint32_t more = 0;
    while (auto s = next_sent()) more += s->len;
    EXPECT_GE(more, 1000u) << "after the old segment acknowledging " << acked;
    EXPECT_EQ(stack().tcp().tcb(fd)->snd_una.v - our_iss_, acked);
    advance(1ms);
  }
}

TEST_F(Acceptance, UnacceptablePureAcksDrawOneAckPerInterval) {
  established();
  const Duration interval = stack().config().tcp.invalid_ack_interval;
  // 100 ACKs far outside the window at one instant: one answer, the rest counted.
  for (int i = 0; i < 100; ++i) inject(seg(A, 1'000'000, 1));
  expect(seg(A, 1, 1));
  expect_nothing();
  EXPECT_EQ(stack().stats().tcp_invalid_acks_suppressed, 99u);
  advance(interval - 1ms);
  inject(seg(A, 1'000'000, 1));
  expect_nothing();
  advance(1ms);
  inject(seg(A, 1'000'000, 1));
  expect(seg(A, 1, 1));
  // Old data (a retransmission whose ACK was lost) is always answered.
  inject(seg(P | A, 1, 1, 100));
  advance(stack().config().tcp.delayed_ack);
  expect(seg(A, 1, 101));
  for (int i = 0; i < 3; ++i) {
    inject(seg(P | A, 1, 1, 100));
    expect(seg(A, 1, 101));
  }
}

TEST_F(Acceptance, PawsRejectsDrawOneAckPerInterval) {
  established(ts_syn());
  // Older than TS.Recent by more than the RTO: not a merely reordered duplicate ACK.
  for (int i = 0; i < 10; ++i) inject(with_ts(seg(A, 1, 1), peer_ts_ - 5000));
  expect(seg(A, 1, 1));
  expect_nothing();
  EXPECT_EQ(stack().stats().tcp_paws_drops, 10u);
}

TEST_F(Acceptance, ReorderedDuplicateAckPassesPawsAndItsSackCounts) {
  // A receiver's duplicate ACKs overtaken by a later one carry older timestamps; PAWS dropped
  // them, and their SACK blocks with them (Linux's tcp_disordered_ack lets them through).
  TcpOptions o = ts_syn();
  o.sack_permitted = true;
  const int fd = established(o);
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(4000, 'p'), now()), 4000);
  const std::uint32_t mss = 1000 - 12;  // P's MSS less the timestamps option
  while (next_sent()) {
  }
  Seg newer = with_ts(seg(A, 1, 1), peer_ts_ + 10);
  newer.options.sack[0] = {our_iss_ + 1 + 2 * mss, our_iss_ + 1 + 3 * mss};
  newer.options.sack_count = 1;
  inject(newer);
  Seg older = with_ts(seg(A, 1, 1), peer_ts_ + 5);
  older.options.sack[0] = {our_iss_ + 1 + mss, our_iss_ + 1 + 2 * mss};
  older.options.sack_count = 1;
  inject(older);
  EXPECT_EQ(stack().stats().tcp_paws_drops, 0u);
  EXPECT_EQ(stack().stats().tcp_disordered_acks, 1u);
  EXPECT_EQ(stack().tcp().tcb(fd)->scoreboard.sacked_bytes(), 2 * mss);
  // One that would open the window is not a mere duplicate: PAWS drops it.
  inject(with_ts(seg(A, 1, 1), peer_ts_ + 20).with_win(30000));
  inject(with_ts(seg(A, 1, 1), peer_ts_ + 15).with_win(40000));
  EXPECT_EQ(stack().stats().tcp_paws_drops, 1u);
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_wnd, 30000u);
}

}  // namespace
}  // namespace mtcpp::test
