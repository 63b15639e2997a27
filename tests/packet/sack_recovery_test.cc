// Loss recovery on the wire: RFC 3042 limited transmit without SACK; with SACK, RFC 6675 recovery
// driven by RACK (RFC 8985 §6), PRR pacing (RFC 6937), the tail loss probe (RFC 8985 §7), the
// RTO's retransmissions around SACKed data, D-SACK and forged blocks.
// P offers SACK and MSS 1000; L sends 10-segment bursts at t0, and P's ACKs come one RTT (10 ms)
// later, so RACK's RTT is 10 ms and its reordering window min_RTT / 4 = 2.5 ms.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::uint8_t> bytes(std::size_t n) { return std::vector<std::uint8_t>(n, 's'); }

class SackRecovery : public PacketTest {
 protected:
  static TcpOptions sack_syn() {
    TcpOptions o = syn_options();
    o.sack_permitted = true;
    return o;
  }
  // P's ACK of relative `ack` with SACK blocks [left, right) in relative sequence numbers.
  Seg ack_with(std::uint32_t ack, std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks,
               std::uint16_t win = 65535) {
    Seg s = seg(A, 1, ack).with_win(win);
    for (const auto& [l, r] : blocks)
      s.options.sack[s.options.sack_count++] = {our_iss_ + l, our_iss_ + r};
    return s;
  }
  // L's data segments sent just now: their relative start sequence numbers.
  std::vector<std::uint32_t> sent_data() {
    std::vector<std::uint32_t> out;
    while (auto s = next_sent())
      if (s->len > 0) out.push_back(s->seq);
    return out;
  }
  // Established with SACK; `n` bytes written, the first burst sent and consumed, 10 ms passed.
  int burst_sent(std::size_t n) {
    const int fd = established(sack_syn());
    EXPECT_EQ(stack().send(fd, bytes(n), now()), static_cast<long>(n));
    EXPECT_EQ(sent_data().size(), std::min<std::size_t>(10, (n + 999) / 1000));
    advance(10ms);
    return fd;
  }
  const Tcb& tcb(int fd) { return *stack().tcp().tcb(fd); }
};

TEST_F(SackRecovery, LimitedTransmitSendsNewDataOnTheFirstTwoDuplicateAcks) {
  const int fd = established();  // no SACK: RFC 5681 duplicate ACKs
  ASSERT_EQ(stack().send(fd, bytes(20000), now()), 20000);
  ASSERT_EQ(sent_data().size(), 10u);
  inject(seg(A, 1, 1));
  expect(seg(A, 10001, 1, 1000));  // RFC 3042: one new segment per duplicate ACK
  inject(seg(A, 1, 1));
  expect(seg(A, 11001, 1, 1000));
  inject(seg(A, 1, 1));
  expect(seg(A, 1, 1, 1000));      // the third: fast retransmit
  EXPECT_TRUE(tcb(fd).in_recovery);
  EXPECT_EQ(tcb(fd).cc->ssthresh(), 7000u);  // CUBIC's 0.7 cwnd: limited transmit did not grow cwnd
}

TEST_F(SackRecovery, ThreeSackedSegmentsRepairTheHoleThoughTheWindowGrowsOnEveryAck) {
  // A Linux receiver's window grows on almost every ACK; with SACK that does not matter.
  const int fd = burst_sent(10000);
  inject(ack_with(1, {{1001, 2001}}, 30000));
  inject(ack_with(1, {{1001, 3001}}, 31000));
  expect_nothing();
  inject(ack_with(1, {{1001, 4001}}, 32000));
  expect(seg(A, 1, 1, 1000));
  expect_nothing();
  EXPECT_TRUE(tcb(fd).in_recovery);
  EXPECT_EQ(stack().stats().tcp_fast_retransmits, 1u);
  EXPECT_EQ(tcb(fd).cc->ssthresh(), 7000u);  // CUBIC: β = 0.7 of cwnd
}

