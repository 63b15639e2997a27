// A stack with two interfaces (R: 10.0.0.1/24 on link 0, 10.0.1.1/24 on link 1, MTU 9000), a
// peer on each link (A at 10.0.0.2, B at 10.0.1.2): routes pick the interface and the source
// address, a listener on the unspecified address accepts on both, each interface announces its
// own MSS and resolves its own neighbours.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <memory>
#include <vector>

#include "backends/memory/memory_link.h"
#include "core/stack.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kPort = 80;
const Ipv4Addr kR0 = Ipv4Addr::of(10, 0, 0, 1);
const Ipv4Addr kR1 = Ipv4Addr::of(10, 0, 1, 1);
const Ipv4Addr kA = Ipv4Addr::of(10, 0, 0, 2);
const Ipv4Addr kB = Ipv4Addr::of(10, 0, 1, 2);

std::unique_ptr<Stack> make_stack(const StackConfig& config, PacketIo& io, std::span<PacketIo* const> more = {}) {
  auto made = Stack::create(config, io, more);
  if (auto* error = std::get_if<std::string>(&made)) ADD_FAILURE() << *error;
  return std::get<std::unique_ptr<Stack>>(std::move(made));
}

StackConfig host(Ipv4Addr address, std::uint64_t seed) {
  StackConfig c;
  c.address = address;
  c.seed = seed;
  return c;
}

class TwoInterfaces : public ::testing::Test {
 protected:
  void SetUp() override { build(host(kR0, 1)); }

  // R from `config` with its second interface added (10.0.1.1/24).
  void build(StackConfig config) {
    r_.reset();
    a_.reset();
    b_.reset();
    link0_.reset();
    link1_.reset();
    r0_ = std::make_unique<MemoryPort>(MemoryPortConfig{MacAddr{{2, 0, 0, 0, 0, 0x10}}, 1500});
    r1_ = std::make_unique<MemoryPort>(MemoryPortConfig{MacAddr{{2, 0, 0, 0, 0, 0x11}}, 9000, 512, 9100});
    pa_ = std::make_unique<MemoryPort>(MemoryPortConfig{MacAddr{{2, 0, 0, 0, 0, 0xa0}}, 1500});
    pb_ = std::make_unique<MemoryPort>(MemoryPortConfig{MacAddr{{2, 0, 0, 0, 0, 0xb0}}, 9000, 512, 9100});
    link0_ = std::make_unique<MemoryLink>(*r0_, *pa_, LinkConditions{100us});
    link1_ = std::make_unique<MemoryLink>(*r1_, *pb_, LinkConditions{100us});
    config.more_interfaces.push_back(InterfaceConfig{kR1, 24, std::nullopt});
    PacketIo* more[] = {r1_.get()};
    r_ = make_stack(config, *r0_, more);
    a_ = make_stack(host(kA, 2), *pa_);
    b_ = make_stack(host(kB, 3), *pb_);
    for (Stack* s : {r_.get(), a_.get(), b_.get()}) s->start(now_);
  }

  void run_until(const std::function<bool()>& done, Duration limit = 5s) {
    const Instant end = now_ + limit;
    while (!done() && now_ < end) {
      for (Stack* s : {r_.get(), a_.get(), b_.get()}) s->poll(now_);
      now_ += 50us;
    }
    ASSERT_TRUE(done()) << "not done within the time limit";
  }

  // `from` connects to to:port; returns the connected socket.
  int connect(Stack& from, Ipv4Addr to, std::uint16_t port = kPort) {
    const int s = from.socket(now_);
    EXPECT_EQ(from.connect(s, {to, port}, now_), -EINPROGRESS);
    return s;
  }
  // A listener on `local` (socket, bind, listen), each step checked.
  int listen_on(Stack& s, Endpoint local) {
    const int l = s.socket(now_);
    EXPECT_EQ(s.bind(l, local), 0);
    EXPECT_EQ(s.listen(l, 4), 0);
    return l;
  }
  static bool established(const Stack& s, int socket) { return (s.readiness(socket) & readiness::out) != 0; }

