// TCP segments the stack must refuse before the state machine sees them (RFC 9293 §3.1, §3.7):
// truncated headers, impossible data offsets, broken option lists, bad checksums. Each is dropped,
// counted and never answered, whether it hits a listener or an established connection, and the
// connection is unchanged afterwards. Then overlapping and duplicate data delivers every byte once.
#include <functional>

#include "network/network_fixture.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;
using Counter = std::uint64_t StackStats::*;

struct Malformed {
  const char* name;
  std::function<void(Frame&)> apply;  // changes a valid segment's frame
  Counter counter;
};

// Replaces the 20-byte TCP header's options with `opts` (the data offset follows), fixing the IP
// total length and both checksums, so only the option list is wrong.
void set_options(Frame& f, const std::vector<std::uint8_t>& opts) {
  const std::size_t old_off = (f[kTcpOff + 12] >> 4) * 4;
  f.erase(f.begin() + static_cast<long>(kTcpOff + TcpHeader::kMinSize),
          f.begin() + static_cast<long>(kTcpOff + old_off));
  f.insert(f.begin() + static_cast<long>(kTcpOff + TcpHeader::kMinSize), opts.begin(), opts.end());
  f[kTcpOff + 12] = static_cast<std::uint8_t>(((TcpHeader::kMinSize + opts.size()) / 4) << 4);
  store_be16(MutableBytes(f), kIpOff + 2, static_cast<std::uint16_t>(f.size() - kEth));
  reseal_ip(f);
  reseal_tcp(f);
}

// Cuts the TCP segment to `len` bytes (fixing the IPv4 header so only TCP is at fault).
void truncate_segment(Frame& f, std::size_t len) {
  f.resize(kTcpOff + len);
  store_be16(MutableBytes(f), kIpOff + 2, static_cast<std::uint16_t>(kIp + len));
  reseal_ip(f);
}

void set_data_offset(Frame& f, std::uint8_t words) {
  f[kTcpOff + 12] = static_cast<std::uint8_t>((words << 4) | (f[kTcpOff + 12] & 0x0f));
  reseal_tcp(f);
}

// gtest names a failing case by its name, not by its bytes.
void PrintTo(const Malformed& m, std::ostream* os) { *os << m.name; }

std::vector<Malformed> malformed_cases() {
  auto opts = [](std::vector<std::uint8_t> o) { return [o](Frame& f) { set_options(f, o); }; };
  const Counter bad = &StackStats::tcp_malformed;
  return {
      {"TruncatedTo0", [](Frame& f) { truncate_segment(f, 0); }, bad},
      {"TruncatedTo12", [](Frame& f) { truncate_segment(f, 12); }, bad},
      {"TruncatedTo19", [](Frame& f) { truncate_segment(f, 19); }, bad},
      {"DataOffset0", [](Frame& f) { set_data_offset(f, 0); }, bad},
      {"DataOffset4", [](Frame& f) { set_data_offset(f, 4); }, bad},
      {"DataOffsetBeyondSegment", [](Frame& f) { set_data_offset(f, 15); }, bad},
      {"OptionLength0", opts({2, 0, 0, 0}), bad},
      {"OptionLength1", opts({2, 1, 0, 0}), bad},
      {"UnknownOptionLength0", opts({99, 0, 1, 1}), bad},
      {"UnknownOptionLength1", opts({99, 1, 1, 1}), bad},
      {"OptionOverrunsHeader", opts({8, 10, 0, 0}), bad},
      {"OptionOverrunsByOne", opts({1, 1, 99, 3}), bad},
      {"OptionKindWithoutLength", opts({1, 1, 1, 2}), bad},
      {"MssWrongLength", opts({2, 3, 5, 0}), bad},
      {"WindowScaleWrongLength", opts({3, 4, 7, 0}), bad},
      {"SackBadLength", opts({5, 6, 0, 0, 0, 0, 1, 1}), bad},
      {"TimestampsWrongLength", opts({8, 6, 0, 0, 0, 1, 1, 1}), bad},
      {"BadChecksum", [](Frame& f) { f[kTcpOff + 17] ^= 0x01; }, &StackStats::tcp_bad_checksum},
      {"ZeroChecksum", [](Frame& f) { f[kTcpOff + 16] = 0, f[kTcpOff + 17] = 0; }, &StackStats::tcp_bad_checksum},
      {"CorruptedPort", [](Frame& f) { f[kTcpOff + 3] ^= 0x10; }, &StackStats::tcp_bad_checksum},
      {"CorruptedLastByte", [](Frame& f) { f.back() ^= 0x80; }, &StackStats::tcp_bad_checksum},
      {"PseudoHeaderMismatch",  // the checksum of a copy sent elsewhere: the pseudo-header differs
       [](Frame& f) {
         store_be32(MutableBytes(f), kIpOff + 16, Ipv4Addr::of(10, 0, 0, 3).value);
         reseal_tcp(f);
         store_be32(MutableBytes(f), kIpOff + 16, Ipv4Addr::of(10, 0, 0, 1).value);
         reseal_ip(f);
       },
       &StackStats::tcp_bad_checksum},
  };
}

