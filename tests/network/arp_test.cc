// ARP on the stack's interface (RFC 826, RFC 5227): replies, learning, resolution with held
// frames, retries and give-up, the pending limit, static entries, aging and gratuitous ARP.
#include "network/network_fixture.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

class NetworkArp : public NetworkFixture {
 protected:
  // Checks one ARP frame L sent, field by field, padding included.
  void expect_arp(const Sent& s, ArpOp op, MacAddr eth_dst, Ipv4Addr target_ip, MacAddr target_mac,
                  Ipv4Addr sender_ip) {
    ASSERT_TRUE(s.is_arp());
    EXPECT_EQ(s.bytes.size(), 60u) << "an ARP frame is padded to Ethernet's 60-byte minimum";
    EXPECT_EQ(s.eth.dst, eth_dst);
    EXPECT_EQ(s.eth.src, local_mac_);
    Bytes b(s.bytes);
    EXPECT_EQ(load_be16(b, 14), 1) << "htype Ethernet";
    EXPECT_EQ(load_be16(b, 16), 0x0800) << "ptype IPv4";
    EXPECT_EQ(b[18], 6) << "hlen";
    EXPECT_EQ(b[19], 4) << "plen";
    EXPECT_EQ(load_be16(b, 20), static_cast<std::uint16_t>(op));
    ASSERT_TRUE(s.arp);
    EXPECT_EQ(s.arp->sender_mac, local_mac_);
    EXPECT_EQ(s.arp->sender_ip, sender_ip);
    EXPECT_EQ(s.arp->target_mac, target_mac);
    EXPECT_EQ(s.arp->target_ip, target_ip);
    for (std::size_t i = kEth + ArpPacket::kSize; i < s.bytes.size(); ++i)
      EXPECT_EQ(s.bytes[i], 0) << "padding byte " << i;
  }
  void expect_request_for(const Sent& s, Ipv4Addr target) {
    expect_arp(s, ArpOp::request, MacAddr::broadcast(), target, MacAddr{}, local_.addr);
  }

  // A socket connecting to the peer from `port`; its SYN goes wherever ARP lets it.
  int connect_from(std::uint16_t port, Endpoint to) {
    const int fd = stack().socket(now());
    EXPECT_GE(fd, 0);
    EXPECT_EQ(stack().bind(fd, {local_.addr, port}), 0);
    EXPECT_EQ(stack().connect(fd, to, now()), -EINPROGRESS);
    return fd;
  }

  // Checks that `s` is the SYN from `port` to the peer, Ethernet-addressed to `mac`.
  void expect_syn(const Sent& s, std::uint16_t port, MacAddr mac, Endpoint to) {
    ASSERT_TRUE(s.is_ipv4());
    EXPECT_EQ(s.eth.dst, mac);
    EXPECT_EQ(s.eth.src, local_mac_);
    ASSERT_TRUE(s.ip);
    EXPECT_EQ(s.ip->src, local_.addr);
    EXPECT_EQ(s.ip->dst, to.addr);
    ASSERT_TRUE(s.tcp);
    EXPECT_EQ(s.tcp->flags, S);
    EXPECT_EQ(s.tcp->src_port, port);
    EXPECT_EQ(s.tcp->dst_port, to.port);
  }
};

TEST_F(NetworkArp, RequestForOurAddressGetsACorrectReply) {
  configure(unresolved_config());
  push(arp_request_from_peer(local_.addr));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_arp(all[0], ArpOp::reply, remote_mac_, remote_.addr, remote_mac_, local_.addr);
  EXPECT_EQ(stats().arp_replies_sent, 1u);
  EXPECT_EQ(stats().arp_requests_sent, 0u);
  // The asker was learned (RFC 826: the target merges the sender): a SYN goes straight to it.
  connect_from(5000, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5000, remote_mac_, remote_);
  EXPECT_EQ(stats().arp_requests_sent, 0u);
}

TEST_F(NetworkArp, UnpaddedRequestIsAnsweredToo) {
  configure(unresolved_config());
  Frame f = arp_request_from_peer(local_.addr);
  f.resize(kEth + ArpPacket::kSize);  // 42 bytes, as a host stack hands it to its NIC
  push(f);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_arp(all[0], ArpOp::reply, remote_mac_, remote_.addr, remote_mac_, local_.addr);
}

