// Ethernet II headers: known bytes, round trip, and every truncation.
#include "core/wire/ethernet.h"

#include <gtest/gtest.h>

#include "tests/wire/wire_test_util.h"

namespace mtcpp {
namespace {

using test::hex;

// A broadcast ARP frame's header as a capture shows it.
const auto kArpBroadcastHeader = hex("ffffffffffff 0200000000 01 0806");

TEST(WireEthernet, ParsesKnownHeader) {
  auto h = EthernetHeader::parse(kArpBroadcastHeader);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->dst.is_broadcast());
  EXPECT_EQ(h->src, (MacAddr{{0x02, 0, 0, 0, 0, 0x01}}));
  EXPECT_EQ(h->ethertype, static_cast<std::uint16_t>(EtherType::arp));
}

TEST(WireEthernet, EmitsKnownHeader) {
  EthernetHeader h;
  h.dst = MacAddr::broadcast();
  h.src = MacAddr{{0x02, 0, 0, 0, 0, 0x01}};
  h.ethertype = static_cast<std::uint16_t>(EtherType::arp);
  std::vector<std::uint8_t> out(EthernetHeader::kSize);
  h.emit(out);
  EXPECT_EQ(out, kArpBroadcastHeader);
}

TEST(WireEthernet, RoundTripsAndIgnoresPayload) {
  EthernetHeader h;
  h.dst = MacAddr{{0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e}};
  h.src = MacAddr{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}};
  h.ethertype = 0x86dd;  // not one of ours, still carried
  std::vector<std::uint8_t> frame(60, 0x5a);
  h.emit(frame);
  auto back = EthernetHeader::parse(frame);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->dst, h.dst);
  EXPECT_EQ(back->src, h.src);
  EXPECT_EQ(back->ethertype, 0x86dd);
  EXPECT_EQ(frame[EthernetHeader::kSize], 0x5a) << "emit writes only the header";
}

TEST(WireEthernet, RejectsEveryTruncation) {
  for (std::size_t n = 0; n < EthernetHeader::kSize; ++n) {
    auto cut = test::prefix(kArpBroadcastHeader, n);
    EXPECT_FALSE(EthernetHeader::parse(cut)) << n;
  }
  EXPECT_TRUE(EthernetHeader::parse(test::prefix(kArpBroadcastHeader, EthernetHeader::kSize)));
}

}  // namespace
}  // namespace mtcpp
