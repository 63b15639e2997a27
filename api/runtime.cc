#include "api/runtime.h"

#include <cerrno>
#include <cstdio>

#include "backends/host/host_io.h"
#include "backends/wrappers/pcap_writer.h"

namespace mtcpp::api {

namespace {
// The process-wide runtime (see runtime.h for why it exists).
std::unique_ptr<Runtime> g_runtime;

// A capture wrapper that also owns the device it wraps, so a context holds one PacketIo.
class OwningIo final : public PacketIo {
 public:
  OwningIo(std::unique_ptr<PacketIo> device, std::unique_ptr<PcapWriter> capture)
      : device_(std::move(device)), capture_(std::move(capture)) {}
  ~OwningIo() override { capture_.reset(); }
  LinkCaps caps() const override { return capture_->caps(); }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override { return capture_->rx_burst(out, now); }
  PacketBuffer* tx_alloc() override { return capture_->tx_alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> p, Instant now) override { return capture_->tx_burst(p, now); }
  void release(PacketBuffer* p) override { capture_->release(p); }
  Instant next_rx_time() const override { return capture_->next_rx_time(); }

 private:
  std::unique_ptr<PacketIo> device_;
  std::unique_ptr<PcapWriter> capture_;
};
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
  g_runtime = std::make_unique<Runtime>(config);
  return 0;
}

void destroy_runtime() { g_runtime.reset(); }

Runtime::Runtime(const RuntimeConfig& config) : config_(config) {
  contexts_.resize(static_cast<std::size_t>(config.num_cores));
  live_ = std::make_unique<std::atomic<Context*>[]>(static_cast<std::size_t>(config.num_cores));
  for (int i = 0; i < config.num_cores; ++i) live_[static_cast<std::size_t>(i)] = nullptr;
  if (config.io == IoKind::memory) switch_ = std::make_unique<MemorySwitch>();
}

Runtime::~Runtime() {
  contexts_.clear();
  ports_.clear();
  switch_.reset();
}

StackConfig Runtime::config_for(int cpu) const {
  StackConfig c = config_.stack;
  c.address.value += static_cast<std::uint32_t>(cpu);
  c.seed += static_cast<std::uint64_t>(cpu);
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
  std::unique_ptr<PacketIo> io;
  const auto buffers = static_cast<std::size_t>(config_.max_num_buffers);
  if (config_.io == IoKind::memory) {
    std::lock_guard wire(wire_mutex_);
    auto port = std::make_unique<MemoryPort>(MemoryPortConfig{mac, 1500, buffers});
    switch_->attach(*port);
    io = std::make_unique<LockedIo>(*port, wire_mutex_);
    ports_.push_back(std::move(port));
  } else if (config_.io == IoKind::host) {
    io = std::make_unique<HostIo>(LinkCaps{mac, 1500, false, false}, buffers);
  } else {
    io = config_.make_io(cpu);
    if (!io) {
      errno = EINVAL;
      return nullptr;
    }
  }
  auto* host = dynamic_cast<HostIo*>(io.get());
  // A capture path with %d names one file per context; without it, only context 0 is captured.
  const auto per_context = config_.pcap.find("%d");
  if (!config_.pcap.empty() && (per_context != std::string::npos || cpu == 0)) {
    std::string path = config_.pcap;
    if (per_context != std::string::npos) path.replace(per_context, 2, std::to_string(cpu));
    auto opened = PcapWriter::open(*io, path);
    if (!opened.writer) {
      std::fprintf(stderr, "mtcp_create_context(%d): pcap: %s\n", cpu, opened.error.c_str());
      errno = EINVAL;
      return nullptr;
    }
    io = std::make_unique<OwningIo>(std::move(io), std::move(opened.writer));
  }
  try {
    contexts_[static_cast<std::size_t>(cpu)] = std::make_unique<Context>(
        cpu, std::move(io), config_for(cpu), ContextClock(config_.manual_clock, clock_origin_ns_),
        static_cast<std::size_t>(config_.max_concurrency), interrupts_);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mtcp_create_context(%d): %s\n", cpu, e.what());
    errno = EINVAL;
    return nullptr;
  }
  contexts_[static_cast<std::size_t>(cpu)]->set_host_io(host);
  live_[static_cast<std::size_t>(cpu)] = contexts_[static_cast<std::size_t>(cpu)].get();
  return contexts_[static_cast<std::size_t>(cpu)].get();
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
