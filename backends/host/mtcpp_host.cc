// The host C API (mtcpp_host.h) over HostIo and Stack. It checks arguments and converts units
// and nothing more: every socket result is the stack's own, so C callers see what C++ ones see.
#include "backends/host/mtcpp_host.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "backends/host/host_io.h"
#include "core/stack.h"
#include "core/wire/ethernet.h"

// The handle behind the opaque pointer. The stack is declared after the device so it is
// destroyed first: it hands its held frames back to the device's pool.
struct mtcpp_host {
  std::unique_ptr<mtcpp::HostIo> io;
  std::unique_ptr<mtcpp::Stack> stack;
  std::int64_t last_now_us = 0;  // calls must not go back in time (see the header)
};

namespace mtcpp {
namespace {

constexpr std::uint32_t kMinFrameBuffers = 16;
constexpr std::uint32_t kMaxFrameBuffers = 65536;

// Records the time of a call; false when it goes backwards (or is negative, as time starts at 0).
bool advance_clock(mtcpp_host* h, std::int64_t now_us) {
  if (now_us < h->last_now_us) return false;
  h->last_now_us = now_us;
  return true;
}

// Sixteen bytes as the core's two key words (little-endian, so the same bytes key the same way on
// every machine); nothing when all are zero (no secret).
std::optional<std::array<std::uint64_t, 2>> secret_of(const std::uint8_t* bytes) {
  if (std::all_of(bytes, bytes + 16, [](std::uint8_t b) { return b == 0; })) return std::nullopt;
  std::array<std::uint64_t, 2> k{};
  for (int i = 0; i < 16; ++i) k[static_cast<std::size_t>(i / 8)] |= std::uint64_t{bytes[i]} << (8 * (i % 8));
  return k;
}

StackConfig to_stack_config(const mtcpp_host_config& c) {
  StackConfig s;
  s.address = Ipv4Addr{c.address};
  s.prefix_len = c.prefix_len;
  s.gateway = Ipv4Addr{c.gateway};
  s.mtu = c.mtu;
  s.seed = c.seed;
  s.secret = secret_of(c.secret);
  s.arp.gratuitous_at_start = c.gratuitous_arp != 0;
  s.tcp.send_buffer = c.send_buffer;
  s.tcp.receive_buffer = c.receive_buffer;
  s.tcp.rto_initial = Duration(c.rto_initial_us);
  s.tcp.rto_min = Duration(c.rto_min_us);
  s.tcp.rto_max = Duration(c.rto_max_us);
  s.tcp.delayed_ack = Duration(c.delayed_ack_us);
  s.tcp.time_wait = Duration(c.time_wait_us);
  s.tcp.nagle = c.nagle != 0;
  s.tcp.window_scaling = c.window_scaling != 0;
  s.tcp.sack = c.sack != 0;
  s.tcp.timestamps = c.timestamps != 0;
  s.tcp.max_connections = c.max_connections;
  s.tcp.max_orphans = c.max_orphans;
  s.tcp.buffer_memory_limit = c.buffer_memory_limit;
  s.tcp.idle_timeout = Duration(c.idle_timeout_us);
  s.tcp.zero_window_timeout = Duration(c.zero_window_timeout_us);
  s.tcp.mtu_probing = static_cast<MtuProbing>(c.mtu_probing);  // StackConfig::validate checks it
  return s;
}

MacAddr to_mac(const std::uint8_t (&octets)[6]) {
  MacAddr mac;
  std::copy(std::begin(octets), std::end(octets), mac.octets.begin());
  return mac;
}

// The fields only the C API has; the stack validates the rest and names the field itself.
std::optional<std::string> validate_host_fields(const mtcpp_host_config& c) {
  const MacAddr mac = to_mac(c.mac);
  if (mac.is_zero() || mac.is_multicast()) return "mac: must be a unicast MAC address";
  if (c.frame_buffers < kMinFrameBuffers || c.frame_buffers > kMaxFrameBuffers)
    return "frame_buffers: must be 16..65536";
  return std::nullopt;
}

void write_error(char* err, std::size_t errlen, const std::string& message) {
  if (err != nullptr && errlen > 0) std::snprintf(err, errlen, "%s", message.c_str());
}

std::variant<SocketOption, int> to_option(int option) {
  switch (option) {
    case MTCPP_HOST_OPT_NODELAY: return SocketOption::nodelay;
    case MTCPP_HOST_OPT_KEEPALIVE: return SocketOption::keepalive;
    case MTCPP_HOST_OPT_LINGER_ABORT: return SocketOption::linger_abort;
    case MTCPP_HOST_OPT_ERROR: return SocketOption::error;
    case MTCPP_HOST_OPT_SNDBUF: return SocketOption::send_buffer;
    case MTCPP_HOST_OPT_RCVBUF: return SocketOption::receive_buffer;
    case MTCPP_HOST_OPT_MAXSEG: return SocketOption::max_segment;
    default: return -ENOPROTOOPT;  // what setsockopt(2) says of an option it does not know
  }
}


}  // namespace
}  // namespace mtcpp

