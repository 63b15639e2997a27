// The DPDK backend on DPDK's own virtual devices, no NIC and no hugepages: net_ring (a port whose
// transmit ring is its receive ring, so a frame sent comes back) and net_null (which receives
// frames of zeros). Every test of this file uses the same EAL arguments: a process sets the EAL
// up once. Where the EAL cannot start (not root on a machine that needs it), the tests say so
// and are skipped, never passed.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "api/mtcp_api.h"
#include "api/mtcpp_ext.h"
#include "backends/dpdk/dpdk_port.h"
#include "core/bytes.h"

namespace mtcpp {
namespace {

// -l and -n given, so that a configuration's core_mask or num_mem_ch adds nothing and every test
// of the process asks for the same EAL.
const std::vector<std::string> kEal = {"-l",       "0",        "-n",       "4",
                                       "--no-huge", "-m",       "256",      "--no-pci",
                                       "--vdev=net_ring0", "--vdev=net_null0", "--log-level=lib.eal:warning"};
const std::string kEalLine =
    "dpdk_args = -l 0 -n 4 --no-huge -m 256 --no-pci --vdev=net_ring0 --vdev=net_null0 --log-level=lib.eal:warning\n";

DpdkConfig ring_config() {
  DpdkConfig c;
  c.eal_args = kEal;
  c.port = "net_ring0";
  c.mac = MacAddr{{0x02, 0, 0, 0, 0, 0x10}};  // net_ring has none of its own
  c.mbufs_per_queue = 4095;
  c.link_wait_ms = 0;
  return c;
}

// The one skip of this file: not root, and DPDK's EAL would not start (it may need /dev and
// /var/run/dpdk). The message names both. As root, as in CI, an EAL failure fails the test.
#define SKIP_IF_NOT_ROOT_AND_NO_EAL(why)                                         \
  if (geteuid() != 0 && (why).find("DPDK's EAL") != std::string::npos)           \
  GTEST_SKIP() << "needs root: not root, and DPDK's EAL did not start: " << (why)

// The opened port, the skip above, or a failure.
#define OPEN_OR_SKIP(var, config)                                                \
  auto var##_opened = DpdkPort::open(config);                                    \
  if (auto* why = std::get_if<std::string>(&var##_opened)) {                     \
    SKIP_IF_NOT_ROOT_AND_NO_EAL(*why);                                           \
    FAIL() << *why;                                                              \
  }                                                                              \
  std::unique_ptr<DpdkPort> var = std::move(std::get<std::unique_ptr<DpdkPort>>(var##_opened))

// The EAL, started as every test here starts it (then the API tests' mtcp_init reuses it).
#define EAL_OR_SKIP()                     \
  do {                                    \
    OPEN_OR_SKIP(eal_probe, ring_config()); \
  } while (false)

TEST(DpdkEal, MtcppAddsOnlyWhatIsMissing) {
  DpdkConfig c;
  c.eal_args = {"--no-huge", "--no-pci"};
  EXPECT_EQ(dpdk_eal_arguments(c),
            (std::vector<std::string>{"mtcpp", "-l0", "--no-shconf", "--no-telemetry", "--no-huge", "--no-pci"}));
  c.eal_args = {"-a", "0000:01:00.0"};
  c.main_lcore = 3;
  c.memory_channels = 4;
  EXPECT_EQ(dpdk_eal_arguments(c), (std::vector<std::string>{"mtcpp", "-l3", "-n4", "--in-memory", "--no-telemetry",
                                                             "-a", "0000:01:00.0"}));
  c.eal_args = {"--lcores=1@0", "-n", "2", "--file-prefix=x", "--telemetry"};
  EXPECT_EQ(dpdk_eal_arguments(c),
            (std::vector<std::string>{"mtcpp", "--lcores=1@0", "-n", "2", "--file-prefix=x", "--telemetry"}));
}

TEST(DpdkPort, AnUnknownPortIsAClearErrorThatListsThePorts) {
  DpdkConfig c = ring_config();
  c.port = "dpdk7";
  auto opened = DpdkPort::open(c);
  ASSERT_TRUE(std::holds_alternative<std::string>(opened));
  const std::string& why = std::get<std::string>(opened);
  SKIP_IF_NOT_ROOT_AND_NO_EAL(why);
  EXPECT_NE(why.find("dpdk: port dpdk7: no such port"), std::string::npos) << why;
  EXPECT_NE(why.find("dpdk0 = net_ring0"), std::string::npos) << why;
  EXPECT_NE(why.find("dpdk1 = net_null0"), std::string::npos) << why;
  // net_ring has no MAC of its own: without `mac`, the error says which key to set.
  DpdkConfig no_mac = ring_config();
  no_mac.mac.reset();
  auto refused_mac = DpdkPort::open(no_mac);
  ASSERT_TRUE(std::holds_alternative<std::string>(refused_mac));
  EXPECT_NE(std::get<std::string>(refused_mac).find("no unicast MAC of its own (00:00:00:00:00:00): give one with mac ="),
            std::string::npos)
      << std::get<std::string>(refused_mac);
  // The EAL stays up: a later open with the same arguments works; other arguments are refused.
  OPEN_OR_SKIP(port, ring_config());
  DpdkConfig other = ring_config();
  other.eal_args.push_back("--vdev=net_ring5");
  auto refused = DpdkPort::open(other);
  ASSERT_TRUE(std::holds_alternative<std::string>(refused));
  EXPECT_NE(std::get<std::string>(refused).find("already set up"), std::string::npos);
}

TEST(DpdkPort, MoreQueuesThanThePmdOffersAreRefusedWithTheLimit) {
  DpdkConfig c = ring_config();
  c.queues = 64;
  auto opened = DpdkPort::open(c);
  ASSERT_TRUE(std::holds_alternative<std::string>(opened));
  const std::string& why = std::get<std::string>(opened);
  SKIP_IF_NOT_ROOT_AND_NO_EAL(why);
  EXPECT_NE(why.find("64 contexts need as many queues, and net_ring offers 16"), std::string::npos) << why;
  // A pool too small to fill the rings is refused with what it would take.
  DpdkConfig small = ring_config();
  small.mbufs_per_queue = 511;
  auto refused = DpdkPort::open(small);
  ASSERT_TRUE(std::holds_alternative<std::string>(refused));
  EXPECT_NE(std::get<std::string>(refused).find("511 mbufs per queue (max_num_buffers) cannot fill"), std::string::npos)
      << std::get<std::string>(refused);
}

TEST(DpdkPort, AFrameBuiltInAnMbufComesBackAsTheSameBuffer) {
  DpdkConfig c = ring_config();
  c.mac = MacAddr{{0x02, 0, 0, 0, 0, 0x42}};
  OPEN_OR_SKIP(port, c);
  EXPECT_EQ(port->device(), "net_ring0");
  auto io = port->take_queue(0);
  ASSERT_NE(io, nullptr);
  EXPECT_EQ(port->take_queue(0), nullptr);  // a queue has one holder at a time
  EXPECT_EQ(port->take_queue(1), nullptr);  // and only those configured exist
  const LinkCaps caps = io->caps();
  EXPECT_EQ(caps.mac, (MacAddr{{0x02, 0, 0, 0, 0, 0x42}}));
  EXPECT_FALSE(caps.tx_checksum_offload);  // net_ring has none: the stack computes them
  EXPECT_FALSE(caps.rx_checksum_verified);

  PacketBuffer* sent = io->tx_alloc();
  ASSERT_NE(sent, nullptr);
  ASSERT_GE(sent->capacity, 1514u);
  for (std::uint32_t i = 0; i < 60; ++i) sent->data[i] = static_cast<std::uint8_t>(i);
  sent->len = 60;
  PacketBuffer* const out[] = {sent};
  EXPECT_EQ(io->tx_burst(out, Instant{}), 1u);
  PacketBuffer* in[8] = {};
  EXPECT_EQ(io->rx_burst(in, Instant{}), 1u);
  EXPECT_EQ(in[0], sent);  // the mbuf itself went round: no copy on either side
  ASSERT_EQ(in[0]->len, 60u);
  for (std::uint32_t i = 0; i < 60; ++i) EXPECT_EQ(in[0]->data[i], i);
  io->release(in[0]);
  EXPECT_EQ(io->counters().tx_frames, 1u);
  EXPECT_EQ(io->counters().rx_frames, 1u);
  EXPECT_EQ(port->stats().tx_packets, 1u);
  EXPECT_EQ(port->xstat("tx_good_packets"), 1u);
  EXPECT_FALSE(port->xstat("no_such_statistic"));
  const auto all = port->xstats();
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const auto& s) { return s.first == "rx_good_packets" && s.second == 1; }));
}

TEST(DpdkPort, EveryMbufGoesBackToItsPool) {
  OPEN_OR_SKIP(port, ring_config());
  auto io = port->take_queue(0);
  // More frames than the pool holds, a burst at a time, each returned: the pool never runs dry.
  for (int round = 0; round < 200; ++round) {
    PacketBuffer* frames[32];
    for (PacketBuffer*& f : frames) {
      f = io->tx_alloc();
      ASSERT_NE(f, nullptr) << "round " << round;
      std::memset(f->data, 0, 60);
      f->len = 60;
    }
    ASSERT_EQ(io->tx_burst(frames, Instant{}), 32u);
    PacketBuffer* in[64];
    ASSERT_EQ(io->rx_burst(in, Instant{}), 32u);
    for (std::size_t i = 0; i < 32; ++i) io->release(in[i]);
  }
  // Unsent buffers given back are reusable too.
  for (int i = 0; i < 1000; ++i) {
    PacketBuffer* b = io->tx_alloc();
    ASSERT_NE(b, nullptr);
    io->release(b);
  }
  EXPECT_EQ(io->counters().tx_no_mbuf, 0u);
}

// Frames for the steering test: only the fields steering reads are filled in.
std::vector<std::uint8_t> ipv4_frame(std::uint8_t protocol, Ipv4Addr src, Ipv4Addr dst, std::size_t payload) {
  std::vector<std::uint8_t> f(14 + 20 + payload, 0);
  store_be16(f, 12, 0x0800);
  f[14] = 0x45;
  store_be16(f, 16, static_cast<std::uint16_t>(20 + payload));
  f[22] = 64;
  f[23] = protocol;
  store_be32(f, 26, src.value);
  store_be32(f, 30, dst.value);
  return f;
}

std::vector<std::uint8_t> tcp_frame(Ipv4Addr src, std::uint16_t sport, Ipv4Addr dst, std::uint16_t dport) {
  std::vector<std::uint8_t> f = ipv4_frame(6, src, dst, 20);
  store_be16(f, 34, sport);
  store_be16(f, 36, dport);
  f[46] = 0x50;
  return f;
}

// ICMP fragmentation-needed from a router, quoting a segment we sent (us:uport -> peer:pport).
std::vector<std::uint8_t> icmp_frame(Ipv4Addr us, std::uint16_t uport, Ipv4Addr peer, std::uint16_t pport) {
  std::vector<std::uint8_t> f = ipv4_frame(1, Ipv4Addr::of(10, 0, 0, 254), us, 8 + 20 + 8);
  f[34] = 3;  // destination unreachable
  f[35] = 4;  // fragmentation needed
  const std::size_t q = 42;
  f[q] = 0x45;
  f[q + 9] = 6;
  store_be32(f, q + 12, us.value);
  store_be32(f, q + 16, peer.value);
  store_be16(f, q + 20, uport);
  store_be16(f, q + 22, pport);
  return f;
}

std::vector<std::uint8_t> arp_frame(std::uint16_t operation) {
  std::vector<std::uint8_t> f(14 + 28, 0);
  for (int i = 0; i < 6; ++i) f[static_cast<std::size_t>(i)] = 0xff;
  store_be16(f, 12, 0x0806);
  store_be16(f, 20, operation);
  return f;
}

void send(DpdkQueueIo& io, const std::vector<std::uint8_t>& frame) {
  PacketBuffer* b = io.tx_alloc();
  ASSERT_NE(b, nullptr);
  std::copy(frame.begin(), frame.end(), b->data);
  b->len = static_cast<std::uint32_t>(frame.size());
  PacketBuffer* const out[] = {b};
  ASSERT_EQ(io.tx_burst(out, Instant{}), 1u);
}

// The frames a queue receives now, as bytes (each buffer released).
std::vector<std::vector<std::uint8_t>> receive(DpdkQueueIo& io) {
  std::vector<std::vector<std::uint8_t>> got;
  PacketBuffer* in[32];
  const std::size_t n = io.rx_burst(in, Instant{});
  for (std::size_t i = 0; i < n; ++i) {
    got.emplace_back(in[i]->data, in[i]->data + in[i]->len);
    io.release(in[i]);
  }
  return got;
}

// Two queues on net_ring, which has no RSS and loops tx queue q back to rx queue q: every frame
// arrives at the queue that sent it, and the queues steer by the symmetric hash.
TEST(DpdkSteering, FramesReachTheQueueThatOwnsTheirFlow) {
  DpdkConfig c = ring_config();
  c.queues = 2;
  OPEN_OR_SKIP(port, c);
  EXPECT_FALSE(port->hardware_rss());
  auto q0 = port->take_queue(0);
  auto q1 = port->take_queue(1);
  ASSERT_TRUE(q0 && q1);
  const Ipv4Addr us = Ipv4Addr::of(10, 0, 0, 1);
  const Ipv4Addr peer = Ipv4Addr::of(10, 0, 0, 2);
  // Both directions of a flow hash alike, and flows spread over both queues.
  int per_queue[2] = {};
  std::uint16_t owned_by[2] = {};
  for (std::uint16_t p = 40000; p < 40400; ++p) {
    const int q = port->queue_of(us, p, peer, 80);
    ASSERT_EQ(q, port->queue_of(peer, 80, us, p)) << p;
    ASSERT_TRUE(q == 0 || q == 1);
    ++per_queue[q];
    owned_by[q] = p;
    EXPECT_EQ(q1->owns({us, p}, {peer, 80}), q == 1);
  }
  EXPECT_GT(per_queue[0], 100);
  EXPECT_GT(per_queue[1], 100);

  // A segment of queue 1's flow received on queue 0 is handed over, bytes intact.
  const auto segment = tcp_frame(peer, 80, us, owned_by[1]);
  send(*q0, segment);
  EXPECT_TRUE(receive(*q0).empty());
  auto got = receive(*q1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], segment);
  EXPECT_EQ(q0->counters().rx_steered_out, 1u);
  EXPECT_EQ(q1->counters().rx_steered_in, 1u);
  // Once queue 1 is done with a steered frame, its mbuf goes back to queue 0, whose pool it came
  // from, to be freed or reused there: queue 0's next buffer is that very mbuf.
  send(*q0, segment);
  EXPECT_TRUE(receive(*q0).empty());
  PacketBuffer* in[4];
  ASSERT_EQ(q1->rx_burst(in, Instant{}), 1u);
  PacketBuffer* const steered = in[0];
  q1->release(steered);
  EXPECT_TRUE(receive(*q0).empty());  // takes its mbufs back
  PacketBuffer* reused = q0->tx_alloc();
  EXPECT_EQ(reused, steered);
  q0->release(reused);
  // Queue 0's own flow stays.
  const auto own = tcp_frame(peer, 80, us, owned_by[0]);
  send(*q0, own);
  got = receive(*q0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], own);
  EXPECT_TRUE(receive(*q1).empty());
  // An ICMP error goes to the queue of the flow it quotes.
  const auto icmp = icmp_frame(us, owned_by[1], peer, 80);
  send(*q0, icmp);
  EXPECT_TRUE(receive(*q0).empty());
  got = receive(*q1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], icmp);
  // An ARP reply reaches every queue (each stack keeps its own ARP cache); a request only the
  // queue it arrived at, which answers it once.
  const auto reply = arp_frame(2);
  send(*q1, reply);
  got = receive(*q1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], reply);
  got = receive(*q0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], reply);
  EXPECT_EQ(q1->counters().rx_arp_copies, 1u);
  const auto request = arp_frame(1);
  send(*q1, request);
  EXPECT_EQ(receive(*q1).size(), 1u);
  EXPECT_TRUE(receive(*q0).empty());
  // A queue whose context has ended takes no more frames: they are dropped and counted.
  const std::uint64_t dropped = q0->counters().rx_steer_dropped;
  q1.reset();
  send(*q0, segment);
  EXPECT_TRUE(receive(*q0).empty());
  EXPECT_EQ(q0->counters().rx_steer_dropped, dropped + 1);
}

