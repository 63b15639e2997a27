// Socket buffers take memory only while they hold data: an idle connection holds none, a buffer
// grows in powers of two as data queues (never past its limit), and gives its memory back once
// empty (the TCP layer after buffer_release_delay), keeping every byte and offset on the way.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <numeric>
#include <vector>

#include "backends/memory/stack_pair.h"
#include "core/tcp/receive_buffer.h"
#include "core/tcp/send_buffer.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;

std::vector<std::uint8_t> counting(std::size_t n, std::uint8_t from = 0) {
  std::vector<std::uint8_t> v(n);
  std::iota(v.begin(), v.end(), from);
  return v;
}

TEST(SendBufferStorage, NoneUntilWrittenGrowsByPowersOfTwoAndGoesOnceEmpty) {
  std::uint64_t held = 0;
  BufferMemory mem(0, held);
  SendBuffer b(10000);
  EXPECT_EQ(b.storage(), 0u);
  EXPECT_EQ(b.free_space(mem), 10000u);
  const auto data = counting(3000);
  EXPECT_EQ(b.append(Bytes(data).first(100), mem), 100u);
  EXPECT_EQ(b.storage(), SendBuffer::kMinStorage);
  EXPECT_EQ(b.append(Bytes(data).subspan(100), mem), 2900u);
  EXPECT_EQ(b.storage(), 4096u);
  b.consume(2000);  // the ring's front moves; a wrap follows
  const auto more = counting(3000, 200);
  EXPECT_EQ(b.append(more, mem), 3000u);
  EXPECT_EQ(b.storage(), 4096u);
  std::vector<std::uint8_t> out(4000);
  ASSERT_EQ(b.copy_out(0, 4000, out.data()), 4000u);
  EXPECT_TRUE(std::equal(data.begin() + 2000, data.end(), out.begin()));
  EXPECT_TRUE(std::equal(more.begin(), more.end(), out.begin() + 1000));
  b.consume(4000);
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.storage(), 4096u);  // kept until told: the next write reuses it
  b.release_if_empty(mem);
  EXPECT_EQ(b.storage(), 0u);
  EXPECT_EQ(held, 0u);
}

TEST(SendBufferStorage, NeverGrowsPastItsLimitAndShrinksWithIt) {
  std::uint64_t held = 0;
  BufferMemory mem(0, held);
  SendBuffer b(3000);
  const auto data = counting(5000);
  EXPECT_EQ(b.append(data, mem), 3000u);
  EXPECT_EQ(b.storage(), 3000u);  // the power of two above would pass the limit
  b.consume(2500);
  EXPECT_EQ(b.resize(1000, mem), 1000u);
  EXPECT_EQ(b.storage(), 1000u);
  EXPECT_EQ(held, 1000u);  // every change of the ring is counted
  std::vector<std::uint8_t> out(500);
  ASSERT_EQ(b.copy_out(0, 500, out.data()), 500u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + 2500));
}

TEST(ReceiveBufferStorage, OutOfOrderDataTakesRoomThroughItsEndAndReadingEverythingFreesIt) {
  std::uint64_t held = 0;
  BufferMemory mem(0, held);
  ReceiveBuffer b(65536);
  EXPECT_EQ(b.storage(), 0u);
  EXPECT_EQ(b.window(mem), 65536u);
  const auto data = counting(6000);
  EXPECT_EQ(b.insert(3000, Bytes(data).subspan(3000), mem), 0u);  // a hole before it
  EXPECT_EQ(b.storage(), 8192u);
  EXPECT_EQ(held, 8192u);
  EXPECT_EQ(b.insert(0, Bytes(data).first(3000), mem), 6000u);
  std::vector<std::uint8_t> out(6000);
  EXPECT_EQ(b.read(MutableBytes(out).first(1000), false), 1000u);
  b.release_if_empty(mem);  // not empty: kept
  EXPECT_NE(b.storage(), 0u);
  EXPECT_EQ(b.read(MutableBytes(out).subspan(1000), false), 5000u);
  EXPECT_EQ(out, data);
  b.release_if_empty(mem);
  EXPECT_EQ(b.storage(), 0u);
}

