#include "sim/scenario.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <ns3/boolean.h>
#include <ns3/csma-helper.h>
#include <ns3/csma-net-device.h>
#include <ns3/double.h>
#include <ns3/error-model.h>
#include <ns3/global-value.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/point-to-point-helper.h>
#include <ns3/point-to-point-net-device.h>
#include <ns3/pointer.h>
#include <ns3/trace-helper.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/tcp-socket.h>

#include "api/mtcp_api.h"
#include "api/runtime.h"
#include "core/tcp/state.h"
#include "core/tcp/tcb.h"
#include "sim/world.h"

namespace mtcpp::sim {

const char* to_string(Peer p) { return p == Peer::mtcpp ? "mtcpp" : "ns3"; }

namespace {

class Recorder final : public SocketObserver {
 public:
  Recorder(std::vector<StateChange>& out, int host, std::function<void(const Tcb&)> seen)
      : out_(out), host_(host), seen_(std::move(seen)) {}
  void socket_changed(int) override {}
  void state_changed(const Tcb& tcb, TcpState, Instant now) override {
    out_.push_back({to_us(now), host_, std::string(to_string(tcb.state))});
    seen_(tcb);
  }

 private:
  std::vector<StateChange>& out_;
  int host_;
  std::function<void(const Tcb&)> seen_;
};

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | p[3];
}

}  // namespace

ns3::NetDeviceContainer install_link(const LinkSpec& link, ns3::NodeContainer& nodes) {
  const std::string queue = std::to_string(link.queue_packets) + "p";
  if (link.point_to_point) {
    ns3::PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", ns3::StringValue(link.rate));
    p2p.SetChannelAttribute("Delay", ns3::TimeValue(ns3::MicroSeconds(link.delay_us)));
    p2p.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", ns3::StringValue(queue));
    return p2p.Install(nodes);
  }
  ns3::CsmaHelper csma;
  csma.SetChannelAttribute("DataRate", ns3::StringValue(link.rate));
  csma.SetChannelAttribute("Delay", ns3::TimeValue(ns3::MicroSeconds(link.delay_us)));
  csma.SetQueue("ns3::DropTailQueue<Packet>", "MaxSize", ns3::StringValue(queue));
  ns3::NetDeviceContainer devs = csma.Install(nodes);
  csma.AssignStreams(devs, 0);  // backoff randomness from fixed streams, not a global counter
  return devs;
}

