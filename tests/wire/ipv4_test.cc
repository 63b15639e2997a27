// IPv4 headers: a captured SYN's header and a textbook header byte for byte, round trips, options,
// Ethernet padding, and one test per Error value with every way to reach it.
#include "core/wire/ipv4.h"

#include <gtest/gtest.h>

#include "core/wire/checksum.h"
#include "tests/wire/wire_test_util.h"

namespace mtcpp {
namespace {

using test::hex;
using Error = Ipv4Header::Error;

// 192.168.0.104 -> 192.168.0.1, TCP, id 0x1c46, DF, TTL 64, total length 60; checksum 9cbc
// (computed independently). The 40 bytes after it are the SYN of tcp_header_test.cc.
const auto kSynPacket = hex(
    "4500 003c 1c46 4000 4006 9cbc c0a8 0068 c0a8 0001"
    "d431 0050 3a1c 5e7f 0000 0000 a002 faf0 22c2 0000"
    "0204 05b4 0402 080a 002a 3b4c 0000 0000 0103 0307");

Ipv4Header syn_header() {
  Ipv4Header h;
  h.total_length = 60;
  h.id = 0x1c46;
  h.dont_fragment = true;
  h.ttl = 64;
  h.protocol = static_cast<std::uint8_t>(IpProto::tcp);
  h.src = Ipv4Addr::of(192, 168, 0, 104);
  h.dst = Ipv4Addr::of(192, 168, 0, 1);
  return h;
}

TEST(WireIpv4, ParsesCapturedSyn) {
  auto r = Ipv4Header::parse(kSynPacket, true);
  ASSERT_TRUE(r.header);
  const Ipv4Header& h = *r.header;
  EXPECT_EQ(h.tos, 0);
  EXPECT_EQ(h.total_length, 60);
  EXPECT_EQ(h.id, 0x1c46);
  EXPECT_TRUE(h.dont_fragment);
  EXPECT_FALSE(h.more_fragments);
  EXPECT_EQ(h.fragment_offset, 0);
  EXPECT_FALSE(h.is_fragment());
  EXPECT_EQ(h.ttl, 64);
  EXPECT_EQ(h.protocol, static_cast<std::uint8_t>(IpProto::tcp));
  EXPECT_EQ(h.checksum, 0x9cbc);
  EXPECT_EQ(h.src, Ipv4Addr::of(192, 168, 0, 104));
  EXPECT_EQ(h.dst, Ipv4Addr::of(192, 168, 0, 1));
  EXPECT_EQ(h.header_len, 20u);
  EXPECT_EQ(r.payload.data(), kSynPacket.data() + 20);
  EXPECT_EQ(r.payload.size(), 40u);
}

TEST(WireIpv4, EmitsCapturedSynHeader) {
  std::vector<std::uint8_t> out(Ipv4Header::kMinSize);
  syn_header().emit(out);
  EXPECT_EQ(out, test::prefix(kSynPacket, 20));
}

TEST(WireIpv4, ParsesTextbookUdpHeader) {
  // 192.168.0.1 -> 192.168.0.199, UDP, total length 115, checksum b861.
  auto packet = hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
  packet.resize(0x73, 0);
  auto r = Ipv4Header::parse(packet, true);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->protocol, static_cast<std::uint8_t>(IpProto::udp));
  EXPECT_EQ(r.header->dst, Ipv4Addr::of(192, 168, 0, 199));
  EXPECT_EQ(r.payload.size(), 0x73u - 20);
}

TEST(WireIpv4, RoundTripsEveryField) {
  Ipv4Header h;
  h.tos = 0xb8;
  h.total_length = 20 + 7;
  h.id = 0xbeef;
  h.dont_fragment = false;
  h.more_fragments = true;
  h.fragment_offset = 0x1abc;
  h.ttl = 1;
  h.protocol = static_cast<std::uint8_t>(IpProto::icmp);
  h.src = Ipv4Addr::of(10, 0, 0, 1);
  h.dst = Ipv4Addr::of(255, 255, 255, 255);
  std::vector<std::uint8_t> packet(27, 0xee);
  h.emit(packet);
  auto r = Ipv4Header::parse(packet, true);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->tos, h.tos);
  EXPECT_EQ(r.header->total_length, h.total_length);
  EXPECT_EQ(r.header->id, h.id);
  EXPECT_EQ(r.header->dont_fragment, h.dont_fragment);
  EXPECT_EQ(r.header->more_fragments, h.more_fragments);
  EXPECT_EQ(r.header->fragment_offset, h.fragment_offset);
  EXPECT_TRUE(r.header->is_fragment());
  EXPECT_EQ(r.header->ttl, h.ttl);
  EXPECT_EQ(r.header->protocol, h.protocol);
  EXPECT_EQ(r.header->src, h.src);
  EXPECT_EQ(r.header->dst, h.dst);
  EXPECT_EQ(r.payload.size(), 7u);
}

