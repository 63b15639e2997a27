#include "backends/wrappers/fault_injector.h"

#include <gtest/gtest.h>

#include "backends/memory/memory_link.h"
#include "backends/wrappers/frame_match.h"
#include "tests/backends/test_frames.h"

namespace mtcpp {
namespace {

using test::Frame;
using test::kMacA;
using test::kMacB;

constexpr Instant kNow = from_us(5'000'000);

Frame data_frame(std::uint32_t seq) { return test::tcp_frame(kMacA, kMacB, tcp_flag::ack, seq, 50); }
Frame ack_frame(std::uint32_t seq) { return test::tcp_frame(kMacA, kMacB, tcp_flag::ack, seq); }

// A stack on port a, wrapped by the injector; the peer on port b.
struct Net {
  MemoryPort a{{.mac = kMacA}};
  MemoryPort b{{.mac = kMacB}};
  MemoryLink link{a, b};
  FaultInjector faults;
  explicit Net(const FaultChances& chances = {}) : faults(a, chances) {}

  std::vector<std::uint32_t> send_through(const std::vector<Frame>& frames) {
    for (const Frame& f : frames) EXPECT_TRUE(test::send(faults, f, kNow));
    return test::seqs_of(test::receive(b, kNow));
  }
  std::vector<std::uint32_t> receive_through(const std::vector<Frame>& frames) {
    for (const Frame& f : frames) EXPECT_TRUE(test::send(b, f, kNow));
    return test::seqs_of(test::receive(faults, kNow));
  }
  void expect_no_leaks() const {
    EXPECT_EQ(a.pool().in_use(), 0u);
    EXPECT_EQ(b.pool().in_use(), 0u);
  }
};

TEST(FrameMatch, TellsFramesApart) {
  const Frame syn = test::tcp_frame(kMacA, kMacB, tcp_flag::syn, 1);
  const Frame syn_ack = test::tcp_frame(kMacA, kMacB, tcp_flag::syn | tcp_flag::ack, 1);
  const Frame data = data_frame(1);
  const Frame arp = test::arp_request(kMacA);
  const auto is_syn = is_tcp_with_flags(tcp_flag::syn | tcp_flag::ack, tcp_flag::syn);
  EXPECT_TRUE(is_syn(syn));
  EXPECT_FALSE(is_syn(syn_ack));
  EXPECT_FALSE(is_syn(arp));
  EXPECT_TRUE(is_tcp_payload()(data));
  EXPECT_FALSE(is_tcp_payload()(syn));
  EXPECT_TRUE(is_arp()(arp));
  EXPECT_FALSE(is_arp()(data));
  EXPECT_TRUE(is_tcp()(syn));
  EXPECT_FALSE(is_tcp()(arp));
  EXPECT_TRUE(is_tcp_port(80)(syn));
  EXPECT_FALSE(is_tcp_port(81)(syn));
  // Truncated frames match nothing rather than being read past their end.
  EXPECT_FALSE(is_tcp()(Bytes(data).first(30)));
  EXPECT_FALSE(is_arp()(Bytes(arp).first(10)));

  const auto parsed = parse_tcp_frame(data);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->tcp.seq, 1u);
  EXPECT_EQ(parsed->payload.size(), 50u);
  EXPECT_EQ(parsed->ip.src, test::kIpA);
}

TEST(FaultInjector, PassesEverythingThroughWithoutFaults) {
  Net net;
  EXPECT_EQ(net.send_through({data_frame(1), data_frame(2)}), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(net.receive_through({data_frame(3), data_frame(4)}), (std::vector<std::uint32_t>{3, 4}));
  EXPECT_EQ(net.faults.caps().mac, kMacA);
  EXPECT_EQ(net.faults.counters(Direction::tx).frames, 2u);
  EXPECT_EQ(net.faults.counters(Direction::rx).frames, 2u);
  EXPECT_EQ(net.faults.counters(Direction::tx).dropped, 0u);
  net.expect_no_leaks();
}

TEST(FaultInjector, DropRuleHitsExactlyTheNthMatchingFrames) {
  Net net;
  const auto rule = net.faults.add_rule(
      {.dir = Direction::tx, .match = is_tcp_payload(), .nth = 3, .count = 2, .action = FaultAction::drop});
  // Pure ACKs (seq 100+) are not data and do not count towards nth.
  const std::vector<Frame> frames = {data_frame(1), ack_frame(101), data_frame(2), ack_frame(102),
                                     data_frame(3), data_frame(4),  ack_frame(103), data_frame(5),
                                     data_frame(6)};
  EXPECT_EQ(net.send_through(frames), (std::vector<std::uint32_t>{1, 101, 2, 102, 103, 5, 6}));
  EXPECT_EQ(net.faults.rule_hits(rule), 2u);
  EXPECT_EQ(net.faults.counters(Direction::tx).dropped, 2u);
  EXPECT_EQ(net.faults.counters(Direction::rx).frames, 0u);
  net.expect_no_leaks();
}

TEST(FaultInjector, RulesOnlySeeTheirDirection) {
  Net net;
  net.faults.add_rule({.dir = Direction::rx, .match = any_frame(), .nth = 2, .action = FaultAction::drop});
  EXPECT_EQ(net.send_through({data_frame(1), data_frame(2), data_frame(3)}),
            (std::vector<std::uint32_t>{1, 2, 3}));
  EXPECT_EQ(net.receive_through({data_frame(4), data_frame(5), data_frame(6)}),
            (std::vector<std::uint32_t>{4, 6}));
  net.expect_no_leaks();
}

TEST(FaultInjector, EveryMatchFromNthOn) {
  Net net;
  net.faults.add_rule(
      {.dir = Direction::tx, .match = any_frame(), .nth = 2, .count = kEveryMatch, .action = FaultAction::drop});
  EXPECT_EQ(net.send_through({data_frame(1), data_frame(2), data_frame(3), data_frame(4)}),
            (std::vector<std::uint32_t>{1}));
  net.expect_no_leaks();
}

TEST(FaultInjector, DuplicatesOnlyTheReceivedSyn) {
  Net net;
  net.faults.add_rule({.dir = Direction::rx,
                       .match = is_tcp_with_flags(tcp_flag::syn | tcp_flag::ack, tcp_flag::syn),
                       .action = FaultAction::duplicate});
  const Frame syn = test::tcp_frame(kMacB, kMacA, tcp_flag::syn, 10);
  const Frame syn_ack = test::tcp_frame(kMacB, kMacA, tcp_flag::syn | tcp_flag::ack, 20);
  EXPECT_TRUE(test::send(net.b, syn_ack, kNow));
  EXPECT_TRUE(test::send(net.b, syn, kNow));
  EXPECT_TRUE(test::send(net.b, syn, kNow));  // the second SYN is past count = 1
  const auto got = test::receive(net.faults, kNow);
  EXPECT_EQ(test::seqs_of(got), (std::vector<std::uint32_t>{20, 10, 10, 10}));
  EXPECT_EQ(got[1], got[2]);
  EXPECT_EQ(net.faults.counters(Direction::rx).duplicated, 1u);
  net.expect_no_leaks();
}

TEST(FaultInjector, DuplicatesOnTransmit) {
  Net net;
  net.faults.add_rule({.dir = Direction::tx, .nth = 2, .action = FaultAction::duplicate});
  EXPECT_EQ(net.send_through({data_frame(1), data_frame(2), data_frame(3)}),
            (std::vector<std::uint32_t>{1, 2, 2, 3}));
  EXPECT_EQ(net.faults.counters(Direction::tx).duplicated, 1u);
  net.expect_no_leaks();
}

TEST(FaultInjector, ReorderHoldsAFrameUntilAfterTheNextOne) {
  Net net;
  net.faults.add_rule({.dir = Direction::tx, .nth = 2, .action = FaultAction::reorder});
  net.faults.add_rule({.dir = Direction::rx, .nth = 1, .action = FaultAction::reorder});
  EXPECT_EQ(net.send_through({data_frame(1), data_frame(2), data_frame(3), data_frame(4)}),
            (std::vector<std::uint32_t>{1, 3, 2, 4}));
  EXPECT_EQ(net.receive_through({data_frame(5), data_frame(6), data_frame(7)}),
            (std::vector<std::uint32_t>{6, 5, 7}));
  EXPECT_EQ(net.faults.counters(Direction::tx).reordered, 1u);
  EXPECT_EQ(net.faults.counters(Direction::rx).reordered, 1u);
  net.expect_no_leaks();
}

TEST(FaultInjector, ReleaseHeldLetsALastHeldFrameGo) {
  Net net;
  net.faults.add_rule({.dir = Direction::tx, .nth = 1, .action = FaultAction::reorder});
  net.faults.add_rule({.dir = Direction::rx, .nth = 1, .action = FaultAction::reorder});
  EXPECT_TRUE(net.send_through({data_frame(1)}).empty());
  EXPECT_TRUE(net.receive_through({data_frame(2)}).empty());
  EXPECT_EQ(net.faults.next_rx_time(), kNow + FaultChances{}.max_hold);  // held at most that long
  net.faults.release_held(kNow);
  EXPECT_EQ(net.faults.next_rx_time(), Instant::min());
  EXPECT_EQ(test::seqs_of(test::receive(net.b, kNow)), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(test::seqs_of(test::receive(net.faults, kNow)), (std::vector<std::uint32_t>{2}));
  net.expect_no_leaks();
}

TEST(FaultInjector, AHeldFrameGoesAfterMaxHoldWhenNoOtherComes) {
  // The last frame of a burst, reordered, is late, not lost.
  Net net;
  net.faults.add_rule({.dir = Direction::tx, .nth = 1, .action = FaultAction::reorder});
  net.faults.add_rule({.dir = Direction::rx, .nth = 1, .action = FaultAction::reorder});
  EXPECT_TRUE(net.send_through({data_frame(1)}).empty());
  EXPECT_TRUE(net.receive_through({data_frame(2)}).empty());
  const Duration hold = FaultChances{}.max_hold;
  EXPECT_TRUE(test::receive(net.faults, kNow + hold - std::chrono::microseconds(1)).empty());
  EXPECT_EQ(test::seqs_of(test::receive(net.faults, kNow + hold)), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(test::seqs_of(test::receive(net.b, kNow + hold)), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(net.faults.next_rx_time(), kNever);
  net.expect_no_leaks();
}

TEST(FaultInjector, HeldFramesGoBackToTheDeviceOnDestruction) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b);
  {
    FaultInjector faults(a);
    faults.add_rule({.dir = Direction::tx, .action = FaultAction::reorder});
    faults.add_rule({.dir = Direction::rx, .action = FaultAction::reorder});
    EXPECT_TRUE(test::send(faults, data_frame(1), kNow));
    EXPECT_TRUE(test::send(b, data_frame(2), kNow));
    EXPECT_TRUE(test::receive(faults, kNow).empty());
    EXPECT_EQ(a.pool().in_use(), 2u);
  }
  EXPECT_EQ(a.pool().in_use(), 0u);
}

TEST(FaultInjector, CorruptFlipsOneByteAfterTheEthernetHeader) {
  Net net;
  net.faults.add_rule({.dir = Direction::tx, .match = is_tcp_payload(), .nth = 1, .action = FaultAction::corrupt});
  const Frame sent = data_frame(1);
  ASSERT_TRUE(test::send(net.faults, sent, kNow));
  const auto got = test::receive(net.b, kNow);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].size(), sent.size());
  int differing = 0;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if (got[0][i] != sent[i]) {
      ++differing;
      EXPECT_GE(i, EthernetHeader::kSize);
      EXPECT_EQ(got[0][i], static_cast<std::uint8_t>(sent[i] ^ 0xff));
    }
  }
  EXPECT_EQ(differing, 1);
  EXPECT_EQ(net.faults.counters(Direction::tx).corrupted, 1u);