World::World(const std::string& scenario, Peer p, const RunOptions& options, const TcpConfig& knobs)
    : peer(p), tcp(knobs) {
  if (options.congestion) tcp.congestion = *options.congestion;
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(true));  // mtcpp drops zero checksums
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(options.seed);
  nodes.Create(2);
  point_to_point_ = options.link.point_to_point;
  devs = install_link(options.link, nodes);
  if (!options.pcap_dir.empty()) {
    const std::string& name = options.name.empty() ? scenario : options.name;
    ns3::PcapHelper helper;
    pcap_ = helper.CreateFile(options.pcap_dir + "/" + name + "-" + to_string(peer) + ".pcap", std::ios::out,
                              point_to_point_ ? ns3::PcapHelper::DLT_PPP : ns3::PcapHelper::DLT_EN10MB,
                              options.snaplen == 0 ? 65535 : options.snaplen);
  }
  for (int h = 0; h < 2; ++h) {
    devs.Get(h)->TraceConnectWithoutContext(
        "PhyTxBegin", ns3::Callback<void, ns3::Ptr<const ns3::Packet>>(
                          [this, h](ns3::Ptr<const ns3::Packet> pkt) { on_tx(h, pkt); }));
    faults_[h] = ns3::CreateObject<SegmentFaults>();
    SegmentFaults::Deliver deliver;
    if (point_to_point_) {
      auto* receiver = ns3::PeekPointer(ns3::DynamicCast<ns3::PointToPointNetDevice>(devs.Get(h)));
      deliver = [receiver](ns3::Ptr<ns3::Packet> frame) { receiver->Receive(frame); };
    } else {
      auto* receiver = ns3::PeekPointer(ns3::DynamicCast<ns3::CsmaNetDevice>(devs.Get(h)));
      auto* sender = ns3::PeekPointer(ns3::DynamicCast<ns3::CsmaNetDevice>(devs.Get(1 - h)));
      deliver = [receiver, sender](ns3::Ptr<ns3::Packet> frame) {
        receiver->Receive(frame, ns3::Ptr<ns3::CsmaNetDevice>(sender));
      };
    }
    faults_[h]->setup(std::move(deliver),
                      [this](const ns3::Packet& frame) -> Segment* {
                        SegmentTag tag;
                        if (!frame.PeekPacketTag(tag) || tag.index >= segments.size()) return nullptr;
                        return &segments[tag.index];
                      },
                      200 + h);
    devs.Get(h)->SetAttribute("ReceiveErrorModel", ns3::PointerValue(faults_[h]));
  }

  // The mtcpp hosts: contexts 0 (A) and 1 (B) of an mTCP runtime whose devices are the CSMA
  // devices of nodes 0 and 1.
  api::RuntimeConfig rc;
  rc.io = api::IoKind::external;
  rc.num_cores = peer == Peer::mtcpp ? 2 : 1;
  rc.max_concurrency = 64;
  rc.max_num_buffers = 1024;
  rc.manual_clock = true;
  rc.stack.address = a_addr;  // context 1 is a_addr + 1 = b_addr
  rc.stack.prefix_len = 24;
  rc.stack.seed = options.seed * 2 + 1;
  rc.stack.tcp = tcp;
  if (point_to_point_) {
    // PPP carries no ARP: each mtcpp host knows the other's address (the device's MAC stands in).
    rc.stack.arp.gratuitous_at_start = false;
    for (int h = 0; h < 2; ++h) {
      MacAddr mac;
      ns3::Mac48Address::ConvertFrom(devs.Get(h)->GetAddress()).CopyTo(mac.octets.data());
      rc.stack.static_arp.push_back({addr(h), mac});
    }
  }
  rc.make_io = [this](int cpu) -> std::unique_ptr<PacketIo> { return std::make_unique<Ns3Device>(devs.Get(cpu)); };
  std::string error;
  if (api::init_runtime(rc, &error) != 0) {
    fail_setup("mTCP runtime: " + error);
  }
  ns3::Ptr<ns3::Node> ns3_host;
  if (peer == Peer::ns3) {
    ns3::InternetStackHelper internet;
    internet.Install(nodes.Get(1));
    internet.AssignStreams(ns3::NodeContainer(nodes.Get(1)), 100);
    ns3::Ipv4AddressHelper ipv4;
    ipv4.SetBase("10.0.0.0", "255.255.255.0", "0.0.0.2");
    ipv4.Assign(ns3::NetDeviceContainer(devs.Get(1)));
  }
  for (int h = 0; h < rc.num_cores; ++h) {
    mctx_t ctx = mtcp_create_context(h);
    api::Context* context = ctx == nullptr ? nullptr : api::context_of(ctx);
    if (context == nullptr) {
      fail_setup("mtcp_create_context(" + std::to_string(h) + ") failed");
    }
    auto made = MtcppNode::attach(*context);
    if (auto* e = std::get_if<std::string>(&made)) {
      fail_setup("node " + std::to_string(h) + ": " + *e);
    }
    (h == 0 ? a : b) = std::move(std::get<std::unique_ptr<MtcppNode>>(made));
    observers_[h] = std::make_unique<Recorder>(states, h, [this, h](const Tcb& t) {
      if (t.state == TcpState::listen || t.remote.port == 0) return;
      for (const auto& k : tracked_[h]) {
        if (k.local == t.local && k.remote == t.remote && !k.freed) return;
      }
      tracked_[h].push_back({t.local, t.remote, false});
    });
    context->set_tracer(observers_[h].get());
  }
  for (int h = 0; h < 2; ++h) {
    add_app(h);
    if (MtcppNode* n = h == 0 ? a.get() : b.get()) {
      n->set_app([this, h] {
        for (auto& app : apps_[h]) app->pump();
        track_freed(h);
      });
    }
  }
}

HostApp& World::add_app(int host) {
  // A's stream, B's stream: each side checks what it reads against the other's.
  constexpr std::uint32_t kSalt[2] = {1, 2};
  std::string name = host == 0 ? "A" : "B";
  if (!apps_[host].empty()) name += std::to_string(apps_[host].size() + 1);
  if (MtcppNode* n = host == 0 ? a.get() : b.get()) {
    apps_[host].push_back(mtcp_app(name, *n, kSalt[host], kSalt[1 - host]));
  } else {
    apps_[host].push_back(
        ns3_app(name, nodes.Get(1), kSalt[host], kSalt[1 - host], [this](ns3::Ptr<ns3::Socket> s) { watch(s); }));
  }
  return *apps_[host].back();
}

World::~World() { teardown(); }

void World::fail_setup(const std::string& why) {
  teardown();  // a constructor that throws gets no destructor
  throw std::runtime_error(why);
}