class NetworkTcpMalformed : public NetworkFixture, public ::testing::WithParamInterface<Malformed> {
 protected:
  const Counter drops_[4] = {&StackStats::tcp_malformed, &StackStats::tcp_bad_checksum,
                             &StackStats::ip_malformed, &StackStats::ip_bad_checksum};
  void expect_dropped_as(const StackStats& before, Counter counter) {
    expect_silence();
    EXPECT_EQ(stats().*counter, before.*counter + 1);
    std::uint64_t moved = 0;
    for (Counter c : drops_) moved += stats().*c - before.*c;
    EXPECT_EQ(moved, 1u) << "exactly one drop counter moves";
    EXPECT_EQ(stats().tcp_segments_received, before.tcp_segments_received) << "TCP never saw it";
    EXPECT_EQ(stats().tcp_resets_sent, before.tcp_resets_sent);
  }
};

TEST_P(NetworkTcpMalformed, AgainstAListener) {
  const Malformed& m = GetParam();
  listen_socket();
  Frame f = frame_for(seg(S, 0));
  m.apply(f);
  const StackStats before = stats();
  push(f);
  expect_dropped_as(before, m.counter);
  EXPECT_EQ(stats().tcp_connections_in_use, before.tcp_connections_in_use) << "no embryonic connection";
  // The listener still answers the intact SYN.
  push(frame_for(seg(S, 0)));
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_TRUE(all[0].tcp);
  EXPECT_EQ(all[0].tcp->flags, S | A);
}

TEST_P(NetworkTcpMalformed, AgainstAClosedPort) {
  const Malformed& m = GetParam();
  Frame f = frame_for(seg(S, 0));
  m.apply(f);
  const StackStats before = stats();
  push(f);
  expect_dropped_as(before, m.counter);  // a valid one would draw a RST
}

TEST_P(NetworkTcpMalformed, AgainstAnEstablishedConnection) {
  const Malformed& m = GetParam();
  const int fd = established();
  pop_all();
  struct Snapshot {
    TcpState state;
    SeqNum rcv_nxt, snd_una, snd_nxt;
    std::uint32_t snd_wnd;
  };
  const Tcb* t0 = stack().tcp().tcb(fd);
  ASSERT_NE(t0, nullptr);
  const Snapshot before_tcb{t0->state, t0->rcv_nxt, t0->snd_una, t0->snd_nxt, t0->snd_wnd};
  // Data with a FIN: processed, it would move RCV.NXT by 11 and the state to CLOSE_WAIT.
  Seg s = seg(F | P | A, 1, 1, 10);
  Frame f = frame_for(s);
  m.apply(f);
  const StackStats before = stats();
  push(f);
  expect_dropped_as(before, m.counter);
  advance(1s);  // no delayed ACK either
  expect_silence();
  const Tcb* t = stack().tcp().tcb(fd);
  EXPECT_EQ(t->state, before_tcb.state);
  EXPECT_EQ(t->rcv_nxt, before_tcb.rcv_nxt);
  EXPECT_EQ(t->snd_una, before_tcb.snd_una);
  EXPECT_EQ(t->snd_nxt, before_tcb.snd_nxt);
  EXPECT_EQ(t->snd_wnd, before_tcb.snd_wnd);
  EXPECT_EQ(stack().bytes_readable(fd), 0);
  // The intact segment is then taken as usual: its data, its FIN, and an ACK of both.
  inject(s);
  EXPECT_EQ(stack().bytes_readable(fd), 10);
  EXPECT_EQ(state(fd), TcpState::close_wait);
  expect(seg(A, 1, 12));
}

