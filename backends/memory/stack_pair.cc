#include "backends/memory/stack_pair.h"

#include <stdexcept>
#include <string>

namespace mtcpp {

namespace {
std::unique_ptr<Stack> make_stack(const StackConfig& config, PacketIo& io) {
  auto made = Stack::create(config, io);
  if (auto* error = std::get_if<std::string>(&made)) throw std::invalid_argument(*error);
  return std::move(std::get<std::unique_ptr<Stack>>(made));
}
}  // namespace

StackPair::Options StackPair::default_options() {
  Options o;
  o.a.address = Ipv4Addr::of(10, 0, 0, 1);
  o.b.address = Ipv4Addr::of(10, 0, 0, 2);
  o.a.seed = 1;
  o.b.seed = 2;
  o.link.delay = std::chrono::milliseconds(1);
  return o;
}

StackPair::StackPair(const Options& options) {
  port_a_ = std::make_unique<MemoryPort>(MemoryPortConfig{MacAddr{{0x02, 0, 0, 0, 0, 1}}, 1500, options.buffers_per_port});
  port_b_ = std::make_unique<MemoryPort>(MemoryPortConfig{MacAddr{{0x02, 0, 0, 0, 0, 2}}, 1500, options.buffers_per_port});
  link_ = std::make_unique<MemoryLink>(*port_a_, *port_b_, options.link);
  PacketIo* io_a = port_a_.get();
  if (!options.pcap_a.empty()) {
    auto opened = PcapWriter::open(*port_a_, options.pcap_a);
    if (!opened.writer) throw std::invalid_argument(opened.error);
    pcap_a_ = std::move(opened.writer);
    io_a = pcap_a_.get();
  }
  PacketIo* io_b = port_b_.get();
  if (!options.b_faults.empty()) {
    faults_b_ = std::make_unique<FaultInjector>(*port_b_);
    for (const FaultRule& r : options.b_faults) faults_b_->add_rule(r);
    io_b = faults_b_.get();
  }
  a_ = make_stack(options.a, *io_a);
  b_ = make_stack(options.b, *io_b);
  a_->start(now_);
  b_->start(now_);
}

StackPair::~StackPair() {
  a_.reset();
  b_.reset();
  pcap_a_.reset();
  faults_b_.reset();
  link_.reset();
}

bool StackPair::step(Instant limit) {
  a_->poll(now_);
  b_->poll(now_);
  const Instant next = std::min(a_->next_deadline(), b_->next_deadline());
  if (next > limit || next == kNever) {
    if (limit != kNever) now_ = std::max(now_, limit);
    return false;
  }
  now_ = std::max(now_, next);
  a_->poll(now_);
  b_->poll(now_);
  return true;
}

void StackPair::run_for(Duration d) {
  const Instant limit = now_ + d;
  while (step(limit)) {
  }
}

}  // namespace mtcpp
