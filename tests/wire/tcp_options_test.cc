// TCP options: each kind the stack understands, NOP/EOL, unknown kinds, every malformation the
// parser must reject, and emit/parse round trips of every option combination.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>

#include "core/wire/tcp.h"
#include "tests/wire/tcp_test_util.h"

namespace mtcpp {
namespace {

using test::hex;
using test::kClientIp;
using test::kServerIp;

// The options parsed from a segment carrying `options_hex` (a multiple of 4 bytes), checksum
// verified, or nothing when the segment is rejected.
std::optional<TcpOptions> options_of(std::string_view options_hex) {
  const auto segment = test::segment_with_options(hex(options_hex));
  auto r = TcpHeader::parse(segment, kClientIp, kServerIp, true);
  if (!r.header) return std::nullopt;
  return r.header->options;
}

// The option bytes are rejected as a whole: the segment gets Error::bad_option.
void expect_bad_option(std::string_view options_hex) {
  const auto segment = test::segment_with_options(hex(options_hex));
  for (bool verify : {false, true}) {
    auto r = TcpHeader::parse(segment, kClientIp, kServerIp, verify);
    EXPECT_FALSE(r.header) << options_hex;
    EXPECT_EQ(r.error, TcpHeader::Error::bad_option) << options_hex;
  }
}

TEST(WireTcpOptions, NoOptions) {
  auto o = options_of("");
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->mss);
  EXPECT_FALSE(o->window_scale);
  EXPECT_FALSE(o->sack_permitted);
  EXPECT_FALSE(o->timestamps);
  EXPECT_EQ(o->sack_count, 0u);
}

TEST(WireTcpOptions, Mss) {
  auto o = options_of("0204 05b4");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mss, 1460);
  EXPECT_EQ(options_of("0204 0000")->mss, 0);
  EXPECT_EQ(options_of("0204 ffff")->mss, 65535);
}

TEST(WireTcpOptions, WindowScale) {
  EXPECT_EQ(options_of("0103 0307")->window_scale, 7);
  EXPECT_EQ(options_of("0303 0000")->window_scale, 0) << "an EOL pads after it";
  EXPECT_EQ(options_of("0103 030e")->window_scale, 14);
}

TEST(WireTcpOptions, SackPermitted) {
  EXPECT_TRUE(options_of("0101 0402")->sack_permitted);
  EXPECT_TRUE(options_of("0402 0000")->sack_permitted);
}

TEST(WireTcpOptions, Timestamps) {
  auto o = options_of("0101 080a 8000 0001 ffff fffe");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->timestamps, (TcpTimestamps{0x80000001, 0xfffffffe}));
}

TEST(WireTcpOptions, SackBlocksOneToFour) {
  const char* blocks[] = {"0000 0001 0000 0002", "1000 0000 1000 05b4", "ffff ff00 0000 0100",
                          "7fff ffff 8000 0000"};
  const SackBlock want[] = {{1, 2}, {0x10000000, 0x100005b4}, {0xffffff00, 0x100}, {0x7fffffff, 0x80000000}};
  for (std::size_t count = 1; count <= 4; ++count) {
    std::string text = "0101 05" + std::string(count == 1 ? "0a" : count == 2 ? "12" : count == 3 ? "1a" : "22");
    for (std::size_t b = 0; b < count; ++b) text += blocks[b];
    auto o = options_of(text);
    ASSERT_TRUE(o) << count;
    ASSERT_EQ(o->sack_count, count);
    for (std::size_t b = 0; b < count; ++b) EXPECT_EQ(o->sack[b], want[b]) << count << "/" << b;
  }
}

TEST(WireTcpOptions, AllKindsTogetherFillFortyBytes) {
  // MSS(4) + NOP WS(4) + SACK-permitted TS(12) + NOP NOP SACK with two blocks(20) = 40.
  auto o = options_of(
      "0204 05b4 0103 0302 0402 080a 0000 0064 0000 00c8"
      "0101 0512 0000 1000 0000 2000 0000 3000 0000 4000");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mss, 1460);
  EXPECT_EQ(o->window_scale, 2);
  EXPECT_TRUE(o->sack_permitted);
  EXPECT_EQ(o->timestamps, (TcpTimestamps{100, 200}));
  ASSERT_EQ(o->sack_count, 2u);
  EXPECT_EQ(o->sack[1], (SackBlock{0x3000, 0x4000}));
}

TEST(WireTcpOptions, NopsAndEolArePassedOver) {
  auto o = options_of("0101 0101 0101 0100");
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->mss);
  EXPECT_EQ(options_of("0101 0101 0204 0218")->mss, 536);
}

