#include "backends/memory/memory_link.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>

#include "backends/memory/packet_pool.h"
#include "tests/backends/test_frames.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;
using test::Frame;
using test::kMacA;
using test::kMacB;
using test::kMacC;

constexpr Instant kStart = from_us(1'000'000);

Frame data_frame(std::uint32_t seq, MacAddr src = kMacA, MacAddr dst = kMacB) {
  return test::tcp_frame(src, dst, tcp_flag::ack | tcp_flag::psh, seq, 100);
}

TEST(MemoryPacketPool, LendsEveryBufferOnceAndTakesThemBack) {
  PacketPool pool(4, 256);
  std::set<std::uint8_t*> seen;
  std::vector<PacketBuffer*> lent;
  for (int i = 0; i < 4; ++i) {
    PacketBuffer* pkt = pool.alloc();
    ASSERT_NE(pkt, nullptr);
    EXPECT_EQ(pkt->len, 0u);
    EXPECT_EQ(pkt->capacity, 256u);
    EXPECT_TRUE(pool.owns(pkt));
    seen.insert(pkt->data);
    lent.push_back(pkt);
  }
  EXPECT_EQ(seen.size(), 4u);
  EXPECT_EQ(pool.in_use(), 4u);
  EXPECT_EQ(pool.alloc(), nullptr);

  pool.free(lent[2]);
  EXPECT_EQ(pool.in_use(), 3u);
  EXPECT_EQ(pool.alloc(), lent[2]);
  for (PacketBuffer* pkt : lent) pool.free(pkt);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.available(), 4u);
}

TEST(MemoryPacketPool, ForeignBufferIsNotOwned) {
  PacketPool a(2), b(2);
  PacketBuffer* pkt = a.alloc();
  EXPECT_FALSE(b.owns(pkt));
  PacketBuffer outside;
  EXPECT_FALSE(a.owns(&outside));
  a.free(pkt);
}

TEST(MemoryPacketPoolDeathTest, DoubleFreeAborts) {
  PacketPool pool(2);
  PacketBuffer* pkt = pool.alloc();
  pool.free(pkt);
  EXPECT_DEATH(pool.free(pkt), "already free");
}

TEST(MemoryLink, DeliversAfterTheDelayAndNotBefore) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b, {.delay = 5ms});
  EXPECT_EQ(b.next_rx_time(), kNever);

  const Frame frame = data_frame(7);
  ASSERT_TRUE(test::send(a, frame, kStart));
  EXPECT_EQ(a.pool().in_use(), 0u);  // the wire copied it; the sender's buffer is back
  EXPECT_EQ(b.next_rx_time(), kStart + 5ms);

  EXPECT_TRUE(test::receive(b, kStart + 5ms - 1us).empty());
  const auto got = test::receive(b, kStart + 5ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], frame);
  EXPECT_EQ(b.next_rx_time(), kNever);
  EXPECT_EQ(b.pool().in_use(), 0u);
  EXPECT_EQ(link.a_to_b().sent, 1u);
  EXPECT_EQ(link.a_to_b().delivered, 1u);
  EXPECT_EQ(link.b_to_a().sent, 0u);
}

TEST(MemoryLink, CarriesBothDirectionsAndKeepsOrder) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b, {.delay = 1ms});
  for (std::uint32_t seq = 0; seq < 5; ++seq) {
    ASSERT_TRUE(test::send(a, data_frame(seq), kStart + std::chrono::microseconds(seq * 10)));
    ASSERT_TRUE(test::send(b, data_frame(100 + seq, kMacB, kMacA), kStart));
  }
  EXPECT_EQ(test::seqs_of(test::receive(b, kStart + 2ms)), (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(test::seqs_of(test::receive(a, kStart + 2ms)),
            (std::vector<std::uint32_t>{100, 101, 102, 103, 104}));
  EXPECT_EQ(link.a_to_b().delivered, 5u);
  EXPECT_EQ(link.b_to_a().delivered, 5u);
}

TEST(MemoryLink, RxBurstTakesOnlyWhatFitsAndLeavesTheRest) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b);
  for (std::uint32_t seq = 0; seq < 3; ++seq) ASSERT_TRUE(test::send(a, data_frame(seq), kStart));
  PacketBuffer* burst[2];
  ASSERT_EQ(b.rx_burst(burst, kStart), 2u);
  EXPECT_EQ(b.rx_pending(), 1u);
  EXPECT_EQ(b.pool().in_use(), 3u);
  b.release(burst[0]);
  b.release(burst[1]);
  EXPECT_EQ(test::receive(b, kStart).size(), 1u);
  EXPECT_EQ(b.pool().in_use(), 0u);
}

