// Packetization-layer path MTU discovery (RFC 4821) on the wire: the search's bookkeeping, a
// probe acknowledged or lost, and a black hole found by repeated timeouts. P offers MSS 1460 and
// SACK on a 1,500-byte link, no timestamps: a segment carries MTU - 40 bytes.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

TEST(PathMtuSearch, ProbesTheCeilingFirstThenHalvesTheRangeUntilWithinTheThreshold) {
  PathMtuSearch s;
  EXPECT_FALSE(s.searching());
  s.start(1024, 1500);
  EXPECT_EQ(s.next_probe(), 1500);  // the interface's size first: the common answer
  s.probe = 1500;
  s.probe_lost(true);
  EXPECT_EQ(s.high, 1499);
  // A path of 1,280: halfway each time, never beyond what failed, until within 8 bytes.
  int probes = 1;
  while (!s.done()) {
    s.probe = s.next_probe();
    ++probes;
    if (s.probe <= 1280) s.probe_acked();
    else s.probe_lost(true);
    ASSERT_LE(s.low, 1280);
    ASSERT_GE(s.high, 1280);
  }
  EXPECT_GE(s.low, 1280 - PathMtuSearch::kProbeThreshold);
  EXPECT_LE(probes, 8);
}

TEST(PathMtuSearch, AnInconclusiveLossTriesTheSameSizeAgainAndIcmpLowersBothBounds) {
  PathMtuSearch s;
  s.start(1024, 1500);
  s.probe = s.next_probe();
  s.probe_lost(false);  // other segments were lost too: nothing learnt
  EXPECT_EQ(s.high, 1500);
  EXPECT_EQ(s.next_probe(), 1500);
  s.probe = 1500;
  s.lower(1400);  // an ICMP: 1,400 bytes at most
  EXPECT_EQ(s.high, 1400);
  EXPECT_EQ(s.probe, 0) << "a probe larger than the next hop is gone";
  s.lower(900);
  EXPECT_EQ(s.low, 900);
  EXPECT_TRUE(s.done());
}

class PathMtuProbing : public PacketTest {
 protected:
  static TcpOptions syn_1460() {
    TcpOptions o;
    o.mss = 1460;
    o.sack_permitted = true;
    return o;
  }
  void use(MtuProbing mode) {
    StackConfig c = default_config();
    c.tcp.mtu_probing = mode;
    configure(c);
  }
  // L's data segments sent just now, as (relative sequence number, length).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> sent_data() {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    while (auto s = next_sent())
      if (s->len > 0) out.emplace_back(s->seq, s->len);
    return out;
  }
  Seg ack_with(std::uint32_t ack, std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> blocks) {
    Seg s = seg(A, 1, ack);
    for (const auto& [l, r] : blocks) s.options.sack[s.options.sack_count++] = {our_iss_ + l, our_iss_ + r};
    return s;
  }
  const Tcb& tcb(int fd) { return *stack().tcp().tcb(fd); }
  // Lets time pass in 10 ms steps until sequence 1 has gone again `n` times in all (or 10 s):
  // appends the lengths it went with.
  void resends_of_the_first_segment(std::vector<std::uint32_t>& lengths, std::size_t n) {
    for (int i = 0; i < 1000 && lengths.size() < n; ++i) {
      advance(10ms);
      for (const auto& [seq, len] : sent_data())
        if (seq == 1) lengths.push_back(len);
    }
  }

  // With tcp.mtu_probing = always: established at the floor (1,024 bytes: 984 a segment), and
  // the first flight sent, 10 ms ago. Returns the id.
  int probe_sent() {
    use(MtuProbing::always);
    const int fd = established(syn_1460());
    EXPECT_EQ(tcb(fd).snd_mss, 984);
    EXPECT_EQ(stack().send(fd, std::vector<std::uint8_t>(60000, 'p'), now()), 60000);
    const auto first = sent_data();
    // The probe first, at the interface's size (1,500: 1,460 bytes), then what the initial
    // window (10 × 984) leaves, in ordinary segments whose SACKs would show the probe's loss.
    EXPECT_EQ(first.size(), 9u);
    if (first.empty()) return fd;
    EXPECT_EQ(first[0], (std::pair<std::uint32_t, std::uint32_t>{1, 1460}));
    for (std::size_t i = 1; i < first.size(); ++i) EXPECT_EQ(first[i].second, 984u) << "segment " << i;
    EXPECT_EQ(stack().stats().tcp_mtu_probes, 1u);
    advance(10ms);
    return fd;
  }
};

