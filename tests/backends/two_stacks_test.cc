// Two stacks over the memory backend: data integrity under seeded loss, reordering and
// duplication, and resource accounting over many short connections.
#include <gtest/gtest.h>

#include <vector>

#include "backends/memory/stack_pair.h"

namespace mtcpp {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kPort = 5001;

// The byte at position i of the test stream: a cheap pattern that shifts with position, so a
// byte delivered at the wrong offset changes the digest.
std::uint8_t stream_byte(std::uint64_t i) { return static_cast<std::uint8_t>((i * 2654435761u) >> 13); }

struct Fnv64 {
  std::uint64_t h = 0xcbf29ce484222325ull;
  void add(Bytes b) {
    for (std::uint8_t c : b) h = (h ^ c) * 0x100000001b3ull;
  }
};

struct Transfer {
  std::uint64_t digest_sent = 0;
  std::uint64_t digest_received = 0;
  std::uint64_t bytes_received = 0;
  bool closed_cleanly = false;
};

// B connects to A and sends `total` bytes, then closes; A reads to end of stream and closes.
Transfer bulk(StackPair& net, std::uint64_t total) {
  Stack& a = net.a();
  Stack& b = net.b();
  const int l = a.socket(net.now());
  EXPECT_EQ(a.bind(l, {a.address(), kPort}), 0);
  EXPECT_EQ(a.listen(l, 16), 0);
  const int c = b.socket(net.now());
  EXPECT_EQ(b.connect(c, {a.address(), kPort}, net.now()), -EINPROGRESS);
  int s = -1;
  std::uint64_t sent = 0;
  Fnv64 tx, rx;
  Transfer r;
  std::vector<std::uint8_t> chunk(64 * 1024), in(64 * 1024);
  bool b_closed = false;
  bool a_done = false;
  net.run_until(
      [&] {
        if (s < 0) s = a.accept(l, nullptr);
        if (!b_closed && (b.readiness(c) & readiness::out)) {
          while (sent < total) {
            const std::size_t n = std::min<std::uint64_t>(chunk.size(), total - sent);
            for (std::size_t i = 0; i < n; ++i) chunk[i] = stream_byte(sent + i);
            const long w = b.send(c, Bytes(chunk.data(), n), net.now());
            if (w <= 0) break;
            tx.add(Bytes(chunk.data(), static_cast<std::size_t>(w)));
            sent += static_cast<std::uint64_t>(w);
          }
          if (sent == total) {
            EXPECT_EQ(b.close(c, net.now()), 0);
            b_closed = true;
          }
        }
        while (s >= 0 && !a_done) {
          const long n = a.recv(s, in, net.now());
          if (n > 0) {
            rx.add(Bytes(in.data(), static_cast<std::size_t>(n)));
            r.bytes_received += static_cast<std::uint64_t>(n);
          } else {
            if (n == 0) {
              EXPECT_EQ(a.close(s, net.now()), 0);
              a_done = true;
              r.closed_cleanly = true;
            } else {
              EXPECT_EQ(n, -EAGAIN);
            }
            break;
          }
        }
        return a_done;
      },
      3600s);
  EXPECT_EQ(a.close(l, net.now()), 0);
  r.digest_sent = tx.h;
  r.digest_received = rx.h;
  return r;
}

void expect_intact(double loss, std::uint64_t seed, std::uint64_t total = 100ull * 1000 * 1000) {
  auto o = StackPair::default_options();
  o.link.loss = loss;
  o.link.duplicate = loss / 2;
  o.link.reorder = loss / 2;
  o.link.seed = seed;
  StackPair net(o);
  const Transfer t = bulk(net, total);
  EXPECT_TRUE(t.closed_cleanly);
  EXPECT_EQ(t.bytes_received, total);
  EXPECT_EQ(t.digest_received, t.digest_sent);
  // Everything is released once TIME_WAIT has passed.
  net.run_for(o.a.tcp.time_wait + 10s);
  EXPECT_EQ(net.a().stats().tcp_connections_in_use, 0u);
  EXPECT_EQ(net.b().stats().tcp_connections_in_use, 0u);
  EXPECT_EQ(net.port_a().pool().in_use(), 0u);
  EXPECT_EQ(net.port_b().pool().in_use(), 0u);
  EXPECT_EQ(net.a().stats().tcp_buffer_memory, 0u);
  EXPECT_EQ(net.b().stats().tcp_buffer_memory, 0u);
  if (loss > 0) {
    EXPECT_GT(net.link().b_to_a().dropped, 0u);
    EXPECT_GT(net.b().stats().tcp_retransmissions, 0u);
  }
}

TEST(TwoStacks, Moves100MBIntactWithoutLoss) { expect_intact(0.0, 1); }
TEST(TwoStacks, Moves100MBIntactAt1PercentLossWithReorderAndDuplicates) { expect_intact(0.01, 2); }
TEST(TwoStacks, Moves100MBIntactAt5PercentLossWithReorderAndDuplicates) { expect_intact(0.05, 3); }

// A stream endpoint for the tests below: writes `total` bytes of the pattern when it may, reads
// and checks what arrives when `reading`, closes after writing everything.
struct Endpoint {
  Stack& stack;
  int fd = -1;
  std::uint64_t total = 0;
  std::uint64_t written = 0;
  std::uint64_t received = 0;
  bool reading = false;
  bool close_when_written = true;  // shutdown(SHUT_WR) once everything is written
  bool closed = false;
  bool eof = false;
  std::uint64_t first_wrong = ~0ull;  // offset of the first byte read that the peer never wrote