  // The receiver notices: the IPv4 or the TCP checksum no longer holds.
  const Bytes ip_packet = Bytes(got[0]).subspan(EthernetHeader::kSize);
  const auto ip = Ipv4Header::parse(ip_packet, true);
  const bool caught = !ip.header || !TcpHeader::parse(ip.payload, ip.header->src, ip.header->dst, true).header;
  EXPECT_TRUE(caught);
  net.expect_no_leaks();
}

TEST(FaultInjector, DropWinsOverOtherActions) {
  Net net;
  net.faults.add_rule({.dir = Direction::tx, .action = FaultAction::duplicate});
  net.faults.add_rule({.dir = Direction::tx, .action = FaultAction::drop});
  EXPECT_EQ(net.send_through({data_frame(1), data_frame(2)}), (std::vector<std::uint32_t>{2}));
  net.expect_no_leaks();
}

// What a peer receives when `count` data frames go through tx faults drawn by chance.
std::vector<std::uint32_t> through_chances(const FaultChances& chances, std::uint32_t count,
                                           FaultCounters* counters = nullptr) {
  Net net(chances);
  std::vector<std::uint32_t> arrived;
  for (std::uint32_t seq = 0; seq < count; ++seq) {
    for (std::uint32_t s : net.send_through({data_frame(seq)})) arrived.push_back(s);
  }
  net.faults.release_held(kNow);
  for (std::uint32_t s : test::seqs_of(test::receive(net.b, kNow))) arrived.push_back(s);
  if (counters) *counters = net.faults.counters(Direction::tx);
  net.expect_no_leaks();
  return arrived;
}