TEST_F(PathMtuProbing, AnAcknowledgedProbeRaisesTheSegmentSizeAndEndsTheSearch) {
  const int fd = probe_sent();
  inject(seg(A, 1, 1461));
  EXPECT_EQ(stack().stats().tcp_mtu_probes_acked, 1u);
  EXPECT_EQ(tcb(fd).path_mtu, 1500);
  EXPECT_EQ(tcb(fd).snd_mss, 1460);
  const auto after = sent_data();
  ASSERT_FALSE(after.empty());
  for (const auto& [seq, len] : after) EXPECT_EQ(len, 1460u) << "at " << seq;
  // The ceiling is reached: nothing more to probe until mtu_probe_interval has passed.
  EXPECT_TRUE(tcb(fd).mtu.done());
  std::uint32_t acked = after.back().first + after.back().second;
  for (int round = 0; round < 5; ++round) {
    advance(10ms);
    inject(seg(A, 1, acked));
    const auto more = sent_data();
    if (!more.empty()) acked = more.back().first + more.back().second;
  }
  EXPECT_EQ(stack().stats().tcp_mtu_probes, 1u);
}

TEST_F(PathMtuProbing, AProbeLostAloneLowersTheCeilingAndIsResentCutWithoutAWindowReduction) {
  const int fd = probe_sent();
  const std::uint32_t cwnd = tcb(fd).cc->cwnd();
  // Everything before the probe arrived; the three segments after it are SACKed.
  inject(ack_with(1, {{1461, 1461 + 3 * 984}}));
  const auto resent = sent_data();
  ASSERT_GE(resent.size(), 2u);
  EXPECT_EQ(resent[0], (std::pair<std::uint32_t, std::uint32_t>{1, 984}));
  EXPECT_EQ(resent[1], (std::pair<std::uint32_t, std::uint32_t>{985, 476}));
  EXPECT_EQ(stack().stats().tcp_mtu_probes_lost, 1u);
  EXPECT_EQ(stack().stats().tcp_fast_retransmits, 0u) << "not congestion: no fast recovery";
  EXPECT_FALSE(tcb(fd).in_recovery);
  EXPECT_EQ(tcb(fd).cc->cwnd(), cwnd);
  EXPECT_EQ(tcb(fd).mtu.high, 1499);
  EXPECT_EQ(tcb(fd).snd_mss, 984);
  // The next probe goes halfway: (1,024 + 1,499 + 1) / 2 = 1,262 bytes, 1,222 of payload.
  EXPECT_EQ(tcb(fd).mtu.next_probe(), 1262);
}

TEST_F(PathMtuProbing, AProbeLostWithAnotherSegmentIsInconclusiveAndTheLossIsCongestion) {
  const int fd = probe_sent();
  // The probe and the segment after it are lost; the three after those are SACKed.
  inject(ack_with(1, {{1461 + 984, 1461 + 4 * 984}}));
  const auto resent = sent_data();
  ASSERT_FALSE(resent.empty());
  EXPECT_EQ(resent[0], (std::pair<std::uint32_t, std::uint32_t>{1, 984}));
  EXPECT_EQ(stack().stats().tcp_fast_retransmits, 1u);
  EXPECT_TRUE(tcb(fd).in_recovery);
  EXPECT_EQ(stack().stats().tcp_mtu_probes_lost, 0u);
  EXPECT_EQ(tcb(fd).mtu.probe, 0) << "the probe is over";
  EXPECT_EQ(tcb(fd).mtu.high, 1500) << "nothing learnt of the size: it is tried again";
}

TEST_F(PathMtuProbing, WithoutSackNothingProbes) {
  use(MtuProbing::always);
  TcpOptions o = syn_1460();
  o.sack_permitted = false;
  const int fd = established(o);
  EXPECT_FALSE(tcb(fd).mtu.searching());
  EXPECT_EQ(tcb(fd).snd_mss, 1460);
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(60000, 'p'), now()), 60000);
  for (const auto& [seq, len] : sent_data()) EXPECT_EQ(len, 1460u) << "at " << seq;
  EXPECT_EQ(stack().stats().tcp_mtu_probes, 0u);
}