INSTANTIATE_TEST_SUITE_P(Network, NetworkTcpMalformed, ::testing::ValuesIn(malformed_cases()),
                         [](const ::testing::TestParamInfo<Malformed>& info) { return std::string(info.param.name); });

using NetworkTcpInput = NetworkFixture;

TEST_F(NetworkTcpInput, ResetWithABadChecksumDoesNotResetTheConnection) {
  const int fd = established();
  pop_all();
  Frame f = frame_for(seg(R | A, 1, 1));
  f[kTcpOff + 16] ^= 0xff;
  push(f);
  expect_silence();
  EXPECT_EQ(stats().tcp_bad_checksum, 1u);
  EXPECT_EQ(stats().tcp_resets_received, 0u);
  EXPECT_EQ(state(fd), TcpState::established);
}

TEST_F(NetworkTcpInput, UnknownOptionsWithSaneLengthsArePassedOver) {
  listen_socket();
  Frame f = frame_for(seg(S, 0));
  // An unknown kind 99 of length 4, NOP, then MSS 1000, EOL padding.
  set_options(f, {99, 4, 0xaa, 0xbb, 1, 2, 4, 0x03, 0xe8, 0, 0, 0});
  push(f);
  auto all = pop_all();
  ASSERT_EQ(all.size(), 1u);
  ASSERT_TRUE(all[0].tcp);
  EXPECT_EQ(all[0].tcp->flags, S | A);
  EXPECT_EQ(stats().tcp_malformed, 0u);
  const Tcb* t = peer_tcb();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->peer_mss, 1000);
}

// A byte stream with no short period, so a byte delivered at the wrong offset shows.
std::vector<std::uint8_t> stream_bytes(std::size_t n) {
  std::vector<std::uint8_t> b(n);
  std::uint32_t x = 2463534242u;
  for (auto& v : b) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    v = static_cast<std::uint8_t>(x);
  }
  return b;
}

class NetworkTcpReassembly : public NetworkFixture {
 protected:
  std::vector<std::uint8_t> stream_ = stream_bytes(8000);

  // P sends stream bytes [first, last) (relative sequence numbers, 1-based as in the DSL).
  void send_range(std::uint32_t first, std::uint32_t last) {
    Seg s = seg(A, first, 1, last - first);
    s.payload.assign(stream_.begin() + (first - 1), stream_.begin() + (last - 1));
    inject(s);
  }

  std::vector<std::uint8_t> read_all(int fd) {
    std::vector<std::uint8_t> got;
    std::uint8_t buf[4096];
    for (;;) {
      const long n = stack().recv(fd, buf, now());
      if (n <= 0) {
        EXPECT_EQ(n, -EAGAIN);
        break;
      }
      got.insert(got.end(), buf, buf + n);
    }
    return got;
  }

  // The highest cumulative ACK L sent since the last call (after its delayed ACK fired).
  std::uint32_t last_ack() {
    advance(1s);
    std::uint32_t ack = 0;
    for (const Sent& s : pop_all()) {
      EXPECT_TRUE(s.tcp && s.tcp_payload.empty());
      if (s.tcp && s.tcp->has(A)) ack = s.tcp->ack - peer_iss_;
    }
    return ack;
  }

  void expect_stream(int fd, std::uint32_t upto) {
    const auto got = read_all(fd);
    ASSERT_EQ(got.size(), upto - 1);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), stream_.begin())) << "bytes delivered once, in order";
  }
};

TEST_F(NetworkTcpReassembly, OverlappingAndDuplicateSegmentsDeliverEachByteOnce) {
  const int fd = established();
  pop_all();
  send_range(1, 1001);
  send_range(501, 1501);  // half old, half new
  send_range(1, 1501);    // entirely old
  EXPECT_EQ(last_ack(), 1501u);
  EXPECT_EQ(stack().bytes_readable(fd), 1500);
  expect_stream(fd, 1501);
}

