// ARP for IPv4 over Ethernet: a request and a reply byte for byte, round trips, and rejection of
// other hardware/protocol types, address lengths, opcodes and truncations.
#include "core/wire/arp.h"

#include <gtest/gtest.h>

#include "tests/wire/wire_test_util.h"

namespace mtcpp {
namespace {

using test::hex;

// "Who has 192.168.0.1? Tell 192.168.0.104", from 02:00:00:00:00:68.
const auto kRequest = hex(
    "0001 0800 06 04 0001"
    "020000000068 c0a80068"
    "000000000000 c0a80001");
// "192.168.0.1 is at 02:00:00:00:00:01", back to the asker.
const auto kReply = hex(
    "0001 0800 06 04 0002"
    "020000000001 c0a80001"
    "020000000068 c0a80068");

const MacAddr kAskerMac{{0x02, 0, 0, 0, 0, 0x68}};
const MacAddr kOwnerMac{{0x02, 0, 0, 0, 0, 0x01}};
const Ipv4Addr kAskerIp = Ipv4Addr::of(192, 168, 0, 104);
const Ipv4Addr kOwnerIp = Ipv4Addr::of(192, 168, 0, 1);

TEST(WireArp, ParsesRequest) {
  auto a = ArpPacket::parse(kRequest);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->op, ArpOp::request);
  EXPECT_EQ(a->sender_mac, kAskerMac);
  EXPECT_EQ(a->sender_ip, kAskerIp);
  EXPECT_TRUE(a->target_mac.is_zero());
  EXPECT_EQ(a->target_ip, kOwnerIp);
}

TEST(WireArp, EmitsReply) {
  ArpPacket a;
  a.op = ArpOp::reply;
  a.sender_mac = kOwnerMac;
  a.sender_ip = kOwnerIp;
  a.target_mac = kAskerMac;
  a.target_ip = kAskerIp;
  std::vector<std::uint8_t> out(ArpPacket::kSize);
  a.emit(out);
  EXPECT_EQ(out, kReply);
}

TEST(WireArp, RoundTrips) {
  for (ArpOp op : {ArpOp::request, ArpOp::reply}) {
    ArpPacket a;
    a.op = op;
    a.sender_mac = MacAddr{{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54}};
    a.sender_ip = Ipv4Addr::of(10, 20, 30, 40);
    a.target_mac = MacAddr{{0x01, 0x23, 0x45, 0x67, 0x89, 0xab}};
    a.target_ip = Ipv4Addr::of(172, 16, 254, 1);
    std::vector<std::uint8_t> out(ArpPacket::kSize + 18);  // Ethernet minimum-size padding
    a.emit(out);
    auto b = ArpPacket::parse(out);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->op, a.op);
    EXPECT_EQ(b->sender_mac, a.sender_mac);
    EXPECT_EQ(b->sender_ip, a.sender_ip);
    EXPECT_EQ(b->target_mac, a.target_mac);
    EXPECT_EQ(b->target_ip, a.target_ip);
  }
}

TEST(WireArp, RejectsEveryTruncation) {
  for (std::size_t n = 0; n < ArpPacket::kSize; ++n)
    EXPECT_FALSE(ArpPacket::parse(test::prefix(kRequest, n))) << n;
  EXPECT_TRUE(ArpPacket::parse(test::prefix(kRequest, ArpPacket::kSize)));
}

// Each case changes one byte of a valid request to something the stack does not speak.
TEST(WireArp, RejectsOtherHardwareProtocolLengthsAndOpcodes) {
  struct Case {
    std::size_t offset;
    std::uint8_t value;
    const char* what;
  };
  for (const Case& c : {Case{0, 0x01, "hardware type 0x0101"}, Case{1, 0x06, "hardware type IEEE 802 (6)"},
                        Case{2, 0x86, "protocol 0x86dd"}, Case{3, 0x06, "protocol 0x0806"},
                        Case{4, 8, "hardware length 8"}, Case{5, 16, "protocol length 16"},
                        Case{7, 0, "opcode 0"}, Case{7, 3, "opcode 3 (RARP request)"},
                        Case{6, 1, "opcode 0x0101"}}) {
    auto p = kRequest;
    p[c.offset] = c.value;
    EXPECT_FALSE(ArpPacket::parse(p)) << c.what;
  }
}

}  // namespace
}  // namespace mtcpp
