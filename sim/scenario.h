// The ns-3 scenario framework: host A (mtcpp, under test) and host B (the peer: a second mtcpp
// stack or ns-3's own TCP) on one CSMA link; a scenario drives both through their socket APIs,
// records every TCP segment on the wire and every state change, and checks the outcome.
//
// Segments are captured from the CSMA devices' PhyTxBegin trace (what each host puts on the
// wire), not from inside MtcppNode, so the same capture works for both peers; the fault model
// marks what it dropped, duplicated or held back.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/tcp/congestion.h"
#include "sim/ladder.h"

namespace mtcpp::sim {

enum class Peer { mtcpp, ns3 };
const char* to_string(Peer p);

// One TCP segment as seen on the wire (packetdrill notation, sequence numbers relative to each
// side's ISS).
struct Segment {
  std::int64_t time_us = 0;
  int from = 0;  // 0 = A, 1 = B
  std::string flags;
  std::uint32_t seq = 0, ack = 0, len = 0;
  bool lost = false;
  std::string fault;  // "DUP" or "DELAYED" when a fault rule duplicated or held it back
  std::int64_t arrive_us = -1;  // a DELAYED segment's real arrival
  std::uint16_t sport = 0, dport = 0;
  std::uint32_t raw_seq = 0;  // the sequence number on the wire
  friend bool operator==(const Segment&, const Segment&) = default;
};

struct StateChange {
  std::int64_t time_us = 0;
  int host = 0;
  std::string state;
  friend bool operator==(const StateChange&, const StateChange&) = default;
};

// The link between A and B: the scenarios' CSMA segment (100 Mbit/s, 1 ms), or a full-duplex
// point-to-point line with its own rate, one-way delay and queue (PPP framing, no ARP: the hosts
// get static entries), the loss sweep's bottleneck.
struct LinkSpec {
  bool point_to_point = false;
  std::string rate = "100Mbps";
  std::int64_t delay_us = 1000;          // one way
  std::uint32_t queue_packets = 1000;    // each device's transmit queue
};

struct RunOptions {
  std::uint64_t seed = 1;
  // Empty: no pcap. Otherwise <dir>/<scenario>-<peer>.pcap: every frame either host put on the
  // wire, in order (ns-3's pcap writer), cut to snaplen bytes (0: whole frames).
  std::string pcap_dir;
  std::uint32_t snaplen = 0;
  std::string name;      // the scenario's registered name (set by the registry; names the files)
  // The mtcpp hosts' congestion controller, when not the stack's default (the sweep sets it).
  std::optional<CongestionAlgorithm> congestion;
  LinkSpec link;
};

struct Result {
  bool pass = false;
  std::string differences;  // one line per failed check
  std::vector<Segment> segments;
  std::vector<StateChange> states;
  std::int64_t sim_time_us = 0;  // time of the last segment or state change
  std::uint64_t retransmissions = 0;  // A's
  std::string peer_note;  // where this peer legitimately differs, what the scenario expects
};

struct Scenario {
  std::string name;
  std::string description;
  std::function<Result(Peer, const RunOptions&)> run;
};

// Every scenario, in a fixed order.
const std::vector<Scenario>& scenarios();

// One bulk transfer for the sweep (sim/sweep.h): `bytes` from A (the client) to B over
// options.link with seeded random loss `loss` each way; checked as the bulk-loss scenarios are.
Result bulk_transfer(Peer peer, const RunOptions& options, double loss, std::uint64_t bytes);

// `flows` transfers of `bytes` each from A to B, started together over options.link with seeded
// random loss `loss` each way: what each flow had delivered when the first one completed (their
// shares of the bottleneck while all competed), and whether every byte of every flow arrived.
struct SharedRun {
  std::vector<std::uint64_t> delivered;  // per flow, when the first completed
  bool pass = false;
  std::string differences;
};
SharedRun shared_transfer(int flows, const RunOptions& options, double loss, std::uint64_t bytes);

// Ladder diagram input for one run.
LadderInput ladder_of(const Result& r, const std::string& scenario, Peer peer);

// "FLAGS seq:end(len) ack N" per segment, one a line: a readable trace for diffs.
std::string segment_text(const std::vector<Segment>& segments);

// The byte at offset i of a test stream (salt tells streams apart).
inline std::uint8_t stream_byte(std::uint64_t i, std::uint32_t salt) {
  return static_cast<std::uint8_t>(((i + salt * 7919u) * 2654435761u) >> 13);
}

}  // namespace mtcpp::sim