// Which of `count` frames sent one by one arrive, over a link with the given conditions.
std::vector<std::uint32_t> survivors(const LinkConditions& conditions, std::uint32_t count) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b, conditions);
  std::vector<std::uint32_t> arrived;
  for (std::uint32_t seq = 0; seq < count; ++seq) {
    const Instant now = kStart + std::chrono::microseconds(seq);
    EXPECT_TRUE(test::send(a, data_frame(seq), now));
    for (std::uint32_t s : test::seqs_of(test::receive(b, now))) arrived.push_back(s);
  }
  EXPECT_EQ(link.a_to_b().sent, count);
  EXPECT_EQ(link.a_to_b().delivered + link.a_to_b().dropped, count);
  EXPECT_EQ(link.a_to_b().delivered, arrived.size());
  EXPECT_EQ(b.pool().in_use(), 0u);
  return arrived;
}

TEST(MemoryLink, SeededLossIsReproducibleAndNearTheRate) {
  const auto first = survivors({.loss = 0.3, .seed = 42}, 4000);
  const auto again = survivors({.loss = 0.3, .seed = 42}, 4000);
  const auto other = survivors({.loss = 0.3, .seed = 43}, 4000);
  EXPECT_EQ(first, again);
  EXPECT_NE(first, other);
  // 2800 expected; the binomial standard deviation is about 29.
  EXPECT_NEAR(static_cast<double>(first.size()), 2800.0, 150.0);
  EXPECT_NEAR(static_cast<double>(other.size()), 2800.0, 150.0);
}

TEST(MemoryLink, NoLossWithoutLossChance) {
  EXPECT_EQ(survivors({.seed = 9}, 1000).size(), 1000u);
}

TEST(MemoryLink, AWireWithoutFaultsDrawsNothing) {
  // Frames sent while no fault is configured leave the random stream where it was: a loss that
  // begins later falls on the same frames as on a wire that had it from the start.
  const auto lost = [](bool quiet_first) {
    MemoryPort a({.mac = kMacA, .buffers = 512}), b({.mac = kMacB, .buffers = 512});
    MemoryLink link(a, b, {.seed = 9});
    if (quiet_first) {
      for (std::uint32_t seq = 0; seq < 100; ++seq) EXPECT_TRUE(test::send(a, data_frame(seq), kStart));
      EXPECT_EQ(test::receive(b, kStart).size(), 100u);
    }
    link.set_conditions({.loss = 0.5});
    for (std::uint32_t seq = 1000; seq < 1200; ++seq) EXPECT_TRUE(test::send(a, data_frame(seq), kStart));
    return test::seqs_of(test::receive(b, kStart));
  };
  const auto after_quiet = lost(true);
  EXPECT_EQ(after_quiet, lost(false));
  EXPECT_NEAR(static_cast<double>(after_quiet.size()), 100.0, 30.0);
}

TEST(MemoryLink, DuplicateDeliversTwoIdenticalCopies) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b, {.delay = 1ms, .duplicate = 1.0});
  ASSERT_TRUE(test::send(a, data_frame(1), kStart));
  ASSERT_TRUE(test::send(a, data_frame(2), kStart));
  const auto got = test::receive(b, kStart + 1ms);
  EXPECT_EQ(test::seqs_of(got), (std::vector<std::uint32_t>{1, 1, 2, 2}));
  EXPECT_EQ(got[0], got[1]);
  EXPECT_EQ(link.a_to_b().duplicated, 2u);
  EXPECT_EQ(link.a_to_b().delivered, 4u);
  EXPECT_EQ(b.pool().in_use(), 0u);
}

