// One mTCP context (mctx_t): a stack, its packet backend, and the ids the application sees.
//
// Threading: run to completion in the thread that calls the API. There is no stack thread:
// mtcp_epoll_wait and every blocking call drive the stack (receive, timers, transmit) until they
// can return, and the other calls act on the stack directly and flush what they produce. A
// context belongs to one thread, as in mTCP; contexts in different threads share nothing but
// (for the in-memory backend) the wire. Why: no locks or queues between an application thread
// and a stack thread, no cross-core cache traffic, and the same code runs under a simulator's
// clock. The cost: a context only makes progress while its thread is inside the API, which an
// mTCP application's epoll loop already guarantees.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "api/epoll.h"
#include "api/pipe.h"
#include "backends/dpdk/dpdk_port.h"
#include "backends/host/host_io.h"
#include "backends/pcap/pcap_live.h"
#include "core/stack.h"

struct mtcp_context {
  int cpu;
};

namespace mtcpp::api {

// Time as a context sees it: a steady clock, or one that only moves when told (tests, simulators).
class ContextClock {
 public:
  // A real clock counts from origin_ns (steady clock): contexts of one process share it, so a
  // frame stamped by one context's clock means the same instant to another.
  ContextClock(bool manual, std::int64_t origin_ns);
  static std::int64_t steady_now_ns();
  Instant now() const;
  bool manual() const { return manual_; }
  void set(Instant t) { manual_now_ = std::max(manual_now_, t); }

 private:
  bool manual_;
  std::int64_t origin_ns_ = 0;
  Instant manual_now_ = from_us(0);
};

enum class Kind : std::uint8_t { unused, stream, listener, epoll, pipe_read, pipe_write };

struct Entry {
  Kind kind = Kind::unused;
  int tcp = -1;                    // the core's socket id for streams and listeners
  std::shared_ptr<Pipe> pipe;      // both ends of a pipe share it
  std::unique_ptr<Epoll> epoll;
  bool nonblocking = false;
  Duration recv_timeout{};         // SO_RCVTIMEO; zero waits forever
  Duration send_timeout{};         // SO_SNDTIMEO
  std::vector<int> watchers;       // epoll ids that have an interest in this id
};

class Context final : public SocketObserver {
 public:
  // rekey_interval: when the stack has a secret (from the OS), a fresh one is drawn this often
  // (zero: never).
  // devices: one per interface of the stack (config.more_interfaces), the first interface's first.
  Context(int cpu, std::vector<std::unique_ptr<PacketIo>> devices, const StackConfig& config, ContextClock clock,
          std::size_t max_ids, const std::atomic<unsigned>& interrupts, Duration rekey_interval = {});
  ~Context() override;

  mtcp_context* handle() { return &handle_; }
  int cpu() const { return handle_.cpu; }
  Stack& stack() { return *stack_; }
  // The first interface's device, under any wrappers.
  PacketIo& io() { return *devices_[0]; }
  // The host device under any capture wrapper, when the context was built with `io = host`.
  HostIo* host_io() { return host_io_; }
  void set_host_io(HostIo* io) { host_io_ = io; }
  // The live interface under any capture wrapper, when the context was built with `io = pcap`:
  // idle waits sleep in poll() on its descriptor instead of spinning.
  PcapLiveIo* live_io() { return live_io_; }
  void set_live_io(PcapLiveIo* io) { live_io_ = io; }
  // The DPDK queues under any wrappers, one per interface (port), when the context was built
  // with `io = dpdk`.
  const std::vector<DpdkQueueIo*>& dpdk_queues() const { return dpdk_queues_; }
  void set_dpdk_queues(std::vector<DpdkQueueIo*> queues) { dpdk_queues_ = std::move(queues); }
  ContextClock& clock() { return clock_; }
  Instant now() const { return clock_.now(); }

  // Ids: FIFO reuse within [0, max_ids), as mTCP's free list does.
  int allocate(Kind kind);
  void release(int id);
  bool can_allocate() const { return !free_ids_.empty() || entries_.size() < max_ids_; }
  Entry* entry(int id);
  std::size_t ids_in_use() const { return entries_.size() - free_ids_.size(); }
  // The id for a core socket, or -1.
  int id_of_tcp(int tcp) const;
  void bind_tcp(int id, int tcp);

  // Receives, runs timers and transmits once (rekeying first when it is time); returns the
  // stack's next deadline.
  Instant poll();
  // Drives the stack until done() or the timeout (negative: none) passes, or a registered signal
  // arrives. 0 when done, -EAGAIN on timeout, -EINTR when interrupted.
  template <class Done>
  int drive_until(Done&& done, Duration timeout);

  // Readiness of any id, in epoll bits.
  std::uint32_t readiness(int id);
  // Tells every epoll watching id that it changed.
  void changed(int id);
  void forget_watchers(int id);

  // SocketObserver: the core reports a socket whose readiness may have changed.
  void socket_changed(int tcp) override;
  // State transitions go on to a tracer, if one is set (demos, traces, ladder diagrams).
  void state_changed(const Tcb& tcb, TcpState from, Instant now) override {
    if (tracer_ != nullptr) tracer_->state_changed(tcb, from, now);
  }
  void set_tracer(SocketObserver* tracer) { tracer_ = tracer; }

 private:
  // Lets time pass toward the next event, no later than limit: spins first (mTCP busy-polls;
  // frames from another thread arrive unannounced), then naps. False when nothing can ever
  // happen (a manual clock with no deadline).
  bool wait_for_progress(Instant limit, unsigned idle_rounds);

  mtcp_context handle_;
  std::vector<std::unique_ptr<PacketIo>> devices_;
  HostIo* host_io_ = nullptr;
  PcapLiveIo* live_io_ = nullptr;
  std::vector<DpdkQueueIo*> dpdk_queues_;
  ContextClock clock_;
  std::unique_ptr<Stack> stack_;
  std::deque<Entry> entries_;  // a deque: growing it never moves an Entry a caller holds
  std::deque<int> free_ids_;
  Duration rekey_interval_;
  Instant rekey_at_ = kNever;
  std::size_t max_ids_;
  std::vector<int> id_of_tcp_;
  const std::atomic<unsigned>& interrupts_;
  SocketObserver* tracer_ = nullptr;
};

template <class Done>
int Context::drive_until(Done&& done, Duration timeout) {
  const unsigned interrupts_at_start = interrupts_.load();
  const Instant start = now();
  const Instant limit = timeout < Duration::zero() ? kNever : start + timeout;
  unsigned idle_rounds = 0;
  for (;;) {
    poll();
    if (done()) return 0;
    if (interrupts_.load() != interrupts_at_start) return -EINTR;
    if (now() >= limit) return -EAGAIN;
    if (!wait_for_progress(limit, ++idle_rounds)) return -EAGAIN;  // a manual clock, nothing scheduled
  }
}

// The context behind a handle, or nullptr for a handle that is not a live context.
Context* context_of(mctx_t mctx);

}  // namespace mtcpp::api
