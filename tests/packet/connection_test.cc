// A connection's parameters across its life: the MSS taken from a hostile SYN, SO_KEEPALIVE set
// on a connection already idle, connect() on an id whose connection has ended, and the ISS of a
// connection that reopens a TIME_WAIT tuple.
#include <algorithm>

#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Connection = PacketTest;

TEST_F(Connection, TinyPeerMssWithTimestampsGivesSmallSegmentsNotHugeOnes) {
  TcpOptions o;
  o.mss = 8;  // less than the 12 bytes of timestamps
  o.timestamps = TcpTimestamps{0, 0};
  const int fd = established(o);
  EXPECT_EQ(stack().tcp().tcb(fd)->snd_mss, 64 - 12);  // the floor, less the options
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(100, 'm'), now()), 100);
  expect(seg(A, 1, 1, 52));  // the defect wrapped the MSS to 65,532 and dropped every segment
  EXPECT_EQ(stack().stats().tx_oversize, 0u);
}

TEST_F(Connection, KeepaliveSetOnAnIdleConnectionProbes) {
  StackConfig c = default_config();
  c.tcp.keepalive_idle = 10s;
  c.tcp.keepalive_interval = 2s;
  configure(c);
  const int fd = established();
  advance(5s);  // idle, no segment will come
  ASSERT_EQ(stack().set_option(fd, SocketOption::keepalive, 1, now()), 0);
  advance(c.tcp.keepalive_idle - 1ms);
  expect_nothing();
  advance(1ms);
  expect(seg(A, 0, 1));
  // Set again while on, it restarts nothing: the next probe comes one interval later regardless.
  ASSERT_EQ(stack().set_option(fd, SocketOption::keepalive, 1, now()), 0);
  advance(c.tcp.keepalive_interval);
  expect(seg(A, 0, 1));
  // Turned off, the probes stop.
  inject(seg(A, 1, 1));
  ASSERT_EQ(stack().set_option(fd, SocketOption::keepalive, 0, now()), 0);
  advance(3 * c.tcp.keepalive_idle);
  expect_nothing();
}

TEST_F(Connection, ConnectOnAnIdWhoseConnectionEndedInOrderIsEisconn) {
  const int fd = established();
  ASSERT_EQ(stack().shutdown(fd, Shutdown::write, now()), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(A, 1, 2));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  advance(stack().config().tcp.time_wait);
  ASSERT_EQ(state(fd), TcpState::closed);
  EXPECT_EQ(stack().connect(fd, remote_, now()), -EISCONN);
  expect_nothing();
  EXPECT_EQ(stack().close(fd, now()), 0);
  EXPECT_EQ(stack().tcp().connection_count(), 1u);  // the listener
}

TEST_F(Connection, ReopenedTimeWaitTupleGetsAnIssAboveTheOldSndMax) {
  const int fd = established();
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(30000, 'r'), now()), 30000);
  std::uint32_t acked = 1;
  for (int round = 0; round < 100 && acked < 30001; ++round)
    while (auto s = next_sent())
      if (s->len > 0) {
        acked = s->seq + s->len;
        inject(seg(A, 1, acked));
      }
  ASSERT_EQ(acked, 30001u);
  ASSERT_EQ(stack().close(fd, now()), 0);
  expect(seg(F | A, 30001, 1));
  inject(seg(A, 1, 30002));
  inject(seg(F | A, 1, 30002));
  expect(seg(A, 30002, 2));
  const std::uint32_t old_snd_max = our_iss_ + 30002;  // absolute
  advance(10ms);
  inject(seg(S, 100000).with_options(syn_options()));  // beyond RCV.NXT: a new incarnation
  auto synack = next_sent();
  ASSERT_TRUE(synack);
  ASSERT_EQ(synack->flags, S | A);
  EXPECT_GT(static_cast<std::int32_t>(our_iss_ - old_snd_max), 0)
      << "new ISS " << our_iss_ << " is not above the old SND.MAX " << old_snd_max;
}

}  // namespace
}  // namespace mtcpp::test