TEST_F(PathMtuProbing, ABlackHoleSearchNeverProbesBeyondThePeersMss) {
  TcpOptions o = syn_1460();
  o.mss = 1200;
  const int fd = established(o);
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(60000, 'b'), now()), 60000);
  sent_data();
  for (int i = 0; i < 1000 && stack().stats().tcp_mtu_black_holes == 0; ++i) advance(10ms);
  ASSERT_EQ(stack().stats().tcp_mtu_black_holes, 1u);
  EXPECT_EQ(tcb(fd).mtu.high, 1240) << "the peer takes 1,200 bytes a segment";
  EXPECT_EQ(tcb(fd).mtu.next_probe(), 1240);
}

TEST_F(PathMtuProbing, ThreeTimeoutsOfAFullSizeSegmentLowerThePathToTheFloor) {
  // tcp.mtu_probing's default: full-size segments until they time out three times running.
  const int fd = established(syn_1460());
  ASSERT_EQ(tcb(fd).snd_mss, 1460);
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(30000, 'b'), now()), 30000);
  EXPECT_EQ(sent_data().size(), 10u);
  std::vector<std::uint32_t> first_segment;  // the lengths with which sequence 1 went again
  resends_of_the_first_segment(first_segment, 3);
  // The third timeout's retransmission fits a 1,024-byte path; a search between it and 1,500
  // begins.
  EXPECT_EQ(first_segment, (std::vector<std::uint32_t>{1460, 1460, 984}));
  EXPECT_EQ(stack().stats().tcp_mtu_black_holes, 1u);
  EXPECT_EQ(tcb(fd).path_mtu, 1024);
  EXPECT_EQ(tcb(fd).mtu.low, 1024);
  EXPECT_EQ(tcb(fd).mtu.high, 1500);
  // Each timeout after that halves the size down to 552 (a path narrower than the floor).
  resends_of_the_first_segment(first_segment, 4);
  ASSERT_EQ(first_segment.size(), 4u);
  EXPECT_EQ(first_segment[3], 512u);
  EXPECT_EQ(tcb(fd).path_mtu, 552);
  EXPECT_EQ(stack().stats().tcp_mtu_black_holes, 2u);
  // The peer acknowledges the smaller segment: the transfer goes on at that size.
  inject(seg(A, 1, 513));
  for (const auto& [seq, len] : sent_data()) EXPECT_LE(len, 512u) << "at " << seq;
}

TEST_F(PathMtuProbing, APathThatCarriedTheSizeTakesSixTimeoutsToSuspect) {
  const int fd = established(syn_1460());
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(30000, 'b'), now()), 30000);
  EXPECT_EQ(sent_data().size(), 10u);
  advance(10ms);
  inject(seg(A, 1, 1461));  // one full-size segment arrived: the path carries 1,500 bytes
  ASSERT_TRUE(tcb(fd).mtu.size_verified);
  sent_data();
  for (int i = 0; i < 3000 && stack().stats().tcp_rto_expirations < 5; ++i) advance(10ms);
  ASSERT_EQ(stack().stats().tcp_rto_expirations, 5u);
  EXPECT_EQ(stack().stats().tcp_mtu_black_holes, 0u) << "five timeouts: loss, more likely than size";
  EXPECT_EQ(tcb(fd).path_mtu, 1500);
  for (int i = 0; i < 6000 && stack().stats().tcp_rto_expirations < 6; ++i) advance(10ms);
  ASSERT_EQ(stack().stats().tcp_rto_expirations, 6u);
  EXPECT_EQ(stack().stats().tcp_mtu_black_holes, 1u);
  EXPECT_EQ(tcb(fd).path_mtu, 1024);
}

TEST_F(PathMtuProbing, OffKeepsTheSizeThroughEveryTimeout) {
  use(MtuProbing::off);
  const int fd = established(syn_1460());
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(30000, 'b'), now()), 30000);
  sent_data();
  std::vector<std::uint32_t> first_segment;
  resends_of_the_first_segment(first_segment, 4);
  EXPECT_EQ(first_segment, (std::vector<std::uint32_t>{1460, 1460, 1460, 1460}));
  EXPECT_EQ(stack().stats().tcp_mtu_black_holes, 0u);
}

TEST_F(PathMtuProbing, ASmallSegmentTimingOutSaysNothingOfThePath) {
  const int fd = established(syn_1460());
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(500, 'b'), now()), 500);
  sent_data();
  for (int i = 0; i < 1000 && stack().stats().tcp_rto_expirations < 4; ++i) advance(10ms);
  ASSERT_GE(stack().stats().tcp_rto_expirations, 4u);
  EXPECT_EQ(stack().stats().tcp_mtu_black_holes, 0u);
  EXPECT_EQ(tcb(fd).path_mtu, 1500);
}

}  // namespace
}  // namespace mtcpp::test