TEST(FaultInjector, ChancesAreReproducibleForASeed) {
  const FaultChances chances{.drop = 0.1, .duplicate = 0.1, .reorder = 0.1, .seed = 11};
  FaultCounters counters;
  const auto first = through_chances(chances, 2000, &counters);
  EXPECT_EQ(first, through_chances(chances, 2000));
  FaultChances other = chances;
  other.seed = 12;
  EXPECT_NE(first, through_chances(other, 2000));

  EXPECT_EQ(counters.frames, 2000u);
  EXPECT_NEAR(static_cast<double>(counters.dropped), 200.0, 60.0);
  EXPECT_NEAR(static_cast<double>(counters.duplicated), 180.0, 60.0);
  EXPECT_GT(counters.reordered, 100u);
  EXPECT_EQ(first.size(), 2000u - counters.dropped + counters.duplicated);
}

TEST(FaultInjector, ChanceCorruptionIsCountedAndSeeded) {
  const FaultChances chances{.corrupt = 0.25, .seed = 3};
  Net net(chances), again(chances);
  std::vector<Frame> sent;
  for (std::uint32_t seq = 0; seq < 400; ++seq) sent.push_back(data_frame(seq));
  for (const Frame& f : sent) {
    EXPECT_TRUE(test::send(net.faults, f, kNow));
    EXPECT_TRUE(test::send(again.faults, f, kNow));
  }
  const auto got = test::receive(net.b, kNow);
  EXPECT_EQ(got, test::receive(again.b, kNow));
  ASSERT_EQ(got.size(), sent.size());
  std::uint64_t changed = 0;
  for (std::size_t i = 0; i < got.size(); ++i) changed += got[i] != sent[i];
  EXPECT_EQ(changed, net.faults.counters(Direction::tx).corrupted);
  EXPECT_NEAR(static_cast<double>(changed), 100.0, 30.0);
}

