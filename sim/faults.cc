#include "sim/faults.h"

#include <ns3/simulator.h>

namespace mtcpp::sim {

NS_OBJECT_ENSURE_REGISTERED(SegmentFaults);
NS_OBJECT_ENSURE_REGISTERED(SegmentTag);

ns3::TypeId SegmentTag::GetTypeId() {
  static ns3::TypeId tid =
      ns3::TypeId("mtcpp::sim::SegmentTag").SetParent<ns3::Tag>().SetGroupName("mtcpp").AddConstructor<SegmentTag>();
  return tid;
}

namespace {
// A frame held for "delay past the next" goes through on its own if no next frame comes.
const ns3::Time kHoldLimit = ns3::MilliSeconds(200);
}  // namespace

ns3::TypeId SegmentFaults::GetTypeId() {
  static ns3::TypeId tid = ns3::TypeId("mtcpp::sim::SegmentFaults")
                               .SetParent<ns3::ErrorModel>()
                               .SetGroupName("mtcpp")
                               .AddConstructor<SegmentFaults>();
  return tid;
}

void SegmentFaults::setup(Deliver deliver, Lookup lookup, std::int64_t stream) {
  deliver_ = std::move(deliver);
  lookup_ = std::move(lookup);
  random_ = ns3::CreateObject<ns3::UniformRandomVariable>();
  random_->SetStream(stream);
}

void SegmentFaults::set_random(double loss, double delay_chance, ns3::Time max_delay) {
  loss_ = loss;
  delay_chance_ = delay_chance;
  max_delay_ = max_delay;
}

void SegmentFaults::redeliver(ns3::Ptr<ns3::Packet> copy, ns3::Time after, bool late) {
  redelivered_.insert(ns3::PeekPointer(copy));
  ns3::Simulator::Schedule(after, [this, copy, late] {
    if (Segment* s = late && lookup_ ? lookup_(*copy) : nullptr) s->arrive_us = ns3::Simulator::Now().GetMicroSeconds();
    deliver_(copy);
  });
}

bool SegmentFaults::DoCorrupt(ns3::Ptr<ns3::Packet> p) {
  if (redelivered_.erase(ns3::PeekPointer(p)) > 0) return false;
  Segment* s = lookup_ ? lookup_(*p) : nullptr;
  if (s == nullptr) return false;  // not a TCP segment: ARP is never faulted
  // Frames held for "past the next" follow this one.
  for (auto& h : held_) redeliver(h, ns3::Time(0), true);
  held_.clear();

  for (FaultRule& r : rules_) {
    if (!r.match || !r.match(*s)) continue;
    ++r.matched;
    if (r.matched < r.nth || (r.count > 0 && r.matched >= r.nth + r.count)) continue;
    switch (r.action) {
      case FaultRule::Action::drop:
        s->lost = true;
        return true;
      case FaultRule::Action::duplicate:
        s->fault = "DUP";
        redeliver(p->Copy(), r.delay, false);
        return false;
      case FaultRule::Action::delay:
        s->fault = "DELAYED";
        redeliver(p->Copy(), r.delay, true);
        return true;
      case FaultRule::Action::delay_past_next: {
        s->fault = "DELAYED";
        ns3::Ptr<ns3::Packet> copy = p->Copy();
        held_.push_back(copy);
        ns3::Simulator::Schedule(kHoldLimit, [this, copy] {
          for (std::size_t i = 0; i < held_.size(); ++i) {
            if (held_[i] != copy) continue;
            held_.erase(held_.begin() + static_cast<long>(i));
            redeliver(copy, ns3::Time(0), true);
            return;
          }
        });
        return true;
      }
    }
  }
  // Random faults: all three draws for every frame that gets here, whatever they decide, so
  // whether one frame is lost never shifts the draws of the next.
  const double lose = random_->GetValue(), late = random_->GetValue(), how_late = random_->GetValue();
  if (lose < loss_) {
    s->lost = true;
    return true;
  }
  if (late < delay_chance_) {
    s->fault = "DELAYED";
    const auto ns = static_cast<std::int64_t>(how_late * static_cast<double>(max_delay_.GetNanoSeconds()));
    redeliver(p->Copy(), ns3::NanoSeconds(std::max<std::int64_t>(ns, 1)), true);
    return true;
  }
  return false;
}

}  // namespace mtcpp::sim