TEST_F(NetworkTcpReassembly, OverlapsAroundAnOutOfOrderBlock) {
  const int fd = established();
  pop_all();
  send_range(1, 1001);
  send_range(2001, 3001);  // a hole at 1001..2001
  send_range(2501, 3501);  // overlaps the held block's tail
  send_range(1501, 2601);  // fills part of the hole and overlaps the held block's head
  EXPECT_EQ(stack().bytes_readable(fd), 1000);
  send_range(501, 1601);   // overlaps delivered data and completes the hole
  EXPECT_EQ(last_ack(), 3501u);
  expect_stream(fd, 3501);
  for (std::uint32_t first = 1; first < 3501; first += 1400)  // all of it again: nothing new
    send_range(first, std::min<std::uint32_t>(first + 1400, 3501));
  send_range(3001, 4001);
  EXPECT_EQ(last_ack(), 4001u);
  const auto got = read_all(fd);
  ASSERT_EQ(got.size(), 500u);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), stream_.begin() + 3500));
}

TEST_F(NetworkTcpReassembly, ReadingBetweenOverlapsKeepsTheStreamIntact) {
  const int fd = established();
  pop_all();
  std::vector<std::uint8_t> got;
  std::uint32_t first = 1;
  for (int i = 0; i < 12; ++i) {
    // Each segment repeats the last 300 bytes of the previous one and adds 500 new ones.
    const std::uint32_t start = first > 300 ? first - 300 : 1;
    send_range(start, first + 500);
    first += 500;
    const auto part = read_all(fd);
    got.insert(got.end(), part.begin(), part.end());
  }
  ASSERT_EQ(got.size(), 6000u);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), stream_.begin()));
  EXPECT_EQ(last_ack(), 6001u);
}

}  // namespace
}  // namespace mtcpp::test

namespace mtcpp::test {
namespace {

// RFC 6864 §4.1: the IPv4 ID of an atomic datagram (DF set, as every datagram mtcpp sends) may be
// anything. mtcpp counts per connection from a keyed start, so what one peer sees says nothing
// of the traffic to others (one stack-wide counter would), and a reply outside any connection
// carries 0.
using NetworkIpId = NetworkFixture;

TEST_F(NetworkIpId, EachConnectionCountsFromItsOwnKeyedStart) {
  const int fd = established();
  pop_all();
  std::vector<std::uint16_t> ids;
  ASSERT_EQ(stack().send(fd, std::vector<std::uint8_t>(3000, 'x'), now()), 3000);
  while (auto s = pop()) {
    ASSERT_TRUE(s->ip);
    EXPECT_TRUE(s->ip->dont_fragment);
    ids.push_back(s->ip->id);
  }
  ASSERT_GE(ids.size(), 3u);
  for (std::size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(ids[i], static_cast<std::uint16_t>(ids[i - 1] + 1));
  // Another connection, to another port of the peer: its IDs start elsewhere, not where the
  // first connection's counter stands.
  const int other = stack().socket(now());
  ASSERT_EQ(stack().connect(other, {remote_.addr, static_cast<std::uint16_t>(remote_.port + 1)}, now()), -EINPROGRESS);
  const auto syn = pop();
  ASSERT_TRUE(syn && syn->ip && syn->tcp);
  EXPECT_NE(syn->ip->id, static_cast<std::uint16_t>(ids.back() + 1));
  // A reset for a port nobody listens on belongs to no connection: ID 0.
  Frame to_closed_port = frame_for(seg(S, 0));
  store_be16(MutableBytes(to_closed_port), kTcpOff + 2, 9);  // nothing listens on port 9
  reseal_tcp(to_closed_port);
  push(to_closed_port);
  const auto rst = pop();
  ASSERT_TRUE(rst && rst->ip && rst->tcp);
  EXPECT_TRUE(rst->tcp->flags & R);
  EXPECT_EQ(rst->ip->id, 0);
}

}  // namespace
}  // namespace mtcpp::test
