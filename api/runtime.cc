#include "api/runtime.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "backends/host/host_io.h"
#include "backends/wrappers/delay_line.h"
#include "backends/wrappers/pcap_writer.h"

namespace mtcpp::api {

namespace {
// The process-wide runtime (see runtime.h for why it exists).
std::unique_ptr<Runtime> g_runtime;

// A wrapper (capture, fault injector) that also owns the device it wraps, so a context holds one
// PacketIo however many layers it has.
class OwningIo final : public PacketIo {
 public:
  OwningIo(std::unique_ptr<PacketIo> device, std::unique_ptr<PacketIo> wrapper)
      : device_(std::move(device)), wrapper_(std::move(wrapper)) {}
  ~OwningIo() override { wrapper_.reset(); }  // the wrapper first: it may hand frames back
  LinkCaps caps() const override { return wrapper_->caps(); }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override { return wrapper_->rx_burst(out, now); }
  PacketBuffer* tx_alloc() override { return wrapper_->tx_alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> p, Instant now) override { return wrapper_->tx_burst(p, now); }
  void release(PacketBuffer* p) override { wrapper_->release(p); }
  Instant next_rx_time() const override { return wrapper_->next_rx_time(); }

 private:
  std::unique_ptr<PacketIo> device_;
  std::unique_ptr<PacketIo> wrapper_;
};

// What context `cpu`'s interface is opened with (io = pcap): each context a host of its own.
PcapLiveConfig live_config(const RuntimeConfig& config, int cpu) {
  PcapLiveConfig live;
  live.interface = config.ports[static_cast<std::size_t>(cpu)];
  live.mac = config.mac;
  live.mac.octets[5] = static_cast<std::uint8_t>(live.mac.octets[5] + cpu);
  live.address = config.stack.address;
  live.address.value += static_cast<std::uint32_t>(cpu);
  live.mtu = config.stack.mtu.value_or(1500);
  live.buffers = static_cast<std::size_t>(config.max_num_buffers);
  return live;
}
}  // namespace

Runtime* runtime() { return g_runtime.get(); }

int init_runtime(const RuntimeConfig& config, std::string* error) {
  if (g_runtime) {
    if (error) *error = "mtcp_init: already initialized";
    return -EEXIST;
  }
  if (config.num_cores < 1 || config.num_cores > 64) {
    if (error) *error = "num_cores: must be 1..64";
    return -EINVAL;
  }
  if (config.io == IoKind::external && !config.make_io) {
    if (error) *error = "io = external needs a device factory";
    return -EINVAL;
  }
  if (auto bad = config.stack.validate()) {
    if (error) *error = *bad;
    return -EINVAL;
  }
  // Devices are opened now, so that mtcp_init reports what libpcap or DPDK says of them.
  OpenedDevices devices;
  if (config.io == IoKind::pcap) {
    if (config.ports.size() < static_cast<std::size_t>(config.num_cores)) {
      if (error)
        *error = "io = pcap serves one context per interface: num_cores = " + std::to_string(config.num_cores) +
                 " but " + std::to_string(config.ports.size()) + " port(s) named";
      return -EINVAL;
    }
    for (int cpu = 0; cpu < config.num_cores; ++cpu) {
      auto opened = PcapLiveIo::open(live_config(config, cpu));
      if (auto* why = std::get_if<std::string>(&opened)) {
        if (error) *error = *why;
        return -ENODEV;
      }
      devices.live.push_back(std::move(std::get<std::unique_ptr<PcapLiveIo>>(opened)));
    }
  }
  if (config.io == IoKind::dpdk) {
    if (config.dpdk.size() != 1 + config.stack.more_interfaces.size()) {
      if (error)
        *error = "io = dpdk: " + std::to_string(config.dpdk.size()) + " port(s) for " +
                 std::to_string(1 + config.stack.more_interfaces.size()) + " address(es)";
      return -EINVAL;
    }
    for (const DpdkConfig& port : config.dpdk) {
      DpdkConfig dpdk = port;
      dpdk.queues = config.num_cores;
      dpdk.mtu = config.stack.mtu;
      dpdk.mbufs_per_queue = static_cast<std::uint32_t>(config.max_num_buffers);
      for (const auto& open : devices.dpdk)
        if (open->name() == port.port) {
          if (error) *error = "io = dpdk: port " + port.port + " is named twice";
          return -EINVAL;
        }
      auto opened = DpdkPort::open(dpdk);
      if (auto* why = std::get_if<std::string>(&opened)) {
        if (error) *error = *why;
        return -ENODEV;
      }
      devices.dpdk.push_back(std::move(std::get<std::unique_ptr<DpdkPort>>(opened)));
      // At exit, the runtime (its queues, then the ports) goes before DPDK's own exit handler
      // closes the ports (handlers run in reverse order of registration, and the EAL's was
      // registered by the first open): a program that never calls mtcp_destroy must not leave
      // queues on closed ports.
      static std::once_flag at_exit;
      std::call_once(at_exit, [] { std::atexit(destroy_runtime); });
      std::printf("%s\n", devices.dpdk.back()->describe().c_str());
    }
  }
  g_runtime = std::make_unique<Runtime>(config, std::move(devices));
  return 0;
}

void destroy_runtime() { g_runtime.reset(); }

Runtime::Runtime(const RuntimeConfig& config, OpenedDevices devices)
    : config_(config), live_devices_(std::move(devices.live)), dpdk_ports_(std::move(devices.dpdk)) {
  contexts_.resize(static_cast<std::size_t>(config.num_cores));
  live_ = std::make_unique<std::atomic<Context*>[]>(static_cast<std::size_t>(config.num_cores));
  for (int i = 0; i < config.num_cores; ++i) live_[static_cast<std::size_t>(i)] = nullptr;
  if (config.io == IoKind::memory) switch_ = std::make_unique<MemorySwitch>();
}

Runtime::~Runtime() {
  contexts_.clear();  // the contexts' devices first: DPDK queues before their ports
  ports_.clear();
  switch_.reset();
  dpdk_ports_.clear();
}

StackConfig Runtime::config_for(int cpu) const {
  StackConfig c = config_.stack;
  // Contexts of one DPDK port share its address (flows are spread by RSS); elsewhere each
  // context is a host of its own.
  if (config_.io != IoKind::dpdk) c.address.value += static_cast<std::uint32_t>(cpu);
  c.seed += static_cast<std::uint64_t>(cpu);
  if (c.secret) (*c.secret)[1] += static_cast<std::uint64_t>(cpu);  // each context its own key
  c.tcp.max_connections = static_cast<std::size_t>(config_.max_concurrency);
  return c;
}

Context* Runtime::create_context(int cpu) {
  std::lock_guard lock(mutex_);
  if (cpu < 0 || cpu >= config_.num_cores) {
    errno = EINVAL;
    return nullptr;
  }
  if (contexts_[static_cast<std::size_t>(cpu)]) {
    errno = EEXIST;
    return nullptr;
  }
  MacAddr mac = config_.mac;
  mac.octets[5] = static_cast<std::uint8_t>(mac.octets[5] + cpu);
  // The devices of the context's interfaces: one, or (io = dpdk) queue `cpu` of each port.
  std::vector<std::unique_ptr<PacketIo>> devices;
  const auto buffers = static_cast<std::size_t>(config_.max_num_buffers);
  if (config_.io == IoKind::memory) {
    std::lock_guard wire(wire_mutex_);
    auto port = std::make_unique<MemoryPort>(MemoryPortConfig{mac, 1500, buffers});
    switch_->attach(*port);
    devices.push_back(std::make_unique<LockedIo>(*port, wire_mutex_));
    ports_.push_back(std::move(port));
  } else if (config_.io == IoKind::host) {
    devices.push_back(std::make_unique<HostIo>(LinkCaps{mac, 1500, false, false}, buffers));
  } else if (config_.io == IoKind::pcap) {
    std::unique_ptr<PacketIo> io = std::move(live_devices_.at(static_cast<std::size_t>(cpu)));
    if (!io) {  // a context destroyed and created again: its interface was closed with it
      auto opened = PcapLiveIo::open(live_config(config_, cpu));
      if (auto* why = std::get_if<std::string>(&opened)) {
        std::fprintf(stderr, "mtcp_create_context(%d): %s\n", cpu, why->c_str());
        errno = ENODEV;
        return nullptr;
      }
      io = std::move(std::get<std::unique_ptr<PcapLiveIo>>(opened));
    }
    devices.push_back(std::move(io));
  } else if (config_.io == IoKind::dpdk) {
    for (const auto& port : dpdk_ports_) {
      devices.push_back(port->take_queue(cpu));  // free again once an earlier context on it is destroyed
      if (!devices.back()) {
        errno = EEXIST;
        return nullptr;
      }
    }
  } else {
    devices.push_back(config_.make_io(cpu));
    if (!devices.back()) {
      errno = EINVAL;
      return nullptr;
    }
  }
  auto* host = dynamic_cast<HostIo*>(devices[0].get());
  auto* live = dynamic_cast<PcapLiveIo*>(devices[0].get());
  std::vector<DpdkQueueIo*> queues;
  for (const auto& d : devices)
    if (auto* queue = dynamic_cast<DpdkQueueIo*>(d.get())) queues.push_back(queue);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (!wrap(cpu, i, devices[i])) return nullptr;
  }
  try {
    contexts_[static_cast<std::size_t>(cpu)] = std::make_unique<Context>(
        cpu, std::move(devices), config_for(cpu), ContextClock(config_.manual_clock, clock_origin_ns_),
        static_cast<std::size_t>(config_.max_concurrency), interrupts_, config_.rekey_interval);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtcp_create_context(%d): %s\n", cpu, e.what());
    errno = EINVAL;
    return nullptr;
  }
  Context& c = *contexts_[static_cast<std::size_t>(cpu)];
  c.set_host_io(host);
  c.set_live_io(live);
  c.set_dpdk_queues(queues);
  // Contexts sharing the DPDK ports' addresses: connect picks source ports whose flows come back
  // to this context's queue of the port that has the connection's local address, where replies
  // arrive (what mTCP's init_rss pools are for), so they need no steering hop.
  if (!queues.empty() && queues[0]->port().queues() > 1) {
    Stack& stack = c.stack();
    c.stack().set_port_filter([queues, &stack](Endpoint local, Endpoint remote) {
      const std::optional<std::size_t> i = stack.interface_with(local.addr);
      return !i || queues[*i]->owns(local, remote);
    });
  }
  live_[static_cast<std::size_t>(cpu)] = &c;
  return &c;
}