TEST_F(NetworkArp, RequestsForOtherAddressesAreIgnoredAndNotLearned) {
  configure(unresolved_config());
  push(arp_request_from_peer(Ipv4Addr::of(10, 0, 0, 3)));
  // A reply between two other hosts that reaches us (flooded) teaches nothing either.
  push(arp_frame(ArpOp::reply, local_mac_, remote_mac_, remote_mac_, remote_.addr, MacAddr{{0x02, 0, 0, 0, 0, 3}},
                 Ipv4Addr::of(10, 0, 0, 3)));
  expect_silence();
  EXPECT_EQ(stats().arp_replies_sent, 0u);
  // Nothing was learned: connecting to the asker needs a request.
  connect_from(5000, remote_);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_request_for(all[0], remote_.addr);
}

TEST_F(NetworkArp, ProbeForOurAddressIsDefendedAndNotLearned) {
  configure(unresolved_config());
  // RFC 5227 §2.1.1: an ARP probe has sender IP 0.0.0.0.
  push(arp_frame(ArpOp::request, MacAddr::broadcast(), remote_mac_, remote_mac_, Ipv4Addr{}, MacAddr{},
                 local_.addr));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_arp(all[0], ArpOp::reply, remote_mac_, Ipv4Addr{}, remote_mac_, local_.addr);
  connect_from(5000, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_request_for(all[0], remote_.addr);
}

TEST_F(NetworkArp, RequestFromAMulticastSenderIsIgnored) {
  configure(unresolved_config());
  const MacAddr mcast{{0x01, 0, 0x5e, 0, 0, 1}};
  push(arp_frame(ArpOp::request, MacAddr::broadcast(), remote_mac_, mcast, remote_.addr, MacAddr{}, local_.addr));
  expect_silence();
  EXPECT_EQ(stats().arp_replies_sent, 0u);
}

TEST_F(NetworkArp, MalformedArpIsCountedAndIgnored) {
  configure(unresolved_config());
  Frame f = arp_request_from_peer(local_.addr);
  f[kEth + 5] = 16;  // plen 16: not IPv4
  push(f);
  Frame g = arp_request_from_peer(local_.addr);
  store_be16(MutableBytes(g), kEth + 6, 3);  // opcode 3 (RARP)
  push(g);
  Frame h = arp_request_from_peer(local_.addr);
  h.resize(kEth + ArpPacket::kSize - 1);  // truncated
  push(h);
  expect_silence();
  EXPECT_EQ(stats().frames_malformed, 3u);
  EXPECT_EQ(stats().arp_replies_sent, 0u);
}

TEST_F(NetworkArp, UnresolvedNeighbourHoldsTheSegmentRetriesThenDrops) {
  StackConfig c = unresolved_config();
  c.arp.retry_interval = 500ms;
  c.arp.max_requests = 4;
  configure(c);
  const std::size_t baseline = io_->buffers_in_use();
  const int fd = connect_from(5000, remote_);
  // Only the request leaves: the SYN waits for the address.
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_request_for(all[0], remote_.addr);
  EXPECT_EQ(stats().arp_requests_sent, 1u);
  EXPECT_EQ(stats().tcp_segments_sent, 1u);
  EXPECT_EQ(io_->buffers_in_use(), baseline + 1) << "the held SYN keeps its buffer";
  for (int i = 2; i <= c.arp.max_requests; ++i) {
    advance(c.arp.retry_interval - 1ms);
    expect_silence();
    advance(1ms);
    all = pop_all();
    ASSERT_EQ(all.size(), 1u) << "request " << i;
    expect_request_for(all[0], remote_.addr);
    EXPECT_EQ(stats().arp_requests_sent, static_cast<std::uint64_t>(i));
    EXPECT_EQ(stats().arp_unresolved_drops, 0u);
  }
  // One more interval without an answer: the held SYN is dropped, counted, its buffer returned.
  advance(c.arp.retry_interval - 1ms);
  EXPECT_EQ(stats().arp_unresolved_drops, 0u);
  advance(1ms);
  expect_silence();
  EXPECT_EQ(stats().arp_requests_sent, static_cast<std::uint64_t>(c.arp.max_requests));
  EXPECT_EQ(stats().arp_unresolved_drops, 1u);
  EXPECT_EQ(io_->buffers_in_use(), baseline);
  // ARP has no more deadlines; the connection itself is untouched and waits for its RTO: the
  // SYN goes again exactly then (the stack may ask to be polled earlier, never later).
  const Instant rto_at = now() - (c.arp.retry_interval * c.arp.max_requests) + c.tcp.rto_initial;
  EXPECT_LE(stack().next_deadline(), rto_at);
  EXPECT_EQ(state(fd), TcpState::syn_sent);
  advance_to(rto_at - 1ms);
  EXPECT_EQ(stats().tcp_retransmissions, 0u);
  advance_to(rto_at);
  EXPECT_EQ(stats().tcp_retransmissions, 1u);
}

TEST_F(NetworkArp, AfterGivingUpTheNextSegmentStartsAFreshResolution) {
  StackConfig c = unresolved_config();
  c.arp.max_requests = 1;
  configure(c);
  const int fd = connect_from(5000, remote_);
  pop_all();
  advance(c.arp.retry_interval);
  EXPECT_EQ(stats().arp_unresolved_drops, 1u);
  // The SYN's retransmission asks again, and this time the peer answers.
  advance_to(now() - c.arp.retry_interval + c.tcp.rto_initial);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_request_for(all[0], remote_.addr);
  push(arp_reply(remote_.addr, remote_mac_));
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5000, remote_mac_, remote_);
  EXPECT_EQ(state(fd), TcpState::syn_sent);
}

