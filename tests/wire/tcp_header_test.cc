// TCP headers: a captured SYN and an ACK with data byte for byte, round trips, and every way the
// fixed header can be malformed (truncation, data offset, checksum).
#include <gtest/gtest.h>

#include "core/wire/tcp.h"
#include "tests/wire/tcp_test_util.h"

namespace mtcpp {
namespace {

using test::hex;
using test::kClientIp;
using test::kServerIp;
using Error = TcpHeader::Error;

// A Linux-style SYN, 192.168.0.104:54321 -> 192.168.0.1:80, ISN 3a1c5e7f, window 64240, options in
// Linux's order: MSS 1460, SACK-permitted, timestamps (2767692, 0), NOP, window scale 7. The
// checksum 22c2 was computed independently of core/wire.
const auto kSyn = hex(
    "d431 0050 3a1c 5e7f 0000 0000 a002 faf0 22c2 0000"
    "0204 05b4 0402 080a 002a 3b4c 0000 0000 0103 0307");

// The same SYN as TcpHeader::emit lays it out: MSS, NOP+WS, SACK-permitted+TS. The words are the
// SYN's in another order, so the checksum happens to be the same.
const auto kSynAsEmitted = hex(
    "d431 0050 3a1c 5e7f 0000 0000 a002 faf0 22c2 0000"
    "0204 05b4 0103 0307 0402 080a 002a 3b4c 0000 0000");

// The server's reply: acknowledges the SYN, carries "hello", timestamps and one SACK block;
// checksum 37e4, computed independently.
const auto kAckWithData = hex(
    "0050 d431 0000 1000 3a1c 5e80 b018 01f5 37e4 0000"
    "0101 080a 1122 3344 002a 3b4c 0101 050a 3a1c 6000 3a1c 7000"
    "68 65 6c 6c 6f");

TcpHeader syn_header() {
  TcpHeader h;
  h.src_port = 54321;
  h.dst_port = 80;
  h.seq = 0x3a1c5e7f;
  h.flags = tcp_flag::syn;
  h.window = 64240;
  h.options.mss = 1460;
  h.options.window_scale = 7;
  h.options.sack_permitted = true;
  h.options.timestamps = TcpTimestamps{0x002a3b4c, 0};
  return h;
}

TEST(WireTcpHeader, ParsesCapturedSyn) {
  auto r = TcpHeader::parse(kSyn, kClientIp, kServerIp, true);
  ASSERT_TRUE(r.header) << static_cast<int>(r.error);
  const TcpHeader& h = *r.header;
  EXPECT_EQ(h.src_port, 54321);
  EXPECT_EQ(h.dst_port, 80);
  EXPECT_EQ(h.seq, 0x3a1c5e7fu);
  EXPECT_EQ(h.ack, 0u);
  EXPECT_EQ(h.flags, tcp_flag::syn);
  EXPECT_TRUE(h.has(tcp_flag::syn));
  EXPECT_FALSE(h.has(tcp_flag::ack));
  EXPECT_EQ(h.window, 64240);
  EXPECT_EQ(h.checksum, 0x22c2);
  EXPECT_EQ(h.urgent, 0);
  EXPECT_EQ(h.header_len, 40u);
  EXPECT_EQ(h.options.mss, 1460);
  EXPECT_EQ(h.options.window_scale, 7);
  EXPECT_TRUE(h.options.sack_permitted);
  EXPECT_EQ(h.options.timestamps, (TcpTimestamps{2767692, 0}));
  EXPECT_EQ(h.options.sack_count, 0u);
  EXPECT_TRUE(r.payload.empty());
}

TEST(WireTcpHeader, EmitsSynInItsOwnOptionOrder) {
  std::vector<std::uint8_t> out(kSynAsEmitted.size());
  const std::size_t len = syn_header().emit(out, kClientIp, kServerIp, {}, true);
  EXPECT_EQ(len, 40u);
  EXPECT_EQ(out, kSynAsEmitted);
  EXPECT_TRUE(TcpHeader::parse(out, kClientIp, kServerIp, true).header);
}

TEST(WireTcpHeader, ParsesAckWithDataSackAndTimestamps) {
  auto r = TcpHeader::parse(kAckWithData, kServerIp, kClientIp, true);
  ASSERT_TRUE(r.header) << static_cast<int>(r.error);
  const TcpHeader& h = *r.header;
  EXPECT_EQ(h.seq, 0x1000u);
  EXPECT_EQ(h.ack, 0x3a1c5e80u);
  EXPECT_EQ(h.flags, tcp_flag::ack | tcp_flag::psh);
  EXPECT_EQ(h.window, 501);
  EXPECT_EQ(h.header_len, 44u);
  EXPECT_FALSE(h.options.mss);
  EXPECT_EQ(h.options.timestamps, (TcpTimestamps{0x11223344, 0x002a3b4c}));
  ASSERT_EQ(h.options.sack_count, 1u);
  EXPECT_EQ(h.options.sack[0], (SackBlock{0x3a1c6000, 0x3a1c7000}));
  ASSERT_EQ(r.payload.size(), 5u);
  EXPECT_EQ(r.payload.data(), kAckWithData.data() + 44);
}

TEST(WireTcpHeader, EmitsAckWithDataByteForByte) {
  TcpHeader h;
  h.src_port = 80;
  h.dst_port = 54321;
  h.seq = 0x1000;
  h.ack = 0x3a1c5e80;
  h.flags = tcp_flag::ack | tcp_flag::psh;
  h.window = 501;
  h.options.timestamps = TcpTimestamps{0x11223344, 0x002a3b4c};
  h.options.sack[0] = {0x3a1c6000, 0x3a1c7000};
  h.options.sack_count = 1;
  std::vector<std::uint8_t> out(kAckWithData.size());
  const auto payload = hex("68 65 6c 6c 6f");
  std::copy(payload.begin(), payload.end(), out.begin() + 44);
  EXPECT_EQ(h.emit(out, kServerIp, kClientIp, payload, true), 44u);
  EXPECT_EQ(out, kAckWithData);
}

TEST(WireTcpHeader, ChecksumCoversAddressesHeaderAndPayload) {
  // Swapped addresses are still a valid pseudo-header sum (addition commutes), so use others.
  auto r = TcpHeader::parse(kSyn, kClientIp, Ipv4Addr::of(192, 168, 0, 2), true);
  EXPECT_FALSE(r.header);
  EXPECT_EQ(r.error, Error::bad_checksum);
  for (std::size_t byte = 0; byte < kAckWithData.size(); ++byte) {
    if (byte == 12) continue;  // the data offset is checked before the checksum
    auto s = kAckWithData;
    s[byte] ^= 0x20;
    auto bad = TcpHeader::parse(s, kServerIp, kClientIp, true);
    EXPECT_FALSE(bad.header) << byte;
    EXPECT_EQ(bad.error, Error::bad_checksum) << byte;
    EXPECT_TRUE(TcpHeader::parse(s, kServerIp, kClientIp, false).header || byte >= 20)
        << "offloaded: header byte " << byte << " is not checked";
  }
}

TEST(WireTcpHeader, EmitWithoutChecksumLeavesZero) {
  std::vector<std::uint8_t> out(40, 0xff);
  syn_header().emit(out, kClientIp, kServerIp, {}, false);
  EXPECT_EQ(load_be16(out, 16), 0);
  auto r = TcpHeader::parse(out, kClientIp, kServerIp, false);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->seq, 0x3a1c5e7fu);
}

TEST(WireTcpHeader, RoundTripsEveryFlagAndField) {
  for (int flags = 0; flags < 256; ++flags) {
    TcpHeader h;
    h.src_port = static_cast<std::uint16_t>(flags * 251);
    h.dst_port = 65535;
    h.seq = 0xffffffffu - static_cast<std::uint32_t>(flags);
    h.ack = static_cast<std::uint32_t>(flags) << 24;
    h.flags = static_cast<std::uint8_t>(flags);
    h.window = static_cast<std::uint16_t>(flags * 257);
    h.urgent = static_cast<std::uint16_t>(flags);
    const auto payload = hex("00 11 22");
    std::vector<std::uint8_t> segment(TcpHeader::kMinSize + payload.size());
    std::copy(payload.begin(), payload.end(), segment.begin() + TcpHeader::kMinSize);
    ASSERT_EQ(h.emit(segment, kClientIp, kServerIp, payload, true), TcpHeader::kMinSize);
    auto r = TcpHeader::parse(segment, kClientIp, kServerIp, true);
    ASSERT_TRUE(r.header) << flags;
    EXPECT_EQ(r.header->src_port, h.src_port);
    EXPECT_EQ(r.header->dst_port, h.dst_port);
    EXPECT_EQ(r.header->seq, h.seq);
    EXPECT_EQ(r.header->ack, h.ack);
    EXPECT_EQ(r.header->flags, h.flags);
    EXPECT_EQ(r.header->window, h.window);
    EXPECT_EQ(r.header->urgent, h.urgent);
    EXPECT_EQ(r.header->header_len, TcpHeader::kMinSize);
    EXPECT_EQ(r.payload.size(), 3u);
  }
}

TEST(WireTcpHeader, TruncatedBelowMinimumHeader) {
  for (std::size_t n = 0; n < TcpHeader::kMinSize; ++n)
    for (bool verify : {false, true}) {
      auto r = TcpHeader::parse(test::prefix(kSyn, n), kClientIp, kServerIp, verify);
      EXPECT_FALSE(r.header) << n;
      EXPECT_EQ(r.error, Error::truncated) << n;
    }
}

TEST(WireTcpHeader, OptionsCutOffByTheSegmentEnd) {
  // The SYN says 40 header bytes; any shorter segment cannot hold them.
  for (std::size_t n = TcpHeader::kMinSize; n < kSyn.size(); ++n)
    for (bool verify : {false, true}) {
      auto r = TcpHeader::parse(test::prefix(kSyn, n), kClientIp, kServerIp, verify);
      EXPECT_FALSE(r.header) << n;
      EXPECT_EQ(r.error, Error::bad_data_offset) << n;
    }
}

TEST(WireTcpHeader, DataOffsetBelowFiveWords) {
  for (int words = 0; words < 5; ++words) {
    auto s = kSyn;
    s[12] = static_cast<std::uint8_t>(words << 4);
    auto r = TcpHeader::parse(s, kClientIp, kServerIp, false);
    EXPECT_FALSE(r.header) << words;
    EXPECT_EQ(r.error, Error::bad_data_offset) << words;
  }
}

TEST(WireTcpHeader, DataOffsetBeyondTheSegment) {
  for (int words = 11; words < 16; ++words) {
    auto s = kSyn;
    s[12] = static_cast<std::uint8_t>(words << 4);
    auto r = TcpHeader::parse(s, kClientIp, kServerIp, false);
    EXPECT_FALSE(r.header) << words;
    EXPECT_EQ(r.error, Error::bad_data_offset) << words;
  }
}

TEST(WireTcpHeader, DataOffsetOfFiveTreatsOptionBytesAsPayload) {
  auto s = kSyn;
  s[12] = 0x50;
  auto r = TcpHeader::parse(s, kClientIp, kServerIp, false);
  ASSERT_TRUE(r.header);
  EXPECT_FALSE(r.header->options.mss);
  EXPECT_EQ(r.payload.size(), 20u);
}

TEST(WireTcpHeader, MaximumHeaderOfSixtyBytes) {
  std::vector<std::uint8_t> options(40, 0x01);  // all NOPs
  auto s = test::segment_with_options(options, hex("ab"));
  auto r = TcpHeader::parse(s, kClientIp, kServerIp, true);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->header_len, TcpHeader::kMaxSize);
  EXPECT_EQ(r.payload.size(), 1u);
}

}  // namespace
}  // namespace mtcpp
