// Routing: the connected subnet, configured routes by longest prefix, the default gateway, and
// what happens with no route. Each case reads the frame L puts on the wire: the Ethernet
// destination says which next hop was chosen, the IPv4 destination that the packet still goes to
// the final host.
#include "network/network_fixture.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

const Ipv4Addr kGateway = Ipv4Addr::of(10, 0, 0, 254);
const MacAddr kGatewayMac{{0x02, 0, 0, 0, 0, 0xfe}};
const Ipv4Addr kRouter16 = Ipv4Addr::of(10, 0, 0, 253);
const MacAddr kRouter16Mac{{0x02, 0, 0, 0, 0, 0xfd}};
const Ipv4Addr kRouter24 = Ipv4Addr::of(10, 0, 0, 252);
const MacAddr kRouter24Mac{{0x02, 0, 0, 0, 0, 0xfc}};
const Ipv4Addr kRouter25 = Ipv4Addr::of(10, 0, 0, 251);
const MacAddr kRouter25Mac{{0x02, 0, 0, 0, 0, 0xfb}};

class NetworkRouting : public NetworkFixture {
 protected:
  StackConfig routed_config() const {
    StackConfig c = unresolved_config();
    c.gateway = kGateway;
    c.static_arp.push_back({remote_.addr, remote_mac_});
    c.static_arp.push_back({kGateway, kGatewayMac});
    c.static_arp.push_back({kRouter16, kRouter16Mac});
    c.static_arp.push_back({kRouter24, kRouter24Mac});
    c.static_arp.push_back({kRouter25, kRouter25Mac});
    return c;
  }

  // Connects to `to` and returns the one frame that leaves (a SYN or an ARP request).
  Sent connect_and_capture(Endpoint to) {
    const int fd = stack().socket(now());
    EXPECT_EQ(stack().connect(fd, to, now()), -EINPROGRESS);
    auto all = pop_all();
    EXPECT_EQ(all.size(), 1u);
    if (all.empty()) return Sent{};
    return std::move(all[0]);
  }

  // The SYN to `to` left for the next hop at `mac`, with an intact IPv4 header to the final host.
  void expect_syn_via(Endpoint to, MacAddr mac) {
    SCOPED_TRACE("to " + to.addr.to_string());
    Sent s = connect_and_capture(to);
    ASSERT_TRUE(s.is_ipv4());
    EXPECT_EQ(s.eth.dst, mac);
    EXPECT_EQ(s.eth.src, local_mac_);
    ASSERT_TRUE(s.ip) << "header checksum must verify";
    EXPECT_EQ(s.ip->src, local_.addr);
    EXPECT_EQ(s.ip->dst, to.addr);
    EXPECT_EQ(s.ip->protocol, 6);
    EXPECT_EQ(s.ip->ttl, 64);
    EXPECT_TRUE(s.ip->dont_fragment);
    EXPECT_FALSE(s.ip->is_fragment());
    EXPECT_EQ(s.ip->total_length, s.bytes.size() - kEth);
    ASSERT_TRUE(s.tcp);
    EXPECT_EQ(s.tcp->flags, S);
    EXPECT_EQ(s.tcp->dst_port, to.port);
  }
};

TEST_F(NetworkRouting, OnLinkDestinationGoesToItsOwnMac) {
  configure(routed_config());
  expect_syn_via(remote_, remote_mac_);
}

TEST_F(NetworkRouting, OffLinkDestinationGoesToTheGatewaysMac) {
  configure(routed_config());
  expect_syn_via({Ipv4Addr::of(192, 0, 2, 7), 80}, kGatewayMac);
  expect_syn_via({Ipv4Addr::of(8, 8, 8, 8), 53}, kGatewayMac);
}

TEST_F(NetworkRouting, OffLinkResolvesTheGatewayNotTheDestination) {
  StackConfig c = unresolved_config();
  c.gateway = kGateway;
  configure(c);
  const Endpoint far{Ipv4Addr::of(192, 0, 2, 7), 80};
  Sent req = connect_and_capture(far);
  ASSERT_TRUE(req.arp);
  EXPECT_EQ(req.arp->op, ArpOp::request);
  EXPECT_EQ(req.eth.dst, MacAddr::broadcast());
  EXPECT_EQ(req.arp->target_ip, kGateway);
  push(arp_reply(kGateway, kGatewayMac));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].eth.dst, kGatewayMac);
  ASSERT_TRUE(all[0].ip);
  EXPECT_EQ(all[0].ip->dst, far.addr);
  // Another far host shares the gateway's entry: no new request.
  expect_syn_via({Ipv4Addr::of(198, 51, 100, 1), 443}, kGatewayMac);
  EXPECT_EQ(stats().arp_requests_sent, 1u);
}