TEST(WireIpv4, RoundTripsFragmentFlagCombinations) {
  for (bool df : {false, true})
    for (bool mf : {false, true})
      for (std::uint16_t offset : {0, 1, 185, 0x1fff}) {
        Ipv4Header h = syn_header();
        h.total_length = 20;
        h.dont_fragment = df;
        h.more_fragments = mf;
        h.fragment_offset = offset;
        std::vector<std::uint8_t> packet(20);
        h.emit(packet);
        auto r = Ipv4Header::parse(packet, true);
        ASSERT_TRUE(r.header);
        EXPECT_EQ(r.header->dont_fragment, df);
        EXPECT_EQ(r.header->more_fragments, mf);
        EXPECT_EQ(r.header->fragment_offset, offset);
        EXPECT_EQ(r.header->is_fragment(), mf || offset != 0);
      }
}

TEST(WireIpv4, EmittedChecksumAgreesWithTheGenericSumForAnyFields) {
  // emit sums the fields directly; the generic RFC 1071 sum over the bytes must verify it,
  // whatever the carries (all-ones fields need both folds).
  std::uint64_t x = 88172645463325252ull;
  const auto next = [&] { return x ^= x << 13, x ^= x >> 7, x ^= x << 17; };
  for (int i = 0; i < 5000; ++i) {
    Ipv4Header h;
    const std::uint64_t r = next();
    h.tos = i == 0 ? 0xff : static_cast<std::uint8_t>(r);
    h.total_length = i == 0 ? 0xffff : static_cast<std::uint16_t>(r >> 8);
    h.id = i == 0 ? 0xffff : static_cast<std::uint16_t>(r >> 24);
    h.dont_fragment = (r >> 40) & 1;
    h.more_fragments = i == 0 || ((r >> 41) & 1);
    h.fragment_offset = i == 0 ? 0x1fff : static_cast<std::uint16_t>((r >> 42) & 0x1fff);
    h.ttl = i == 0 ? 0xff : static_cast<std::uint8_t>(r >> 56);
    h.protocol = i == 0 ? 0xff : static_cast<std::uint8_t>(next());
    h.src.value = i == 0 ? 0xffffffffu : static_cast<std::uint32_t>(next());
    h.dst.value = i == 0 ? 0xffffffffu : static_cast<std::uint32_t>(next());
    std::vector<std::uint8_t> packet(20);
    h.emit(packet);
    Checksum c;
    c.add(packet);
    ASSERT_EQ(c.finish(), 0) << i;
  }
}

TEST(WireIpv4, PayloadStopsAtTotalLengthNotAtEthernetPadding) {
  // A 20-byte header plus 6 bytes of data is padded to Ethernet's 46-byte minimum payload.
  Ipv4Header h = syn_header();
  h.total_length = 26;
  std::vector<std::uint8_t> packet(46, 0);
  h.emit(packet);
  auto r = Ipv4Header::parse(packet, true);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.payload.size(), 6u);
  EXPECT_EQ(r.payload.data(), packet.data() + 20);
}

TEST(WireIpv4, SkipsOptionsAndChecksumsThem) {
  // IHL 6: one 4-byte option (router alert, RFC 2113) before 4 bytes of payload.
  auto packet = hex("4600 001c 0001 0000 4002 0000 0a00 0001 e000 0016 9404 0000 dead beef");
  const std::uint16_t sum = test::reference_checksum(test::prefix(packet, 24));
  packet[10] = static_cast<std::uint8_t>(sum >> 8);
  packet[11] = static_cast<std::uint8_t>(sum);
  auto r = Ipv4Header::parse(packet, true);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->header_len, 24u);
  ASSERT_EQ(r.payload.size(), 4u);
  EXPECT_EQ(r.payload[0], 0xde);
  packet[22] ^= 0x01;  // an option byte is covered by the header checksum
  EXPECT_EQ(Ipv4Header::parse(packet, true).error, Error::bad_checksum);
}

TEST(WireIpv4, TruncatedBelowMinimumHeader) {
  for (std::size_t n = 0; n < Ipv4Header::kMinSize; ++n) {
    for (bool verify : {false, true}) {
      auto r = Ipv4Header::parse(test::prefix(kSynPacket, n), verify);
      EXPECT_FALSE(r.header) << n;
      EXPECT_EQ(r.error, Error::truncated) << n;
    }
  }
}

