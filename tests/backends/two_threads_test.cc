// Two stacks, each polled by its own thread in real time, joined by the lock-free memory pipe:
// the setup the benchmarks use across cores. Correctness only; no timing is asserted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <variant>

#include "backends/memory/memory_pipe.h"
#include "core/stack.h"

namespace mtcpp {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<Stack> make(Ipv4Addr addr, std::uint64_t seed, PacketIo& io) {
  StackConfig c;
  c.address = addr;
  c.seed = seed;
  auto made = Stack::create(c, io);
  return std::move(std::get<std::unique_ptr<Stack>>(made));
}

TEST(TwoThreads, TenMegabytesIntactBetweenThreadsInRealTime) {
  MemoryPipe pipe(MemoryPortConfig{MacAddr{{2, 0, 0, 0, 0, 1}}}, MemoryPortConfig{MacAddr{{2, 0, 0, 0, 0, 2}}});
  const Ipv4Addr server_ip = Ipv4Addr::of(10, 0, 0, 1);
  constexpr std::uint64_t kTotal = 10'000'000;
  const auto t0 = Clock::now();
  auto now = [&] { return from_us(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()); };
  std::atomic<bool> listening{false};
  std::uint64_t received = 0;
  std::uint64_t mismatches = 0;

  std::thread server([&] {
    auto s = make(server_ip, 1, pipe.a());
    const int l = s->socket(now());
    ASSERT_EQ(s->bind(l, {server_ip, 7}), 0);
    ASSERT_EQ(s->listen(l, 4), 0);
    listening = true;
    std::vector<std::uint8_t> buf(65536);
    int c = -1;
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (Clock::now() < deadline) {
      s->poll(now());
      if (c < 0) c = s->accept(l, nullptr);
      if (c < 0) continue;
      const long n = s->recv(c, buf, now());
      if (n == 0) break;
      for (long i = 0; i < n; ++i) mismatches += buf[static_cast<std::size_t>(i)] != static_cast<std::uint8_t>((received + static_cast<std::uint64_t>(i)) % 251);
      if (n > 0) received += static_cast<std::uint64_t>(n);
    }
    s->close(c, now());
    s->close(l, now());
    for (int i = 0; i < 1000; ++i) s->poll(now());
  });

  std::thread client([&] {
    auto s = make(Ipv4Addr::of(10, 0, 0, 2), 2, pipe.b());
    while (!listening) std::this_thread::yield();
    const int c = s->socket(now());
    ASSERT_EQ(s->connect(c, {server_ip, 7}, now()), -EINPROGRESS);
    std::vector<std::uint8_t> chunk(65536);
    std::uint64_t sent = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    while (sent < kTotal && Clock::now() < deadline) {
      s->poll(now());
      if (!(s->readiness(c) & readiness::out)) continue;
      const std::size_t n = std::min<std::uint64_t>(chunk.size(), kTotal - sent);
      for (std::size_t i = 0; i < n; ++i) chunk[i] = static_cast<std::uint8_t>((sent + i) % 251);
      const long w = s->send(c, Bytes(chunk.data(), n), now());
      if (w > 0) sent += static_cast<std::uint64_t>(w);
    }
    EXPECT_EQ(sent, kTotal);
    EXPECT_EQ(s->close(c, now()), 0);
    // Stay up until the server's FIN has been acknowledged.
    for (auto until = Clock::now() + std::chrono::seconds(2); Clock::now() < until;) s->poll(now());
  });

  client.join();
  server.join();
  EXPECT_EQ(received, kTotal);
  EXPECT_EQ(mismatches, 0u);
  // Every buffer lent to a stack came back: its sent frames' and its received frames' slots.
  EXPECT_EQ(pipe.a().pool().in_use() + pipe.a().rx_lent(), 0u);
  EXPECT_EQ(pipe.b().pool().in_use() + pipe.b().rx_lent(), 0u);
}

}  // namespace
}  // namespace mtcpp
