// The Internet checksum: RFC 1071's worked example, a textbook IPv4 header, and the property that
// summing in pieces (odd lengths included) equals summing the whole.
#include "core/wire/checksum.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/rng.h"
#include "tests/wire/wire_test_util.h"

namespace mtcpp {
namespace {

using test::hex;

std::uint16_t checksum_of(const std::vector<std::uint8_t>& data) {
  Checksum c;
  c.add(data);
  return c.finish();
}

TEST(WireChecksum, Rfc1071Example) {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2, so the checksum is ~ddf2 = 220d.
  EXPECT_EQ(checksum_of(hex("00 01 f2 03 f4 f5 f6 f7")), 0x220d);
}

TEST(WireChecksum, TextbookIpv4Header) {
  // 192.168.0.1 -> 192.168.0.199, UDP, total length 115: the header checksum is b861.
  auto header = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
  EXPECT_EQ(checksum_of(header), 0xb861);
  header[10] = 0xb8;
  header[11] = 0x61;
  EXPECT_EQ(checksum_of(header), 0) << "a header with its checksum in place sums to zero";
}

TEST(WireChecksum, EmptyInputIsAllOnes) {
  EXPECT_EQ(Checksum{}.finish(), 0xffff);
  EXPECT_EQ(checksum_of({}), 0xffff);
}

TEST(WireChecksum, OddLengthPadsWithZeroOnTheRight) {
  EXPECT_EQ(checksum_of(hex("ab")), static_cast<std::uint16_t>(~0xab00));
  EXPECT_EQ(checksum_of(hex("0001 f2")), static_cast<std::uint16_t>(~(0x0001 + 0xf200)));
}

TEST(WireChecksum, CarriesFoldMoreThanOnce) {
  // 0xffff * 3 = 0x2fffd -> 0xffff after folding: the complement is zero.
  EXPECT_EQ(checksum_of(hex("ffff ffff ffff")), 0x0000);
  // 0xffff + 0x0001 = 0x10000 -> 0x0001 -> complement 0xfffe.
  EXPECT_EQ(checksum_of(hex("ffff 0001")), 0xfffe);
}

TEST(WireChecksum, Add16AndAdd32MatchTheBytes) {
  Checksum words;
  words.add16(0x0001);
  words.add16(0xf203);
  words.add32(0xf4f5f6f7);
  EXPECT_EQ(words.finish(), 0x220d);
}

TEST(WireChecksum, PseudoHeaderMatchesItsBytes) {
  const Ipv4Addr src = Ipv4Addr::of(192, 168, 0, 104);
  const Ipv4Addr dst = Ipv4Addr::of(192, 168, 0, 1);
  const Checksum c = Checksum::pseudo_header(src, dst, 6, 40);
  // src, dst, zero, protocol, length (RFC 9293 §3.1).
  EXPECT_EQ(c.finish(), checksum_of(hex("c0a8 0068 c0a8 0001 00 06 0028")));
}

TEST(WireChecksum, SplitAtEveryPointEqualsWhole) {
  const auto data = hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7 01");
  const std::uint16_t whole = checksum_of(data);
  for (std::size_t cut = 0; cut <= data.size(); ++cut) {
    Checksum c;
    c.add(Bytes(data).first(cut));
    c.add(Bytes(data).subspan(cut));
    EXPECT_EQ(c.finish(), whole) << "cut at " << cut;
  }
}

TEST(WireChecksum, ManyOddPiecesEqualWholeAgainstReference) {
  Rng rng(1071);
  for (int round = 0; round < 500; ++round) {
    std::vector<std::uint8_t> data(rng.below(300));
    for (auto& b : data) b = static_cast<std::uint8_t>(rng.next());
    Checksum c;
    std::size_t at = 0;
    while (at < data.size()) {
      const std::size_t n = std::min<std::size_t>(data.size() - at, 1 + rng.below(5));
      c.add(Bytes(data).subspan(at, n));
      at += n;
    }
    EXPECT_EQ(c.finish(), test::reference_checksum(data)) << "round " << round;
  }
}

TEST(WireChecksum, LongPiecesAtEveryAlignmentAgainstReference) {
  // Pieces long enough for the eight-bytes-at-a-time loop, starting at every offset of a buffer
  // (so loads are misaligned), of every length parity.
  Rng rng(1624);
  std::vector<std::uint8_t> buffer(4096 + 16);
  for (auto& b : buffer) b = static_cast<std::uint8_t>(rng.next());
  for (int round = 0; round < 400; ++round) {
    const std::size_t start = rng.below(16);
    const std::size_t len = rng.below(4096);
    const Bytes data = Bytes(buffer).subspan(start, len);
    Checksum c;
    std::size_t at = 0;
    while (at < data.size()) {
      const std::size_t n = std::min<std::size_t>(data.size() - at, 1 + rng.below(1500));
      c.add(data.subspan(at, n));
      at += n;
    }
    EXPECT_EQ(c.finish(), test::reference_checksum(std::vector<std::uint8_t>(data.begin(), data.end())))
        << "round " << round << ", start " << start << ", length " << len;
  }
}

TEST(WireChecksum, WordsAfterAnOddPieceLandAtTheRightOffsets) {
  // add16/add32 after an odd-length add must behave as if their bytes followed that piece.
  const auto data = hex("0a 1234 56789abc 0d");
  Checksum mixed;
  mixed.add(Bytes(data).first(1));
  mixed.add16(0x1234);
  mixed.add32(0x56789abc);
  mixed.add(Bytes(data).subspan(7));
  EXPECT_EQ(mixed.finish(), checksum_of(data));
}

TEST(WireChecksum, LargeInputDoesNotLoseCarries) {
  std::vector<std::uint8_t> data(65535, 0xff);
  data.back() = 0x01;
  EXPECT_EQ(checksum_of(data), test::reference_checksum(data));
}

}  // namespace
}  // namespace mtcpp