TEST_F(NetworkArp, ReplyReleasesHeldFramesInOrderWithThePeersMac) {
  configure(unresolved_config());
  const std::size_t baseline = io_->buffers_in_use();
  connect_from(5001, remote_);
  connect_from(5002, remote_);
  connect_from(5003, remote_);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u) << "one request covers every frame waiting for the address";
  expect_request_for(all[0], remote_.addr);
  push(arp_reply(remote_.addr, remote_mac_));
  all = pop_all();
  ASSERT_EQ(all.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) expect_syn(all[i], static_cast<std::uint16_t>(5001 + i), remote_mac_, remote_);
  EXPECT_EQ(stats().arp_replies_sent, 0u) << "a reply is not answered";
  EXPECT_EQ(stats().arp_unresolved_drops, 0u);
  EXPECT_EQ(io_->buffers_in_use(), baseline);
  // No ARP deadline is left behind, and the retry time passes without another request.
  advance(5s);
  expect_silence();
  EXPECT_EQ(stats().arp_requests_sent, 1u);
  // The address is now known: the next SYN goes at once.
  connect_from(5004, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5004, remote_mac_, remote_);
}

TEST_F(NetworkArp, ARequestFromTheAwaitedHostAlsoReleasesTheHeldFrames) {
  configure(unresolved_config());
  connect_from(5001, remote_);
  pop_all();
  push(arp_request_from_peer(local_.addr));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 2u);
  expect_syn(all[0], 5001, remote_mac_, remote_);
  expect_arp(all[1], ArpOp::reply, remote_mac_, remote_.addr, remote_mac_, local_.addr);
}

TEST_F(NetworkArp, AtMostMaxPendingFramesAreHeld) {
  StackConfig c = unresolved_config();
  c.arp.max_pending = 3;
  configure(c);
  const std::size_t baseline = io_->buffers_in_use();
  for (std::uint16_t p = 5001; p <= 5005; ++p) connect_from(p, remote_);
  EXPECT_EQ(stats().arp_unresolved_drops, 2u) << "the fourth and fifth SYN find the queue full";
  EXPECT_EQ(stats().arp_requests_sent, 1u);
  pop_all();
  EXPECT_EQ(io_->buffers_in_use(), baseline + 3);
  push(arp_reply(remote_.addr, remote_mac_));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) expect_syn(all[i], static_cast<std::uint16_t>(5001 + i), remote_mac_, remote_);
  EXPECT_EQ(io_->buffers_in_use(), baseline);
}

