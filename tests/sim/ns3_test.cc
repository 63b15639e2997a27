// The ns-3 backend: mtcpp stacks as hosts of an ns-3 simulation (CSMA), against each other and
// against ns-3's own TCP; the same scenario run twice gives byte-identical pcaps.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

// Single headers, not the *-module.h umbrellas: core-module.h pulls in singleton.h, whose
// template-id constructors (Singleton<T>()) are ill-formed in C++20 and GCC 12 rejects them.
#include <ns3/boolean.h>
#include <ns3/csma-helper.h>
#include <ns3/global-value.h>
#include <ns3/inet-socket-address.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/mac48-address.h>
#include <ns3/node-container.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/simulator.h>
#include <ns3/socket.h>
#include <ns3/string.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/uinteger.h>

#include "core/tcp/tcb.h"
#include "sim/mtcpp_node.h"

namespace mtcpp::sim {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kPort = 5001;
constexpr std::uint64_t kTotal = 1024 * 1024;

std::uint8_t stream_byte(std::uint64_t i) { return static_cast<std::uint8_t>((i * 2654435761u) >> 13); }

// Every state change of one stack's connections, in order.
class StateLog final : public SocketObserver {
 public:
  void socket_changed(int) override {}
  void state_changed(const Tcb& tcb, TcpState, Instant now) override {
    states.push_back(tcb.state);
    times.push_back(now);
  }
  // When `s` was first entered, or kNever.
  Instant entered(TcpState s) const {
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (states[i] == s) return times[i];
    }
    return kNever;
  }
  // True when `want` appears in order (not necessarily adjacent) in the log.
  bool passed(std::vector<TcpState> want) const {
    std::size_t i = 0;
    for (TcpState s : states) {
      if (i < want.size() && s == want[i]) ++i;
    }
    return i == want.size();
  }
  std::string text() const {
    std::string t;
    for (std::size_t i = 0; i < states.size(); ++i) {
      t += std::string(to_string(states[i])) + "@" + std::to_string(to_us(times[i])) + "us ";
    }
    return t;
  }
  std::vector<TcpState> states;
  std::vector<Instant> times;
};

StackConfig config(Ipv4Addr address, std::uint64_t seed) {
  StackConfig c;
  c.address = address;
  c.prefix_len = 24;
  c.seed = seed;
  c.tcp.time_wait = 2s;
  return c;
}

std::unique_ptr<MtcppNode> make_node(ns3::Ptr<ns3::NetDevice> dev, const StackConfig& c) {
  auto made = MtcppNode::create(dev, c);
  if (auto* e = std::get_if<std::string>(&made)) {
    ADD_FAILURE() << *e;
    return nullptr;
  }
  return std::move(std::get<std::unique_ptr<MtcppNode>>(made));
}

ns3::NetDeviceContainer csma_link(ns3::NodeContainer& nodes, const std::string& pcap_prefix) {
  nodes.Create(2);
  ns3::CsmaHelper csma;
  csma.SetChannelAttribute("DataRate", ns3::StringValue("100Mbps"));
  csma.SetChannelAttribute("Delay", ns3::TimeValue(ns3::MilliSeconds(1)));
  // The device queue is the NIC's tx ring: room for a full window of small segments (ns-3's
  // default of 100 packets overflows when mtcpp sends a window of 536-byte segments at once).
  csma.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", ns3::StringValue("1000p"));
  ns3::NetDeviceContainer devs = csma.Install(nodes);
  csma.AssignStreams(devs, 0);  // backoff randomness from fixed streams, not a global counter
  if (!pcap_prefix.empty()) csma.EnablePcap(pcap_prefix, devs, false);
  return devs;
}

// Full duplex, PPP framing: no ARP, so the stacks get static entries (see Ns3Device).
ns3::NetDeviceContainer p2p_link(ns3::NodeContainer& nodes, const std::string& pcap_prefix) {
  nodes.Create(2);
  ns3::PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", ns3::StringValue("100Mbps"));
  p2p.SetChannelAttribute("Delay", ns3::TimeValue(ns3::MilliSeconds(1)));
  p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", ns3::StringValue("1000p"));
  ns3::NetDeviceContainer devs = p2p.Install(nodes);
  if (!pcap_prefix.empty()) p2p.EnablePcap(pcap_prefix, devs, false);
  return devs;
}

MacAddr mac_of(ns3::Ptr<ns3::NetDevice> dev) {
  MacAddr m;
  ns3::Mac48Address::ConvertFrom(dev->GetAddress()).CopyTo(m.octets.data());
  return m;
}