TEST(ReceiveBufferStorage, HeldBytesAndHolesSurviveGrowth) {
  std::uint64_t held = 0;
  BufferMemory mem(0, held);
  ReceiveBuffer b(1 << 20);
  const auto data = counting(40000);
  EXPECT_EQ(b.insert(0, Bytes(data).first(400), mem), 400u);  // in 512 bytes
  std::vector<std::uint8_t> out(40000);
  EXPECT_EQ(b.read(MutableBytes(out).first(300), false), 300u);  // the ring's front moves
  // Offsets count from RCV.NXT, which is byte 400: the ring grows past a hole, then it fills.
  EXPECT_EQ(b.insert(20000, Bytes(data).subspan(20400, 1000), mem), 0u);
  EXPECT_EQ(b.insert(0, Bytes(data).subspan(400, 20000), mem), 21000u);
  EXPECT_EQ(b.read(MutableBytes(out).subspan(300, 21100), false), 21100u);
  EXPECT_TRUE(std::equal(out.begin(), out.begin() + 21400, data.begin()));
  b.release_if_empty(mem);
  EXPECT_EQ(b.storage(), 0u);
  EXPECT_EQ(held, 0u);
}

// The stack's budget (TcpConfig::buffer_memory_limit): rings grow only as far as it has room, and
// each may always reach the smallest ring, so a connection keeps moving whatever the others hold.
TEST(BufferBudget, ASendRingStopsGrowingAtTheBudgetButAlwaysGetsTheSmallestRing) {
  std::uint64_t held = 0;
  BufferMemory mem(5000, held);
  SendBuffer a(1 << 20);
  SendBuffer b(1 << 20);
  const auto data = counting(8000);
  EXPECT_EQ(a.free_space(mem), 5000u);
  EXPECT_EQ(a.append(data, mem), 5000u);  // all the budget has
  EXPECT_EQ(a.storage(), 5000u);
  EXPECT_EQ(a.free_space(mem), 0u);
  EXPECT_EQ(held, 5000u);
  EXPECT_EQ(b.free_space(mem), BufferMemory::kMinRing);  // over budget, yet it may write
  EXPECT_EQ(b.append(data, mem), BufferMemory::kMinRing);
  EXPECT_EQ(held, 5000u + BufferMemory::kMinRing);
  a.consume(5000);
  a.release_if_empty(mem);  // given back: the other ring may grow into it
  EXPECT_EQ(held, BufferMemory::kMinRing);
  b.consume(BufferMemory::kMinRing);
  EXPECT_EQ(b.append(data, mem), 5000u);
  std::vector<std::uint8_t> out(5000);
  ASSERT_EQ(b.copy_out(0, 5000, out.data()), 5000u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin()));
  b.release(mem);
  EXPECT_EQ(held, 0u);
}

TEST(BufferBudget, AReceiveWindowShrinksToWhatTheRingCanHoldAndDataPastItIsRefused) {
  std::uint64_t held = 0;
  BufferMemory mem(4096, held);
  ReceiveBuffer a(65536);
  ReceiveBuffer b(65536);
  const auto data = counting(6000);
  EXPECT_EQ(a.window(mem), 4096u);
  EXPECT_EQ(a.insert(0, Bytes(data).first(3000), mem), 3000u);
  EXPECT_EQ(a.window(mem), 4096u - 3000u);
  EXPECT_EQ(a.insert(0, Bytes(data).subspan(3000), mem), 1096u);  // the rest found no memory
  EXPECT_EQ(a.window(mem), 0u);
  EXPECT_EQ(b.window(mem), BufferMemory::kMinRing);  // the smallest ring is always there
  std::vector<std::uint8_t> out(4096);
  EXPECT_EQ(a.read(out, false), 4096u);
  EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin()));
  EXPECT_EQ(a.window(mem), 4096u);  // read: the same ring holds the next bytes
  a.release(mem);
  b.release(mem);
  EXPECT_EQ(held, 0u);
}