TEST_F(NetworkArp, StaticEntriesAreUsedWithoutRequestsAndNotOverridden) {
  StackConfig c = unresolved_config();
  const MacAddr static_mac{{0x02, 0, 0, 0, 0, 0x22}};
  c.static_arp.push_back({remote_.addr, static_mac});
  configure(c);
  connect_from(5001, remote_);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5001, static_mac, remote_);
  // A reply claiming another MAC for the address does not replace a static entry.
  push(arp_reply(remote_.addr, remote_mac_));
  connect_from(5002, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5002, static_mac, remote_);
  // Nor does aging touch it.
  advance(c.arp.entry_lifetime + 1s);
  pop_all();
  connect_from(5003, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5003, static_mac, remote_);
  EXPECT_EQ(stats().arp_requests_sent, 0u);
}

TEST_F(NetworkArp, StaleEntryInUseKeepsSendingWhileAUnicastRequestConfirmsIt) {
  StackConfig c = unresolved_config();
  c.arp.entry_lifetime = 10s;
  configure(c);
  push(arp_reply(remote_.addr, remote_mac_));  // unsolicited but addressed to us: learned
  const Instant learned = now();
  expect_silence();
  advance_to(learned + c.arp.entry_lifetime - 1ms);
  connect_from(5001, remote_);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5001, remote_mac_, remote_);
  // Stale: the SYN still goes at once to the known MAC, and a unicast request asks that MAC to
  // confirm (RFC 1122 §2.3.2.1), instead of holding traffic for a broadcast re-resolution.
  advance_to(learned + c.arp.entry_lifetime);
  expect_silence();
  connect_from(5002, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 2u);
  expect_syn(all[0], 5002, remote_mac_, remote_);
  expect_arp(all[1], ArpOp::request, remote_mac_, remote_.addr, MacAddr{}, local_.addr);
  EXPECT_EQ(stats().arp_confirm_probes, 1u);
  // The answer makes it fresh: a full lifetime without another request.
  push(arp_reply(remote_.addr, remote_mac_));
  connect_from(5003, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5003, remote_mac_, remote_);
  EXPECT_EQ(stats().arp_confirm_probes, 1u);
}

TEST_F(NetworkArp, UnansweredConfirmationForgetsTheEntryAndTheNextUseResolvesAgain) {
  StackConfig c = unresolved_config();
  c.arp.entry_lifetime = 10s;
  configure(c);
  push(arp_reply(remote_.addr, remote_mac_));
  advance(c.arp.entry_lifetime);
  connect_from(5001, remote_);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 2u);  // the SYN, and the first unicast request
  expect_arp(all[1], ArpOp::request, remote_mac_, remote_.addr, MacAddr{}, local_.addr);
  // The peer moved to a new MAC: the unicast requests go unanswered, max_requests in all.
  for (int i = 1; i < c.arp.max_requests; ++i) {
    advance(c.arp.retry_interval);
    all = pop_all();
    ASSERT_EQ(all.size(), 1u);
    expect_arp(all[0], ArpOp::request, remote_mac_, remote_.addr, MacAddr{}, local_.addr);
  }
  advance(c.arp.retry_interval);
  expect_silence();
  connect_from(5002, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_request_for(all[0], remote_.addr);
  const MacAddr moved{{0x02, 0, 0, 0, 0, 0x77}};
  push(arp_reply(remote_.addr, moved));
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5002, moved, remote_);
}

TEST_F(NetworkArp, NeighboursOwnFramesKeepItsEntryFresh) {
  StackConfig c = unresolved_config();
  c.arp.entry_lifetime = 10s;
  configure(c);
  push(arp_reply(remote_.addr, remote_mac_));
  const std::vector<std::uint8_t> body(8, 0);
  // Every 5 s the neighbour sends us something (an ICMP echo here): three lifetimes pass with
  // traffic both ways and no ARP request at all.
  for (int i = 0; i < 6; ++i) {
    advance(5s);
    push(ip_frame(remote_.addr, local_.addr, 1, Bytes(icmp_message(8, 0, 0x00010000u + i, Bytes(body)))));
    auto all = pop_all();
    ASSERT_EQ(all.size(), 1u);
    ASSERT_TRUE(all[0].is_ipv4());
    EXPECT_EQ(all[0].eth.dst, remote_mac_);
  }
  EXPECT_EQ(stats().arp_requests_sent, 0u);
  EXPECT_EQ(stats().arp_confirm_probes, 0u);
  // A frame from the same address but another MAC confirms nothing.
  advance(c.arp.entry_lifetime);
  push(ip_frame(remote_.addr, local_.addr, 1, Bytes(icmp_message(8, 0, 0x00020000u, Bytes(body))),
                MacAddr{{0x02, 0, 0, 0, 0, 0x66}}));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 2u);  // the echo reply to the known MAC, and a unicast request
  EXPECT_EQ(all[0].eth.dst, remote_mac_);
  expect_arp(all[1], ArpOp::request, remote_mac_, remote_.addr, MacAddr{}, local_.addr);
}

