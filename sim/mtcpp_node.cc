#include "sim/mtcpp_node.h"

#include <algorithm>

#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/simulator.h>

namespace mtcpp::sim {

std::variant<std::unique_ptr<MtcppNode>, std::string> MtcppNode::create(
    ns3::Ptr<ns3::NetDevice> device, const StackConfig& config, std::size_t pool_buffers) {
  if (device == nullptr || device->GetNode() == nullptr) return std::string("device: not installed on a node");
  std::unique_ptr<MtcppNode> node(new MtcppNode(std::move(device), pool_buffers));
  auto made = Stack::create(config, *node->io_);
  if (auto* error = std::get_if<std::string>(&made)) return *error;
  node->stack_ = std::move(std::get<std::unique_ptr<Stack>>(made));
  MtcppNode* self = node.get();
  self->rx_event_ = ns3::Simulator::ScheduleNow([self] {
    self->stack_->start(now());
    self->run();
  });
  return node;
}

MtcppNode::MtcppNode(ns3::Ptr<ns3::NetDevice> device, std::size_t pool_buffers)
    : io_(std::make_unique<Ns3Device>(device, pool_buffers)) {
  io_->set_rx_notify([this] { on_rx(); });
}

MtcppNode::~MtcppNode() {
  // Events still queued hold `this`; a simulator that outlives the node must not run them.
  timer_.Cancel();
  rx_event_.Cancel();
  io_->set_rx_notify(nullptr);
  stack_.reset();
}

Instant MtcppNode::now() { return from_us(ns3::Simulator::Now().GetMicroSeconds()); }

void MtcppNode::on_rx() {
  // One poll per burst of frames arriving at the same instant: the first schedules it.
  if (rx_event_.IsRunning()) return;
  rx_event_ = ns3::Simulator::ScheduleNow([this] { run(); });
}

void MtcppNode::on_timer() {
  scheduled_at_ = kNever;
  run();
}

void MtcppNode::poke() { run(); }

void MtcppNode::run() {
  if (running_) return;  // a socket call in the app hook poked: the outer run reschedules
  running_ = true;
  ++polls_;
  stack_->poll(now());
  if (app_) app_();
  running_ = false;
  reschedule();
}

void MtcppNode::reschedule() {
  const Instant t = now();
  Instant next = std::min(stack_->next_deadline(), io_->next_rx_time());
  if (next == kNever) {
    timer_.Cancel();
    scheduled_at_ = kNever;
    return;
  }
  // A deadline at or before now (microsecond truncation of ns-3's nanoseconds) runs in the next
  // microsecond, so a deadline the stack cannot yet act on never spins the simulator.
  if (next <= t && io_->rx_pending() == 0) next = t + Duration(1);
  if (next == scheduled_at_ && timer_.IsRunning()) return;
  timer_.Cancel();
  scheduled_at_ = next;
  const ns3::Time at = ns3::MicroSeconds(to_us(std::max(next, t)));
  const ns3::Time delay = std::max(at - ns3::Simulator::Now(), ns3::Time(0));
  timer_ = ns3::Simulator::Schedule(delay, [this] { on_timer(); });
}

}  // namespace mtcpp::sim