using mtcpp::Endpoint;
using mtcpp::from_us;
using mtcpp::Ipv4Addr;

extern "C" {

// ---- configuration and lifecycle -------------------------------------------------------------

void mtcpp_host_config_init(mtcpp_host_config* cfg) noexcept {
  if (cfg == nullptr) return;
  const mtcpp::StackConfig core;  // the core's defaults, so the two cannot disagree
  *cfg = mtcpp_host_config{};
  cfg->prefix_len = core.prefix_len;
  cfg->mtu = 1500;
  cfg->seed = core.seed;
  cfg->frame_buffers = 4096;
  cfg->gratuitous_arp = core.arp.gratuitous_at_start;
  cfg->send_buffer = core.tcp.send_buffer;
  cfg->receive_buffer = core.tcp.receive_buffer;
  cfg->rto_initial_us = core.tcp.rto_initial.count();
  cfg->rto_min_us = core.tcp.rto_min.count();
  cfg->rto_max_us = core.tcp.rto_max.count();
  cfg->delayed_ack_us = core.tcp.delayed_ack.count();
  cfg->time_wait_us = core.tcp.time_wait.count();
  cfg->nagle = core.tcp.nagle;
  cfg->window_scaling = core.tcp.window_scaling;
  cfg->sack = core.tcp.sack;
  cfg->timestamps = core.tcp.timestamps;
  cfg->max_connections = static_cast<std::uint32_t>(core.tcp.max_connections);
  cfg->max_orphans = static_cast<std::uint32_t>(core.tcp.max_orphans);
  cfg->buffer_memory_limit = core.tcp.buffer_memory_limit;
  cfg->idle_timeout_us = core.tcp.idle_timeout.count();
  cfg->zero_window_timeout_us = core.tcp.zero_window_timeout.count();
  cfg->mtu_probing = static_cast<int>(core.tcp.mtu_probing);
}

mtcpp_host* mtcpp_host_create(const mtcpp_host_config* cfg, char* err, size_t errlen) noexcept {
  using namespace mtcpp;
  if (cfg == nullptr) {
    write_error(err, errlen, "config: NULL");
    return nullptr;
  }
  const StackConfig config = to_stack_config(*cfg);
  // Checked before the device is built: its buffer size depends on the MTU.
  std::optional<std::string> invalid = config.validate();
  if (!invalid) invalid = validate_host_fields(*cfg);
  if (invalid) {
    write_error(err, errlen, *invalid);
    return nullptr;
  }
  try {
    auto h = std::make_unique<mtcpp_host>();
    const std::uint32_t buffer_size =
        std::max<std::uint32_t>(PacketPool::kDefaultBufferSize, cfg->mtu + EthernetHeader::kSize);
    h->io = std::make_unique<HostIo>(LinkCaps{to_mac(cfg->mac), cfg->mtu, false, false},
                                     cfg->frame_buffers, buffer_size);
    auto created = Stack::create(config, *h->io);
    if (auto* message = std::get_if<std::string>(&created)) {
      write_error(err, errlen, *message);
      return nullptr;
    }
    h->stack = std::move(std::get<std::unique_ptr<Stack>>(created));
    return h.release();
  } catch (const std::exception& e) {  // the only call that allocates in bulk
    write_error(err, errlen, std::string("out of memory: ") + e.what());
    return nullptr;
  }
}

void mtcpp_host_destroy(mtcpp_host* h) noexcept { delete h; }

int mtcpp_host_start(mtcpp_host* h, int64_t now_us) noexcept {
  if (h == nullptr || !mtcpp::advance_clock(h, now_us)) return -EINVAL;
  h->stack->start(from_us(now_us));
  return 0;
}

int mtcpp_host_rekey(mtcpp_host* h, const uint8_t secret[16], int64_t now_us) noexcept {
  if (h == nullptr || secret == nullptr || !mtcpp::advance_clock(h, now_us)) return -EINVAL;
  const auto key = mtcpp::secret_of(secret);
  if (!key) return -EINVAL;
  h->stack->rekey(*key, from_us(now_us));
  return 0;
}

// ---- frames ----------------------------------------------------------------------------------

int mtcpp_host_push_frame(mtcpp_host* h, const void* frame, size_t len) noexcept {
  if (h == nullptr || frame == nullptr) return -EINVAL;
  if (len > h->io->frame_capacity()) return -EMSGSIZE;
  // The length fits, so a refusal can only mean the pool is empty.
  return h->io->push_rx(mtcpp::Bytes(static_cast<const std::uint8_t*>(frame), len)) ? 0 : -ENOBUFS;
}

long mtcpp_host_pop_frame(mtcpp_host* h, void* buf, size_t cap) noexcept {
  if (h == nullptr || buf == nullptr) return -EINVAL;
  const std::optional<std::size_t> size = h->io->peek_tx_size();
  if (!size) return 0;
  if (*size > cap) return -EMSGSIZE;
  return static_cast<long>(*h->io->pop_tx_into(mtcpp::MutableBytes(static_cast<std::uint8_t*>(buf), cap)));
}

long mtcpp_host_pending_frame(const mtcpp_host* h) noexcept {
  if (h == nullptr) return -EINVAL;
  return static_cast<long>(h->io->peek_tx_size().value_or(0));
}

// ---- time ------------------------------------------------------------------------------------

int64_t mtcpp_host_poll(mtcpp_host* h, int64_t now_us) noexcept {
  if (h == nullptr || !mtcpp::advance_clock(h, now_us)) return -EINVAL;
  return mtcpp::to_us(h->stack->poll(from_us(now_us)));
}

int64_t mtcpp_host_next_deadline(const mtcpp_host* h) noexcept {
  if (h == nullptr) return -EINVAL;
  return mtcpp::to_us(h->stack->next_deadline());
}

// ---- sockets ---------------------------------------------------------------------------------

int mtcpp_host_socket(mtcpp_host* h, int64_t now_us) noexcept {
  if (h == nullptr || !mtcpp::advance_clock(h, now_us)) return -EINVAL;
  return h->stack->socket(from_us(now_us));
}

int mtcpp_host_bind(mtcpp_host* h, int s, uint32_t addr, uint16_t port) noexcept {
  if (h == nullptr) return -EINVAL;
  return h->stack->bind(s, Endpoint{Ipv4Addr{addr}, port});
}

int mtcpp_host_listen(mtcpp_host* h, int s, int backlog) noexcept {
  if (h == nullptr) return -EINVAL;
  return h->stack->listen(s, backlog);
}

int mtcpp_host_accept(mtcpp_host* h, int s, uint32_t* peer_addr, uint16_t* peer_port) noexcept {
  if (h == nullptr) return -EINVAL;
  Endpoint peer;
  const int r = h->stack->accept(s, &peer);
  if (r >= 0 && peer_addr != nullptr) *peer_addr = peer.addr.value;
  if (r >= 0 && peer_port != nullptr) *peer_port = peer.port;
  return r;
}

int mtcpp_host_connect(mtcpp_host* h, int s, uint32_t addr, uint16_t port, int64_t now_us) noexcept {
  if (h == nullptr || !mtcpp::advance_clock(h, now_us)) return -EINVAL;
  return h->stack->connect(s, Endpoint{Ipv4Addr{addr}, port}, from_us(now_us));
}

long mtcpp_host_send(mtcpp_host* h, int s, const void* data, size_t len, int64_t now_us) noexcept {
  if (h == nullptr || data == nullptr || !mtcpp::advance_clock(h, now_us)) return -EINVAL;
  return h->stack->send(s, mtcpp::Bytes(static_cast<const std::uint8_t*>(data), len), from_us(now_us));
}

long mtcpp_host_recv(mtcpp_host* h, int s, void* buf, size_t cap, int flags, int64_t now_us) noexcept {
  if (h == nullptr || buf == nullptr || (flags & ~MTCPP_HOST_PEEK) != 0) return -EINVAL;
  if (!mtcpp::advance_clock(h, now_us)) return -EINVAL;
  return h->stack->recv(s, mtcpp::MutableBytes(static_cast<std::uint8_t*>(buf), cap), from_us(now_us),
                        (flags & MTCPP_HOST_PEEK) != 0);
}

int mtcpp_host_shutdown(mtcpp_host* h, int s, int how, int64_t now_us) noexcept {
  using mtcpp::Shutdown;
  if (h == nullptr || how < MTCPP_HOST_SHUT_RD || how > MTCPP_HOST_SHUT_RDWR) return -EINVAL;
  if (!mtcpp::advance_clock(h, now_us)) return -EINVAL;
  const Shutdown direction = how == MTCPP_HOST_SHUT_RD   ? Shutdown::read
                             : how == MTCPP_HOST_SHUT_WR ? Shutdown::write
                                                         : Shutdown::both;
  return h->stack->shutdown(s, direction, from_us(now_us));
}

int mtcpp_host_close(mtcpp_host* h, int s, int64_t now_us) noexcept {
  if (h == nullptr || !mtcpp::advance_clock(h, now_us)) return -EINVAL;
  return h->stack->close(s, from_us(now_us));
}

int mtcpp_host_abort(mtcpp_host* h, int s, int64_t now_us) noexcept {
  if (h == nullptr || !mtcpp::advance_clock(h, now_us)) return -EINVAL;
  return h->stack->abort(s, from_us(now_us));
}

int mtcpp_host_readiness(const mtcpp_host* h, int s) noexcept {
  if (h == nullptr) return -EINVAL;
  return static_cast<int>(h->stack->readiness(s));  // the highest bit is RDHUP, 0x2000
}

int mtcpp_host_setsockopt(mtcpp_host* h, int s, int option, int value) noexcept {
  if (h == nullptr) return -EINVAL;
  const auto opt = mtcpp::to_option(option);
  if (const int* error = std::get_if<int>(&opt)) return *error;
  return h->stack->set_option(s, std::get<mtcpp::SocketOption>(opt), value, from_us(h->last_now_us));
}

int mtcpp_host_getsockopt(mtcpp_host* h, int s, int option, int* value) noexcept {
  if (h == nullptr || value == nullptr) return -EINVAL;
  const auto opt = mtcpp::to_option(option);
  if (const int* error = std::get_if<int>(&opt)) return *error;
  return h->stack->get_option(s, std::get<mtcpp::SocketOption>(opt), value);
}

int mtcpp_host_local_endpoint(const mtcpp_host* h, int s, uint32_t* addr, uint16_t* port) noexcept {
  if (h == nullptr || addr == nullptr || port == nullptr) return -EINVAL;
  Endpoint e;
  const int r = h->stack->local_endpoint(s, &e);
  if (r == 0) {
    *addr = e.addr.value;
    *port = e.port;
  }
  return r;
}

int mtcpp_host_remote_endpoint(const mtcpp_host* h, int s, uint32_t* addr, uint16_t* port) noexcept {
  if (h == nullptr || addr == nullptr || port == nullptr) return -EINVAL;
  Endpoint e;
  const int r = h->stack->remote_endpoint(s, &e);
  if (r == 0) {
    *addr = e.addr.value;
    *port = e.port;
  }
  return r;
}

// ---- counters --------------------------------------------------------------------------------

int mtcpp_host_stats(const mtcpp_host* h, const char* name, uint64_t* value) noexcept {
  if (h == nullptr || name == nullptr || value == nullptr) return -EINVAL;
  for (const mtcpp::NamedCounter& c : mtcpp::kStackCounters) {
    if (std::string_view(c.name) == name) {
      *value = h->stack->stats().*c.member;
      return 0;
    }
  }
  return -ENOENT;
}

const char* mtcpp_host_stats_name(size_t i) noexcept {
  return i < std::size(mtcpp::kStackCounters) ? mtcpp::kStackCounters[i].name : nullptr;
}

}  // extern "C"