TEST_F(SackRecovery, OneSackedSegmentRepairsTheHoleAfterTheReorderingWindow) {
  // Two segments out, the first lost: no third duplicate ACK will ever come. RACK waits
  // min_RTT / 4 for reordering, then retransmits (NewReno waited for the RTO).
  const int fd = burst_sent(2000);
  inject(ack_with(1, {{1001, 2001}}));
  expect_nothing();
  advance(2ms);
  expect_nothing();
  advance(1ms);
  expect(seg(A, 1, 1, 1000));
  EXPECT_TRUE(tcb(fd).in_recovery);
  inject(ack_with(2001, {}));
  EXPECT_FALSE(tcb(fd).in_recovery);
  EXPECT_EQ(stack().stats().tcp_timeouts, 0u);
}

TEST_F(SackRecovery, TwoHolesAreRepairedInOneRoundTripAtPrrsPace) {
  const int fd = burst_sent(30000);  // 10 out, 20 more waiting
  // 1:1001 and 3001:4001 lost; 2..3 and 5..10 arrive.
  inject(ack_with(1, {{1001, 2001}}));
  inject(ack_with(1, {{3001, 4001}, {1001, 2001}}));
  // A SACKed segment leaves the network: a new one may take its place (pipe < cwnd).
  EXPECT_EQ(sent_data(), (std::vector<std::uint32_t>{10001, 11001}));
  inject(ack_with(1, {{3001, 5001}, {1001, 2001}}));
  // Three SACKed: both holes are lost; PRR lets the first retransmission go at once.
  EXPECT_EQ(sent_data(), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(tcb(fd).cc->ssthresh(), 7000u);  // CUBIC: 0.7 of cwnd 10000
  std::vector<std::uint32_t> out;
  std::uint32_t delivered = 3000;
  for (std::uint32_t right = 6001; right <= 10001; right += 1000, delivered += 1000) {
    inject(ack_with(1, {{3001, right}, {1001, 2001}}));
    for (std::uint32_t s : sent_data()) out.push_back(s);
    // RFC 6937: never more than ssthresh / RecoverFS (7000 / 12000) of what was delivered, plus
    // the one segment the first ACK may send, while the pipe stays above ssthresh.
    EXPECT_LE(tcb(fd).prr.out(), delivered * 7 / 12 + 1000) << "after SACK to " << right;
  }
  // The second hole went first (RFC 6675 NextSeg rule 1), then new data.
  ASSERT_GE(out.size(), 2u);
  EXPECT_EQ(out[0], 2001u);
  EXPECT_EQ(out[1], 12001u);
  // A round trip later everything sent is acknowledged: recovery ends, the window is ssthresh.
  advance(10ms);
  inject(ack_with(tcb(fd).snd_max.v - our_iss_, {}));
  EXPECT_FALSE(tcb(fd).in_recovery);
  EXPECT_EQ(tcb(fd).cc->cwnd(), 7000u);
}

TEST_F(SackRecovery, ALostRetransmissionIsSentAgainWithoutWaitingForTheRto) {
  const int fd = burst_sent(30000);
  inject(ack_with(1, {{1001, 2001}}));
  inject(ack_with(1, {{1001, 3001}}));
  sent_data();
  inject(ack_with(1, {{1001, 4001}}));
  expect(seg(A, 1, 1, 1000));  // the retransmission, at t0 + 10 ms
  for (std::uint32_t right = 5001; right <= 10001; right += 1000) {
    inject(ack_with(1, {{1001, right}}));
    sent_data();
  }
  // One RTT later the segments sent after the retransmission are SACKed, but not it: lost again.
  advance(10ms);
  inject(ack_with(1, {{1001, 12001}}));
  advance(3ms);  // RACK's window (the retransmission is SACK-less for RTT + reo_wnd)
  const auto again = sent_data();
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again[0], 1u);
  EXPECT_EQ(stack().stats().tcp_timeouts, 0u);
  EXPECT_TRUE(tcb(fd).in_recovery);
}

TEST_F(SackRecovery, TailLossIsRepairedByAProbeNotByTheRto) {
  const int fd = burst_sent(4000);
  inject(ack_with(2001, {}));  // the last two segments are lost
  EXPECT_EQ(tcb(fd).probe_at, now() + 2 * tcb(fd).rtt.srtt() + 2ms);  // PTO = 2 SRTT (+2 ms)
  advance(tcb(fd).probe_at - now());
  expect(seg(P | A, 3001, 1, 1000));  // the probe: the last segment again
  EXPECT_EQ(stack().stats().tcp_loss_probes, 1u);
  advance(10ms);
  inject(ack_with(2001, {{3001, 4001}}));  // the probe's ACK reveals the other loss
  advance(3ms);
  expect(seg(A, 2001, 1, 1000));
  inject(ack_with(4001, {}));
  EXPECT_EQ(stack().stats().tcp_timeouts, 0u);
  EXPECT_EQ(stack().stats().tcp_retransmissions, 2u);
}