TEST_F(NetworkArp, BurstAtExpiryIsAllSentNoneDropped) {
  // 20 pings in one burst just as the entry goes stale: 20 replies (the issue saw 8, the rest
  // dropped by a hold queue of 8 while the entry was re-resolved).
  StackConfig c = unresolved_config();
  c.arp.entry_lifetime = 10s;
  configure(c);
  push(arp_reply(remote_.addr, remote_mac_));
  advance(c.arp.entry_lifetime);
  const std::vector<std::uint8_t> body(8, 0);
  // From another MAC, so that the pings themselves confirm nothing: only the stale entry serves.
  const MacAddr other{{0x02, 0, 0, 0, 0, 0x66}};
  for (std::uint32_t i = 0; i < 20; ++i) {
    const Frame f = ip_frame(remote_.addr, local_.addr, 1, Bytes(icmp_message(8, 0, 0x00010000u + i, Bytes(body))), other);
    ASSERT_TRUE(io_->push_rx(Bytes(f)));
  }
  poll();
  auto all = pop_all();
  int replies = 0;
  for (const Sent& s : all) replies += s.is_ipv4() && s.eth.dst == remote_mac_;
  EXPECT_EQ(replies, 20);
  EXPECT_EQ(stats().arp_unresolved_drops, 0u);
  EXPECT_EQ(stats().arp_confirm_probes, 1u);
}

TEST_F(NetworkArp, AnnouncementUpdatesAKnownNeighboursMac) {
  configure(unresolved_config());
  push(arp_reply(remote_.addr, remote_mac_));
  // RFC 826's merge step comes before "am I the target?": a known sender's new MAC is taken from
  // any ARP packet, such as its gratuitous announcement after a failover (RFC 5227 §3).
  const MacAddr moved{{0x02, 0, 0, 0, 0, 0x77}};
  push(arp_frame(ArpOp::request, MacAddr::broadcast(), moved, moved, remote_.addr, MacAddr{}, remote_.addr));
  expect_silence();  // not asked about us: no reply
  connect_from(5001, remote_);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5001, moved, remote_);
  // A request for another host, from the same neighbour, updates it just as well.
  const MacAddr again{{0x02, 0, 0, 0, 0, 0x78}};
  push(arp_frame(ArpOp::request, MacAddr::broadcast(), again, again, remote_.addr, MacAddr{},
                 Ipv4Addr::of(10, 0, 0, 3)));
  connect_from(5002, remote_);
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5002, again, remote_);
  EXPECT_EQ(stats().arp_requests_sent, 0u);
}

TEST_F(NetworkArp, AnnouncementResolvesAPendingNeighbourButCannotMoveAStaticOne) {
  StackConfig c = unresolved_config();
  const Ipv4Addr fixed = Ipv4Addr::of(10, 0, 0, 9);
  const MacAddr fixed_mac{{0x02, 0, 0, 0, 0, 0x09}};
  c.static_arp.push_back({fixed, fixed_mac});
  configure(c);
  connect_from(5001, remote_);
  pop_all();
  push(arp_frame(ArpOp::request, MacAddr::broadcast(), remote_mac_, remote_mac_, remote_.addr, MacAddr{},
                 remote_.addr));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5001, remote_mac_, remote_);
  const MacAddr impostor{{0x02, 0, 0, 0, 0, 0x66}};
  push(arp_frame(ArpOp::request, MacAddr::broadcast(), impostor, impostor, fixed, MacAddr{}, fixed));
  connect_from(5002, {fixed, 80});
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5002, fixed_mac, {fixed, 80});
}