  Instant now_ = from_us(1'000'000);
  std::unique_ptr<MemoryPort> r0_, r1_, pa_, pb_;
  std::unique_ptr<MemoryLink> link0_, link1_;
  std::unique_ptr<Stack> r_, a_, b_;
};

TEST_F(TwoInterfaces, EachConnectionLeavesByItsRouteFromThatInterfacesAddress) {
  int listener[2];
  for (int i : {0, 1}) {
    Stack& peer = i == 0 ? *a_ : *b_;
    listener[i] = listen_on(peer, {{}, kPort});
  }
  const int to_a = connect(*r_, kA);
  const int to_b = connect(*r_, kB);
  Endpoint local;
  ASSERT_EQ(r_->local_endpoint(to_a, &local), 0);
  EXPECT_EQ(local.addr, kR0);
  ASSERT_EQ(r_->local_endpoint(to_b, &local), 0);
  EXPECT_EQ(local.addr, kR1);
  run_until([&] { return established(*r_, to_a) && established(*r_, to_b); });
  // Neither peer saw a datagram that was not for it: the SYN for B never went out on A's link.
  EXPECT_EQ(a_->stats().ip_not_for_us, 0u);
  EXPECT_EQ(b_->stats().ip_not_for_us, 0u);
  EXPECT_EQ(r_->stats().ip_no_route, 0u);

  // Data on both connections, and the peers see R's address on their own link.
  const std::vector<std::uint8_t> data(100'000, 0x5a);
  for (int s : {to_a, to_b}) ASSERT_EQ(r_->send(s, Bytes(data), now_), 100'000);
  std::vector<std::uint8_t> in(200'000);
  long got[2] = {0, 0};
  int accepted[2] = {-1, -1};
  run_until([&] {
    for (int i : {0, 1}) {
      Stack& peer = i == 0 ? *a_ : *b_;
      if (accepted[i] < 0) accepted[i] = peer.accept(listener[i], nullptr);
      if (accepted[i] >= 0)
        if (long n = peer.recv(accepted[i], MutableBytes(in), now_); n > 0) got[i] += n;
    }
    return got[0] == 100'000 && got[1] == 100'000;
  });
  Endpoint remote;
  ASSERT_EQ(a_->remote_endpoint(accepted[0], &remote), 0);
  EXPECT_EQ(remote.addr, kR0);
  ASSERT_EQ(b_->remote_endpoint(accepted[1], &remote), 0);
  EXPECT_EQ(remote.addr, kR1);
}

TEST_F(TwoInterfaces, AListenerOnTheUnspecifiedAddressAcceptsOnEveryInterface) {
  const int l = listen_on(*r_, {{}, kPort});
  const int from_a = connect(*a_, kR0);
  const int from_b = connect(*b_, kR1);
  std::vector<Ipv4Addr> locals;
  run_until([&] {
    if (const int s = r_->accept(l, nullptr); s >= 0) {
      Endpoint local;
      EXPECT_EQ(r_->local_endpoint(s, &local), 0);
      locals.push_back(local.addr);
    }
    return locals.size() == 2;
  });
  EXPECT_TRUE(established(*a_, from_a) && established(*b_, from_b));
  EXPECT_NE(std::find(locals.begin(), locals.end(), kR0), locals.end());
  EXPECT_NE(std::find(locals.begin(), locals.end(), kR1), locals.end());
}

TEST_F(TwoInterfaces, AListenerOnOneAddressRefusesTheOther) {
  listen_on(*r_, {kR1, kPort});
  const int from_a = connect(*a_, kR0);
  const int from_b = connect(*b_, kR1);
  run_until([&] { return a_->readiness(from_a) & readiness::err && established(*b_, from_b); });
  int error = 0;
  ASSERT_EQ(a_->get_option(from_a, SocketOption::error, &error), 0);
  EXPECT_EQ(error, ECONNREFUSED);
}

TEST_F(TwoInterfaces, BindTakesEachInterfaceAddressAndNoOther) {
  const int s1 = r_->socket(now_);
  EXPECT_EQ(r_->bind(s1, {kR1, 7000}), 0);
  const int s0 = r_->socket(now_);
  EXPECT_EQ(r_->bind(s0, {kR0, 7000}), 0);  // another address: the same port is free there
  const int s2 = r_->socket(now_);
  EXPECT_EQ(r_->bind(s2, {Ipv4Addr::of(10, 0, 2, 1), 7000}), -EADDRNOTAVAIL);
  EXPECT_EQ(r_->bind(s2, {kB, 7000}), -EADDRNOTAVAIL);
}

TEST_F(TwoInterfaces, EachInterfaceAnnouncesTheMssOfItsOwnMtu) {
  listen_on(*r_, {{}, kPort});
  const int from_a = connect(*a_, kR0);
  const int from_b = connect(*b_, kR1);
  run_until([&] { return established(*a_, from_a) && established(*b_, from_b); });
  // What R announced in each SYN-ACK, and what each peer then sends (timestamps on every segment).
  EXPECT_EQ(a_->tcp().tcb(from_a)->peer_mss, 1460);
  EXPECT_EQ(b_->tcp().tcb(from_b)->peer_mss, 8960);
  int mss = 0;
  ASSERT_EQ(a_->get_option(from_a, SocketOption::max_segment, &mss), 0);
  EXPECT_EQ(mss, 1460 - 12);
  ASSERT_EQ(b_->get_option(from_b, SocketOption::max_segment, &mss), 0);
  EXPECT_EQ(mss, 8960 - 12);
  // R's side toward B, an active open this time, takes the jumbo size too.
  listen_on(*b_, {{}, 81});
  const int to_b = connect(*r_, kB, 81);
  run_until([&] { return established(*r_, to_b); });
  ASSERT_EQ(r_->get_option(to_b, SocketOption::max_segment, &mss), 0);
  EXPECT_EQ(mss, 8960 - 12);
}

TEST_F(TwoInterfaces, ARouteThroughAGatewayLeavesByTheGatewaysInterface) {
  StackConfig config = host(kR0, 1);
  config.routes.push_back(Route{Ipv4Addr::of(192, 168, 7, 0), 24, kB});
  build(config);
  const int s = connect(*r_, Ipv4Addr::of(192, 168, 7, 9));
  Endpoint local;
  ASSERT_EQ(r_->local_endpoint(s, &local), 0);
  EXPECT_EQ(local.addr, kR1);
  // B resolves as the gateway, then receives the SYN (for an address not its own).
  run_until([&] { return b_->stats().ip_not_for_us > 0; });
  // On A's link, R sent its gratuitous ARP and nothing else.
  EXPECT_EQ(link0_->a_to_b().sent, 1u);
  EXPECT_EQ(a_->stats().arp_replies_sent, 0u);
}

TEST_F(TwoInterfaces, NoRouteFailsTheConnectAtOnce) {
  const std::uint64_t sent = r_->stats().frames_sent;  // the gratuitous ARPs
  const int s = r_->socket(now_);
  EXPECT_EQ(r_->connect(s, {Ipv4Addr::of(172, 16, 0, 1), kPort}, now_), -ENETUNREACH);
  EXPECT_EQ(r_->stats().frames_sent, sent);
}

// The weak host model: A reaches R's second address through R's first interface (its gateway).
// The connection's MSS and MTU are those of the way back to A (1500), not of the address's own
// interface (9000): otherwise R would announce 8960 and build segments link 0 cannot carry.
TEST_F(TwoInterfaces, AnAddressReachedThroughTheOtherInterfaceTakesTheRoutesMtu) {
  a_.reset();
  StackConfig ac = host(kA, 2);
  ac.gateway = kR0;
  a_ = make_stack(ac, *pa_);
  a_->start(now_);
  const int l = listen_on(*r_, {kR1, kPort});
  const int c = connect(*a_, kR1);
  int s = -1;
  run_until([&] {
    if (s < 0) s = r_->accept(l, nullptr);
    return s >= 0 && established(*a_, c);
  });
  EXPECT_EQ(a_->tcp().tcb(c)->peer_mss, 1460);  // what R announced
  int mss = 0;
  ASSERT_EQ(r_->get_option(s, SocketOption::max_segment, &mss), 0);
  EXPECT_EQ(mss, 1460 - 12);
  const std::vector<std::uint8_t> data(200'000, 0x33);
  ASSERT_EQ(r_->send(s, Bytes(data), now_), 200'000);
  std::vector<std::uint8_t> in(64 * 1024);
  long got = 0;
  run_until([&] {
    if (long n = a_->recv(c, MutableBytes(in), now_); n > 0) got += n;
    return got == 200'000;
  });
  EXPECT_EQ(r_->stats().tx_oversize, 0u);
  EXPECT_EQ(link1_->a_to_b().sent, 1u);  // R's gratuitous ARP only: everything went by link 0
}

// A listener per address on one port, as a multi-homed server may want; a wildcard listener on
// that port then conflicts with both.
TEST_F(TwoInterfaces, EachAddressMayHaveItsOwnListenerOnOnePort) {
  const int l0 = listen_on(*r_, {kR0, kPort});
  const int l1 = listen_on(*r_, {kR1, kPort});
  const int wildcard = r_->socket(now_);
  EXPECT_EQ(r_->bind(wildcard, {{}, kPort}), -EADDRINUSE);
  const int from_a = connect(*a_, kR0);
  const int from_b = connect(*b_, kR1);
  int s0 = -1, s1 = -1;
  run_until([&] {
    if (s0 < 0) s0 = r_->accept(l0, nullptr);
    if (s1 < 0) s1 = r_->accept(l1, nullptr);
    return s0 >= 0 && s1 >= 0;
  });
  Endpoint remote;
  ASSERT_EQ(r_->remote_endpoint(s0, &remote), 0);
  EXPECT_EQ(remote.addr, kA);
  ASSERT_EQ(r_->remote_endpoint(s1, &remote), 0);
  EXPECT_EQ(remote.addr, kB);
  EXPECT_TRUE(established(*a_, from_a) && established(*b_, from_b));
}

TEST(StackInterfaces, ADeviceForEachInterfaceAndDistinctAddressesAreRequired) {
  MemoryPort p0(MemoryPortConfig{MacAddr{{2, 0, 0, 0, 0, 1}}});
  MemoryPort p1(MemoryPortConfig{MacAddr{{2, 0, 0, 0, 0, 2}}});
  StackConfig config = host(kR0, 1);
  config.more_interfaces.push_back(InterfaceConfig{kR1, 24, std::nullopt});
  auto made = Stack::create(config, p0);
  ASSERT_TRUE(std::holds_alternative<std::string>(made));
  EXPECT_EQ(std::get<std::string>(made), "link: 1 device(s) for 2 interface(s)");

  PacketIo* more[] = {&p1};
  config.more_interfaces[0].address = kR0;
  made = Stack::create(config, p0, more);
  ASSERT_TRUE(std::holds_alternative<std::string>(made));
  EXPECT_EQ(std::get<std::string>(made), "more_interfaces[0].address: the first interface has it already");

  config.more_interfaces[0].address = kR1;
  config.routes.push_back(Route{Ipv4Addr::of(192, 168, 0, 0), 16, {}, 2});
  made = Stack::create(config, p0, more);
  ASSERT_TRUE(std::holds_alternative<std::string>(made));
  EXPECT_EQ(std::get<std::string>(made), "routes: interface 2 does not exist (the stack has 2)");

  config.routes.clear();
  config.gateway = Ipv4Addr::of(10, 0, 1, 254);  // on the second interface's subnet: fine
  made = Stack::create(config, p0, more);
  EXPECT_TRUE(std::holds_alternative<std::unique_ptr<Stack>>(made));
  config.gateway = Ipv4Addr::of(10, 0, 2, 254);
  made = Stack::create(config, p0, more);
  ASSERT_TRUE(std::holds_alternative<std::string>(made));
  EXPECT_EQ(std::get<std::string>(made), "gateway: not inside any interface's subnet");
}

}  // namespace
}  // namespace mtcpp
