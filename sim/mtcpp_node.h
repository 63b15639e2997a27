// An mtcpp host in an ns-3 simulation: an Ns3Device on an ns-3 NetDevice, a Stack over it, and
// the scheduling that drives the stack from simulated time. The stack is either the node's own
// (create: applications call the core's socket functions) or an mTCP context's (attach: the
// context was built by a runtime with IoKind::external over an Ns3Device, and applications use
// mTCP's API with nonblocking sockets and mtcp_epoll_wait with timeout 0; the node moves the
// context's manual clock to simulated time before every poll).
//
//   rx frame → ScheduleNow(run) ; timer event at the stack's next deadline → run
//   run: stack.poll(now) → application hook → reschedule (one pending timer event, replaced)
//
// Nothing waits on a real clock: the stack's next deadline is one ns-3 event, cancelled and
// replaced whenever the deadline moves. After socket calls made from ns-3 events outside the
// application hook, call poke() so the deadline they set is scheduled.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include <ns3/event-id.h>
#include <ns3/net-device.h>
#include <ns3/ptr.h>

#include "api/context.h"
#include "core/stack.h"
#include "sim/ns3_device.h"

namespace mtcpp::sim {

class MtcppNode {
 public:
  // Attaches a stack to `device` (installed on a node, with no ns-3 Internet stack using it).
  // On an invalid configuration returns its description. The stack announces itself (gratuitous
  // ARP, if configured) at the simulated time of construction, in an ns-3 event.
  // Events are scheduled with Simulator::Schedule (cancellable), so they inherit the context of
  // the event that scheduled them: the node's own for frame arrivals.
  static std::variant<std::unique_ptr<MtcppNode>, std::string> create(
      ns3::Ptr<ns3::NetDevice> device, const StackConfig& config, std::size_t pool_buffers = 1024);
  // Drives an mTCP context whose device is an Ns3Device and whose clock is manual; the node does
  // not own the context (mtcp_destroy does): destroy the node first.
  static std::variant<std::unique_ptr<MtcppNode>, std::string> attach(api::Context& context);
  // Cancels the node's pending events. Destroy nodes before Simulator::Destroy(): afterwards the
  // cancel still works but makes ns-3 create a fresh simulator instance.
  ~MtcppNode();
  MtcppNode(const MtcppNode&) = delete;
  MtcppNode& operator=(const MtcppNode&) = delete;

  Stack& stack() { return *stack_; }
  Ns3Device& device() { return *io_; }
  api::Context* context() { return context_; }
  // Simulator::Now() in the stack's units (microseconds, truncated).
  static Instant now();

  // Runs after every poll of the stack, in the simulator's event: the place for an application
  // driving nonblocking sockets. Socket calls made in it need no poke().
  void set_app(std::function<void()> app) { app_ = std::move(app); }
  // Polls now and reschedules: call after socket calls made from ns-3 events of your own.
  void poke();

 private:
  MtcppNode() = default;
  void start();
  void run();
  void on_rx();
  void on_timer();
  void reschedule();

  std::unique_ptr<Ns3Device> own_io_;
  std::unique_ptr<Stack> own_stack_;
  Ns3Device* io_ = nullptr;
  Stack* stack_ = nullptr;
  api::Context* context_ = nullptr;
  std::function<void()> app_;
  ns3::EventId timer_;
  ns3::EventId rx_event_;
  Instant scheduled_at_ = kNever;
  bool running_ = false;
};

}  // namespace mtcpp::sim
