// A deterministic fuzz loop: random byte strings and mutations of valid frames go through every
// wire parser. Under ASan/UBSan this shows no parser reads out of bounds or hits undefined
// behaviour; the invariants below show that what a parser accepts is self-consistent.
#include <gtest/gtest.h>

#include <array>
#include <string_view>
#include <vector>

#include "core/rng.h"
#include "core/wire/arp.h"
#include "core/wire/checksum.h"
#include "core/wire/ethernet.h"
#include "core/wire/icmp.h"
#include "core/wire/ipv4.h"
#include "core/wire/tcp.h"
#include "tests/wire/tcp_test_util.h"

namespace mtcpp {
namespace {

using test::hex;
using test::kClientIp;
using test::kServerIp;

constexpr int kRandomIterations = 100'000;
constexpr int kMutationIterations = 100'000;

// What the loop reached, so the test can show it got past the first checks of each parser.
struct Reached {
  std::array<int, 5> ipv4_errors{};  // indexed by Ipv4Header::Error
  std::array<int, 4> tcp_errors{};   // indexed by TcpHeader::Error
  int ipv4_ok = 0;
  int tcp_ok = 0;
  int tcp_ok_verified = 0;
  int tcp_with_options = 0;
  int icmp_ok = 0;
  int arp_ok = 0;
};

// Emits what TCP parsed and parses it again: the values must survive (SACK blocks beyond what
// emit() can fit are allowed to drop off the end).
void expect_tcp_reemits(const TcpHeader& h) {
  std::vector<std::uint8_t> out(TcpHeader::kMinSize + h.options.encoded_size());
  ASSERT_EQ(h.emit(out, kClientIp, kServerIp, {}, true), out.size());
  auto again = TcpHeader::parse(out, kClientIp, kServerIp, true);
  ASSERT_TRUE(again.header);
  const TcpHeader& g = *again.header;
  EXPECT_EQ(g.seq, h.seq);
  EXPECT_EQ(g.ack, h.ack);
  EXPECT_EQ(g.flags, h.flags);
  EXPECT_EQ(g.options.mss, h.options.mss);
  EXPECT_EQ(g.options.window_scale, h.options.window_scale);
  EXPECT_EQ(g.options.sack_permitted, h.options.sack_permitted);
  EXPECT_EQ(g.options.timestamps, h.options.timestamps);
  EXPECT_LE(g.options.sack_count, h.options.sack_count);
  for (std::size_t b = 0; b < g.options.sack_count; ++b) EXPECT_EQ(g.options.sack[b], h.options.sack[b]);
}

void parse_tcp(Bytes segment, Ipv4Addr src, Ipv4Addr dst, Reached& reached) {
  for (bool verify : {false, true}) {
    auto r = TcpHeader::parse(segment, src, dst, verify);
    if (!r.header) {
      ++reached.tcp_errors[static_cast<std::size_t>(r.error)];
      continue;
    }
    const TcpHeader& h = *r.header;
    ++reached.tcp_ok;
    if (verify) ++reached.tcp_ok_verified;
    if (h.header_len > TcpHeader::kMinSize) ++reached.tcp_with_options;
    EXPECT_GE(h.header_len, TcpHeader::kMinSize);
    EXPECT_LE(h.header_len, TcpHeader::kMaxSize);
    EXPECT_EQ(h.header_len % 4, 0u);
    EXPECT_EQ(r.payload.size(), segment.size() - h.header_len);
    EXPECT_LE(h.options.sack_count, TcpOptions::kMaxSackBlocks);
    expect_tcp_reemits(h);
  }
}

void parse_ipv4_and_above(Bytes packet, Reached& reached) {
  for (bool verify : {false, true}) {
    auto r = Ipv4Header::parse(packet, verify);
    if (!r.header) {
      ++reached.ipv4_errors[static_cast<std::size_t>(r.error)];
      continue;
    }
    ++reached.ipv4_ok;
    const Ipv4Header& h = *r.header;
    EXPECT_GE(h.header_len, Ipv4Header::kMinSize);
    EXPECT_EQ(h.header_len + r.payload.size(), h.total_length);
    EXPECT_LE(h.total_length, packet.size());
    if (!verify) continue;  // parse the layers above once per packet
    parse_tcp(r.payload, h.src, h.dst, reached);
    if (IcmpHeader::parse(r.payload)) ++reached.icmp_ok;
  }
}

// Every parser on its own (any byte string may be handed to any of them) and then chained the way
// a received frame is taken apart. Text parsers get the bytes as characters.
void parse_everything(Bytes bytes, Reached& reached) {
  (void)EthernetHeader::parse(bytes);
  (void)ArpPacket::parse(bytes);
  (void)IcmpHeader::parse(bytes);
  parse_tcp(bytes, kClientIp, kServerIp, reached);
  parse_ipv4_and_above(bytes, reached);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  (void)MacAddr::parse(text);
  (void)Ipv4Addr::parse(text);

  auto eth = EthernetHeader::parse(bytes);
  if (!eth) return;
  const Bytes payload = bytes.subspan(EthernetHeader::kSize);
  if (eth->ethertype == static_cast<std::uint16_t>(EtherType::arp) && ArpPacket::parse(payload))
    ++reached.arp_ok;
  if (eth->ethertype == static_cast<std::uint16_t>(EtherType::ipv4)) parse_ipv4_and_above(payload, reached);
}

std::vector<std::uint8_t> random_bytes(Rng& rng, std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng.next());
  return out;
}

// Valid frames to mutate: Ethernet + IPv4 + TCP SYN with options, + TCP data with SACK, + ICMP
// echo, and an ARP request.
std::vector<std::vector<std::uint8_t>> seed_frames() {
  const auto eth_ipv4 = hex("020000000001 020000000068 0800");
  auto syn = eth_ipv4;
  for (const auto& part : {hex("4500 003c 1c46 4000 4006 9cbc c0a8 0068 c0a8 0001"),
                           hex("d431 0050 3a1c 5e7f 0000 0000 a002 faf0 22c2 0000"
                               "0204 05b4 0402 080a 002a 3b4c 0000 0000 0103 0307")})
    syn.insert(syn.end(), part.begin(), part.end());

  TcpHeader data;
  data.src_port = 80;
  data.dst_port = 54321;
  data.flags = tcp_flag::ack | tcp_flag::psh;
  data.options.timestamps = TcpTimestamps{7, 9};
  data.options.sack_count = 3;
  data.options.sack = {SackBlock{100, 200}, SackBlock{300, 400}, SackBlock{500, 600}};
  const auto body = hex("68656c6c6f");
  const std::size_t tcp_len = TcpHeader::kMinSize + data.options.encoded_size() + body.size();
  std::vector<std::uint8_t> data_frame(EthernetHeader::kSize + Ipv4Header::kMinSize + tcp_len);
  Ipv4Header ip;
  ip.total_length = static_cast<std::uint16_t>(Ipv4Header::kMinSize + tcp_len);
  ip.protocol = static_cast<std::uint8_t>(IpProto::tcp);
  ip.src = kServerIp;
  ip.dst = kClientIp;
  std::copy(eth_ipv4.begin(), eth_ipv4.end(), data_frame.begin());
  ip.emit(MutableBytes(data_frame).subspan(EthernetHeader::kSize));
  MutableBytes segment = MutableBytes(data_frame).subspan(EthernetHeader::kSize + Ipv4Header::kMinSize);
  std::copy(body.begin(), body.end(), segment.end() - static_cast<std::ptrdiff_t>(body.size()));
  data.emit(segment, ip.src, ip.dst, Bytes(segment).last(body.size()), true);

  auto ping = eth_ipv4;
  for (const auto& part : {hex("4500 0021 0000 4000 4001 0000 c0a8 0068 c0a8 0001"),
                           hex("08 00 bc03 1234 0001 6162636465")})
    ping.insert(ping.end(), part.begin(), part.end());
  const std::uint16_t ip_sum = test::reference_checksum(std::vector<std::uint8_t>(ping.begin() + 14, ping.begin() + 34));
  store_be16(ping, 14 + 10, ip_sum);

  auto arp = hex("ffffffffffff 020000000068 0806 0001 0800 06 04 0001 020000000068 c0a80068 000000000000 c0a80001");
  return {syn, data_frame, ping, arp};
}

// Recomputes the IPv4 and TCP checksums of a mutated Ethernet frame where its lengths allow, so
// mutations also reach the checks that come after the checksum.
void fix_checksums(std::vector<std::uint8_t>& frame) {
  if (frame.size() < EthernetHeader::kSize + Ipv4Header::kMinSize) return;
  MutableBytes packet = MutableBytes(frame).subspan(EthernetHeader::kSize);
  const std::size_t ihl = std::size_t{packet[0] & 0x0fu} * 4;
  const std::size_t total = load_be16(packet, 2);
  if (ihl < Ipv4Header::kMinSize || ihl > total || total > packet.size()) return;
  store_be16(packet, 10, 0);
  Checksum ip;
  ip.add(packet.first(ihl));
  store_be16(packet, 10, ip.finish());
  if (packet[9] != static_cast<std::uint8_t>(IpProto::tcp) || total - ihl < TcpHeader::kMinSize) return;
  MutableBytes segment = packet.subspan(ihl, total - ihl);
  store_be16(segment, 16, 0);
  Checksum tcp = Checksum::pseudo_header(Ipv4Addr{load_be32(packet, 12)}, Ipv4Addr{load_be32(packet, 16)}, 6,
                                         static_cast<std::uint16_t>(segment.size()));
  tcp.add(segment);
  store_be16(segment, 16, tcp.finish());
}

// One to four random edits. Small values that mean something in headers (versions, lengths, option
// kinds) are favoured so lengths and kinds are hit more often than by uniform bytes.
void mutate(Rng& rng, std::vector<std::uint8_t>& frame) {
  static constexpr std::uint8_t kInteresting[] = {0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 18, 0x22, 0x40,
                                                  0x45, 0x46, 0x4f, 0x50, 0xa0, 0xf0, 0x7f, 0x80, 0xfe, 0xff};
  const int edits = 1 + static_cast<int>(rng.below(4));
  for (int e = 0; e < edits; ++e) {
    const std::size_t at = frame.empty() ? 0 : rng.below(static_cast<std::uint32_t>(frame.size()));
    switch (rng.below(6)) {
      case 0:
        if (!frame.empty()) frame[at] ^= static_cast<std::uint8_t>(1u << rng.below(8));
        break;
      case 1:
        if (!frame.empty()) frame[at] = static_cast<std::uint8_t>(rng.next());
        break;
      case 2:
        if (!frame.empty()) frame[at] = kInteresting[rng.below(sizeof kInteresting)];
        break;
      case 3:
        frame.resize(rng.below(static_cast<std::uint32_t>(frame.size() + 1)));
        break;
      case 4: {
        const auto extra = random_bytes(rng, rng.below(16));
        frame.insert(frame.end(), extra.begin(), extra.end());
        break;
      }
      case 5: {  // rewrite bytes of the TCP option area: after Ethernet, IPv4 and TCP's 20 bytes
        constexpr std::size_t kOptionsStart = 14 + 20 + 20;
        if (frame.size() <= kOptionsStart) break;
        for (std::uint32_t n = 1 + rng.below(8); n > 0; --n)
          frame[kOptionsStart + rng.below(static_cast<std::uint32_t>(frame.size() - kOptionsStart))] =
              kInteresting[rng.below(sizeof kInteresting)];
        break;
      }
    }
  }
  if (rng.chance(0.5)) fix_checksums(frame);
}

TEST(WireFuzz, RandomBytesThroughEveryParser) {
  Rng rng(0x5eed'0001);
  Reached reached;
  for (int i = 0; i < kRandomIterations; ++i) {
    // Mostly short strings, where every length boundary of every header lies.
    const std::size_t n = rng.chance(0.8) ? rng.below(80) : rng.below(1600);
    const auto bytes = random_bytes(rng, n);  // exact size: one byte too far is an ASan error
    parse_everything(bytes, reached);
    if (HasFailure()) FAIL() << "iteration " << i << ", " << n << " bytes";
  }
  EXPECT_GT(reached.tcp_errors[static_cast<int>(TcpHeader::Error::bad_data_offset)], 0);
  EXPECT_GT(reached.tcp_errors[static_cast<int>(TcpHeader::Error::bad_checksum)], 0);
  EXPECT_GT(reached.ipv4_errors[static_cast<int>(Ipv4Header::Error::bad_version)], 0);
}

TEST(WireFuzz, MutatedFramesThroughEveryParser) {
  Rng rng(0x5eed'0002);
  const auto seeds = seed_frames();
  Reached reached;
  for (const auto& seed : seeds) parse_everything(seed, reached);
  ASSERT_EQ(reached.arp_ok, 1) << "the ARP seed is valid";
  ASSERT_EQ(reached.icmp_ok, 1) << "the ping seed is valid";
  ASSERT_GE(reached.tcp_ok_verified, 2) << "both TCP seeds are valid";

  for (int i = 0; i < kMutationIterations; ++i) {
    auto frame = seeds[rng.below(static_cast<std::uint32_t>(seeds.size()))];
    mutate(rng, frame);
    const std::vector<std::uint8_t> exact(frame.begin(), frame.end());  // capacity == size for ASan
    parse_everything(exact, reached);
    if (HasFailure()) FAIL() << "iteration " << i << ", " << frame.size() << " bytes";
  }
  // The mutations reached every outcome of every parser, not only the first length check.
  for (std::size_t e = 0; e < reached.ipv4_errors.size(); ++e)
    EXPECT_GT(reached.ipv4_errors[e], 0) << "Ipv4Header::Error " << e;
  for (std::size_t e = 0; e < reached.tcp_errors.size(); ++e)
    EXPECT_GT(reached.tcp_errors[e], 0) << "TcpHeader::Error " << e;
  EXPECT_GT(reached.tcp_ok_verified, 1000);
  EXPECT_GT(reached.tcp_with_options, 1000);
  EXPECT_GT(reached.icmp_ok, 100);
  EXPECT_GT(reached.arp_ok, 100);
}

}  // namespace
}  // namespace mtcpp