void World::teardown() {
  pump_event_.Cancel();
  apps_[0].clear();
  apps_[1].clear();
  for (auto* n : {a.get(), b.get()}) {
    if (n != nullptr && n->context() != nullptr) n->context()->set_tracer(nullptr);
  }
  a.reset();
  b.reset();
  mtcp_destroy();  // the contexts and their Ns3Devices, before the nodes they are attached to
  for (auto& f : faults_) f = nullptr;
  pcap_ = nullptr;
  devs = ns3::NetDeviceContainer();
  nodes = ns3::NodeContainer();
  ns3::Simulator::Destroy();
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(false));
}

void World::watch(ns3::Ptr<ns3::Socket> socket) {
  socket->TraceConnectWithoutContext(
      "State", ns3::Callback<void, ns3::TcpSocket::TcpStates_t, ns3::TcpSocket::TcpStates_t>(
                   [this](ns3::TcpSocket::TcpStates_t, ns3::TcpSocket::TcpStates_t to) {
                     states.push_back({ns3::Simulator::Now().GetMicroSeconds(), 1,
                                       ns3::TcpSocket::TcpStateName[to]});
                   }));
}

void World::track_freed(int host) {
  Stack& s = (host == 0 ? a : b)->stack();
  for (auto& k : tracked_[host]) {
    if (!k.freed && !s.tcp().state_of(k.local, k.remote)) {
      k.freed = true;
      states.push_back({to_us(MtcppNode::now()), host, "CLOSED"});
    }
  }
}

void World::pump_all() {
  // Every segment on the wire may satisfy a condition of either host's script.
  if (pump_event_.IsRunning()) return;
  pump_event_ = ns3::Simulator::ScheduleNow([this] {
    for (auto& host : apps_) {
      for (auto& app : host) app->wake();
    }
  });
}

void World::check(bool ok, const std::string& what) {
  if (!ok) differences += what + "\n";
}

void World::on_tx(int from, ns3::Ptr<const ns3::Packet> p) {
  if (pcap_) pcap_->Write(ns3::Simulator::Now(), p);
  std::vector<std::uint8_t> f(p->GetSize());
  p->CopyData(f.data(), f.size());
  // Ethernet (type 0x0800 at 12) or PPP (protocol 0x0021 at 0) before the IPv4 header.
  const std::size_t l2 = point_to_point_ ? 2 : 14;
  if (f.size() < l2 + 20 || (point_to_point_ ? be16(&f[0]) != 0x0021 : be16(&f[12]) != 0x0800)) return;
  const std::uint8_t* ip = &f[l2];
  const std::size_t ihl = (ip[0] & 0x0f) * 4u;
  const std::size_t total = be16(ip + 2);
  if (ip[9] != 6 || total < ihl + 20 || l2 + total > f.size()) return;
  const std::uint8_t* tcp = ip + ihl;
  const std::size_t doff = (tcp[12] >> 4) * 4u;
  const std::uint8_t fl = tcp[13];
  Segment s;
  s.time_us = ns3::Simulator::Now().GetMicroSeconds();
  s.from = from;
  if (fl & 0x01) s.flags += 'F';
  if (fl & 0x02) s.flags += 'S';
  if (fl & 0x04) s.flags += 'R';
  if (fl & 0x08) s.flags += 'P';
  if (fl & 0x10) s.flags += '.';
  const std::uint32_t seq = be32(tcp + 4), ack = be32(tcp + 8);
  s.sport = be16(tcp);
  s.dport = be16(tcp + 2);
  s.raw_seq = seq;
  // Sequence numbers relative to each side's ISS on this 4-tuple (two hosts: ports tell tuples
  // apart); a new SYN starts a new incarnation. Entries outlive their connection on purpose: an
  // RST answered from CLOSED (S13, S20) is shown relative to the connection it answers.
  auto key = [](int host, std::uint16_t local, std::uint16_t remote) {
    return std::uint64_t(host) << 32 | std::uint64_t(local) << 16 | remote;
  };
  if (fl & 0x02) iss_[key(from, s.sport, s.dport)] = seq;
  const auto mine = iss_.find(key(from, s.sport, s.dport));
  const auto theirs = iss_.find(key(1 - from, s.dport, s.sport));
  s.seq = seq - (mine == iss_.end() ? 0 : mine->second);
  s.ack = (fl & 0x10) ? ack - (theirs == iss_.end() ? 0 : theirs->second) : 0;
  s.len = static_cast<std::uint32_t>(total - ihl - std::min(doff, total - ihl));
  SegmentTag tag;
  tag.index = static_cast<std::uint32_t>(segments.size());
  p->AddPacketTag(tag);  // a const packet may carry tags: they are not its bytes
  segments.push_back(s);
  pump_all();
}