TEST_F(SackRecovery, TheProbeSendsNewDataWhenTheWindowAllows) {
  // Ten segments out and every ACK lost: the probe is the eleventh segment, not a retransmission.
  const int fd = burst_sent(12000);
  advance(tcb(fd).probe_at - now());
  EXPECT_EQ(sent_data(), (std::vector<std::uint32_t>{10001}));
  EXPECT_EQ(stack().stats().tcp_loss_probes, 1u);
  EXPECT_EQ(stack().stats().tcp_retransmissions, 0u);
  EXPECT_EQ(tcb(fd).rexmit_at, now() + tcb(fd).rtt.rto());  // the RTO is rearmed behind it
}

TEST_F(SackRecovery, AfterAnRtoSackedDataIsNotSentAgain) {
  const int fd = burst_sent(5000);
  inject(ack_with(1, {{2001, 3001}, {4001, 5001}}));
  // RACK's reordering window passes: the first hole goes again (PRR's one segment).
  advance(3ms);
  EXPECT_EQ(sent_data(), (std::vector<std::uint32_t>{1}));
  // Nothing more comes back until the RTO: then one segment, the first, and slow start.
  advance(tcb(fd).rexmit_at - now());
  EXPECT_EQ(sent_data(), (std::vector<std::uint32_t>{1}));
  EXPECT_FALSE(tcb(fd).in_recovery);
  EXPECT_EQ(tcb(fd).cc->cwnd(), 1000u);
  // Slow start from there, around what P holds.
  inject(ack_with(1001, {{2001, 3001}, {4001, 5001}}));
  EXPECT_EQ(sent_data(), (std::vector<std::uint32_t>{1001, 3001}));
  inject(ack_with(5001, {}));
  EXPECT_FALSE(tcb(fd).resending);
}

TEST_F(SackRecovery, DsackIsCountedAndWidensTheReorderingWindow) {
  const int fd = burst_sent(4000);
  inject(ack_with(4001, {{1, 1001}}));  // a block below the cumulative ACK: a duplicate arrived
  EXPECT_EQ(stack().stats().tcp_dsacks_received, 1u);
  EXPECT_EQ(tcb(fd).rack.reo_wnd_mult(), 2);
}

TEST_F(SackRecovery, ASackedSegmentsFinIsNotLostThoughTheBlockLeavesItOut) {
  // ns-3's TCP SACKs the data of a FIN-bearing segment but not the FIN; the FIN came with it.
  const int fd = established(sack_syn());
  ASSERT_EQ(stack().send(fd, bytes(500), now()), 500);
  ASSERT_EQ(stack().send(fd, bytes(500), now()), 500);  // held by Nagle until the close
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(P | A, 1, 1, 500));
  expect(seg(F | P | A, 501, 1, 500));
  advance(10ms);
  inject(ack_with(1, {{501, 1001}}));
  EXPECT_EQ(peer_tcb()->scoreboard.sacked_bytes(), 501u);
  advance(5ms);
  EXPECT_EQ(sent_data(), (std::vector<std::uint32_t>{1}));  // only the hole goes again
}

TEST_F(SackRecovery, DataReceivedTwiceIsReportedInADsackBlock) {
  const int fd = established(sack_syn());
  (void)fd;
  const auto first_block = [&] {
    auto ack = next_sent();
    EXPECT_TRUE(ack && ack->options.sack_count > 0);
    return ack && ack->options.sack_count > 0
               ? std::pair{ack->options.sack[0].left - peer_iss_, ack->options.sack[0].right - peer_iss_}
               : std::pair{0u, 0u};
  };
  inject(seg(P | A, 1, 1, 1000));
  next_sent();
  inject(seg(P | A, 1, 1, 1000));  // again: a spurious retransmission
  EXPECT_EQ(first_block(), std::pair(1u, 1001u));  // RFC 2883 §4.1.1: below the cumulative ACK
  // Out of order data received twice: the D-SACK block, then the block holding it (§4.1.2).
  inject(seg(P | A, 2001, 1, 1000));
  next_sent();
  inject(seg(P | A, 2001, 1, 1000));
  auto ack = next_sent();
  ASSERT_TRUE(ack && ack->options.sack_count == 2);
  EXPECT_EQ(ack->options.sack[0].left - peer_iss_, 2001u);
  EXPECT_EQ(ack->options.sack[1].left - peer_iss_, 2001u);
  // Sent once: the next ACK has only the ordinary block.
  inject(seg(P | A, 4001, 1, 1000));
  ack = next_sent();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->options.sack[0].left - peer_iss_, 4001u);
}

