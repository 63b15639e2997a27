// Checksum offload (core/packet_io.h LinkCaps): with rx_checksum_verified the stack trusts the
// device and accepts whatever checksum fields arrive; with tx_checksum_offload it leaves the TCP
// checksum for the device to fill (0 on the wire it hands over). ICMP has no offload: it is always
// checked and always computed.
#include "network/network_fixture.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

class NetworkOffload : public NetworkFixture {
 protected:
  void SetUp() override { configure_with_caps(default_config(), LinkCaps{local_mac_, 1500, true, true}); }

  // A SYN-ACK or ACK that L sent, read without verifying checksums.
  Sent pop_unverified() {
    auto all = pop_all(/*verify_checksums=*/false);
    EXPECT_EQ(all.size(), 1u);
    if (all.empty()) return Sent{};
    return std::move(all[0]);
  }
};

TEST_F(NetworkOffload, SegmentsWithZeroOrBadChecksumsAreAccepted) {
  listen_socket();
  Frame f = frame_for(seg(S, 0).with_options(syn_options()));
  f[kTcpOff + 16] = 0, f[kTcpOff + 17] = 0;  // TCP checksum 0
  f[kIpOff + 10] ^= 0x5a;                     // and a wrong IPv4 header checksum
  push(f);
  Sent synack = pop_unverified();
  ASSERT_TRUE(synack.tcp);
  EXPECT_EQ(synack.tcp->flags, S | A);
  EXPECT_EQ(synack.tcp->ack, peer_iss_ + 1);
  our_iss_ = synack.tcp->seq;
  EXPECT_EQ(stats().tcp_bad_checksum + stats().ip_bad_checksum, 0u);
  // Handshake completes and data arrives, each segment with a garbage checksum.
  Frame ack = frame_for(seg(A, 1, 1));
  ack[kTcpOff + 17] ^= 0xff;
  push(ack);
  Endpoint peer;
  const int fd = stack().accept(listen_fd_, &peer);
  ASSERT_GE(fd, 0);
  Frame data = frame_for(seg(A | P, 1, 1, 100));
  data[kTcpOff + 16] = 0, data[kTcpOff + 17] = 0;
  push(data);
  EXPECT_EQ(stack().bytes_readable(fd), 100);
}

TEST_F(NetworkOffload, SentSegmentsCarryAZeroTcpChecksum) {
  listen_socket();
  push(frame_for(seg(S, 0).with_options(syn_options())));
  Sent synack = pop_unverified();
  ASSERT_TRUE(synack.tcp);
  EXPECT_EQ(synack.tcp->flags, S | A);
  EXPECT_EQ(synack.tcp->checksum, 0) << "left for the device";
  EXPECT_EQ(load_be16(Bytes(synack.bytes), kTcpOff + 16), 0);
  our_iss_ = synack.tcp->seq;
  push(frame_for(seg(A, 1, 1)));
  Endpoint peer;
  const int fd = stack().accept(listen_fd_, &peer);
  ASSERT_GE(fd, 0);
  const std::vector<std::uint8_t> payload(300, 0x42);
  ASSERT_EQ(stack().send(fd, payload, now()), 300);
  Sent data = pop_unverified();
  ASSERT_TRUE(data.tcp);
  EXPECT_EQ(data.tcp_payload.size(), 300u);
  EXPECT_EQ(data.tcp->checksum, 0);
  // The rest of the segment is intact: only the checksum is missing. Filling it in (as the device
  // would) gives a segment that verifies.
  Frame filled = data.bytes;
  reseal_tcp(filled);
  auto ip = Ipv4Header::parse(Bytes(filled).subspan(kEth), false);
  ASSERT_TRUE(ip.header);
  auto tcp = TcpHeader::parse(ip.payload, ip.header->src, ip.header->dst, true);
  EXPECT_TRUE(tcp.header.has_value());
  // A reset too.
  EXPECT_EQ(stack().abort(fd, now()), 0);
  Sent rst = pop_unverified();
  ASSERT_TRUE(rst.tcp);
  EXPECT_TRUE(rst.tcp->has(R));
  EXPECT_EQ(rst.tcp->checksum, 0);
}

TEST_F(NetworkOffload, IcmpIsStillVerifiedAndComputed) {
  Frame bad = icmp_message(IcmpHeader::kEchoRequest, 0, 0x00070001, std::vector<std::uint8_t>(20, 9));
  bad[IcmpHeader::kSize] ^= 1;
  push(ip_frame(remote_.addr, local_.addr, 1, bad));
  expect_silence();
  EXPECT_EQ(stats().icmp_malformed, 1u);
  push(ip_frame(remote_.addr, local_.addr, 1,
                icmp_message(IcmpHeader::kEchoRequest, 0, 0x00070002, std::vector<std::uint8_t>(20, 9))));
  Sent reply = pop_unverified();
  ASSERT_TRUE(reply.ip);
  EXPECT_EQ(reply.ip_payload[0], IcmpHeader::kEchoReply);
  EXPECT_EQ(inet_sum(reply.ip_payload), 0) << "ICMP checksum computed even with TCP offload";
}

using NetworkOffloadDefault = NetworkFixture;

TEST_F(NetworkOffloadDefault, ComputesAndVerifiesChecksums) {
  // Control for the above: without the caps, a zero checksum is dropped and ours is computed.
  listen_socket();
  Frame f = frame_for(seg(S, 0));
  f[kTcpOff + 16] = 0, f[kTcpOff + 17] = 0;
  push(f);
  expect_silence();
  EXPECT_EQ(stats().tcp_bad_checksum, 1u);
  push(frame_for(seg(S, 0)));
  auto all = pop_all(/*verify_checksums=*/true);
  ASSERT_EQ(all.size(), 1u);
  ASSERT_TRUE(all[0].tcp) << "the SYN-ACK's checksum verifies";
  EXPECT_NE(all[0].tcp->checksum, 0);
}

}  // namespace
}  // namespace mtcpp::test
