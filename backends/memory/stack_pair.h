// Two stacks joined by a memory link, run by a manual clock: the smallest complete network, for
// tests, the demo and benchmarks. Time jumps from one event (a deadline of either stack or a
// frame arrival) to the next, so a simulated minute of TIME_WAIT costs nothing.
#pragma once
#include <memory>
#include <string>

#include "backends/memory/memory_link.h"
#include "backends/wrappers/fault_injector.h"
#include "backends/wrappers/pcap_writer.h"
#include "core/stack.h"

namespace mtcpp {

class StackPair {
 public:
  struct Options {
    StackConfig a;
    StackConfig b;
    LinkConditions link;
    std::size_t buffers_per_port = 4096;
    std::string pcap_a;  // when set, every frame A receives or sends is written there
    std::vector<FaultRule> b_faults;  // when set, B's device is wrapped by a FaultInjector with them
  };
  // A is 10.0.0.1, B is 10.0.0.2 on one /24; ARP resolves them; 1 ms one-way delay.
  static Options default_options();

  explicit StackPair(const Options& options);
  ~StackPair();

  Stack& a() { return *a_; }
  Stack& b() { return *b_; }
  MemoryPort& port_a() { return *port_a_; }
  MemoryPort& port_b() { return *port_b_; }
  const MemoryLink& link() const { return *link_; }
  const FaultInjector* faults_b() const { return faults_b_.get(); }
  Instant now() const { return now_; }

  // Polls both stacks at now, then moves time to the next event no later than `limit` and polls
  // again. False when nothing is pending before the limit (time is then at the limit).
  bool step(Instant limit = kNever);
  // Steps until done() holds or `budget` of simulated time passes; returns done().
  template <class Done>
  bool run_until(Done&& done, Duration budget) {
    const Instant limit = now_ + budget;
    while (!done()) {
      if (!step(limit) && now_ >= limit) return done();
    }
    return true;
  }
  // Lets time pass (for TIME_WAIT and the like), processing everything on the way.
  void run_for(Duration d);

 private:
  std::unique_ptr<MemoryPort> port_a_;
  std::unique_ptr<MemoryPort> port_b_;
  std::unique_ptr<MemoryLink> link_;
  std::unique_ptr<PcapWriter> pcap_a_;
  std::unique_ptr<FaultInjector> faults_b_;
  std::unique_ptr<Stack> a_;
  std::unique_ptr<Stack> b_;
  Instant now_ = from_us(0);
};

}  // namespace mtcpp