TEST(WireTcpOptions, EolEndsTheListWhateverFollows) {
  // After EOL come padding bytes, whatever they hold; they are neither options nor errors.
  auto o = options_of("0002 0405 b4ff ff00");
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->mss);
  EXPECT_TRUE(options_of("00ff ffff"));
  auto before = options_of("0204 05b4 0003 0307");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->mss, 1460);
  EXPECT_FALSE(before->window_scale);
}

TEST(WireTcpOptions, UnknownKindsArePassedOver) {
  // TCP Fast Open cookie (34), an experimental option (254, RFC 6994), MPTCP (30) with no body,
  // a kind-127 option of length 2, then an MSS the parser must still find.
  auto o = options_of("220a 0102 0304 0506 0708 fe06 f989 0000 1e02 7f02 0204 0578");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->mss, 1400);
  EXPECT_FALSE(o->window_scale);
}

TEST(WireTcpOptions, LaterDuplicateReplacesEarlier) {
  EXPECT_EQ(options_of("0204 05b4 0204 0218")->mss, 536);
}

TEST(WireTcpOptions, RejectsLengthZeroOrOne) {
  for (const char* kind : {"02", "03", "04", "05", "08", "22", "fe"}) {
    expect_bad_option(std::string(kind) + "00 0000");
    expect_bad_option(std::string(kind) + "01 0000");
    expect_bad_option("0101 01" + std::string(kind) + "00 0000 0000");  // after NOPs
  }
}

TEST(WireTcpOptions, RejectsKindWithoutLengthByte) {
  expect_bad_option("0101 0102");  // MSS kind is the last byte
  expect_bad_option("0101 01fe");  // so is an unknown kind
}

TEST(WireTcpOptions, RejectsOptionOverrunningTheHeader) {
  expect_bad_option("0101 0204");                      // MSS needs 4, 2 left
  expect_bad_option("0101 0101 0101 0101 0101 0303");  // WS at the last 2 bytes
  expect_bad_option("0101 0101 080a 0000 0000 0000");  // TS with 8 of its 10 bytes
  expect_bad_option("0101 0512 0000 0001 0000 0002");  // SACK claims two blocks, holds one
  expect_bad_option("fe08 0000");                      // unknown kind, length 8 in 4 bytes
  expect_bad_option("01fe ff00");                      // length 255
}

TEST(WireTcpOptions, RejectsMssOfWrongLength) {
  expect_bad_option("0202 0000");
  expect_bad_option("0203 0500");
  expect_bad_option("0205 05b4 0000 0000");
  expect_bad_option("0206 05b4 0000 0000");
}

TEST(WireTcpOptions, RejectsWindowScaleOfWrongLength) {
  expect_bad_option("0302 0000");
  expect_bad_option("0304 0700");
  expect_bad_option("0305 0700 0000 0000");
}

TEST(WireTcpOptions, RejectsSackPermittedOfWrongLength) {
  expect_bad_option("0403 0000");
  expect_bad_option("0404 0000");
}

TEST(WireTcpOptions, RejectsTimestampsOfWrongLength) {
  expect_bad_option("0808 0000 0001 0000");  // 8
  expect_bad_option("0809 0000 0001 0000 0000 0000");
  expect_bad_option("080b 0000 0001 0000 0002 0000");  // 11
  expect_bad_option("0802 0000");
}

TEST(WireTcpOptions, RejectsSackThatIsNotWholeBlocks) {
  expect_bad_option("0502 0000");                                // no blocks
  expect_bad_option("0503 0000");                                // 1 byte
  expect_bad_option("0509 0000 0001 0000 0200 0000");            // 7 bytes
  expect_bad_option("050b 0000 0001 0000 0002 0000");            // 9 bytes
  expect_bad_option("0511 0000 0001 0000 0002 0000 0003 0000 0000 0000");  // 15 bytes
}

TEST(WireTcpOptions, AMalformedOptionAfterAGoodOneStillRejects) {
  expect_bad_option("0204 05b4 0303 0701 0302 0000");  // WS fine, then WS of length 2
}

