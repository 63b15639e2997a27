// Internal to the scenario framework (sim/scenario.cc, sim/scenarios*.cc): one simulation of
// host A (mtcpp, 10.0.0.1, node 0) and host B (mtcpp or ns-3's TCP, 10.0.0.2, node 1) on a CSMA
// or point-to-point link (RunOptions::link), with segment capture, faults, state recording, the
// hosts' applications and checks.
//
// The mtcpp hosts are contexts of mTCP's runtime (io = external over an Ns3Device, manual clock
// set to simulated time): their applications use the mTCP API. One World at a time per process
// (the runtime is process-wide, as mtcp_init makes it).
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <ns3/event-id.h>
#include <ns3/net-device-container.h>
#include <ns3/node-container.h>
#include <ns3/nstime.h>
#include <ns3/packet.h>
#include <ns3/pcap-file-wrapper.h>
#include <ns3/socket.h>

#include "core/config.h"
#include "sim/host_app.h"
#include "sim/faults.h"
#include "sim/mtcpp_node.h"
#include "sim/scenario.h"

namespace mtcpp::sim {

// The link between nodes 0 and 1 that `link` describes, installed (for the World, and for the
// sweep's ns-3-only baseline, so both run on the same line).
ns3::NetDeviceContainer install_link(const LinkSpec& link, ns3::NodeContainer& nodes);

class World {
 public:
  // tcp: the knobs of the mtcpp stacks.
  // Throws std::runtime_error (having cleaned up) when the hosts cannot be built.
  World(const std::string& scenario, Peer peer, const RunOptions& options, const TcpConfig& tcp);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  Peer peer;
  ns3::NodeContainer nodes;
  ns3::NetDeviceContainer devs;
  std::unique_ptr<MtcppNode> a;
  std::unique_ptr<MtcppNode> b;  // Peer::mtcpp only
  static constexpr std::uint16_t kPort = 5001;
  Ipv4Addr a_addr = Ipv4Addr::of(10, 0, 0, 1);
  Ipv4Addr b_addr = Ipv4Addr::of(10, 0, 0, 2);
  Ipv4Addr addr(int host) const { return host == 0 ? a_addr : b_addr; }
  TcpConfig tcp;

  // The application of host 0 (A) or 1 (B): mTCP API on mtcpp, ns-3 sockets on ns-3.
  HostApp& app(int host) { return *apps_[host].front(); }
  // Another application on the same host (its own connection, same stack).
  HostApp& add_app(int host);
  // Faults on the frames arriving at `host`.
  SegmentFaults& faults_at(int host) { return *faults_[host]; }
  // Records an ns-3 TCP socket's state changes as host B's.
  void watch(ns3::Ptr<ns3::Socket> socket);
  void check(bool ok, const std::string& what);
  // Runs the simulation to `stop`.
  void run(ns3::Time stop);
  // After run(): no socket id, connection block, buffer or frame buffer left in the mtcpp stack of
  // `host` (ids: the context's live sockets, the epoll instance aside).
  void check_clean(int host);

  // Observations.
  std::vector<StateChange> states;
  std::vector<Segment> segments;
  std::string differences;
  Result result(const std::string& peer_note);

  // State changes of one host, in order: true when `want` appears as a subsequence.
  bool passed(int host, const std::vector<std::string>& want) const;
  // First time `host` entered `state` at or after `after`, or -1.
  std::int64_t entered(int host, const std::string& state, std::int64_t after = 0) const;
  // The last state recorded for `host` ("" before any).
  std::string state(int host) const;
  std::string states_text(int host) const;
  // Segments from `from` whose flags contain every character of `flags`.
  std::vector<const Segment*> sent(int from, const std::string& flags) const;

 private:
  [[noreturn]] void fail_setup(const std::string& why);
  void teardown();
  void on_tx(int from, ns3::Ptr<const ns3::Packet> p);
  void track_freed(int host);
  void pump_all();
  std::string prefix_;
  bool point_to_point_ = false;  // RunOptions::link: PPP framing instead of Ethernet
  std::unordered_map<std::uint64_t, std::uint32_t> iss_;  // (host, local port, remote port) → ISS
  std::unique_ptr<SocketObserver> observers_[2];
  ns3::Ptr<SegmentFaults> faults_[2];
  std::vector<std::unique_ptr<HostApp>> apps_[2];
  ns3::EventId pump_event_;
  ns3::Ptr<ns3::PcapFileWrapper> pcap_;
  struct Tracked {
    Endpoint local, remote;
    bool freed = false;
  };
  std::vector<Tracked> tracked_[2];
};

}  // namespace mtcpp::sim
