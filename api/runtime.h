// The process-wide side of mTCP's API: mtcp_init builds a Runtime from the configuration file,
// and mtcp_create_context asks it for a context per core. This is the only global state of
// mtcpp, and it lives here, outside core/: the API has no handle before mtcp_init, so the
// runtime must be found by a process-wide pointer.
#pragma once
#include <atomic>
#include <csignal>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/context.h"
#include "backends/dpdk/dpdk_port.h"
#include "backends/memory/locked_io.h"
#include "backends/memory/memory_link.h"
#include "backends/pcap/pcap_live.h"
#include "backends/wrappers/fault_injector.h"

namespace mtcpp::api {

// memory: every context of the process on one in-memory switch. host: frames go through
// mtcpp_push_frame/mtcpp_pop_frame. pcap: a live Linux interface per context, through libpcap
// (`port = IFNAME ...`). dpdk: one or more DPDK ports, one queue of each per context, every
// context's stack with an interface per port and the ports' addresses (`port = dpdk0 dpdk1`). external: an embedder (the ns-3 simulation) builds each context's
// device itself; only reachable from C++ through init_runtime.
enum class IoKind { memory, host, pcap, dpdk, external };

struct RuntimeConfig {
  IoKind io = IoKind::memory;
  int num_cores = 1;
  int max_concurrency = 10000;   // ids per context, streams, listeners, epolls and pipes together
  int max_num_buffers = 10000;   // frame buffers per context's device
  bool manual_clock = false;
  MacAddr mac{{0x02, 0, 0, 0, 0, 0x01}};
  std::string pcap;              // capture file per context, "%d" = core; empty for none
  std::vector<std::string> ports;  // IoKind::pcap: the interface of context i is ports[i]
  std::vector<std::string> stat_print;  // ports whose statistics the applications print
  // IoKind::dpdk: a port each (one interface of every context's stack, in order): device, MAC,
  // EAL arguments (queues and MTU are set here).
  std::vector<DpdkConfig> dpdk;
  FaultChances faults;           // any chance above zero: each context's device is wrapped
  Duration link_delay{};         // above zero: each context's device is wrapped by a DelayLine
  StackConfig stack;             // context 0's; context i adds i to the address, MAC and seed
                                 // (io = dpdk: contexts share the ports' addresses)
  // With a secret (no seed), each context draws a fresh one from the OS this often: new ISNs,
  // ports and SYN cookies (Tcp::rekey). Zero: never.
  Duration rekey_interval = std::chrono::hours(1);
  // IoKind::external: the device of context `cpu` (nullptr refuses the context with EINVAL).
  std::function<std::unique_ptr<PacketIo>(int cpu)> make_io;
};

// Devices opened by init_runtime, so that mtcp_init reports their failures.
struct OpenedDevices {
  std::vector<std::unique_ptr<PcapLiveIo>> live;  // IoKind::pcap: one per context
  std::vector<std::unique_ptr<DpdkPort>> dpdk;    // IoKind::dpdk: one per port
};

class Runtime {
 public:
  Runtime(const RuntimeConfig& config, OpenedDevices devices = {});
  ~Runtime();

  RuntimeConfig& config() { return config_; }
  // A new context for cpu, or nullptr with errno set (EINVAL: cpu out of range; EEXIST: taken).
  Context* create_context(int cpu);
  void destroy_context(Context* ctx);
  Context* find(mctx_t handle);
  const std::atomic<unsigned>& interrupts() const { return interrupts_; }
  void interrupt() { interrupts_.fetch_add(1); }

 private:
  StackConfig config_for(int cpu) const;
  // Puts context cpu's device for an interface under the configured wrappers (delay line, fault
  // injector, capture); false with errno set when a capture file cannot be opened.
  bool wrap(int cpu, std::size_t interface, std::unique_ptr<PacketIo>& io) const;

  RuntimeConfig config_;
  std::mutex mutex_;                      // guards contexts_ (creation from several threads)
  std::vector<std::unique_ptr<Context>> contexts_;
  // The same contexts for lock-free lookup by every API call; never resized after construction.
  std::unique_ptr<std::atomic<Context*>[]> live_;
  std::mutex wire_mutex_;                 // the shared in-memory switch
  std::unique_ptr<MemorySwitch> switch_;
  std::vector<std::unique_ptr<MemoryPort>> ports_;
  std::vector<std::unique_ptr<PcapLiveIo>> live_devices_;  // taken by create_context
  std::vector<std::unique_ptr<DpdkPort>> dpdk_ports_;  // their queues go to the contexts; outlive them
  std::atomic<unsigned> interrupts_{0};
  std::int64_t clock_origin_ns_ = ContextClock::steady_now_ns();  // time 0 of every real clock
};

// The runtime after mtcp_init, or nullptr.
Runtime* runtime();
// Builds the runtime (mtcp_init's work once the file is parsed); -errno on failure.
int init_runtime(const RuntimeConfig& config, std::string* error);
void destroy_runtime();

}  // namespace mtcpp::api
