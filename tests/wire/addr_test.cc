// MacAddr, Ipv4Addr and prefix masks: parsing text, printing it back, and the class predicates.
#include "core/wire/addr.h"

#include <gtest/gtest.h>

#include <bit>

namespace mtcpp {
namespace {

TEST(WireAddr, MacParsesColonAndDashSeparated) {
  const MacAddr want{{0x02, 0x00, 0x5e, 0x10, 0xab, 0xff}};
  EXPECT_EQ(MacAddr::parse("02:00:5e:10:ab:ff"), want);
  EXPECT_EQ(MacAddr::parse("02-00-5E-10-AB-FF"), want);
}

TEST(WireAddr, MacToStringIsLowercaseColonHex) {
  EXPECT_EQ((MacAddr{{0x02, 0x00, 0x5e, 0x10, 0xab, 0xff}}).to_string(), "02:00:5e:10:ab:ff");
  EXPECT_EQ(MacAddr::broadcast().to_string(), "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(MacAddr{}.to_string(), "00:00:00:00:00:00");
}

TEST(WireAddr, MacRoundTripsThroughText) {
  const MacAddr mac{{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}};
  EXPECT_EQ(MacAddr::parse(mac.to_string()), mac);
}

TEST(WireAddr, MacRejectsMalformedText) {
  for (const char* bad : {"", "02", "02:00:5e:10:ab", "02:00:5e:10:ab:ff:", "02:00:5e:10:ab:ff:00",
                          "2:00:5e:10:ab:ff", "02:00:5e:10:ab:f", "02:00:5e:10:ab:fg",
                          "02.00.5e.10.ab.ff", "0200:5e:10:ab:ff", "02:00:5e:10:ab:ff ",
                          " 02:00:5e:10:ab:ff", "+2:00:5e:10:ab:ff", "-2:00:5e:10:ab:ff",
                          "02::00:5e:10:ab", "0x:00:5e:10:ab:ff"})
    EXPECT_FALSE(MacAddr::parse(bad)) << bad;
}

TEST(WireAddr, MacPredicates) {
  EXPECT_TRUE(MacAddr::broadcast().is_broadcast());
  EXPECT_TRUE(MacAddr::broadcast().is_multicast());
  EXPECT_TRUE((MacAddr{{0x01, 0x00, 0x5e, 0, 0, 1}}).is_multicast());
  EXPECT_FALSE((MacAddr{{0x02, 0, 0, 0, 0, 1}}).is_multicast());
  EXPECT_FALSE((MacAddr{{0x02, 0, 0, 0, 0, 1}}).is_broadcast());
  EXPECT_TRUE(MacAddr{}.is_zero());
  EXPECT_FALSE((MacAddr{{0, 0, 0, 0, 0, 1}}).is_zero());
}

TEST(WireAddr, Ipv4OfIsHostOrder) {
  EXPECT_EQ(Ipv4Addr::of(192, 168, 0, 1).value, 0xc0a80001u);
  EXPECT_EQ(Ipv4Addr::of(10, 0, 0, 255).value, 0x0a0000ffu);
}

TEST(WireAddr, Ipv4ParsesDottedQuad) {
  EXPECT_EQ(Ipv4Addr::parse("192.168.0.1"), Ipv4Addr::of(192, 168, 0, 1));
  EXPECT_EQ(Ipv4Addr::parse("0.0.0.0"), Ipv4Addr{});
  EXPECT_EQ(Ipv4Addr::parse("255.255.255.255"), Ipv4Addr{0xffffffffu});
}

TEST(WireAddr, Ipv4ToStringAndBack) {
  for (Ipv4Addr a : {Ipv4Addr::of(192, 168, 0, 1), Ipv4Addr{}, Ipv4Addr{0xffffffffu},
                     Ipv4Addr::of(10, 1, 22, 233)}) {
    EXPECT_EQ(Ipv4Addr::parse(a.to_string()), a) << a.to_string();
  }
  EXPECT_EQ(Ipv4Addr::of(10, 1, 22, 233).to_string(), "10.1.22.233");
  EXPECT_EQ(Ipv4Addr{0xffffffffu}.to_string(), "255.255.255.255");
}

TEST(WireAddr, Ipv4RejectsMalformedText) {
  for (const char* bad : {"", "1", "1.2.3", "1.2.3.4.", "1.2.3.4.5", "256.0.0.1", "1.2.3.256",
                          "1..2.3", ".1.2.3", "1.2.3.-4", "1.2.3.+4", "a.b.c.d", "1.2.3.4 ",
                          " 1.2.3.4", "1,2,3,4", "99999999999.1.1.1", "1.2.3.0x4"})
    EXPECT_FALSE(Ipv4Addr::parse(bad)) << bad;
}

TEST(WireAddr, Ipv4Predicates) {
  EXPECT_TRUE(Ipv4Addr{}.is_unspecified());
  EXPECT_TRUE(Ipv4Addr{0xffffffffu}.is_broadcast());
  EXPECT_TRUE(Ipv4Addr::of(224, 0, 0, 1).is_multicast());
  EXPECT_TRUE(Ipv4Addr::of(239, 255, 255, 255).is_multicast());
  EXPECT_FALSE(Ipv4Addr::of(223, 255, 255, 255).is_multicast());
  EXPECT_FALSE(Ipv4Addr::of(240, 0, 0, 0).is_multicast());
}

TEST(WireAddr, Ipv4OrdersNumerically) {
  EXPECT_LT(Ipv4Addr::of(9, 255, 255, 255), Ipv4Addr::of(10, 0, 0, 0));
  EXPECT_LT((Endpoint{Ipv4Addr::of(10, 0, 0, 1), 80}), (Endpoint{Ipv4Addr::of(10, 0, 0, 1), 81}));
  EXPECT_EQ((Endpoint{Ipv4Addr::of(10, 0, 0, 1), 80}), (Endpoint{Ipv4Addr::of(10, 0, 0, 1), 80}));
}

TEST(WireAddr, PrefixMaskCoversEveryLengthAndClamps) {
  EXPECT_EQ(prefix_mask(0), 0u);
  EXPECT_EQ(prefix_mask(-3), 0u);
  EXPECT_EQ(prefix_mask(1), 0x80000000u);
  EXPECT_EQ(prefix_mask(24), 0xffffff00u);
  EXPECT_EQ(prefix_mask(31), 0xfffffffeu);
  EXPECT_EQ(prefix_mask(32), 0xffffffffu);
  EXPECT_EQ(prefix_mask(40), 0xffffffffu);
  for (int len = 1; len <= 32; ++len) {
    const std::uint32_t m = prefix_mask(len);
    EXPECT_EQ(std::popcount(m), len);
    EXPECT_EQ(m & 0x80000000u, 0x80000000u);  // contiguous from the top
    EXPECT_EQ(~m & (~m + 1), 0u) << len;  // ~m is 0...01...1: the ones are contiguous
  }
}

}  // namespace
}  // namespace mtcpp
