// Deterministic faults on the frames arriving at one simulated host, as an ns-3 receive error
// model on its CSMA device: seeded random loss and random extra delay (which reorders), and
// targeted rules on TCP segments: drop, duplicate or delay the Nth segment matching a predicate
// (the first FIN from A, the ACK of B's FIN, the 3rd data segment ...).
//
// ns-3's error models can only discard a frame. Duplication and delay therefore work by letting
// (or not letting) the frame through and handing a copy to the device again later (the `deliver`
// the model is set up with: CsmaNetDevice::Receive or PointToPointNetDevice::Receive); the copy
// passes this model untouched. Every random draw comes from
// the model's own ns-3 stream (a fixed stream number per host, the run number from the seed), so
// a seed gives the same faults in any process.
#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <ns3/packet.h>
#include <ns3/error-model.h>
#include <ns3/nstime.h>
#include <ns3/random-variable-stream.h>
#include <ns3/tag.h>

#include "sim/scenario.h"

namespace mtcpp::sim {

struct FaultRule {
  enum class Action { drop, duplicate, delay, delay_past_next };
  std::function<bool(const Segment&)> match;
  int nth = 1;    // the first match acted on (1-based)
  int count = 1;  // consecutive matches acted on from the nth; 0 = every one from the nth on
  Action action = Action::drop;
  ns3::Time delay = ns3::MilliSeconds(0);  // delay: extra time; duplicate: the copy's lag
  int matched = 0;                         // matches seen so far (state)
  // Rules are tried in order; the first that acts on a frame decides its fate, and later rules
  // and the random faults do not see it.
};

// Marks a frame with the index of its captured segment when it goes on the wire. ns-3's packet
// uids cannot do it: its TCP cuts every segment of one application write from the same packet,
// so they share a uid. Packet tags travel with the channel's copies and with Packet::Copy().
class SegmentTag final : public ns3::Tag {
 public:
  static ns3::TypeId GetTypeId();
  ns3::TypeId GetInstanceTypeId() const override { return GetTypeId(); }
  std::uint32_t GetSerializedSize() const override { return 4; }
  void Serialize(ns3::TagBuffer b) const override { b.WriteU32(index); }
  void Deserialize(ns3::TagBuffer b) override { index = b.ReadU32(); }
  void Print(std::ostream& os) const override { os << "segment=" << index; }
  std::uint32_t index = 0;
};

class SegmentFaults final : public ns3::ErrorModel {
 public:
  static ns3::TypeId GetTypeId();
  SegmentFaults() = default;

  // What a frame is: the captured segment a packet stands for (nullptr for non-TCP frames).
  using Lookup = std::function<Segment*(const ns3::Packet& frame)>;
  // deliver: hands a frame to the receiving device again, as its channel would.
  using Deliver = std::function<void(ns3::Ptr<ns3::Packet> frame)>;
  void setup(Deliver deliver, Lookup lookup, std::int64_t stream);
  void add(FaultRule rule) { rules_.push_back(std::move(rule)); }
  // Random faults on TCP segments: loss with probability `loss`; with probability `delay_chance`
  // an extra delay uniform in (0, max_delay].
  void set_random(double loss, double delay_chance, ns3::Time max_delay);

 private:
  bool DoCorrupt(ns3::Ptr<ns3::Packet> p) override;
  void DoReset() override {}
  // Hands `copy` to the receiver after `after`; `late` marks the held-back original, whose
  // segment then records its real arrival time.
  void redeliver(ns3::Ptr<ns3::Packet> copy, ns3::Time after, bool late);

  // Holds plain pointers only: the receiver holds this model, so a Ptr back would be a cycle that
  // keeps both (and the nodes behind them) alive past Simulator::Destroy.
  Deliver deliver_;
  Lookup lookup_;
  std::vector<FaultRule> rules_;
  ns3::Ptr<ns3::UniformRandomVariable> random_;
  double loss_ = 0, delay_chance_ = 0;
  ns3::Time max_delay_;
  std::set<const ns3::Packet*> redelivered_;  // copies in flight back to the device: let through
  std::vector<ns3::Ptr<ns3::Packet>> held_;   // delay_past_next: waiting for the next frame
};

}  // namespace mtcpp::sim
