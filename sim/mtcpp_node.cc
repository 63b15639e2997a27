#include "sim/mtcpp_node.h"

#include <algorithm>

#include <ns3/node.h>
#include <ns3/nstime.h>
#include <ns3/simulator.h>

namespace mtcpp::sim {

std::variant<std::unique_ptr<MtcppNode>, std::string> MtcppNode::create(
    ns3::Ptr<ns3::NetDevice> device, const StackConfig& config, std::size_t pool_buffers) {
  if (device == nullptr || device->GetNode() == nullptr) return std::string("device: not installed on a node");
  std::unique_ptr<MtcppNode> node(new MtcppNode());
  node->own_io_ = std::make_unique<Ns3Device>(std::move(device), pool_buffers);
  auto made = Stack::create(config, *node->own_io_);
  if (auto* error = std::get_if<std::string>(&made)) return *error;
  node->own_stack_ = std::move(std::get<std::unique_ptr<Stack>>(made));
  node->io_ = node->own_io_.get();
  node->stack_ = node->own_stack_.get();
  node->start();
  return node;
}

std::variant<std::unique_ptr<MtcppNode>, std::string> MtcppNode::attach(api::Context& context) {
  auto* device = dynamic_cast<Ns3Device*>(&context.io());
  if (device == nullptr) return std::string("context: its device is not an Ns3Device");
  if (!context.clock().manual()) return std::string("context: its clock is not manual");
  std::unique_ptr<MtcppNode> node(new MtcppNode());
  node->io_ = device;
  node->stack_ = &context.stack();
  node->context_ = &context;
  node->start();
  return node;
}

void MtcppNode::start() {
  io_->set_rx_notify([this] { on_rx(); });
  rx_event_ = ns3::Simulator::ScheduleNow([this] {
    if (context_ == nullptr) stack_->start(now());  // a context started its stack when built
    run();
  });
}

MtcppNode::~MtcppNode() {
  // Events still queued hold `this`; a simulator that outlives the node must not run them.
  timer_.Cancel();
  rx_event_.Cancel();
  io_->set_rx_notify(nullptr);
  own_stack_.reset();
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
  if (context_ != nullptr) {
    context_->clock().set(now());
    context_->poll();
  } else {
    stack_->poll(now());
  }
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
