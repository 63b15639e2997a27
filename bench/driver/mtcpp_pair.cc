#include "bench/driver/mtcpp_pair.h"

#include <stdexcept>
#include <variant>

#include "backends/dpdk/dpdk_ring_pair.h"

namespace bench {

using namespace mtcpp;

namespace {

MemoryPortConfig port_config(std::uint16_t mtu, bool checksum_offload, std::uint8_t id) {
  MemoryPortConfig c;
  c.mac = MacAddr{{0x02, 0, 0, 0, 0, id}};
  c.mtu = mtu;
  c.buffers = 4096;
  c.buffer_size = mtu > 1500 ? PipeFrame::kMaxSize : PacketPool::kDefaultBufferSize;
  c.checksum_offload = checksum_offload;
  return c;
}

std::unique_ptr<Stack> make_stack(Ipv4Addr address, std::uint64_t key, PacketIo& io) {
  StackConfig c;
  c.address = address;
  c.secret = std::array<std::uint64_t, 2>{key, ~key};
  c.tcp.max_connections = 1 << 21;
  c.tcp.ephemeral_port_first = 1024;
  c.tcp.ephemeral_port_last = 65535;
  auto made = Stack::create(c, io);
  if (auto* e = std::get_if<std::string>(&made)) throw std::runtime_error(*e);
  return std::move(std::get<std::unique_ptr<Stack>>(made));
}

// EAL arguments for the ring pair: no hugepages, no PCI scan (net_ring needs neither).
const std::vector<std::string> kRingEalArgs = {"--no-huge", "-m", "1024", "--no-pci", "--log-level=lib.eal:warning"};

// One end of the ring pair, opened (again: each trial reconfigures the process's two ports) with
// one queue; frames a previous trial left in its ring are dropped.
std::unique_ptr<DpdkPort> open_ring_port(const std::string& name, std::uint16_t mtu, std::uint8_t id) {
  DpdkConfig c;
  c.eal_args = kRingEalArgs;
  c.port = name;
  c.mac = MacAddr{{0x02, 0, 0, 0, 0, id}};
  c.mtu = mtu;
  c.link_wait_ms = 0;
  auto opened = DpdkPort::open(c);
  if (auto* e = std::get_if<std::string>(&opened)) throw std::runtime_error(*e);
  return std::move(std::get<std::unique_ptr<DpdkPort>>(opened));
}

void drain(PacketIo& io) {
  std::array<PacketBuffer*, 32> stale;
  while (const std::size_t n = io.rx_burst(stale, Instant{}))
    for (std::size_t i = 0; i < n; ++i) io.release(stale[i]);
}

}  // namespace

MtcppPair::MtcppPair(std::uint16_t mtu, const MtcppOptions& options) {
  if (!options.dpdk) {
    pipe_ = std::make_unique<MemoryPipe>(port_config(mtu, options.checksum_offload, 1),
                                         port_config(mtu, options.checksum_offload, 2));
    server_ = make_stack(kServerAddress, 1, pipe_->a());
    client_ = make_stack(kClientAddress, 2, pipe_->b());
    return;
  }
  DpdkConfig eal;
  eal.eal_args = kRingEalArgs;
  if (auto failed = dpdk_ring_pair(eal, "bench0", "bench1")) throw std::runtime_error(*failed);
  server_port_ = open_ring_port("net_ring_bench0", mtu, 1);
  client_port_ = open_ring_port("net_ring_bench1", mtu, 2);
  server_queue_ = server_port_->take_queue(0);
  client_queue_ = client_port_->take_queue(0);
  drain(*server_queue_);
  drain(*client_queue_);
  server_ = make_stack(kServerAddress, 1, *server_queue_);
  client_ = make_stack(kClientAddress, 2, *client_queue_);
}

MtcppPair::~MtcppPair() {
  // Stacks before their devices, queues before their ports.
  server_.reset();
  client_.reset();
  server_queue_.reset();
  client_queue_.reset();
}

}  // namespace bench