TEST(WireIpv4, BufferShorterThanTotalLength) {
  for (std::size_t n = Ipv4Header::kMinSize; n < kSynPacket.size(); ++n) {
    auto r = Ipv4Header::parse(test::prefix(kSynPacket, n), false);
    EXPECT_FALSE(r.header) << n;
    EXPECT_EQ(r.error, Error::bad_total_length) << n;
  }
  EXPECT_TRUE(Ipv4Header::parse(kSynPacket, true).header);
}

TEST(WireIpv4, BadVersion) {
  for (int version = 0; version < 16; ++version) {
    if (version == 4) continue;
    auto packet = kSynPacket;
    packet[0] = static_cast<std::uint8_t>(version << 4 | 5);
    auto r = Ipv4Header::parse(packet, false);
    EXPECT_FALSE(r.header) << version;
    EXPECT_EQ(r.error, Error::bad_version) << version;
  }
}

TEST(WireIpv4, HeaderLengthBelowFiveWords) {
  for (int ihl = 0; ihl < 5; ++ihl) {
    auto packet = kSynPacket;
    packet[0] = static_cast<std::uint8_t>(0x40 | ihl);
    auto r = Ipv4Header::parse(packet, false);
    EXPECT_FALSE(r.header) << ihl;
    EXPECT_EQ(r.error, Error::bad_header_length) << ihl;
  }
}

TEST(WireIpv4, HeaderLengthBeyondBuffer) {
  // IHL 15 (60 bytes) in a 20..59-byte buffer: the options would run past the end.
  for (std::size_t n = 20; n < 60; ++n) {
    auto packet = test::prefix(kSynPacket, n);
    packet[0] = 0x4f;
    auto r = Ipv4Header::parse(packet, false);
    EXPECT_FALSE(r.header) << n;
    EXPECT_EQ(r.error, Error::bad_header_length) << n;
  }
}

TEST(WireIpv4, TotalLengthSmallerThanHeader) {
  for (std::uint16_t total : {0, 1, 19}) {
    auto packet = kSynPacket;
    store_be16(packet, 2, total);
    auto r = Ipv4Header::parse(packet, false);
    EXPECT_FALSE(r.header) << total;
    EXPECT_EQ(r.error, Error::bad_total_length) << total;
  }
  // IHL 6 with total length 22: within the buffer, but inside the header.
  auto packet = kSynPacket;
  packet[0] = 0x46;
  store_be16(packet, 2, 22);
  EXPECT_EQ(Ipv4Header::parse(packet, false).error, Error::bad_total_length);
}

TEST(WireIpv4, TotalLengthLargerThanBuffer) {
  for (std::uint16_t total : {61, 1500, 65535}) {
    auto packet = kSynPacket;
    store_be16(packet, 2, total);
    auto r = Ipv4Header::parse(packet, false);
    EXPECT_FALSE(r.header) << total;
    EXPECT_EQ(r.error, Error::bad_total_length) << total;
  }
}

TEST(WireIpv4, TotalLengthEqualToHeaderMeansEmptyPayload) {
  auto packet = test::prefix(kSynPacket, 20);
  store_be16(packet, 2, 20);
  auto r = Ipv4Header::parse(packet, false);
  ASSERT_TRUE(r.header);
  EXPECT_TRUE(r.payload.empty());
}

TEST(WireIpv4, AnyFlippedBitFailsTheChecksum) {
  // Bytes 0, 2 and 3 hold version, IHL and total length, which are checked before the checksum.
  for (std::size_t byte = 1; byte < 20; ++byte) {
    if (byte == 2 || byte == 3) continue;
    for (int bit = 0; bit < 8; ++bit) {
      auto packet = kSynPacket;
      packet[byte] ^= static_cast<std::uint8_t>(1 << bit);
      auto r = Ipv4Header::parse(packet, true);
      EXPECT_FALSE(r.header) << byte << ":" << bit;
      EXPECT_EQ(r.error, Error::bad_checksum) << byte << ":" << bit;
      EXPECT_TRUE(Ipv4Header::parse(packet, false).header) << "offloaded: not checked";
    }
  }
}

TEST(WireIpv4, ChecksumIsNotVerifiedWhenTheNicDidIt) {
  auto packet = kSynPacket;
  store_be16(packet, 10, 0x1234);
  auto r = Ipv4Header::parse(packet, false);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->checksum, 0x1234) << "the received value is reported as is";
}

}  // namespace
}  // namespace mtcpp
