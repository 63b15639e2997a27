// Internal to the scenario framework (sim/scenario.cc, sim/scenarios.cc): one simulation of host
// A (mtcpp, 10.0.0.1, node 0) and host B (mtcpp or ns-3's TCP, 10.0.0.2, node 1) on a CSMA link,
// with segment capture, state recording and checks.
#pragma once
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <ns3/net-device-container.h>
#include <ns3/node-container.h>
#include <ns3/nstime.h>
#include <ns3/packet.h>
#include <ns3/socket.h>

#include "core/stack.h"
#include "sim/mtcpp_node.h"
#include "sim/scenario.h"

namespace mtcpp::sim {

class World {
 public:
  // time_wait: the TIME_WAIT knob of the mtcpp stacks.
  World(const std::string& scenario, Peer peer, const RunOptions& options, Duration time_wait);
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
  Duration time_wait;

  // Seeded random loss of frames arriving at B (ns-3 RateErrorModel, per packet).
  void loss_at_b(double rate);
  // Records an ns-3 TCP socket's state changes as host B's.
  void watch(ns3::Ptr<ns3::Socket> socket);
  // Runs after every poll of the node: the scenario's application (wraps freed-connection tracking).
  void set_app(int host, std::function<void()> app);
  void check(bool ok, const std::string& what);
  // Runs the simulation to `stop` and fills the result (not yet pass/differences).
  void run(ns3::Time stop);
  // After run(): no connection block, buffer or frame buffer left in the mtcpp stack of `host`.
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
  std::string states_text(int host) const;

 private:
  void on_tx(int from, ns3::Ptr<const ns3::Packet> p);
  void on_drop(ns3::Ptr<const ns3::Packet> p);
  void track_freed(int host);
  std::string prefix_;
  bool have_iss_[2] = {false, false};
  std::uint32_t iss_[2] = {0, 0};
  std::vector<std::uint64_t> uids_;
  std::unique_ptr<SocketObserver> observers_[2];
  struct Tracked {
    Endpoint local, remote;
    bool freed = false;
  };
  std::vector<Tracked> tracked_[2];
};

// The byte at offset i of a test stream (salt tells streams apart).
inline std::uint8_t stream_byte(std::uint64_t i, std::uint32_t salt) {
  return static_cast<std::uint8_t>(((i + salt * 7919u) * 2654435761u) >> 13);
}

}  // namespace mtcpp::sim