bool Runtime::wrap(int cpu, std::size_t interface, std::unique_ptr<PacketIo>& io) const {
  // The delay line nearest the device, so what the injector reorders is the delayed stream.
  if (config_.link_delay > Duration::zero()) {
    auto delay = std::make_unique<DelayLine>(*io, config_.link_delay);
    io = std::make_unique<OwningIo>(std::move(io), std::move(delay));
  }
  const FaultChances& f = config_.faults;
  if (f.drop > 0 || f.duplicate > 0 || f.reorder > 0 || f.corrupt > 0) {
    FaultChances per_device = f;
    per_device.seed += static_cast<std::uint64_t>(cpu) + 1000 * interface;
    auto faults = std::make_unique<FaultInjector>(*io, per_device);
    io = std::make_unique<OwningIo>(std::move(io), std::move(faults));
  }
  // A capture path with %d names one file per context; without it, only context 0 is captured.
  // A second or later interface's file has its port's name before the extension.
  const auto per_context = config_.pcap.find("%d");
  if (!config_.pcap.empty() && (per_context != std::string::npos || cpu == 0)) {
    std::string path = config_.pcap;
    if (per_context != std::string::npos) path.replace(per_context, 2, std::to_string(cpu));
    if (interface > 0) {
      const auto dot = path.rfind('.');
      const auto slash = path.rfind('/');
      const std::string tag = "-" + config_.dpdk.at(interface).port;
      if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) path += tag;
      else path.insert(dot, tag);
    }
    auto opened = PcapWriter::open(*io, path);
    if (!opened.writer) {
      std::fprintf(stderr, "mtcp_create_context(%d): pcap: %s\n", cpu, opened.error.c_str());
      errno = EINVAL;
      return false;
    }
    io = std::make_unique<OwningIo>(std::move(io), std::move(opened.writer));
  }
  return true;
}

void Runtime::destroy_context(Context* ctx) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    if (contexts_[i].get() != ctx) continue;
    live_[i] = nullptr;
    contexts_[i].reset();
  }
}

Context* Runtime::find(mctx_t handle) {
  // Compared by address, never dereferenced: a stale or made-up handle is just not found.
  for (int i = 0; i < config_.num_cores; ++i) {
    Context* c = live_[static_cast<std::size_t>(i)].load(std::memory_order_acquire);
    if (c != nullptr && c->handle() == handle) return c;
  }
  return nullptr;
}

Context* context_of(mctx_t mctx) {
  Runtime* rt = runtime();
  return rt != nullptr ? rt->find(mctx) : nullptr;
}

}  // namespace mtcpp::api