TEST_F(SackRecovery, AReductionEveryRetransmissionOfWhichIsDsackedIsUndone) {
  // Segment 1 was only delayed (reordered): its retransmission comes back as a D-SACK.
  const int fd = burst_sent(10000);
  inject(ack_with(1, {{1001, 2001}}));
  inject(ack_with(1, {{1001, 3001}}));
  inject(ack_with(1, {{1001, 4001}}));
  expect(seg(A, 1, 1, 1000));
  const std::uint32_t cwnd_before = 10000;
  EXPECT_EQ(tcb(fd).cc->ssthresh(), 7000u);
  inject(ack_with(10001, {}));  // the original arrived: recovery ends, the window is cut
  EXPECT_EQ(tcb(fd).cc->cwnd(), 7000u);
  advance(10ms);
  inject(ack_with(10001, {{1, 1001}}));  // and the retransmission was a duplicate
  EXPECT_EQ(stack().stats().tcp_spurious_undos, 1u);
  EXPECT_GE(tcb(fd).cc->cwnd(), cwnd_before);
  EXPECT_GT(tcb(fd).cc->ssthresh(), 7000u);
}

TEST_F(SackRecovery, ResendingAWindowProbesOctetIsNotALoss) {
  const int fd = established(sack_syn());
  ASSERT_EQ(stack().send(fd, bytes(1000), now()), 1000);
  sent_data();
  inject(seg(A, 1, 1001).with_win(0));  // all acknowledged, and the window closes
  ASSERT_EQ(stack().send(fd, bytes(1000), now()), 1000);
  for (int probe = 0; probe < 4; ++probe) {
    advance(tcb(fd).rexmit_at - now());
    expect(seg(A, 1001, 1, 1));  // the same octet each time
    inject(seg(A, 1, 1001).with_win(0));
  }
  EXPECT_EQ(stack().stats().tcp_fast_retransmits, 0u);
  EXPECT_FALSE(tcb(fd).in_recovery);
  EXPECT_GE(tcb(fd).cc->cwnd(), 10000u);
}

TEST_F(SackRecovery, AWindowClosedOnDataInFlightIsProbedNotTimedOut) {
  StackConfig c = default_config();
  c.tcp.data_retries = 3;
  configure(c);
  const int fd = burst_sent(5000);
  inject(ack_with(1, {}).with_win(0));  // the receiver shrank its window to nothing
  for (int i = 0; i < 8; ++i) {
    advance(std::max(tcb(fd).rexmit_at - now(), Duration(1ms)));
    while (next_sent()) {
    }
    inject(ack_with(1, {}).with_win(0));  // it answers every probe
  }
  EXPECT_EQ(state(fd), TcpState::established);
  inject(ack_with(1, {}));  // the window opens: the data goes again
  EXPECT_EQ(sent_data().front(), 1u);
}

TEST_F(SackRecovery, BlocksOutsideWhatWasSentChangeNothing) {
  const int fd = burst_sent(4000);
  inject(ack_with(1, {{5001, 9001}}));         // beyond SND.MAX
  inject(ack_with(1, {{100001, 200001}}));     // far beyond
  inject(ack_with(1001, {{2001, 3001}, {1, 2001}}));  // a second block reaching below SND.UNA
  inject(ack_with(1001, {{3001, 2001}}));      // empty
  EXPECT_EQ(stack().stats().tcp_sack_blocks_ignored, 4u);
  EXPECT_EQ(stack().stats().tcp_dsacks_received, 0u);
  EXPECT_EQ(tcb(fd).scoreboard.sacked_bytes(), 1000u);  // only the good block of the third ACK
  EXPECT_FALSE(tcb(fd).in_recovery);
}

}  // namespace
}  // namespace mtcpp::test
