// A device that cannot take every frame (a NIC's tx ring, a full pipe): the stack keeps what it
// refused and offers it again, in order, and a connection stops sending data while the stack's
// backlog is full instead of building frames to drop (core/stack.cc flush_tx, Tcp::take_tx_room).
// Nothing is retransmitted for want of room; only a control segment finding the backlog full is
// dropped, and counted.
#include "support/packet_test.h"

namespace mtcpp::test {
namespace {

using namespace std::chrono_literals;

std::vector<std::uint8_t> bytes(std::size_t n) { return std::vector<std::uint8_t>(n, 'b'); }

class TxBackpressure : public PacketTest {
 protected:
  // Established, with an initial window of `segments` segments of P's MSS (1000 bytes).
  int established_with_window(std::uint32_t segments) {
    StackConfig c = default_config();
    c.tcp.initial_window_segments = segments;
    configure(c);
    return established();
  }
  // The data segments L sent that the device holds now, in order.
  std::vector<Seg> data_sent() {
    std::vector<Seg> out;
    while (auto s = next_sent())
      if (s->len > 0) out.push_back(*s);
    return out;
  }
  // Every data segment of `total` bytes, polling (at the same instant) while the device takes
  // `capacity` frames at a time.
  std::vector<Seg> drain(std::uint32_t total) {
    std::vector<Seg> all;
    std::uint32_t got = 0;
    for (int polls = 0; polls < 100 && got < total; ++polls) {
      for (const Seg& s : data_sent()) {
        all.push_back(s);
        got += s.len;
      }
      poll();
    }
    return all;
  }
  static void expect_in_order(const std::vector<Seg>& segs, std::uint32_t total) {
    std::uint32_t next = 1;
    for (const Seg& s : segs) {
      EXPECT_EQ(s.seq, next) << "a segment went twice or out of order: " << describe(s);
      next = s.seq + s.len;
    }
    EXPECT_EQ(next, 1 + total);
  }
};

TEST_F(TxBackpressure, FramesTheDeviceRefusesGoLaterInOrder) {
  const int fd = established();  // initial window: 10 segments
  io_->set_tx_capacity(3);
  ASSERT_EQ(stack().send(fd, bytes(10'000), now()), 10'000);
  const std::vector<Seg> first = data_sent();
  ASSERT_EQ(first.size(), 3u);
  EXPECT_GE(stack().stats().tx_ring_full, 1u);
  // The stack asks to be polled soon to offer the rest: a caller that sleeps until
  // next_deadline() is not left with frames nobody sends.
  EXPECT_LE(stack().next_deadline(), now() + 100us);
  std::vector<Seg> all = first;
  for (const Seg& s : drain(10'000 - 3'000)) all.push_back(s);
  expect_in_order(all, 10'000);
  EXPECT_EQ(stack().stats().tcp_retransmissions, 0u);
  EXPECT_EQ(stack().stats().tx_backlog_dropped, 0u);
  // Once the device has taken everything, the early poll is no longer asked for.
  EXPECT_GT(stack().next_deadline(), now() + 100us);
}

TEST_F(TxBackpressure, AConnectionStopsWhileTheBacklogIsFullAndGoesOnLater) {
  const int fd = established_with_window(50);
  io_->set_tx_capacity(0);  // the device takes nothing for now
  ASSERT_EQ(stack().send(fd, bytes(50'000), now()), 50'000);
  EXPECT_TRUE(data_sent().empty());
  // The backlog (32 frames) filled and the connection stopped: the other 18 segments were never
  // built, so none can be lost.
  EXPECT_EQ(stack().stats().tcp_tx_blocked, 1u);
  EXPECT_EQ(peer_tcb()->snd_nxt - peer_tcb()->snd_una, 32'000);
  // Polls while the device still refuses change nothing, and lose nothing.
  advance(1ms);
  EXPECT_TRUE(data_sent().empty());
  EXPECT_EQ(peer_tcb()->snd_nxt - peer_tcb()->snd_una, 32'000);
  io_->set_tx_capacity(SIZE_MAX);
  poll();  // the backlog goes, then the connection sends the rest
  const std::vector<Seg> all = data_sent();
  expect_in_order(all, 50'000);
  EXPECT_EQ(stack().stats().tcp_retransmissions, 0u);
  EXPECT_EQ(stack().stats().tx_backlog_dropped, 0u);
  // And the connection carries on as usual: P's ACK of everything is taken, nothing is left.
  inject(seg(A, 1, 50'001));
  EXPECT_TRUE(data_sent().empty());
  EXPECT_EQ(peer_tcb()->snd_una, peer_tcb()->snd_max);
}

TEST_F(TxBackpressure, AnAckWaitsWithTheDataOfABlockedConnection) {
  const int fd = established_with_window(50);
  io_->set_tx_capacity(0);
  ASSERT_EQ(stack().send(fd, bytes(50'000), now()), 50'000);
  // P's data arrives while L cannot send: the ACK for it is not built to be dropped, it goes
  // with the first data segment L sends once the device takes frames again.
  inject(seg(P | A, 1, 1, 100));
  EXPECT_EQ(stack().stats().tx_backlog_dropped, 0u);
  io_->set_tx_capacity(SIZE_MAX);
  poll();
  bool acked = false;
  while (auto s = next_sent()) acked = acked || s->ack == 101;
  EXPECT_TRUE(acked);
  EXPECT_EQ(stack().stats().tx_backlog_dropped, 0u);
}

TEST_F(TxBackpressure, AControlSegmentFindingTheBacklogFullIsDroppedAndCounted) {
  const int fd = established_with_window(50);
  io_->set_tx_capacity(0);
  ASSERT_EQ(stack().send(fd, bytes(50'000), now()), 50'000);
  // A SYN to a closed port calls for an RST, which has no connection to wait in.
  Seg syn = seg(S, 0);
  remote_.port = 40001;
  local_.port = 9;
  inject(syn);
  EXPECT_EQ(stack().stats().tx_backlog_dropped, 1u);
  EXPECT_EQ(stack().interface_counters(0).tx_dropped, 1u);
}

}  // namespace
}  // namespace mtcpp::test