TEST_F(NetworkRouting, LongestPrefixWinsWhateverTheRouteOrder) {
  const std::vector<Route> specific_first = {{Ipv4Addr::of(192, 168, 1, 0), 24, kRouter24},
                                             {Ipv4Addr::of(192, 168, 0, 0), 16, kRouter16}};
  const std::vector<Route> general_first = {specific_first[1], specific_first[0]};
  for (const auto& routes : {specific_first, general_first}) {
    SCOPED_TRACE(routes[0].prefix_len == 24 ? "/24 listed first" : "/16 listed first");
    StackConfig c = routed_config();
    c.routes = routes;
    configure(c);
    expect_syn_via({Ipv4Addr::of(192, 168, 1, 5), 80}, kRouter24Mac);
    expect_syn_via({Ipv4Addr::of(192, 168, 1, 255), 80}, kRouter24Mac);
    expect_syn_via({Ipv4Addr::of(192, 168, 2, 5), 80}, kRouter16Mac);
    expect_syn_via({Ipv4Addr::of(192, 168, 255, 1), 80}, kRouter16Mac);
    expect_syn_via({Ipv4Addr::of(192, 169, 1, 5), 80}, kGatewayMac);  // outside both: default
    expect_syn_via({Ipv4Addr::of(172, 16, 0, 1), 80}, kGatewayMac);
    expect_syn_via(remote_, remote_mac_);  // the connected /24 is untouched
  }
}

TEST_F(NetworkRouting, RouteMoreSpecificThanTheConnectedSubnetWins) {
  StackConfig c = routed_config();
  c.routes = {{Ipv4Addr::of(10, 0, 0, 128), 25, kRouter25}};
  configure(c);
  expect_syn_via({Ipv4Addr::of(10, 0, 0, 130), 80}, kRouter25Mac);
  expect_syn_via(remote_, remote_mac_);  // 10.0.0.2 is in the lower half: still on-link
}

TEST_F(NetworkRouting, ExplicitDefaultRouteActsAsGateway) {
  StackConfig c = routed_config();
  c.gateway = Ipv4Addr{};
  c.routes = {{Ipv4Addr{}, 0, kRouter16}};
  configure(c);
  expect_syn_via({Ipv4Addr::of(203, 0, 113, 9), 80}, kRouter16Mac);
  expect_syn_via(remote_, remote_mac_);
}

TEST_F(NetworkRouting, OnLinkRouteResolvesTheDestinationItself) {
  StackConfig c = unresolved_config();
  c.gateway = kGateway;
  c.routes = {{Ipv4Addr::of(10, 1, 0, 0), 16, Ipv4Addr{}}};  // no gateway: on-link
  configure(c);
  const Endpoint neighbour{Ipv4Addr::of(10, 1, 2, 3), 80};
  Sent req = connect_and_capture(neighbour);
  ASSERT_TRUE(req.arp);
  EXPECT_EQ(req.arp->target_ip, neighbour.addr);
  const MacAddr mac{{0x02, 0, 0, 0, 1, 0x03}};
  push(arp_reply(neighbour.addr, mac));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].eth.dst, mac);
  ASSERT_TRUE(all[0].ip);
  EXPECT_EQ(all[0].ip->dst, neighbour.addr);
}

TEST_F(NetworkRouting, NoRouteFailsTheConnectAtOnceAndSendsNothing) {
  configure(default_config());  // no gateway, no routes
  const std::size_t baseline = io_->buffers_in_use();
  const int fd = stack().socket(now());
  EXPECT_EQ(stack().connect(fd, {Ipv4Addr::of(192, 0, 2, 7), 80}, now()), -ENETUNREACH);
  expect_silence();
  EXPECT_EQ(stats().arp_requests_sent, 0u);
  EXPECT_EQ(io_->buffers_in_use(), baseline);
  EXPECT_EQ(state(fd), TcpState::closed);
  // The socket is still unconnected: an on-link destination works.
  EXPECT_EQ(stack().close(fd, now()), 0);
  expect_syn_via(remote_, remote_mac_);
}

TEST_F(NetworkRouting, ReplyToAnOffLinkPingGoesThroughTheGateway) {
  configure(routed_config());
  const Ipv4Addr far = Ipv4Addr::of(192, 0, 2, 7);
  const std::vector<std::uint8_t> body = {1, 2, 3, 4};
  Frame m = icmp_message(IcmpHeader::kEchoRequest, 0, 0x00010001, body);
  push(ip_frame(far, local_.addr, 1, m, kGatewayMac));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].eth.dst, kGatewayMac);
  ASSERT_TRUE(all[0].ip);
  EXPECT_EQ(all[0].ip->dst, far);
  EXPECT_EQ(all[0].ip->protocol, 1);
}

TEST_F(NetworkRouting, PingFromAnUnroutableSourceIsNotAnswered) {
  configure(default_config());  // no gateway
  Frame m = icmp_message(IcmpHeader::kEchoRequest, 0, 0x00010001, {});
  push(ip_frame(Ipv4Addr::of(192, 0, 2, 7), local_.addr, 1, m));
  expect_silence();
  EXPECT_EQ(stats().ip_no_route, 1u);
  EXPECT_EQ(io_->buffers_in_use(), 0u);
}

}  // namespace
}  // namespace mtcpp::test