// A device that takes at most `room` frames per tx_burst, to exercise refusal.
class NarrowDevice final : public PacketIo {
 public:
  NarrowDevice(PacketIo& inner, std::size_t room) : inner_(inner), room_(room) {}
  LinkCaps caps() const override { return inner_.caps(); }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override { return inner_.rx_burst(out, now); }
  PacketBuffer* tx_alloc() override { return inner_.tx_alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override {
    const std::size_t n = std::min(room_, pkts.size());
    room_ -= n;
    return inner_.tx_burst(pkts.first(n), now);
  }
  void release(PacketBuffer* pkt) override { inner_.release(pkt); }
  void open(std::size_t room) { room_ = room; }

 private:
  PacketIo& inner_;
  std::size_t room_;
};

TEST(FaultInjector, ARefusedFrameIsReturnedIntactAndJudgedAgain) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b);
  NarrowDevice narrow(a, 1);
  FaultInjector faults(narrow);
  const auto rule =
      faults.add_rule({.dir = Direction::tx, .match = is_tcp_payload(), .nth = 2, .action = FaultAction::corrupt});

  const Frame first = data_frame(1), second = data_frame(2);
  std::vector<PacketBuffer*> burst;
  for (const Frame* f : {&first, &second}) {
    PacketBuffer* pkt = faults.tx_alloc();
    std::copy(f->begin(), f->end(), pkt->data);
    pkt->len = static_cast<std::uint32_t>(f->size());
    burst.push_back(pkt);
  }
  EXPECT_EQ(faults.tx_burst(burst, kNow), 1u);
  EXPECT_EQ(Frame(burst[1]->data, burst[1]->data + burst[1]->len), second);  // corruption undone
  EXPECT_EQ(faults.rule_hits(rule), 0u);
  EXPECT_EQ(faults.counters(Direction::tx).frames, 1u);

  narrow.open(1);
  EXPECT_EQ(faults.tx_burst(std::span(burst).subspan(1), kNow), 1u);
  EXPECT_EQ(faults.rule_hits(rule), 1u);
  const auto got = test::receive(b, kNow);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], first);
  EXPECT_NE(got[1], second);
  EXPECT_EQ(a.pool().in_use(), 0u);
}

}  // namespace
}  // namespace mtcpp