enum class Link { csma, point_to_point };

struct PairResult {
  std::uint64_t received = 0;
  bool intact = true;
  bool server_saw_eof = false;
  std::string client_states;
  bool client_fin_wait_path = false;
  std::uint64_t client_conns = 1, server_conns = 1, client_bufs = 1, server_bufs = 1;
  std::size_t client_pool = 1, server_pool = 1;
  std::uint64_t client_retransmissions = 1, client_ring_full = 1;
  // Client connection blocks just before and just after TIME_WAIT's 2 s have passed.
  std::uint64_t conns_before_time_wait_end = 0, conns_after_time_wait_end = 1;
  ns3::Time end;
};

// S01-like: the client connects, sends kTotal bytes and closes first; the server reads to end of
// stream and closes; then TIME_WAIT (2 s) passes.
PairResult run_mtcpp_pair(const std::string& pcap_prefix, Link link = Link::csma) {
  PairResult r;
  {
    ns3::NodeContainer nodes;
    ns3::NetDeviceContainer devs =
        link == Link::csma ? csma_link(nodes, pcap_prefix) : p2p_link(nodes, pcap_prefix);
    StackConfig server_config = config(Ipv4Addr::of(10, 0, 0, 1), 1);
    StackConfig client_config = config(Ipv4Addr::of(10, 0, 0, 2), 2);
    if (link == Link::point_to_point) {
      server_config.arp.gratuitous_at_start = client_config.arp.gratuitous_at_start = false;
      server_config.static_arp.push_back({client_config.address, mac_of(devs.Get(1))});
      client_config.static_arp.push_back({server_config.address, mac_of(devs.Get(0))});
    }
    auto server = make_node(devs.Get(0), server_config);
    auto client = make_node(devs.Get(1), client_config);
    if (!server || !client) return r;
    Stack& ss = server->stack();
    Stack& cs = client->stack();
    StateLog log;

    const int l = ss.socket(MtcppNode::now());
    EXPECT_EQ(ss.bind(l, {ss.address(), kPort}), 0);
    EXPECT_EQ(ss.listen(l, 16), 0);
    int s = -1;
    std::vector<std::uint8_t> in(64 * 1024);
    bool listener_open = true;
    server->set_app([&] {
      if (s < 0 && listener_open) {
        s = ss.accept(l, nullptr);
        if (s >= 0) {
          EXPECT_EQ(ss.close(l, MtcppNode::now()), 0);
          listener_open = false;
        }
      }
      while (s >= 0 && !r.server_saw_eof) {
        const long n = ss.recv(s, in, MtcppNode::now());
        if (n > 0) {
          for (long i = 0; i < n; ++i) r.intact &= in[i] == stream_byte(r.received + i);
          r.received += static_cast<std::uint64_t>(n);
        } else {
          if (n == 0) {
            r.server_saw_eof = true;
            EXPECT_EQ(ss.close(s, MtcppNode::now()), 0);
          } else {
            EXPECT_EQ(n, -EAGAIN);
          }
          break;
        }
      }
    });

    int c = -1;
    std::uint64_t sent = 0;
    bool client_closed = false;
    std::vector<std::uint8_t> chunk(64 * 1024);
    client->set_app([&] {
      if (c < 0 || client_closed || !(cs.readiness(c) & readiness::out)) return;
      while (sent < kTotal) {
        const std::size_t n = std::min<std::uint64_t>(chunk.size(), kTotal - sent);
        for (std::size_t i = 0; i < n; ++i) chunk[i] = stream_byte(sent + i);
        const long w = cs.send(c, Bytes(chunk.data(), n), MtcppNode::now());
        if (w <= 0) break;
        sent += static_cast<std::uint64_t>(w);
      }
      if (sent == kTotal) {
        EXPECT_EQ(cs.close(c, MtcppNode::now()), 0);
        client_closed = true;
      }
    });
    ns3::Simulator::Schedule(ns3::MilliSeconds(10), [&] {
      c = cs.socket(MtcppNode::now());
      EXPECT_EQ(cs.connect(c, {ss.address(), kPort}, MtcppNode::now()), -EINPROGRESS);
      client->poke();
    });

    // Probe the client's connection count around the end of TIME_WAIT.
    struct Probe final : SocketObserver {
      StateLog& log;
      Stack& stack;
      PairResult& r;
      Probe(StateLog& l, Stack& s, PairResult& res) : log(l), stack(s), r(res) {}
      void socket_changed(int sock) override { log.socket_changed(sock); }
      void state_changed(const Tcb& tcb, TcpState from, Instant now) override {
        log.state_changed(tcb, from, now);
        if (tcb.state != TcpState::time_wait) return;
        const Duration tw = stack.config().tcp.time_wait;
        ns3::Simulator::Schedule(ns3::MicroSeconds((tw - 50ms).count()), [this] {
          r.conns_before_time_wait_end = stack.stats().tcp_connections_in_use;
        });
        ns3::Simulator::Schedule(ns3::MicroSeconds((tw + 50ms).count()), [this] {
          r.conns_after_time_wait_end = stack.stats().tcp_connections_in_use;
        });
      }
    } probe(log, cs, r);
    cs.set_observer(&probe);

    ns3::Simulator::Stop(ns3::Seconds(5));
    ns3::Simulator::Run();
    r.end = ns3::Simulator::Now();
    r.client_retransmissions = cs.stats().tcp_retransmissions;
    r.client_ring_full = cs.stats().tx_ring_full;
    r.client_states = log.text();
    r.client_fin_wait_path =
        log.passed({TcpState::fin_wait_1, TcpState::fin_wait_2, TcpState::time_wait});
    r.client_conns = cs.stats().tcp_connections_in_use;
    r.server_conns = ss.stats().tcp_connections_in_use;
    r.client_bufs = cs.stats().tcp_buffer_bytes_in_use;
    r.server_bufs = ss.stats().tcp_buffer_bytes_in_use;
    r.client_pool = client->device().pool().in_use();
    r.server_pool = server->device().pool().in_use();
    cs.set_observer(nullptr);
    // Nodes go before the simulator: their destructors cancel the events they scheduled.
    client.reset();
    server.reset();
  }
  ns3::Simulator::Destroy();
  return r;
}