TEST_F(NetworkArp, AFullCacheOfExpiredEntriesStillResolvesNewNeighbours) {
  StackConfig c = unresolved_config();
  c.arp.max_entries = 2;
  c.arp.entry_lifetime = 10s;
  configure(c);
  push(arp_reply(remote_.addr, remote_mac_));
  push(arp_reply(Ipv4Addr::of(10, 0, 0, 3), MacAddr{{0x02, 0, 0, 0, 0, 3}}));
  advance(c.arp.entry_lifetime + 1s);
  // Both entries are stale: a third neighbour must still be reachable.
  const Endpoint third{Ipv4Addr::of(10, 0, 0, 4), 80};
  connect_from(5001, third);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_request_for(all[0], third.addr);
  EXPECT_EQ(stats().arp_unresolved_drops, 0u);
  const MacAddr mac{{0x02, 0, 0, 0, 0, 4}};
  push(arp_reply(third.addr, mac));
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5001, mac, third);
}

TEST_F(NetworkArp, AFullCacheOfFreshEntriesMakesRoomForTraffic) {
  StackConfig c = unresolved_config();
  c.arp.max_entries = 2;
  configure(c);
  // Two hosts that merely asked about us fill the cache.
  push(arp_reply(Ipv4Addr::of(10, 0, 0, 5), MacAddr{{0x02, 0, 0, 0, 0, 5}}));
  push(arp_reply(Ipv4Addr::of(10, 0, 0, 6), MacAddr{{0x02, 0, 0, 0, 0, 6}}));
  connect_from(5001, remote_);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_request_for(all[0], remote_.addr);
  EXPECT_EQ(stats().arp_unresolved_drops, 0u);
  push(arp_reply(remote_.addr, remote_mac_));
  all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_syn(all[0], 5001, remote_mac_, remote_);
}

TEST_F(NetworkArp, ACacheFullOfPendingResolutionsDropsAndRecovers) {
  StackConfig c = unresolved_config();
  c.arp.max_entries = 2;
  c.arp.max_requests = 1;
  configure(c);
  const std::size_t baseline = io_->buffers_in_use();
  connect_from(5001, {Ipv4Addr::of(10, 0, 0, 5), 80});
  connect_from(5002, {Ipv4Addr::of(10, 0, 0, 6), 80});
  // Both slots hold frames waiting for an answer: those are never evicted, the new one is dropped.
  connect_from(5003, remote_);
  EXPECT_EQ(stats().arp_unresolved_drops, 1u);
  EXPECT_EQ(stats().arp_requests_sent, 2u);
  pop_all();
  advance(c.arp.retry_interval);
  EXPECT_EQ(stats().arp_unresolved_drops, 3u);
  EXPECT_EQ(io_->buffers_in_use(), baseline);
  connect_from(5004, remote_);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  expect_request_for(all[0], remote_.addr);
}

TEST_F(NetworkArp, GratuitousArpAtStartWhenConfigured) {
  StackConfig c = unresolved_config();
  c.arp.gratuitous_at_start = true;
  configure(c);
  expect_silence();
  stack().start(now());
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  // An ARP announcement (RFC 5227 §3): a broadcast request with sender and target IP both ours.
  expect_arp(all[0], ArpOp::request, MacAddr::broadcast(), local_.addr, MacAddr{}, local_.addr);
  EXPECT_EQ(stats().arp_requests_sent, 1u);
}

TEST_F(NetworkArp, NoGratuitousArpWhenNotConfigured) {
  StackConfig c = unresolved_config();
  c.arp.gratuitous_at_start = false;
  configure(c);
  stack().start(now());
  expect_silence();
  EXPECT_EQ(stats().arp_requests_sent, 0u);
}

TEST_F(NetworkArp, HeldFramesAreReturnedWhenTheStackGoesAway) {
  configure(unresolved_config());
  connect_from(5001, remote_);
  connect_from(5002, remote_);
  pop_all();
  EXPECT_EQ(io_->buffers_in_use(), 2u);
  destroy_stack();
  EXPECT_EQ(io_->buffers_in_use(), 0u);
}

}  // namespace
}  // namespace mtcpp::test