TEST(RingMemory, SmallestRingsAreReusedOthersGoBackToTheHeap) {
  std::uint64_t held = 0;
  BufferMemory mem(0, held);
  EXPECT_EQ(mem.take(0), nullptr);
  auto small = mem.take(BufferMemory::kMinRing);
  std::uint8_t* const small_block = small.get();
  mem.give(std::move(small), BufferMemory::kMinRing);
  EXPECT_EQ(mem.take(BufferMemory::kMinRing).get(), small_block);  // the block given back
  auto big = mem.take(4 * BufferMemory::kMinRing);
  mem.give(std::move(big), 4 * BufferMemory::kMinRing);  // freed, not kept
  EXPECT_NE(mem.take(BufferMemory::kMinRing), nullptr);
  // The list is bounded: blocks past kSpareRings are freed (ASan would see a leak otherwise).
  std::vector<std::unique_ptr<std::uint8_t[]>> many;
  for (std::size_t i = 0; i < BufferMemory::kSpareRings + 10; ++i) many.push_back(mem.take(BufferMemory::kMinRing));
  for (auto& ring : many) mem.give(std::move(ring), BufferMemory::kMinRing);
}

TEST(RingMemory, ARingKeepsItsBytesWhenItMovesFromAReusedBlock) {
  std::uint64_t held = 0;
  BufferMemory mem(0, held);
  SendBuffer first(100000);
  const auto a = counting(300, 1);
  ASSERT_EQ(first.append(a, mem), 300u);
  first.consume(300);
  first.release_if_empty(mem);  // its 512-byte block goes to the spare list
  SendBuffer second(100000);
  const auto b = counting(400, 7);
  ASSERT_EQ(second.append(b, mem), 400u);  // takes that block
  const auto c = counting(2000, 9);
  ASSERT_EQ(second.append(c, mem), 2000u);  // grows out of it, keeping the first 400 bytes
  std::vector<std::uint8_t> out(2400);
  ASSERT_EQ(second.copy_out(0, 2400, out.data()), 2400u);
  EXPECT_TRUE(std::equal(b.begin(), b.end(), out.begin()));
  EXPECT_TRUE(std::equal(c.begin(), c.end(), out.begin() + 400));
  EXPECT_EQ(held, second.storage());
}

TEST(ConnectionBuffers, AnIdleConnectionHoldsNoBufferMemory) {
  StackPair net(StackPair::default_options());
  Stack& a = net.a();
  Stack& b = net.b();
  const int l = a.socket(net.now());
  ASSERT_EQ(a.bind(l, {a.address(), 80}), 0);
  ASSERT_EQ(a.listen(l, 4), 0);
  const int c = b.socket(net.now());
  ASSERT_EQ(b.connect(c, {a.address(), 80}, net.now()), -EINPROGRESS);
  int s = -1;
  ASSERT_TRUE(net.run_until([&] { return (s = s >= 0 ? s : a.accept(l, nullptr)) >= 0; }, 5s));
  auto storage = [&] {
    return a.tcp().tcb(s)->snd.storage() + a.tcp().tcb(s)->rcv.storage() + b.tcp().tcb(c)->snd.storage() +
           b.tcp().tcb(c)->rcv.storage();
  };
  EXPECT_EQ(storage(), 0u);
  const auto request = counting(100000);
  std::size_t sent = 0, got = 0;
  std::vector<std::uint8_t> in(100000);
  ASSERT_TRUE(net.run_until(
      [&] {
        if (sent < request.size()) {
          const long n = b.send(c, Bytes(request).subspan(sent), net.now());
          if (n > 0) sent += static_cast<std::size_t>(n);
        }
        for (long n; (n = a.recv(s, MutableBytes(in).subspan(got), net.now())) > 0;) got += static_cast<std::size_t>(n);
        return got == request.size() && b.tcp().tcb(c)->snd_una == b.tcp().tcb(c)->snd_max;
      },
      30s));
  EXPECT_EQ(in, request);
  EXPECT_NE(storage(), 0u);  // just emptied: kept a moment, for the next read or write
  net.run_for(a.config().tcp.buffer_release_delay + 10ms);
  EXPECT_EQ(storage(), 0u);  // idle: all of it given back
}

}  // namespace
}  // namespace mtcpp