void expect_clean(const PairResult& r) {
  EXPECT_EQ(r.received, kTotal);
  EXPECT_TRUE(r.intact);
  EXPECT_TRUE(r.server_saw_eof);
  EXPECT_TRUE(r.client_fin_wait_path) << r.client_states;
  EXPECT_EQ(r.client_conns, 0u);
  EXPECT_EQ(r.server_conns, 0u);
  EXPECT_EQ(r.client_bufs, 0u);
  EXPECT_EQ(r.server_bufs, 0u);
  EXPECT_EQ(r.client_pool, 0u);
  EXPECT_EQ(r.server_pool, 0u);
  EXPECT_EQ(r.client_retransmissions, 0u);  // a clean link: nothing lost
  EXPECT_EQ(r.client_ring_full, 0u);
  EXPECT_EQ(r.conns_before_time_wait_end, 1u) << r.client_states;
  EXPECT_EQ(r.conns_after_time_wait_end, 0u) << r.client_states;
}

TEST(Ns3Csma, TwoMtcppNodesMove1MBAndCloseThroughTimeWait) {
  const PairResult r = run_mtcpp_pair("");
  expect_clean(r);
  EXPECT_EQ(r.end, ns3::Seconds(5));
}

TEST(Ns3PointToPoint, TwoMtcppNodesMove1MBAndCloseThroughTimeWait) {
  const PairResult r = run_mtcpp_pair("", Link::point_to_point);
  expect_clean(r);
}

