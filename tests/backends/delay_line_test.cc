// The delay line: every frame waits its delay each way, in order, and says when it is due.
#include "backends/wrappers/delay_line.h"

#include <gtest/gtest.h>

#include "backends/memory/memory_link.h"
#include "tests/backends/test_frames.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;
using test::kMacA;
using test::kMacB;

constexpr Instant kStart = from_us(1'000'000);

test::Frame data_frame(std::uint32_t seq, MacAddr src = kMacA, MacAddr dst = kMacB) {
  return test::tcp_frame(src, dst, tcp_flag::ack | tcp_flag::psh, seq, 100);
}

TEST(DelayLine, ReceivedFramesWaitTheDelayInOrder) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b);  // no delay of its own
  DelayLine delayed(b, 3ms);
  ASSERT_TRUE(test::send(a, data_frame(1), kStart));
  ASSERT_TRUE(test::send(a, data_frame(2), kStart + 1ms));
  EXPECT_TRUE(test::receive(delayed, kStart).empty());  // taken from the device, now waiting
  EXPECT_EQ(delayed.next_rx_time(), kStart + 1ms);      // the device's next frame, to be stamped
  EXPECT_TRUE(test::receive(delayed, kStart + 1ms).empty());
  EXPECT_EQ(delayed.next_rx_time(), kStart + 3ms);
  const auto first = test::receive(delayed, kStart + 3ms);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(test::seq_of(first[0]), 1u);
  EXPECT_EQ(delayed.next_rx_time(), kStart + 4ms);
  const auto second = test::receive(delayed, kStart + 4ms);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(test::seq_of(second[0]), 2u);
  EXPECT_EQ(delayed.next_rx_time(), kNever);
  EXPECT_EQ(b.pool().in_use(), 0u);
}

TEST(DelayLine, SentFramesLeaveAfterTheDelayWhenPolled) {
  MemoryPort a({.mac = kMacA}), b({.mac = kMacB});
  MemoryLink link(a, b);
  {
    DelayLine delayed(a, 2ms);
    ASSERT_TRUE(test::send(delayed, data_frame(9), kStart));  // taken at once
    EXPECT_EQ(link.a_to_b().sent, 0u);
    EXPECT_EQ(delayed.next_rx_time(), kStart + 2ms);  // the stack polls then, and it goes
    EXPECT_TRUE(test::receive(delayed, kStart + 2ms).empty());
    EXPECT_EQ(link.a_to_b().sent, 1u);
    const auto got = test::receive(b, kStart + 2ms);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(test::seq_of(got[0]), 9u);
    // A frame still waiting when the wrapper goes is given back to the device's pool.
    ASSERT_TRUE(test::send(delayed, data_frame(10), kStart + 3ms));
    EXPECT_EQ(a.pool().in_use(), 1u);
  }
  EXPECT_EQ(a.pool().in_use(), 0u);
}

}  // namespace
}  // namespace mtcpp
