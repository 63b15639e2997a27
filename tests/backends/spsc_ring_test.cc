#include "backends/memory/spsc_ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "backends/memory/memory_pipe.h"
#include "tests/backends/test_frames.h"

namespace mtcpp {
namespace {

TEST(SpscRing, RejectsACapacityThatIsNotAPowerOfTwo) {
  EXPECT_THROW(SpscRing<int>(0), std::invalid_argument);
  EXPECT_THROW(SpscRing<int>(12), std::invalid_argument);
  EXPECT_EQ(SpscRing<int>(16).capacity(), 16u);
}

TEST(SpscRing, IsFifoAndRefusesWhenFullOrEmpty) {
  SpscRing<int> ring(4);
  int out = 0;
  EXPECT_TRUE(ring.empty());
  EXPECT_FALSE(ring.try_pop(out));
  // Several laps, so the masked indices wrap around the array.
  for (int lap = 0; lap < 3; ++lap) {
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.try_push(lap * 10 + i));
    EXPECT_FALSE(ring.try_push(99));
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(ring.try_pop(out));
      EXPECT_EQ(out, lap * 10 + i);
    }
    EXPECT_FALSE(ring.try_pop(out));
    EXPECT_TRUE(ring.empty());
  }
}

TEST(SpscRing, TwoThreadsMoveAMillionIntegersInOrder) {
  constexpr std::uint64_t kCount = 1'000'000;
  SpscRing<std::uint64_t> ring(1024);
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kCount; ++i) {
      while (!ring.try_push(i)) std::this_thread::yield();
    }
  });
  std::uint64_t expected = 0;
  std::uint64_t out_of_order = 0;
  while (expected < kCount) {
    std::uint64_t value;
    if (!ring.try_pop(value)) {
      std::this_thread::yield();
      continue;
    }
    out_of_order += value != expected;
    expected = value + 1;
  }
  producer.join();
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(expected, kCount);
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, BurstsTakeWhatFitsAndKeepOrder) {
  SpscRing<int> ring(8);
  // Six of ten fit after two are already waiting; the slots are filled in order, index by index.
  EXPECT_TRUE(ring.try_push(100));
  EXPECT_TRUE(ring.try_push(101));
  EXPECT_EQ(ring.push_burst(10, [](int& slot, std::size_t i) { slot = static_cast<int>(i); }), 6u);
  EXPECT_EQ(ring.push_burst(1, [](int& slot, std::size_t) { slot = 99; }), 0u);
  std::vector<int> got;
  EXPECT_EQ(ring.pop_burst(3, [&](int& slot, std::size_t i) {
    EXPECT_EQ(i, got.size());
    got.push_back(slot);
  }), 3u);
  // Across the wrap: three freed slots take three more, then everything comes out in order.
  EXPECT_EQ(ring.push_burst(5, [](int& slot, std::size_t i) { slot = 10 + static_cast<int>(i); }), 3u);
  EXPECT_EQ(ring.pop_burst(100, [&](int& slot, std::size_t) { got.push_back(slot); }), 8u);
  EXPECT_EQ(got, (std::vector<int>{100, 101, 0, 1, 2, 3, 4, 5, 10, 11, 12}));
  EXPECT_EQ(ring.pop_burst(4, [&](int&, std::size_t) { ADD_FAILURE() << "popped from an empty ring"; }), 0u);
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, TwoThreadsMoveAMillionIntegersInBursts) {
  constexpr std::uint64_t kCount = 1'000'000;
  SpscRing<std::uint64_t> ring(64);
  std::thread producer([&] {
    for (std::uint64_t next = 0; next < kCount;) {
      const std::size_t want = std::min<std::uint64_t>(1 + next % 37, kCount - next);  // bursts of 1 to 37
      const std::size_t n = ring.push_burst(want, [&](std::uint64_t& slot, std::size_t i) { slot = next + i; });
      if (n == 0) std::this_thread::yield();
      next += n;
    }
  });
  std::uint64_t expected = 0;
  std::uint64_t out_of_order = 0;
  while (expected < kCount) {
    const std::size_t n = ring.pop_burst(1 + expected % 29, [&](std::uint64_t& slot, std::size_t) {
      out_of_order += slot != expected;
      expected = slot + 1;
    });
    if (n == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(expected, kCount);
  EXPECT_TRUE(ring.empty());
}

TEST(SpscRing, LentSlotsStayTheConsumersUntilFreed) {
  SpscRing<int> ring(4);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(ring.try_push(i));
  std::vector<int> got;
  EXPECT_EQ(ring.lend_burst(3, [&](int& slot, std::size_t) { got.push_back(slot); }), 3u);
  EXPECT_TRUE(ring.has_unlent());
  // Lent is not freed: the producer still finds the ring full.
  EXPECT_FALSE(ring.try_push(99));
  EXPECT_EQ(ring.lend_burst(8, [&](int& slot, std::size_t) { got.push_back(slot); }), 1u);
  EXPECT_FALSE(ring.has_unlent());
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
  ring.free_front(2);
  EXPECT_TRUE(ring.try_push(4));
  EXPECT_TRUE(ring.try_push(5));
  EXPECT_FALSE(ring.try_push(6));
  EXPECT_EQ(ring.lend_burst(8, [&](int& slot, std::size_t) { got.push_back(slot); }), 2u);
  ring.free_front(4);
  EXPECT_TRUE(ring.empty());
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(MemoryPipe, AReceivedFrameIsReadInItsSlotAndTheSlotReturnsOnceEveryEarlierOneIs) {
  MemoryPipe pipe({.mac = test::kMacA}, {.mac = test::kMacB}, 2);
  const Instant now = from_us(0);
  ASSERT_TRUE(test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::ack, 1), now));
  ASSERT_TRUE(test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::ack, 2), now));
  PacketBuffer* rx[4];
  ASSERT_EQ(pipe.b().rx_burst(rx, now), 2u);
  EXPECT_EQ(test::seq_of(test::Frame(rx[0]->data, rx[0]->data + rx[0]->len)), 1u);
  EXPECT_EQ(test::seq_of(test::Frame(rx[1]->data, rx[1]->data + rx[1]->len)), 2u);
  EXPECT_EQ(pipe.b().rx_lent(), 2u);
  EXPECT_EQ(pipe.b().next_rx_time(), kNever);  // nothing new: the two are lent, not waiting
  // The second back first: its slot waits for the first's, so the sender still finds no room.
  pipe.b().release(rx[1]);
  EXPECT_EQ(pipe.b().rx_burst(rx, now), 0u);
  EXPECT_FALSE(test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::ack, 3), now));
  pipe.b().release(rx[0]);
  EXPECT_EQ(pipe.b().rx_lent(), 0u);
  EXPECT_EQ(pipe.b().rx_burst(rx, now), 0u);  // hands both slots back
  EXPECT_TRUE(test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::ack, 3), now));
  EXPECT_TRUE(test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::ack, 4), now));
  EXPECT_EQ(test::seqs_of(test::receive(pipe.b(), now)), (std::vector<std::uint32_t>{3, 4}));
  EXPECT_EQ(pipe.b().rx_lent(), 0u);
}