namespace mtcpp::test {
namespace {

using EphemeralPorts = PacketTest;

TEST_F(EphemeralPorts, EachDestinationHasItsOwnKeyedOffsetRfc6056) {
  const auto port_to = [&](Endpoint remote) {
    const int fd = stack().socket(now());
    EXPECT_EQ(stack().connect(fd, remote, now()), -EINPROGRESS);
    Endpoint local;
    EXPECT_EQ(stack().tcp().local_endpoint(fd, &local), 0);
    while (next_sent()) {
    }
    return local.port;
  };
  const TcpConfig& c = stack().config().tcp;
  const std::uint32_t span = c.ephemeral_port_last - c.ephemeral_port_first + 1u;
  const auto step = [&](std::uint16_t from, std::uint16_t to) {
    return (to + span - from) % span;
  };
  const Endpoint r1 = remote_;
  const Endpoint r2{remote_.addr, static_cast<std::uint16_t>(remote_.port + 1)};
  const std::uint16_t a = port_to(r1);
  const std::uint16_t b = port_to(r1);
  std::uint16_t x = 0;
  for (int i = 0; i < 50; ++i) x = port_to(r2);
  const std::uint16_t d = port_to(r1);
  for (std::uint16_t p : {a, b, x, d}) {
    EXPECT_GE(p, c.ephemeral_port_first);
    EXPECT_LE(p, c.ephemeral_port_last);
  }
  // To one destination its counter steps by one per connection plus a random 0..3 (Algorithm 4,
  // blurred as Linux does) ...
  EXPECT_GE(step(a, b), 1u);
  EXPECT_LE(step(a, b), 4u);
  // ... and connections to another destination move another counter (they share one but for a
  // 1-in-65,536 chance; the seed is fixed): 50 connections to r2 left r1's counter where it was,
  // where Algorithm 3's one shared counter would have moved it by 50 at least.
  EXPECT_GE(step(b, d), 1u);
  EXPECT_LE(step(b, d), 4u);
  // r2's ports come from another offset: they say nothing of r1's.
  EXPECT_GT(step(b, x), 60u);
}

// Several stacks sharing an address behind one device (DPDK queues): connect takes only a port
// whose 4-tuple the device would deliver back to this stack.
TEST_F(EphemeralPorts, ConnectTakesOnlyPortsTheFilterAccepts) {
  std::vector<std::pair<Endpoint, Endpoint>> asked;
  stack().set_port_filter([&](Endpoint local, Endpoint remote) {
    asked.emplace_back(local, remote);
    return local.port % 7 == 3;
  });
  for (int i = 0; i < 20; ++i) {
    const int fd = stack().socket(now());
    ASSERT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
    Endpoint local;
    ASSERT_EQ(stack().tcp().local_endpoint(fd, &local), 0);
    EXPECT_EQ(local.port % 7, 3) << local.port;
    const auto syn = next_sent();
    ASSERT_TRUE(syn);
    EXPECT_EQ(syn->flags, S);
    while (next_sent()) {
    }
  }
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked.front().first.addr, stack().address());
  EXPECT_EQ(asked.front().second, remote_);
  // A filter that accepts nothing leaves connect without a port.
  stack().set_port_filter([](Endpoint, Endpoint) { return false; });
  const int fd = stack().socket(now());
  EXPECT_EQ(stack().connect(fd, remote_, now()), -EAGAIN);
}

// mTCP's init_rss pool: connects to the pool's destination take its ports, every one once, and
// none else, the filter aside; other destinations keep the range; an empty pool removes it.
TEST_F(EphemeralPorts, APoolForADestinationTakesThePlaceOfTheRange) {
  stack().set_port_filter([](Endpoint, Endpoint) { return false; });  // the pool needs no filter
  const std::vector<std::uint16_t> pool = {40001, 40003, 50007};
  stack().set_port_pool(stack().address(), remote_, pool);
  std::vector<std::uint16_t> taken;
  for (std::size_t i = 0; i < pool.size(); ++i) {
    const int fd = stack().socket(now());
    ASSERT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
    Endpoint local;
    ASSERT_EQ(stack().tcp().local_endpoint(fd, &local), 0);
    taken.push_back(local.port);
    while (next_sent()) {
    }
  }
  std::sort(taken.begin(), taken.end());
  EXPECT_EQ(taken, pool);
  int fd = stack().socket(now());
  EXPECT_EQ(stack().connect(fd, remote_, now()), -EAGAIN);  // every port of the pool in use
  // Another destination: the range, through the filter (which refuses all here).
  fd = stack().socket(now());
  EXPECT_EQ(stack().connect(fd, Endpoint{remote_.addr, static_cast<std::uint16_t>(remote_.port + 1)}, now()), -EAGAIN);
  stack().set_port_filter({});
  EXPECT_EQ(stack().connect(fd, Endpoint{remote_.addr, static_cast<std::uint16_t>(remote_.port + 1)}, now()),
            -EINPROGRESS);
  // Without the pool, the pool's destination takes the range again.
  stack().set_port_pool(stack().address(), remote_, {});
  fd = stack().socket(now());
  EXPECT_EQ(stack().connect(fd, remote_, now()), -EINPROGRESS);
}

}  // namespace
}  // namespace mtcpp::test
