// A listener under a SYN flood: 100,000 spoofed SYNs a second from an address that never answers,
// while a real client connects every 100 ms. The half-open queue fills within a millisecond;
// from then on SYN cookies answer, and every legitimate connect completes within one round trip.
#include <gtest/gtest.h>

#include <variant>

#include "backends/memory/memory_link.h"
#include "core/rng.h"
#include "core/stack.h"
#include "tests/backends/test_frames.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;
using test::kIpA;
using test::kIpB;
using test::kMacA;
using test::kMacB;
using test::kMacC;

std::unique_ptr<Stack> make(StackConfig c, PacketIo& io) {
  auto made = Stack::create(c, io);
  if (auto* e = std::get_if<std::string>(&made)) ADD_FAILURE() << *e;
  return std::move(std::get<std::unique_ptr<Stack>>(made));
}

TEST(SynFlood, EveryLegitimateConnectCompletesWithinOneRoundTrip) {
  constexpr Duration kDelay = 1ms;  // each way: a round trip is 2 ms
  constexpr int kSynsPerMs = 100;
  const Ipv4Addr spoofed = Ipv4Addr::of(10, 0, 0, 99);  // the attacker's port gets its replies
  MemorySwitch wire(LinkConditions{.delay = kDelay});
  MemoryPort port_a({.mac = kMacA, .buffers = 4096}), port_b({.mac = kMacB}), port_c({.mac = kMacC, .buffers = 4096});
  wire.attach(port_a);
  wire.attach(port_b);
  wire.attach(port_c);
  StackConfig ca;
  ca.address = kIpA;
  ca.seed = 1;
  ca.static_arp = {{spoofed, kMacC}, {kIpB, kMacB}};  // no ARP round trip in what is timed
  StackConfig cb;
  cb.address = kIpB;
  cb.seed = 2;
  cb.static_arp = {{kIpA, kMacA}};
  auto a = make(ca, port_a);
  auto b = make(cb, port_b);
  Instant now = from_us(1'000'000);
  const int l = a->socket(now);
  ASSERT_EQ(a->bind(l, {kIpA, 80}), 0);
  ASSERT_EQ(a->listen(l, 128), 0);

  Rng rng(7);
  TcpOptions mss;
  mss.mss = 1460;
  int client = -1;
  Instant started{};
  int connected = 0, accepted = 0;
  Duration slowest{};
  for (int tick = 0; tick < 3000; ++tick, now += 1ms) {
    for (int i = 0; i < kSynsPerMs; ++i) {
      const auto sport = static_cast<std::uint16_t>(1024 + rng.below(60000));
      test::send(port_c, test::tcp_frame_between(kMacC, kMacA, {spoofed, sport}, {kIpA, 80}, tcp_flag::syn,
                                                 static_cast<std::uint32_t>(rng.next()), 0, mss),
                 now);
    }
    if (tick % 100 == 50) {  // a real client, once the flood is well under way
      ASSERT_LT(client, 0) << "the previous connect never completed";
      client = b->socket(now);
      ASSERT_EQ(b->connect(client, {kIpA, 80}, now), -EINPROGRESS);
      started = now;
    }
    a->poll(now);
    b->poll(now);
    test::receive(port_c, now);  // the SYN-ACKs to the spoofed address, thrown away
    for (int s; (s = a->accept(l, nullptr)) >= 0;) {
      ++accepted;
      a->close(s, now);
    }
    if (client >= 0 && (b->readiness(client) & readiness::out)) {
      slowest = std::max(slowest, now - started);
      ++connected;
      b->close(client, now);
      client = -1;
    }
  }
  EXPECT_EQ(connected, 30);
  EXPECT_EQ(accepted, 30);
  EXPECT_LE(slowest, 2 * kDelay);
  const StackStats& st = a->stats();
  EXPECT_GT(st.tcp_syncookies_sent, 250'000u);  // nearly every spoofed SYN: nothing kept for it
  EXPECT_EQ(st.tcp_syncookies_validated, 30u);
  EXPECT_LE(a->tcp().connection_count(), 1u + 128u + 30u);  // the listener, the SYN queue, TIME_WAITs
}

}  // namespace
}  // namespace mtcpp