TEST(MemoryPipe, FullRingPushesBackInsteadOfDropping) {
  MemoryPipe pipe({.mac = test::kMacA}, {.mac = test::kMacB}, 2);
  const Instant now = from_us(0);
  EXPECT_TRUE(test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::ack, 1), now));
  EXPECT_TRUE(test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::ack, 2), now));
  EXPECT_FALSE(test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::ack, 3), now));
  EXPECT_EQ(pipe.a().pool().in_use(), 0u);
  EXPECT_EQ(pipe.b().next_rx_time(), Instant::min());
  EXPECT_EQ(test::seqs_of(test::receive(pipe.b(), now)), (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(pipe.b().next_rx_time(), kNever);
  EXPECT_EQ(pipe.b().rx_lent(), 0u);
}

TEST(MemoryPipe, RejectsPortsWithDifferentBufferSizes) {
  EXPECT_THROW(MemoryPipe({.mac = test::kMacA, .buffer_size = 1024}, {.mac = test::kMacB}),
               std::invalid_argument);
}

TEST(MemoryPipe, TwoThreadsExchangeFramesInOrder) {
  constexpr std::uint32_t kFrames = 50'000;
  MemoryPipe pipe({.mac = test::kMacA}, {.mac = test::kMacB}, 256);
  const Instant now = from_us(0);
  // A sends data, B answers each frame with one carrying the same sequence number.
  std::thread b_side([&] {
    for (std::uint32_t got = 0; got < kFrames;) {
      for (const test::Frame& frame : test::receive(pipe.b(), now)) {
        EXPECT_EQ(test::seq_of(frame), got);
        const auto reply = test::tcp_frame(test::kMacB, test::kMacA, tcp_flag::ack, got);
        while (!test::send(pipe.b(), reply, now)) std::this_thread::yield();
        ++got;
      }
    }
  });
  std::uint32_t sent = 0, answered = 0;
  while (answered < kFrames) {
    if (sent < kFrames &&
        test::send(pipe.a(), test::tcp_frame(test::kMacA, test::kMacB, tcp_flag::psh, sent, 64), now)) {
      ++sent;
    }
    for (const test::Frame& frame : test::receive(pipe.a(), now)) {
      EXPECT_EQ(test::seq_of(frame), answered);
      ++answered;
    }
  }
  b_side.join();
  EXPECT_EQ(pipe.a().pool().in_use() + pipe.a().rx_lent(), 0u);
  EXPECT_EQ(pipe.b().pool().in_use() + pipe.b().rx_lent(), 0u);
}

}  // namespace
}  // namespace mtcpp