TEST(MemoryLink, ReorderedFrameIsOvertakenByALaterOne) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b, {.delay = 2ms, .reorder = 1.0, .reorder_extra_delay = 1ms});
  ASSERT_TRUE(test::send(a, data_frame(1), kStart));
  link.set_conditions({.delay = 2ms});
  ASSERT_TRUE(test::send(a, data_frame(2), kStart + 100us));

  EXPECT_EQ(b.next_rx_time(), kStart + 2100us);
  EXPECT_EQ(test::seqs_of(test::receive(b, kStart + 2100us)), (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(b.next_rx_time(), kStart + 3ms);
  EXPECT_EQ(test::seqs_of(test::receive(b, kStart + 3ms)), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(link.a_to_b().reordered, 1u);
}

TEST(MemoryLink, SeededReorderSwapsSomeFrames) {
  MemoryPort a({.mac = kMacA, .buffers = 4096}), b({.mac = kMacB, .buffers = 4096});
  MemoryLink link(a, b, {.delay = 1ms, .reorder = 0.1, .reorder_extra_delay = 500us, .seed = 5});
  for (std::uint32_t seq = 0; seq < 2000; ++seq) {
    ASSERT_TRUE(test::send(a, data_frame(seq), kStart + std::chrono::microseconds(100 * seq)));
  }
  const auto seqs = test::seqs_of(test::receive(b, kStart + 1s));
  ASSERT_EQ(seqs.size(), 2000u);
  int overtaken = 0;
  for (std::size_t i = 1; i < seqs.size(); ++i) overtaken += seqs[i] < seqs[i - 1];
  // Each held frame is passed by the next 5 frames (500 us at one per 100 us).
  EXPECT_NEAR(static_cast<double>(link.a_to_b().reordered), 200.0, 60.0);
  EXPECT_GT(overtaken, 100);
  EXPECT_EQ(std::set<std::uint32_t>(seqs.begin(), seqs.end()).size(), 2000u);
}

TEST(MemoryLink, FullReceiverPoolDropsAndCountsWithoutLeaking) {
  MemoryPort a({.mac = kMacA, .buffers = 8}), b({.mac = kMacB, .buffers = 4});
  MemoryLink link(a, b, {.delay = 1ms});
  for (std::uint32_t seq = 0; seq < 10; ++seq) ASSERT_TRUE(test::send(a, data_frame(seq), kStart));
  EXPECT_EQ(link.a_to_b().delivered, 4u);
  EXPECT_EQ(link.a_to_b().overflowed, 6u);
  EXPECT_EQ(b.pool().in_use(), 4u);
  EXPECT_EQ(test::seqs_of(test::receive(b, kStart + 1ms)), (std::vector<std::uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(a.pool().in_use(), 0u);
  EXPECT_EQ(b.pool().in_use(), 0u);
}

TEST(MemoryLink, TxAllocRunsOutWhenTheStackHoldsEveryBuffer) {
  MemoryPort a({.mac = kMacA, .buffers = 2});
  PacketBuffer* first = a.tx_alloc();
  PacketBuffer* second = a.tx_alloc();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(a.tx_alloc(), nullptr);
  a.release(first);
  a.release(second);
  EXPECT_EQ(a.pool().in_use(), 0u);
}

TEST(MemoryLink, SurvivesEitherEndGoingAway) {
  auto a = std::make_unique<MemoryPort>(MemoryPortConfig{.mac = kMacA});
  MemoryPort b({.mac = kMacB});
  {
    MemoryLink link(*a, b);
    a.reset();
    EXPECT_TRUE(test::send(b, data_frame(1, kMacB, kMacA), kStart));
    EXPECT_EQ(link.b_to_a().dropped, 1u);
  }
  // The link is gone too: b's frames go nowhere, and b can be plugged in again.
  EXPECT_TRUE(test::send(b, data_frame(2, kMacB, kMacA), kStart));
  MemoryPort c({.mac = kMacC});
  MemoryLink again(b, c);
  EXPECT_TRUE(test::send(b, data_frame(3, kMacB, kMacC), kStart));
  EXPECT_EQ(test::seqs_of(test::receive(c, kStart)), (std::vector<std::uint32_t>{3}));
}

TEST(MemoryLink, ReportsItsCaps) {
  MemoryPort a({.mac = kMacA, .mtu = 9000, .checksum_offload = true});
  EXPECT_EQ(a.caps().mac, kMacA);
  EXPECT_EQ(a.caps().mtu, 9000);
  EXPECT_TRUE(a.caps().rx_checksum_verified);
  EXPECT_TRUE(a.caps().tx_checksum_offload);
}

struct ThreePorts {
  MemoryPort a{{.mac = kMacA}}, b{{.mac = kMacB}}, c{{.mac = kMacC}};
  MemorySwitch sw;
  ThreePorts(const LinkConditions& conditions = {}) : sw(conditions) {
    sw.attach(a);
    sw.attach(b);
    sw.attach(c);
  }
};

TEST(MemorySwitch, FloodsUnknownThenForwardsToLearnedPorts) {
  ThreePorts net;
  // B is unknown: flooded to B and C.
  ASSERT_TRUE(test::send(net.a, data_frame(1, kMacA, kMacB), kStart));
  EXPECT_EQ(net.sw.flooded(), 1u);
  EXPECT_EQ(net.sw.learned_port(kMacA), 0u);
  EXPECT_EQ(test::seqs_of(test::receive(net.b, kStart)), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(test::seqs_of(test::receive(net.c, kStart)), (std::vector<std::uint32_t>{1}));

  // A is known: B's reply goes to A only, and the switch learns B.
  ASSERT_TRUE(test::send(net.b, data_frame(2, kMacB, kMacA), kStart));
  EXPECT_EQ(net.sw.learned_port(kMacB), 1u);
  EXPECT_EQ(test::seqs_of(test::receive(net.a, kStart)), (std::vector<std::uint32_t>{2}));
  EXPECT_TRUE(test::receive(net.c, kStart).empty());

  // Now A to B is unicast too.
  ASSERT_TRUE(test::send(net.a, data_frame(3, kMacA, kMacB), kStart));
  EXPECT_EQ(test::seqs_of(test::receive(net.b, kStart)), (std::vector<std::uint32_t>{3}));
  EXPECT_TRUE(test::receive(net.c, kStart).empty());
  EXPECT_EQ(net.sw.flooded(), 1u);
  EXPECT_EQ(net.sw.learned_port(kMacC), std::nullopt);
}

TEST(MemorySwitch, BroadcastGoesToEveryOtherPort) {
  ThreePorts net;
  ASSERT_TRUE(test::send(net.c, test::arp_request(kMacC), kStart));
  EXPECT_EQ(test::receive(net.a, kStart).size(), 1u);
  EXPECT_EQ(test::receive(net.b, kStart).size(), 1u);
  EXPECT_TRUE(test::receive(net.c, kStart).empty());
  EXPECT_EQ(net.sw.learned_port(kMacC), 2u);
  EXPECT_EQ(net.sw.learned_port(MacAddr::broadcast()), std::nullopt);
  EXPECT_EQ(net.sw.counters_to(0).delivered, 1u);
  EXPECT_EQ(net.sw.counters_to(2).sent, 0u);
}

TEST(MemorySwitch, FiltersFramesForAHostOnTheirOwnPortAndRelearnsMovedHosts) {
  ThreePorts net;
  ASSERT_TRUE(test::send(net.a, data_frame(1, kMacA, kMacC), kStart));  // learns A on port 0
  test::receive(net.b, kStart);
  test::receive(net.c, kStart);
  // Port 1 sends a frame to A from a source claiming to be A: A has moved to port 1.
  ASSERT_TRUE(test::send(net.b, data_frame(2, kMacA, kMacB), kStart));
  EXPECT_EQ(net.sw.learned_port(kMacA), 1u);
  EXPECT_EQ(test::receive(net.a, kStart).size(), 1u);  // B is still unknown: flooded
  EXPECT_EQ(test::receive(net.c, kStart).size(), 1u);
  ASSERT_TRUE(test::send(net.b, data_frame(3, kMacB, kMacA), kStart));
  EXPECT_EQ(net.sw.filtered(), 1u);
  EXPECT_TRUE(test::receive(net.a, kStart).empty());
}

TEST(MemorySwitch, AppliesItsDelayToEveryEgressCopy) {
  ThreePorts net({.delay = 3ms});
  ASSERT_TRUE(test::send(net.a, test::arp_request(kMacA), kStart));
  EXPECT_EQ(net.b.next_rx_time(), kStart + 3ms);
  EXPECT_EQ(net.c.next_rx_time(), kStart + 3ms);
  EXPECT_TRUE(test::receive(net.b, kStart + 2ms).empty());
  EXPECT_EQ(test::receive(net.b, kStart + 3ms).size(), 1u);
  EXPECT_EQ(test::receive(net.c, kStart + 3ms).size(), 1u);
}

TEST(MemorySwitch, SeededLossIsPerEgressPortAndReproducible) {
  auto run = [](std::uint64_t seed) {
    ThreePorts net({.loss = 0.5, .seed = seed});
    std::vector<std::size_t> counts;
    for (std::uint32_t seq = 0; seq < 200; ++seq) {
      EXPECT_TRUE(test::send(net.a, test::arp_request(kMacA), kStart));
    }
    counts.push_back(test::receive(net.b, kStart).size());
    counts.push_back(test::receive(net.c, kStart).size());
    EXPECT_EQ(net.b.pool().in_use() + net.c.pool().in_use(), 0u);
    return counts;
  };
  const auto first = run(3);
  EXPECT_EQ(first, run(3));
  EXPECT_NE(first, run(4));
  EXPECT_NE(first[0], first[1]);  // two streams, not one shared
  EXPECT_NEAR(static_cast<double>(first[0]), 100.0, 30.0);
}

}  // namespace
}  // namespace mtcpp
