// ICMP headers: an echo request byte for byte, round trips with bodies of odd and even length,
// truncation and checksum failures.
#include "core/wire/icmp.h"

#include <gtest/gtest.h>

#include "tests/wire/wire_test_util.h"

namespace mtcpp {
namespace {

using test::hex;

// Echo request, identifier 0x1234, sequence 1, body "abcde"; checksum bc03 computed independently.
const auto kEchoRequest = hex("08 00 bc03 1234 0001 6162636465");

TEST(WireIcmp, ParsesEchoRequest) {
  auto h = IcmpHeader::parse(kEchoRequest);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->type, IcmpHeader::kEchoRequest);
  EXPECT_EQ(h->code, 0);
  EXPECT_EQ(h->rest, 0x12340001u);
}

TEST(WireIcmp, EmitsEchoRequestWithChecksumOverTheBody) {
  auto message = kEchoRequest;
  std::fill_n(message.begin(), IcmpHeader::kSize, 0xaa);  // emit must overwrite all eight bytes
  IcmpHeader{IcmpHeader::kEchoRequest, 0, 0x12340001}.emit(message);
  EXPECT_EQ(message, kEchoRequest);
}

TEST(WireIcmp, RoundTripsTypesAndBodies) {
  const IcmpHeader headers[] = {{IcmpHeader::kEchoReply, 0, 0xffff0000},
                                {IcmpHeader::kDestUnreachable, 4, 1400},  // frag needed, MTU 1400
                                {IcmpHeader::kTimeExceeded, 1, 0},
                                {IcmpHeader::kEchoRequest, 0, 0xffffffff}};
  for (const IcmpHeader& h : headers) {
    for (std::size_t body = 0; body < 40; ++body) {
      std::vector<std::uint8_t> message(IcmpHeader::kSize + body);
      for (std::size_t i = 0; i < body; ++i) message[IcmpHeader::kSize + i] = static_cast<std::uint8_t>(0xf0 + i);
      h.emit(message);
      auto back = IcmpHeader::parse(message);
      ASSERT_TRUE(back) << int{h.type} << " body " << body;
      EXPECT_EQ(back->type, h.type);
      EXPECT_EQ(back->code, h.code);
      EXPECT_EQ(back->rest, h.rest);
      EXPECT_EQ(test::reference_checksum(message), 0) << "the whole message sums to zero";
    }
  }
}

TEST(WireIcmp, RejectsEveryTruncatedHeader) {
  for (std::size_t n = 0; n < IcmpHeader::kSize; ++n)
    EXPECT_FALSE(IcmpHeader::parse(test::prefix(kEchoRequest, n))) << n;
}

TEST(WireIcmp, RejectsTruncatedBodyByChecksum) {
  // The checksum covers the body, so losing any of it is detected.
  for (std::size_t n = IcmpHeader::kSize; n < kEchoRequest.size(); ++n)
    EXPECT_FALSE(IcmpHeader::parse(test::prefix(kEchoRequest, n))) << n;
}

TEST(WireIcmp, AnyFlippedBitFailsTheChecksum) {
  for (std::size_t byte = 0; byte < kEchoRequest.size(); ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      auto message = kEchoRequest;
      message[byte] ^= static_cast<std::uint8_t>(1 << bit);
      EXPECT_FALSE(IcmpHeader::parse(message)) << byte << ":" << bit;
    }
}

}  // namespace
}  // namespace mtcpp