// Whatever arrives, steering and the checksum path read only inside the frame (ASan watches) and
// every frame ends up somewhere: received by one queue, or dropped and counted. Frames are random
// bytes with the fields steering reads biased toward what it acts on (IPv4, TCP, ICMP errors,
// ARP), and lengths from nothing to a full frame.
TEST(DpdkSteering, RandomFramesNeverCrashAndAreAllAccountedFor) {
  DpdkConfig c = ring_config();
  c.queues = 2;
  OPEN_OR_SKIP(port, c);
  auto q0 = port->take_queue(0);
  auto q1 = port->take_queue(1);
  ASSERT_TRUE(q0 && q1);
  std::uint64_t state = 0x9e3779b97f4a7c15u;
  const auto next = [&state] {  // splitmix64: a fixed, seeded sequence
    std::uint64_t z = (state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
  };
  std::size_t received = 0;
  constexpr int kFrames = 20000;
  for (int i = 0; i < kFrames; ++i) {
    std::vector<std::uint8_t> f(next() % 1515);
    for (std::uint8_t& b : f) b = static_cast<std::uint8_t>(next());
    if (f.size() >= 14 && next() % 4 != 0) store_be16(f, 12, next() % 5 == 0 ? 0x0806 : 0x0800);
    if (f.size() >= 24 && next() % 2 == 0) {
      f[14] = static_cast<std::uint8_t>(0x40 | (next() % 16));  // IHL anything, often 5
      if (next() % 2 == 0) f[14] = 0x45;
      f[23] = next() % 2 == 0 ? 6 : 1;
      f[20] = f[21] = 0;  // not a fragment
      if (f.size() >= 35 && next() % 2 == 0) f[34] = 3;  // ICMP unreachable, quoting whatever follows
    }
    send(next() % 2 == 0 ? *q0 : *q1, f);
    received += receive(*q0).size() + receive(*q1).size();
  }
  received += receive(*q0).size() + receive(*q1).size();  // what was steered last
  const auto dropped = q0->counters().rx_steer_dropped + q1->counters().rx_steer_dropped +
                       q0->counters().rx_bad_checksum + q1->counters().rx_bad_checksum;
  const auto copies = q0->counters().rx_arp_copies + q1->counters().rx_arp_copies;
  EXPECT_EQ(received + dropped, kFrames + copies);
  EXPECT_GT(q0->counters().rx_steered_out + q1->counters().rx_steered_out, 0u);
}

// Through mTCP's API: a context on net_null receives an endless stream of junk (mbufs as the pool
// holds them: mostly zeros, addressed to MAC 00:00:00:00:00:00, now and then a stale copy of the
// stack's own ARP), which the stack drops and counts; a poll still returns, and the port appears
// in the statistics under its configured name.
TEST(DpdkApi, AnEndlessStreamOfJunkIsDroppedCountedAndDoesNotStallPolls) {
  const std::string conf =
      "io = dpdk\nport = net_null0\naddress = 10.9.0.1/24\nmax_num_buffers = 4095\nstat_print = net_null0\n" +
      kEalLine;
  EAL_OR_SKIP();
  ASSERT_EQ(mtcpp_init_text(conf.c_str(), "dpdk.conf"), 0) << "errno " << errno;
  mctx_t mctx = mtcp_create_context(0);
  ASSERT_NE(mctx, nullptr);
  for (int i = 0; i < 10; ++i) {
    const int64_t next = mtcpp_poll(mctx);
    EXPECT_LE(next, mtcpp_now_us(mctx));  // frames are left: poll again at once
  }
  uint64_t received = 0, not_for_us = 0;
  ASSERT_EQ(mtcpp_get_counter(mctx, "frames_received", &received), 0);
  ASSERT_EQ(mtcpp_get_counter(mctx, "frames_not_for_us", &not_for_us), 0);
  EXPECT_GT(not_for_us, received * 9 / 10);  // the rest: the stack's own ARP, seen again
  // A poll takes a bounded number of bursts: ten polls, at most 10 x 8 x 32 frames.
  EXPECT_GT(received, 0u);
  EXPECT_LE(received, 10u * 8 * 32);
  uint64_t rx_good = 0;
  EXPECT_EQ(mtcpp_get_counter(mctx, "port.rx_good_packets", &rx_good), 0);
  EXPECT_EQ(rx_good, received);
  EXPECT_EQ(mtcpp_get_counter(mctx, "port.no_such_statistic", &rx_good), -1);
  EXPECT_EQ(errno, ENOENT);
  char name[32];
  int printed = 0;
  ASSERT_EQ(mtcpp_port_info(mctx, name, sizeof name, &printed), 0);
  EXPECT_STREQ(name, "net_null0");
  EXPECT_EQ(printed, 1);
  EXPECT_EQ(mtcp_create_context(0), nullptr);
  EXPECT_EQ(errno, EEXIST);
  mtcp_destroy_context(mctx);
  mtcp_destroy();
}

// A configuration written as mTCP's sample epserver.conf is (its keys, its values, its comments),
// with mtcpp's EAL arguments added, starts contexts on every core it names.
TEST(DpdkApi, AConfigurationShapedLikeMtcpsSampleRunsWithEalArgumentsAdded) {
  const std::string conf = R"(######## an epserver.conf as mTCP ships it ########
# one I/O module
#io = psio
io = dpdk
# num_cores overrides the applications' -N
num_cores = 2
core_mask = F000000F0
num_mem_ch = 4
#port = dpdk0 dpdk1
port = dpdk0
#max_concurrency = 10000
rcvbuf = 8192
sndbuf = 8192
tcp_timeout = 30
tcp_timewait = 0
stat_print = dpdk0
# mtcpp's additions: the address and MAC (mTCP read them from a kernel netdev; net_ring has no
# MAC of its own) and the EAL's devices
address = 10.9.0.1/24
mac = 02:00:00:09:00:01
)" + kEalLine;
  EAL_OR_SKIP();
  ASSERT_EQ(mtcpp_init_text(conf.c_str(), "epserver.conf"), 0) << "errno " << errno;
  mtcp_conf got{};
  ASSERT_EQ(mtcp_getconf(&got), 0);
  EXPECT_EQ(got.num_cores, 2);
  mctx_t c0 = mtcp_create_context(0);
  mctx_t c1 = mtcp_create_context(1);
  ASSERT_NE(c0, nullptr);
  ASSERT_NE(c1, nullptr);
  for (mctx_t c : {c0, c1}) {
    const int s = mtcp_socket(c, AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(80);
    EXPECT_EQ(mtcp_bind(c, s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);  // every core listens on :80
    EXPECT_EQ(mtcp_listen(c, s, 16), 0);
  }
  char name[16];
  int printed = 0;
  ASSERT_EQ(mtcpp_port_info(c1, name, sizeof name, &printed), 0);
  EXPECT_STREQ(name, "dpdk0");
  EXPECT_EQ(printed, 1);
  // A context destroyed and created again gets its queue back.
  mtcp_destroy_context(c1);
  c1 = mtcp_create_context(1);
  ASSERT_NE(c1, nullptr);
  EXPECT_GE(mtcp_socket(c1, AF_INET, SOCK_STREAM, 0), 0);
  mtcp_destroy_context(c1);
  mtcp_destroy_context(c0);
  mtcp_destroy();
}

// mTCP's `port = dpdk0 dpdk1`: every context's stack has an interface on each port (net_ring0
// and net_null0 here), with the address and MAC given for it, and statistics per port.
TEST(DpdkApi, TwoPortsGiveEveryContextAnInterfaceOnEach) {
  const std::string conf =
      "io = dpdk\nnum_cores = 2\nport = dpdk0 dpdk1\naddress = 10.9.0.1/24 10.9.1.1/24\n"
      "mac = 02:00:00:09:00:01\nmax_num_buffers = 4095\nstat_print = dpdk1\n" +
      kEalLine;
  EAL_OR_SKIP();
  ASSERT_EQ(mtcpp_init_text(conf.c_str(), "two-ports.conf"), 0) << "errno " << errno;
  mctx_t c0 = mtcp_create_context(0);
  mctx_t c1 = mtcp_create_context(1);
  ASSERT_NE(c0, nullptr);
  ASSERT_NE(c1, nullptr);
  for (mctx_t c : {c0, c1}) {
    char name[16];
    int printed = -1;
    mtcpp_stats st{};
    ASSERT_EQ(mtcpp_interface_stats(c, 0, name, sizeof name, &printed, &st), 0);
    EXPECT_STREQ(name, "dpdk0");
    EXPECT_EQ(printed, 0);
    ASSERT_EQ(mtcpp_interface_stats(c, 1, name, sizeof name, &printed, &st), 0);
    EXPECT_STREQ(name, "dpdk1");
    EXPECT_EQ(printed, 1);
    EXPECT_EQ(mtcpp_interface_stats(c, 2, name, sizeof name, &printed, &st), -1);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_EQ(mtcpp_interface_stats(c, 1, name, 3, &printed, &st), -1);
    EXPECT_EQ(errno, ERANGE);
    // Both addresses are the stack's; another is not.
    for (const char* ip : {"10.9.0.1", "10.9.1.1", "10.9.2.1"}) {
      const int s = mtcp_socket(c, AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(80);
      ASSERT_EQ(inet_pton(AF_INET, ip, &a.sin_addr), 1);
      if (std::string_view(ip) == "10.9.2.1") {
        EXPECT_EQ(mtcp_bind(c, s, reinterpret_cast<sockaddr*>(&a), sizeof a), -1);
        EXPECT_EQ(errno, EADDRNOTAVAIL);
      } else {
        EXPECT_EQ(mtcp_bind(c, s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << ip;
      }
    }
  }
  // net_null's junk arrives on the second interface only, and is counted there.
  for (int i = 0; i < 5; ++i) mtcpp_poll(c0);
  char name[16];
  int printed = 0;
  mtcpp_stats first{}, second{};
  ASSERT_EQ(mtcpp_interface_stats(c0, 0, name, sizeof name, &printed, &first), 0);
  ASSERT_EQ(mtcpp_interface_stats(c0, 1, name, sizeof name, &printed, &second), 0);
  EXPECT_GT(second.rx_frames, 32u);
  EXPECT_LT(first.rx_frames, 32u);  // net_ring0: its own ARP, looped back
  uint64_t rx_good = 0;
  EXPECT_EQ(mtcpp_get_counter(c0, "port.dpdk1.rx_good_packets", &rx_good), 0);
  EXPECT_GE(rx_good, second.rx_frames);
  mtcp_destroy_context(c1);
  mtcp_destroy_context(c0);
  mtcp_destroy();
}

// mtcp_init_rss builds the context's pool of source ports for a destination: every connect from
// context 1 to it leaves from a port whose flow net_ring (tx queue q loops to rx queue q) brings
// back to queue 1 without a steering hop, the pool is as large as the share of the range that
// hashes to the queue, and its arguments are checked.
TEST(DpdkApi, InitRssBuildsThePoolOfPortsThatHashBackToTheCore) {
  // The peer's MAC from arp.conf, so every SYN goes out at once instead of waiting for ARP.
  char dir[] = "/tmp/mtcpp-rss-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string conf_path = std::string(dir) + "/mtcp.conf";
  const std::string arp_path = std::string(dir) + "/arp.conf";
  {
    std::ofstream(conf_path) << "io = dpdk\nnum_cores = 2\nport = dpdk0\naddress = 10.9.0.1/24\n"
                                "mac = 02:00:00:09:00:01\nmax_num_buffers = 4095\nmax_concurrency = 20000\n"
                                "arp_conf = arp.conf\n"
                             << kEalLine;
    std::ofstream(arp_path) << "ARP_ENTRY 1\n10.9.0.2/32 02:00:00:09:00:02\n";
  }
  EAL_OR_SKIP();
  const int init = mtcp_init(conf_path.c_str());
  std::remove(conf_path.c_str());
  std::remove(arp_path.c_str());
  rmdir(dir);
  ASSERT_EQ(init, 0) << "errno " << errno;
  mctx_t c0 = mtcp_create_context(0);
  mctx_t c1 = mtcp_create_context(1);
  ASSERT_NE(c0, nullptr);
  ASSERT_NE(c1, nullptr);
  const in_addr_t daddr = inet_addr("10.9.0.2");
  EXPECT_EQ(mtcp_init_rss(c1, inet_addr("10.9.7.7"), 1, daddr, htons(80)), -1);  // not our address
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(mtcp_init_rss(c1, INADDR_ANY, 0, daddr, htons(80)), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(mtcp_init_rss(c1, INADDR_ANY, 1, INADDR_ANY, htons(80)), -1);
  EXPECT_EQ(errno, EINVAL);
  ASSERT_EQ(mtcp_init_rss(c1, INADDR_ANY, 1, daddr, htons(80)), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(80);
  to.sin_addr.s_addr = daddr;
  // The range has 28,232 ports; about half hash to each of the two queues. Take them all.
  int connected = 0;
  for (;;) {
    const int s = mtcp_socket(c1, AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(s, 0);
    ASSERT_EQ(mtcp_setsock_nonblock(c1, s), 0);
    if (mtcp_connect(c1, s, reinterpret_cast<sockaddr*>(&to), sizeof to) != -1 || errno != EINPROGRESS) {
      EXPECT_EQ(errno, EAGAIN);  // the pool is spent
      break;
    }
    if (++connected % 256 == 0) mtcpp_poll(c1);
  }
  EXPECT_GT(connected, 28232 / 2 - 1000);
  EXPECT_LT(connected, 28232 / 2 + 1000);
  for (int i = 0; i < 50; ++i) mtcpp_poll(c1);
  uint64_t steered_out = 0, rx_frames = 0;
  ASSERT_EQ(mtcpp_get_counter(c1, "dpdk.rx_steered_out", &steered_out), 0);
  ASSERT_EQ(mtcpp_get_counter(c1, "dpdk.rx_frames", &rx_frames), 0);
  EXPECT_GT(rx_frames, 1000u);  // the SYNs (and ARP requests), looped back
  EXPECT_EQ(steered_out, 0u);   // every one of them on the queue that sent it
  mtcp_destroy_context(c1);
  mtcp_destroy_context(c0);
  mtcp_destroy();
}

// One device under two names (mTCP's dpdk0 and its DPDK name), or one name twice, is refused:
// configuring a running port again would pull its queues from under the first.
TEST(DpdkApi, APortNamedTwiceIsRefused) {
  EAL_OR_SKIP();
  for (const char* ports : {"dpdk0 net_ring0", "dpdk0 dpdk0"}) {
    const std::string conf = std::string("io = dpdk\nport = ") + ports +
                             "\naddress = 10.9.0.1/24 10.9.1.1/24\nmac = 02:00:00:09:00:01 02:00:00:09:01:01\n" +
                             kEalLine;
    errno = 0;
    EXPECT_EQ(mtcpp_init_text(conf.c_str(), "twice.conf"), -1) << ports;
    EXPECT_TRUE(errno == ENODEV || errno == EINVAL) << ports << ": errno " << errno;
  }
  // And nothing was left half open: a correct configuration starts.
  const std::string conf = "io = dpdk\nport = dpdk0\naddress = 10.9.0.1/24\nmac = 02:00:00:09:00:01\n" + kEalLine;
  ASSERT_EQ(mtcpp_init_text(conf.c_str(), "once.conf"), 0) << "errno " << errno;
  mtcp_destroy();
}

TEST(DpdkApi, ConfigurationsThisBuildCannotServeAreRefusedAtInit) {
  const char* base = "io = dpdk\naddress = 10.9.0.1/24\ndpdk_args = --no-huge --no-pci\n";
  for (const char* extra : {"port = all\n", ""}) {
    const std::string conf = std::string(base) + extra;
    errno = 0;
    EXPECT_EQ(mtcpp_init_text(conf.c_str(), "dpdk.conf"), -1) << extra;
    EXPECT_EQ(errno, EINVAL) << extra;
  }
}

}  // namespace
}  // namespace mtcpp