// Every combination of options emit() supports, parsed back field for field.
TEST(WireTcpOptions, EmitRoundTripsEveryCombination) {
  for (int mask = 0; mask < 16; ++mask) {
    for (std::size_t sacks = 0; sacks <= TcpOptions::kMaxSackBlocks; ++sacks) {
      TcpHeader h;
      h.flags = tcp_flag::ack;
      if (mask & 1) h.options.mss = 8960;
      if (mask & 2) h.options.window_scale = 14;
      if (mask & 4) h.options.sack_permitted = true;
      if (mask & 8) h.options.timestamps = TcpTimestamps{0xdeadbeef, 0x01020304};
      for (std::size_t b = 0; b < sacks; ++b)
        h.options.sack[b] = {static_cast<std::uint32_t>(1000 * b), static_cast<std::uint32_t>(1000 * b + 500)};
      h.options.sack_count = sacks;

      const std::size_t expected_len = TcpHeader::kMinSize + h.options.encoded_size();
      ASSERT_LE(expected_len, TcpHeader::kMaxSize) << mask << "/" << sacks;
      ASSERT_EQ(expected_len % 4, 0u);
      std::vector<std::uint8_t> out(expected_len);  // exact size: ASan catches any overrun
      ASSERT_EQ(h.emit(out, kClientIp, kServerIp, {}, true), expected_len) << mask << "/" << sacks;

      auto r = TcpHeader::parse(out, kClientIp, kServerIp, true);
      ASSERT_TRUE(r.header) << mask << "/" << sacks << " error " << static_cast<int>(r.error);
      const TcpOptions& got = r.header->options;
      EXPECT_EQ(r.header->header_len, expected_len);
      EXPECT_EQ(got.mss, h.options.mss);
      EXPECT_EQ(got.window_scale, h.options.window_scale);
      EXPECT_EQ(got.sack_permitted, h.options.sack_permitted);
      EXPECT_EQ(got.timestamps, h.options.timestamps);
      // Blocks that do not fit beside the other options are dropped from the end.
      const std::size_t before_sack = (mask & 1 ? 4 : 0) + (mask & 2 ? 4 : 0) + (mask & 8 ? 12 : mask & 4 ? 4 : 0);
      EXPECT_EQ(got.sack_count, std::min(sacks, (40 - before_sack - 4) / 8)) << mask << "/" << sacks;
      for (std::size_t b = 0; b < got.sack_count; ++b) EXPECT_EQ(got.sack[b], h.options.sack[b]);
    }
  }
}

TEST(WireTcpOptions, EmitFitsThreeSackBlocksBesideTimestamps) {
  TcpHeader h;
  h.options.timestamps = TcpTimestamps{1, 2};
  h.options.sack_count = 4;
  for (std::size_t b = 0; b < 4; ++b) h.options.sack[b] = {static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(b + 1)};
  EXPECT_EQ(h.options.encoded_size(), 12u + 4 + 3 * 8);
  std::vector<std::uint8_t> out(TcpHeader::kMaxSize);
  EXPECT_EQ(h.emit(out, kClientIp, kServerIp, {}, true), 60u);
  auto r = TcpHeader::parse(out, kClientIp, kServerIp, true);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->options.sack_count, 3u);
  EXPECT_EQ(r.header->options.sack[2], (SackBlock{2, 3}));
}

TEST(WireTcpOptions, EmitFitsFourSackBlocksAlone) {
  TcpHeader h;
  h.options.sack_count = 4;
  EXPECT_EQ(h.options.encoded_size(), 4u + 4 * 8);
}

TEST(WireTcpOptions, EmitIgnoresASackCountBeyondTheArray) {
  TcpHeader h;
  h.options.sack_count = 9;  // a caller bug must not read past sack[3] or write past 60 bytes
  EXPECT_EQ(h.options.encoded_size(), 36u);
  std::vector<std::uint8_t> out(TcpHeader::kMaxSize);
  EXPECT_EQ(h.emit(out, kClientIp, kServerIp, {}, true), 56u);
}

TEST(WireTcpOptions, EmitSynOptionsLayout) {
  // SYN with everything: MSS, NOP+WS, SACK-permitted+TS; no padding needed.
  TcpHeader h;
  h.flags = tcp_flag::syn;
  h.options.mss = 1460;
  h.options.window_scale = 7;
  h.options.sack_permitted = true;
  h.options.timestamps = TcpTimestamps{1, 0};
  std::vector<std::uint8_t> out(40);
  h.emit(out, kClientIp, kServerIp, {}, false);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin() + 20, out.end()),
            hex("0204 05b4 0103 0307 0402 080a 0000 0001 0000 0000"));
  // Without timestamps, SACK-permitted gets two NOPs of its own.
  h.options.timestamps.reset();
  out.assign(32, 0);
  EXPECT_EQ(h.emit(out, kClientIp, kServerIp, {}, false), 32u);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin() + 20, out.end()), hex("0204 05b4 0103 0307 0101 0402"));
}

}  // namespace
}  // namespace mtcpp