TEST(Ns3Csma, MtcppClientAgainstNs3TcpServer) {
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(true));  // mtcpp drops zero checksums
  std::uint64_t received = 0;
  bool ns3_peer_closed = false;
  bool ns3_error = false;
  StateLog log;
  std::uint64_t conns = 1;
  std::size_t pool = 1;
  std::uint64_t retransmissions = 1, ring_full = 1;
  {
    ns3::NodeContainer nodes;
    ns3::NetDeviceContainer devs = csma_link(nodes, "");
    // Node 0: ns-3's Internet stack and TCP, 10.0.0.1. Node 1: mtcpp, 10.0.0.2.
    ns3::InternetStackHelper internet;
    internet.Install(nodes.Get(0));
    ns3::Ipv4AddressHelper ipv4;
    ipv4.SetBase("10.0.0.0", "255.255.255.0");
    ipv4.Assign(ns3::NetDeviceContainer(devs.Get(0)));

    ns3::Ptr<ns3::Socket> listener =
        ns3::Socket::CreateSocket(nodes.Get(0), ns3::TcpSocketFactory::GetTypeId());
    // ns-3's TCP sends no MSS option, so mtcpp sends 536-byte segments (RFC 9293 §3.7.1's
    // default), whatever SegmentSize is set here.
    ASSERT_EQ(listener->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), kPort)), 0);
    ASSERT_EQ(listener->Listen(), 0);
    // ns-3 3.37's Callback is built on std::function, so lambdas convert.
    listener->SetAcceptCallback(
        ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
        ns3::Callback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>(
            [&](ns3::Ptr<ns3::Socket> s, const ns3::Address&) {
              s->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&](ns3::Ptr<ns3::Socket> s) {
                while (ns3::Ptr<ns3::Packet> p = s->Recv()) {
                  if (p->GetSize() == 0) break;
                  received += p->GetSize();
                }
              }));
              s->SetCloseCallbacks(
                  ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&](ns3::Ptr<ns3::Socket> s) {
                    ns3_peer_closed = true;
                    // Close from a fresh event, not from inside the TCP's FIN processing.
                    ns3::Simulator::ScheduleNow([s] { s->Close(); });
                  }),
                  ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&](ns3::Ptr<ns3::Socket>) { ns3_error = true; }));
            }));

    auto client = make_node(devs.Get(1), config(Ipv4Addr::of(10, 0, 0, 2), 7));
    ASSERT_TRUE(client);
    Stack& cs = client->stack();
    cs.set_observer(&log);
    int c = -1;
    std::uint64_t sent = 0;
    bool client_closed = false;
    std::vector<std::uint8_t> chunk(64 * 1024);
    client->set_app([&] {
      if (c < 0 || client_closed || !(cs.readiness(c) & readiness::out)) return;
      while (sent < kTotal) {
        const std::size_t n = std::min<std::uint64_t>(chunk.size(), kTotal - sent);
        for (std::size_t i = 0; i < n; ++i) chunk[i] = stream_byte(sent + i);
        const long w = cs.send(c, Bytes(chunk.data(), n), MtcppNode::now());
        if (w <= 0) break;
        sent += static_cast<std::uint64_t>(w);
      }
      if (sent == kTotal) {
        EXPECT_EQ(cs.close(c, MtcppNode::now()), 0);
        client_closed = true;
      }
    });
    ns3::Simulator::Schedule(ns3::MilliSeconds(10), [&] {
      c = cs.socket(MtcppNode::now());
      EXPECT_EQ(cs.connect(c, {Ipv4Addr::of(10, 0, 0, 1), kPort}, MtcppNode::now()), -EINPROGRESS);
      client->poke();
    });
    // CSMA is half duplex and holds the medium for the propagation delay after each frame, so
    // with 1 ms delay and 536-byte segments 1 MB takes about 3.8 s of simulated time.
    ns3::Simulator::Stop(ns3::Seconds(8));
    ns3::Simulator::Run();
    conns = cs.stats().tcp_connections_in_use;
    retransmissions = cs.stats().tcp_retransmissions;
    ring_full = cs.stats().tx_ring_full;
    pool = client->device().pool().in_use();
    cs.set_observer(nullptr);
    client.reset();
  }
  ns3::Simulator::Destroy();
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(false));
  EXPECT_EQ(received, kTotal);
  EXPECT_TRUE(ns3_peer_closed);
  EXPECT_FALSE(ns3_error);
  EXPECT_TRUE(log.passed({TcpState::fin_wait_1, TcpState::fin_wait_2, TcpState::time_wait}))
      << log.text();
  EXPECT_EQ(conns, 0u) << log.text();
  EXPECT_EQ(pool, 0u);
  EXPECT_EQ(retransmissions, 0u);
  EXPECT_EQ(ring_full, 0u);
}

std::vector<char> slurp(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

TEST(Ns3Determinism, SameScenarioTwiceGivesIdenticalPcaps) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("mtcpp-ns3-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "1");
  fs::create_directories(dir / "2");
  expect_clean(run_mtcpp_pair((dir / "1" / "csma").string()));
  expect_clean(run_mtcpp_pair((dir / "2" / "csma").string()));
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir / "1")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names.size(), 2u);  // one per device
  for (const std::string& n : names) {
    const auto a = slurp(dir / "1" / n);
    const auto b = slurp(dir / "2" / n);
    EXPECT_GT(a.size(), kTotal) << n;  // the whole transfer was captured
    EXPECT_TRUE(a == b) << n << " differs between runs (" << a.size() << " vs " << b.size() << " bytes)";
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mtcpp::sim