void World::run(ns3::Time stop) {
  ns3::Simulator::Stop(stop);
  ns3::Simulator::Run();
}

void World::check_clean(int host) {
  MtcppNode* n = host == 0 ? a.get() : b.get();
  if (n == nullptr) return;
  const char* name = host == 0 ? "A" : "B";
  const StackStats& st = n->stack().stats();
  check(st.tcp_connections_in_use == 0, std::string(name) + ": " +
                                            std::to_string(st.tcp_connections_in_use) +
                                            " connection blocks left at the end");
  check(st.tcp_buffer_bytes_in_use == 0, std::string(name) + ": " +
                                             std::to_string(st.tcp_buffer_bytes_in_use) +
                                             " buffer bytes left at the end");
  check(st.tx_oversize == 0, std::string(name) + ": " + std::to_string(st.tx_oversize) + " segments longer than the MTU");
  check(n->device().pool().in_use() == 0, std::string(name) + ": " +
                                              std::to_string(n->device().pool().in_use()) +
                                              " frame buffers left at the end");
  // Each application's epoll instance is the one id it keeps.
  const auto ids = static_cast<long>(n->context()->ids_in_use()) - static_cast<long>(apps_[host].size());
  check(ids == 0, std::string(name) + ": " + std::to_string(ids) + " socket ids left open at the end");
}

Result World::result(const std::string& peer_note) {
  Result r;
  r.pass = differences.empty();
  r.differences = differences;
  if (!r.pass) {  // what each application did, in the API's words
    for (auto& host : apps_) {
      for (auto& app : host) r.differences += "  " + app->log_text() + "\n";
    }
  }
  r.segments = segments;
  r.states = states;
  std::int64_t last = 0;
  for (const auto& s : segments) last = std::max(last, s.time_us);
  for (const auto& s : states) last = std::max(last, s.time_us);
  r.sim_time_us = last;
  r.retransmissions = a ? a->stack().stats().tcp_retransmissions : 0;
  r.peer_note = peer_note;
  return r;
}

bool World::passed(int host, const std::vector<std::string>& want) const {
  std::size_t i = 0;
  for (const auto& s : states) {
    if (s.host == host && i < want.size() && s.state == want[i]) ++i;
  }
  return i == want.size();
}

std::int64_t World::entered(int host, const std::string& state, std::int64_t after) const {
  for (const auto& s : states) {
    if (s.host == host && s.state == state && s.time_us >= after) return s.time_us;
  }
  return -1;
}

std::string World::state(int host) const {
  for (auto it = states.rbegin(); it != states.rend(); ++it) {
    if (it->host == host) return it->state;
  }
  return "";
}

std::vector<const Segment*> World::sent(int from, const std::string& flags) const {
  std::vector<const Segment*> out;
  for (const auto& s : segments) {
    if (s.from != from) continue;
    bool all = true;
    for (char c : flags) all &= s.flags.find(c) != std::string::npos;
    if (all) out.push_back(&s);
  }
  return out;
}

std::string World::states_text(int host) const {
  std::string t;
  for (const auto& s : states) {
    if (s.host == host) t += s.state + "@" + std::to_string(s.time_us) + "us ";
  }
  return t;
}

LadderInput ladder_of(const Result& r, const std::string& scenario, Peer peer) {
  LadderInput in;
  in.title = scenario + " (peer " + to_string(peer) + ")";
  in.hosts[0] = "A 10.0.0.1 (mtcpp)";
  in.hosts[1] = std::string("B 10.0.0.2 (") + to_string(peer) + ")";
  in.one_way_delay_us = 1000;
  for (const auto& s : r.segments) in.segments.push_back({s.time_us, s.from, s.flags, s.seq, s.ack, s.len, s.lost, s.fault, s.arrive_us});
  for (const auto& s : r.states) in.states.push_back({s.time_us, s.host, s.state});
  return in;
}

std::string segment_text(const std::vector<Segment>& segments) {
  std::string t;
  for (const auto& s : segments) {
    LadderSegment l{s.time_us, s.from, s.flags, s.seq, s.ack, s.len, s.lost, s.fault, s.arrive_us};
    t += std::to_string(s.time_us) + "us " + (s.from == 0 ? "A>B " : "B>A ") + ladder_label(l) +
         (s.lost ? " LOST" : "") + (s.fault.empty() ? "" : " " + s.fault) + "\n";
  }
  return t;
}

}  // namespace mtcpp::sim