  void write_some(Instant now) {
    std::vector<std::uint8_t> chunk(16 * 1024);
    while (written < total) {
      const std::size_t n = std::min<std::uint64_t>(chunk.size(), total - written);
      for (std::size_t i = 0; i < n; ++i) chunk[i] = stream_byte(written + i);
      const long w = stack.send(fd, Bytes(chunk.data(), n), now);
      if (w <= 0) return;
      written += static_cast<std::uint64_t>(w);
    }
    if (close_when_written && !closed) {
      EXPECT_EQ(stack.shutdown(fd, Shutdown::write, now), 0);
      closed = true;
    }
  }
  void read_some(Instant now, std::size_t at_most = ~std::size_t{0}) {
    std::vector<std::uint8_t> in(16 * 1024);
    while (at_most > 0 && !eof) {
      const long n = stack.recv(fd, MutableBytes(in.data(), std::min(in.size(), at_most)), now);
      if (n == 0) eof = true;
      if (n <= 0) return;
      for (long i = 0; i < n; ++i)
        if (in[static_cast<std::size_t>(i)] != stream_byte(received + static_cast<std::uint64_t>(i)) && first_wrong == ~0ull)
          first_wrong = received + static_cast<std::uint64_t>(i);
      received += static_cast<std::uint64_t>(n);
      at_most -= static_cast<std::size_t>(n);
    }
  }
};

// B writes b.total bytes to A, which reads them to the end of the stream: whether that end came
// within `budget`.
bool b_sends_to_a(StackPair& net, Endpoint& a, Endpoint& b, Duration budget) {
  a.reading = true;
  return net.run_until([&] { b.write_some(net.now()); a.read_some(net.now()); return a.eof; }, budget);
}

// A (server) and B (client) connected; returns their ids.
std::pair<int, int> connected(StackPair& net) {
  const int l = net.a().socket(net.now());
  EXPECT_EQ(net.a().bind(l, {net.a().address(), kPort}), 0);
  EXPECT_EQ(net.a().listen(l, 4), 0);
  const int c = net.b().socket(net.now());
  EXPECT_EQ(net.b().connect(c, {net.a().address(), kPort}, net.now()), -EINPROGRESS);
  int s = -1;
  EXPECT_TRUE(net.run_until([&] { return (s = net.a().accept(l, nullptr)) >= 0; }, 5s));
  return {s, c};
}

TEST(TwoStacks, BothWriteWithoutReadingThenBothReadEverythingIntactWithoutAnAckStorm) {
  // Two applications that each write a large request before reading: both windows close, both
  // probe. The defect: each side's ACKs carried its refused probe octet, the other found them
  // unacceptable and answered, one ACK per link delay each way for as long as it lasted.
  StackPair net(StackPair::default_options());
  auto [s, c] = connected(net);
  Endpoint a{net.a(), s, 300 * 1000};
  Endpoint b{net.b(), c, 300 * 1000};
  const auto frames = [&] { return net.link().a_to_b().sent + net.link().b_to_a().sent; };
  net.run_until([&] { a.write_some(net.now()); b.write_some(net.now()); return false; }, 5s);
  // Each holds more than the other's receive buffer: both windows are closed, both probe.
  ASSERT_TRUE(net.a().tcp().tcb(s)->persisting);
  ASSERT_TRUE(net.b().tcp().tcb(c)->persisting);
  const std::uint64_t before = frames();
  net.run_until([&] { a.write_some(net.now()); b.write_some(net.now()); return false; }, 60s);
  // A minute of closed windows: probes backing off to persist_max, each answered once.
  EXPECT_LT(frames() - before, 200u);
  // When the probes cross, each side takes the other's probe octet and finds the other's next
  // ACK one octet old: it answers that once per round, and when rounds come faster than
  // invalid_ack_interval the rate limit holds some answers back. Never more than one per probe.
  const std::uint64_t probes = net.a().stats().tcp_window_probes + net.b().stats().tcp_window_probes;
  EXPECT_LE(net.a().stats().tcp_invalid_acks_suppressed + net.b().stats().tcp_invalid_acks_suppressed, probes);
  a.reading = b.reading = true;
  const bool done = net.run_until(
      [&] {
        a.write_some(net.now());
        b.write_some(net.now());
        a.read_some(net.now());
        b.read_some(net.now());
        return a.eof && b.eof;
      },
      600s);
  ASSERT_TRUE(done) << "a read " << a.received << ", b read " << b.received;
  EXPECT_EQ(a.received, b.total);
  EXPECT_EQ(b.received, a.total);
  EXPECT_EQ(a.first_wrong, ~0ull);
  EXPECT_EQ(b.first_wrong, ~0ull);
}

TEST(TwoStacks, ReceiverReadingThreeBytesIntoAClosedWindowGetsOnlyWrittenBytes) {
  // The sender's last unsent octet goes as a probe and is taken; the defect kept probing with the
  // octets after it, read from the send ring past the written data.
  StackPair net(StackPair::default_options());
  auto [s, c] = connected(net);
  Endpoint a{net.a(), s};                  // reads only
  // One byte more than A's window: it goes as a probe once A has read, and A takes it while
  // still advertising a zero window (silly-window avoidance holds back a 3-byte update). B keeps
  // the connection open, so no FIN ends the probing.
  Endpoint b{net.b(), c, 256 * 1024 + 1};
  b.close_when_written = false;
  net.run_until([&] { b.write_some(net.now()); return false; }, 5s);
  a.read_some(net.now(), 3);
  ASSERT_EQ(a.received, 3u);
  net.run_until([&] { b.write_some(net.now()); return false; }, 120s);
  EXPECT_GT(net.b().stats().tcp_window_probes, 0u) << "the last byte must go as a zero-window probe";
  a.read_some(net.now());
  net.run_for(120s);
  a.read_some(net.now());
  EXPECT_EQ(a.received, b.total);  // the defect delivered two more bytes, never written
  EXPECT_EQ(a.first_wrong, ~0ull) << "first byte never written at offset " << a.first_wrong;
}

TEST(TwoStacks, LossBurstLeavingSeventeenHolesIsRepaired) {
  // B → A: after 300 data segments, 17 pairs of segments are lost with one segment between pairs,
  // leaving the receiver 17 holes (one more than it can remember), none of which a single
  // retransmission fills.
  auto o = StackPair::default_options();
  for (int k = 0; k < 17; ++k)
    o.b_faults.push_back(FaultRule{Direction::tx, is_tcp_payload(), 301 + 3 * k, 2, FaultAction::drop});
  StackPair net(o);
  auto [s, c] = connected(net);
  Endpoint a{net.a(), s};
  Endpoint b{net.b(), c, 2 * 1000 * 1000};
  const bool done = b_sends_to_a(net, a, b, 120s);
  ASSERT_EQ(net.faults_b()->counters(Direction::tx).dropped, 34u);
  ASSERT_TRUE(done) << "a read " << a.received << " of " << b.total;  // the defect stalled, then gave up
  EXPECT_EQ(a.received, b.total);
  EXPECT_EQ(a.first_wrong, ~0ull);
}

// RFC 4821: a path that silently drops B's frames above 1,280 bytes of IP (a router whose ICMP
// is filtered). B's full-size segments time out three times, it falls to the 1,024-byte floor,
// then probes its way up to within 8 bytes of 1,280, and the transfer completes. With probing
// off it cannot: every full-size segment is lost for ever.
FrameMatch ip_larger_than(std::size_t bytes) {
  return [bytes](Bytes frame) { return frame.size() > 14 + bytes; };
}

TEST(TwoStacks, APathThatSilentlyDropsLargeFramesIsFoundAndTheTransferCompletes) {
  struct Case {
    MtuProbing mode;
    std::uint16_t path;
  };
  // 600: narrower than the 1,024-byte floor, found by halving on further timeouts.
  for (const auto [mode, path] : {Case{MtuProbing::black_hole, 1280}, Case{MtuProbing::always, 1280},
                                  Case{MtuProbing::off, 1280}, Case{MtuProbing::black_hole, 600}}) {
    SCOPED_TRACE("mode " + std::to_string(static_cast<int>(mode)) + ", path " + std::to_string(path));
    auto o = StackPair::default_options();
    o.b.tcp.mtu_probing = mode;
    o.b_faults.push_back(FaultRule{Direction::tx, ip_larger_than(path), 1, kEveryMatch, FaultAction::drop});
    StackPair net(o);
    auto [s, c] = connected(net);
    Endpoint a{net.a(), s};
    Endpoint b{net.b(), c, 8 * 1000 * 1000};
    const bool done = b_sends_to_a(net, a, b, 60s);
    const auto& stats = net.b().stats();
    if (mode == MtuProbing::off) {
      EXPECT_FALSE(done);
      EXPECT_LT(a.received, 100'000u);
      EXPECT_EQ(stats.tcp_mtu_probes, 0u);
      continue;
    }
    ASSERT_TRUE(done) << "a read " << a.received << " of " << b.total;
    EXPECT_EQ(a.received, b.total);
    EXPECT_EQ(a.first_wrong, ~0ull);
    const Tcb* t = net.b().tcp().tcb(c);
    ASSERT_NE(t, nullptr);
    EXPECT_GE(t->path_mtu, path - PathMtuSearch::kProbeThreshold);
    EXPECT_LE(t->path_mtu, path);
    if (mode == MtuProbing::always) EXPECT_EQ(stats.tcp_mtu_black_holes, 0u);
    else EXPECT_GE(stats.tcp_mtu_black_holes, 1u);
    EXPECT_GT(stats.tcp_mtu_probes_lost, 0u);
    EXPECT_GT(stats.tcp_mtu_probes_acked, 0u);
  }
}

TEST(TwoStacks, ProbingFromTheFloorReachesTheInterfaceMtuOnACleanPath) {
  auto o = StackPair::default_options();
  o.b.tcp.mtu_probing = MtuProbing::always;
  StackPair net(o);
  auto [s, c] = connected(net);
  Endpoint a{net.a(), s};
  Endpoint b{net.b(), c, 2 * 1000 * 1000};
  ASSERT_TRUE(b_sends_to_a(net, a, b, 60s));
  EXPECT_EQ(a.received, b.total);
  EXPECT_EQ(net.b().tcp().tcb(c)->path_mtu, 1500);
  EXPECT_EQ(net.b().stats().tcp_mtu_probes, 1u);
  EXPECT_EQ(net.b().stats().tcp_mtu_probes_acked, 1u);
}

// The hostile-peers issue's holders: connections whose application never reads pin their receive
// buffers. Under a budget they hold no more than it (plus the smallest ring each), their senders
// wait on a closed window instead of timing out, and a new connection still moves its data. A's
// windows are scaled by 2^10 (receive_buffer_max 64 MiB), so the smallest receive ring is two
// such units: one of 512 bytes would always show a zero window.
TEST(TwoStacks, UnderABufferBudgetReceiversThatNeverReadHoldItAndAnotherConnectionStillMoves) {
  constexpr std::uint64_t kBudget = 4u << 20;
  constexpr int kHolders = 100;
  auto o = StackPair::default_options();
  o.a.tcp.buffer_memory_limit = kBudget;
  o.a.tcp.receive_buffer = 256 * 1024;
  o.a.tcp.receive_buffer_max = 64u << 20;
  StackPair net(o);
  Stack& a = net.a();
  Stack& b = net.b();
  const int l = a.socket(net.now());
  ASSERT_EQ(a.bind(l, {a.address(), kPort}), 0);
  ASSERT_EQ(a.listen(l, kHolders + 1), 0);
  std::vector<Endpoint> senders;
  for (int i = 0; i < kHolders; ++i) {
    const int c = b.socket(net.now());
    ASSERT_EQ(b.connect(c, {a.address(), kPort}, net.now()), -EINPROGRESS);
    senders.push_back(Endpoint{b, c, 256 * 1024});
    senders.back().close_when_written = false;
  }
  int accepted = 0;
  net.run_until(
      [&] {
        while (a.accept(l, nullptr) >= 0) ++accepted;  // accepted, never read
        for (auto& e : senders) e.write_some(net.now());
        return false;
      },
      60s);
  ASSERT_EQ(accepted, kHolders);
  // Unbudgeted, they would hold 100 × 256 KiB = 25 MiB.
  EXPECT_LE(a.stats().tcp_buffer_memory, kBudget + (BufferMemory::kMinRing + 2048u) * (kHolders + 1));
  EXPECT_GE(a.stats().tcp_buffer_memory, kBudget / 2);
  EXPECT_GT(a.stats().tcp_receive_window_shrunk, 0u);
  EXPECT_EQ(b.stats().tcp_timeouts, 0u);  // the senders wait on closed windows, probing
  for (const auto& e : senders) EXPECT_EQ(b.tcp().tcb(e.fd)->state, TcpState::established);

  // One more connection, whose receiver reads: 1 MB through the smallest ring, intact.
  const int c = b.socket(net.now());
  ASSERT_EQ(b.connect(c, {a.address(), kPort}, net.now()), -EINPROGRESS);
  Endpoint sender{b, c, 1000 * 1000};
  Endpoint receiver{a, -1};
  receiver.reading = true;
  receiver.close_when_written = false;
  ASSERT_TRUE(net.run_until(
      [&] {
        if (receiver.fd < 0) receiver.fd = a.accept(l, nullptr);
        sender.write_some(net.now());
        if (receiver.fd >= 0) receiver.read_some(net.now());
        return receiver.eof;
      },
      600s));
  EXPECT_EQ(receiver.received, sender.total);
  EXPECT_EQ(receiver.first_wrong, ~0ull);
  EXPECT_EQ(b.stats().tcp_timeouts, 0u);
}

// `count` short connections one after another, as epwget against epserver: B connects, sends a
// request, A replies and closes first, B reads to the end and closes. Then TIME_WAIT passes and
// every count must be back where it started.
void expect_short_connections_leave_nothing_behind(int count) {
  StackPair net(StackPair::default_options());
  Stack& a = net.a();
  Stack& b = net.b();
  const int l = a.socket(net.now());
  ASSERT_EQ(a.bind(l, {a.address(), 80}), 0);
  ASSERT_EQ(a.listen(l, 128), 0);
  const auto conns_a = a.stats().tcp_connections_in_use;
  const auto bufs_a = a.stats().tcp_buffer_bytes_in_use;
  const std::string request = "GET / HTTP/1.0\r\n\r\n";
  const std::string reply(100, 'r');
  std::vector<std::uint8_t> in(1024);
  for (int i = 0; i < count; ++i) {
    const int c = b.socket(net.now());
    ASSERT_GE(c, 0);
    ASSERT_EQ(b.connect(c, {a.address(), 80}, net.now()), -EINPROGRESS);
    int s = -1;
    bool replied = false, got_reply = false, client_closed = false;
    const bool done = net.run_until(
        [&] {
          if (s < 0) s = a.accept(l, nullptr);
          if (!client_closed && (b.readiness(c) & readiness::out) && b.send(c, Bytes(reinterpret_cast<const std::uint8_t*>(request.data()), request.size()), net.now()) > 0) {
            client_closed = true;  // only the request goes out; reading continues
          }
          if (s >= 0 && !replied && a.recv(s, in, net.now()) == static_cast<long>(request.size())) {
            a.send(s, Bytes(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size()), net.now());
            a.close(s, net.now());  // the server closes first, as epserver does
            replied = true;
          }
          if (replied && !got_reply && b.recv(c, in, net.now()) == static_cast<long>(reply.size())) got_reply = true;
          if (got_reply && b.recv(c, in, net.now()) == 0) {
            b.close(c, net.now());
            return true;
          }
          return false;
        },
        60s);
    ASSERT_TRUE(done) << "connection " << i;
  }
  net.run_for(a.config().tcp.time_wait + 10s);
  EXPECT_EQ(a.stats().tcp_connections_in_use, conns_a);
  EXPECT_EQ(a.stats().tcp_buffer_bytes_in_use, bufs_a);
  EXPECT_EQ(b.stats().tcp_connections_in_use, 0u);
  EXPECT_EQ(b.stats().tcp_buffer_bytes_in_use, 0u);
  EXPECT_EQ(a.stats().tcp_buffer_memory, 0u);
  EXPECT_EQ(b.stats().tcp_buffer_memory, 0u);
  EXPECT_EQ(a.stats().tcp_time_wait, 0u);
  EXPECT_EQ(b.stats().tcp_time_wait, 0u);
  EXPECT_EQ(net.port_a().pool().in_use(), 0u);
  EXPECT_EQ(net.port_b().pool().in_use(), 0u);
  EXPECT_EQ(a.stats().tcp_passive_opens, static_cast<std::uint64_t>(count));
  EXPECT_EQ(b.stats().tcp_active_opens, static_cast<std::uint64_t>(count));
  EXPECT_EQ(a.stats().tcp_resets_sent + b.stats().tcp_resets_sent, 0u);
}

TEST(TwoStacks, TenThousandShortConnectionsLeaveNothingBehind) { expect_short_connections_leave_nothing_behind(10000); }

// The hostile-peers issue's soak tests: a million connections opened and closed, and a gigabyte
// through a link that loses, reorders and duplicates. The sanitized build (Debug, ASan, UBSan:
// some fifty times slower) runs a tenth of each, the same code paths; the Release build all.
#ifdef MTCPP_SANITIZED
constexpr std::uint64_t kSoakScale = 10;
#else
constexpr std::uint64_t kSoakScale = 1;
#endif

TEST(Soak, AMillionShortConnectionsLeaveEveryCountAtItsBaseline) {
  expect_short_connections_leave_nothing_behind(static_cast<int>(1000000 / kSoakScale));
}

TEST(Soak, OneGigabyteIntactAt10PercentLossWithReorderingAndDuplication) {
  expect_intact(0.10, 4, 1000ull * 1000 * 1000 / kSoakScale);
}

}  // namespace
}  // namespace mtcpp
