// mTCP's process and context calls: init from the configuration file, contexts per core,
// configuration get/set, CPU affinity and signals; and mtcpp's embedding extensions.
#include <pthread.h>
#include <sched.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "api/config_file.h"
#include "api/errors.h"
#include "api/mtcp_api.h"
#include "api/mtcpp_ext.h"
#include "api/runtime.h"
#include "backends/host/host_io.h"

using namespace mtcpp;
using namespace mtcpp::api;

namespace {

// Handlers registered with mtcp_register_signal, by signal number. Process-wide like signals.
std::array<mtcp_sighandler_t, NSIG> g_handlers{};

void on_signal(int signum) {
  // Blocking calls and epoll_wait return EINTR; the application's handler runs as with signal().
  if (Runtime* rt = runtime()) rt->interrupt();
  if (signum > 0 && signum < NSIG && g_handlers[static_cast<std::size_t>(signum)] != nullptr)
    g_handlers[static_cast<std::size_t>(signum)](signum);
}

// mtcp.conf, as parsed, to what the runtime needs; an error names the key.
bool runtime_config_from(const MtcpConfig& m, RuntimeConfig* out, std::string* error) {
  RuntimeConfig r;
  if (m.io.empty() || m.io == "memory") r.io = IoKind::memory;
  else if (m.io == "host") r.io = IoKind::host;
  else if (m.io == "pcap") r.io = IoKind::pcap;
  else if (m.io == "dpdk") r.io = IoKind::dpdk;
  else {
    *error = "io = " + m.io + ": this build supports io = memory, host, pcap and dpdk";
    return false;
  }
  if (r.io == IoKind::pcap && (m.all_ports || m.ports.empty())) {
    *error = "io = pcap needs the interfaces named: port = IFNAME [IFNAME ...]";
    return false;
  }
  if (r.io == IoKind::dpdk) {
    // One stack per core with an interface per port (its address, MAC and queue `core` of it).
    if (m.all_ports || m.ports.empty()) {
      *error = "io = dpdk needs its ports named: port = dpdk0 [dpdk1 ...], or DPDK device names";
      return false;
    }
    for (std::size_t i = 0; i < m.ports.size(); ++i) {
      DpdkConfig port;
      port.port = m.ports[i];
      port.eal_args = m.dpdk_args;
      if (m.core_mask) port.main_lcore = std::countr_zero(*m.core_mask);
      port.memory_channels = m.num_mem_ch;
      // `mac` names the ports' MACs in order; a port it does not reach keeps its own.
      if (m.mac_given && i == 0) port.mac = m.mac;
      if (i > 0 && i - 1 < m.more_macs.size()) port.mac = m.more_macs[i - 1];
      port.checksum_offload = m.dpdk_checksum_offload;
      r.dpdk.push_back(port);
    }
  }
  r.ports = m.ports;
  r.stat_print = m.stat_print;
  r.faults = m.faults;
  r.link_delay = m.link_delay;
  r.num_cores = m.num_cores.value_or(1);
  r.max_concurrency = static_cast<int>(m.tcp.max_connections);
  r.max_num_buffers = static_cast<int>(m.max_num_buffers);
  r.manual_clock = m.clock == ClockMode::manual;
  r.rekey_interval = m.rekey_interval;
  r.mac = m.mac;
  r.pcap = m.pcap;
  r.stack.address = m.address.is_unspecified() ? Ipv4Addr::of(10, 0, 0, 1) : m.address;
  r.stack.prefix_len = m.prefix_len;
  r.stack.gateway = m.gateway;
  r.stack.mtu = m.mtu;
  for (InterfaceConfig f : m.more_addresses) {
    f.mtu = m.mtu;
    r.stack.more_interfaces.push_back(f);
  }
  // Without `address`, port i is 10.0.i.1/24 (the first, 10.0.0.1, as with one port), so that
  // mTCP's sample configuration with two ports runs as it is.
  if (m.address.is_unspecified() && r.io == IoKind::dpdk)
    for (std::size_t i = 1; i < m.ports.size() && i < 256; ++i)
      r.stack.more_interfaces.push_back(
          InterfaceConfig{Ipv4Addr::of(10, 0, static_cast<std::uint8_t>(i), 1), 24, m.mtu});
  if (m.seed) {
    r.stack.seed = *m.seed;
  } else {
    // Not reproducible, then secret (RFC 6528 §3): the key comes from the OS, never the core.
    std::array<std::uint64_t, 3> random{};
    if (getrandom(random.data(), sizeof random, 0) != static_cast<ssize_t>(sizeof random)) {
      *error = std::string("no secret for ISNs and ports: getrandom: ") + std::strerror(errno);
      return false;
    }
    r.stack.secret = std::array<std::uint64_t, 2>{random[0], random[1]};
    r.stack.seed = random[2];
  }
  r.stack.tcp = m.tcp;
  r.stack.static_arp = m.arp;
  r.stack.arp.max_pending = m.arp_hold_frames;
  // route.conf's `dev` names the interface when a stack has several (io = dpdk with several
  // ports); with one, every route leaves by it, as before.
  const bool several_interfaces = r.io == IoKind::dpdk && m.ports.size() > 1;
  for (const RouteEntry& e : m.routes) {
    int interface = -1;
    if (several_interfaces) {
      const auto port = std::find(m.ports.begin(), m.ports.end(), e.dev);
      if (port == m.ports.end()) {
        std::string ports;
        for (const std::string& name : m.ports) ports += (ports.empty() ? "" : " ") + name;
        *error = "route.conf: " + e.prefix.to_string() + "/" + std::to_string(e.prefix_len) + " dev " + e.dev +
                 ": no such port (port = " + ports + ")";
        return false;
      }
      interface = static_cast<int>(port - m.ports.begin());
    }
    r.stack.routes.push_back(Route{e.prefix, e.prefix_len, {}, interface});
  }
  *out = r;
  return true;
}

int init_from(const ParseResult& parsed) {
  if (!parsed.ok()) {
    std::fprintf(stderr, "mtcp_init: %s\n", parsed.error.c_str());
    return fail(EINVAL);
  }
  RuntimeConfig config;
  std::string error;
  if (!runtime_config_from(*parsed.value, &config, &error)) {
    std::fprintf(stderr, "mtcp_init: %s\n", error.c_str());
    return fail(EINVAL);
  }
  if (int r = init_runtime(config, &error); r < 0) {
    std::fprintf(stderr, "mtcp_init: %s\n", error.c_str());
    return fail(-r);
  }
  return 0;
}

HostIo* host_io(Context& c) { return c.host_io(); }

// The name of the port of context c's interface i, as configured.
std::string port_name(Context& c, std::size_t i) {
  if (i < c.dpdk_queues().size()) return c.dpdk_queues()[i]->port().name();
  if (c.live_io() != nullptr) return c.live_io()->interface();
  const IoKind io = runtime()->config().io;
  return io == IoKind::memory ? "memory" : io == IoKind::host ? "host" : "external";
}

// A live interface's drops (io = pcap).
void add_live_drops(PcapLiveIo& live, mtcpp_stats* out) {
  const PcapLiveCounters d = live.counters();
  out->rx_dropped += d.rx_too_long + d.rx_no_buffer + d.kernel_drops + d.interface_drops;
  out->tx_dropped += d.tx_errors;
}

// A DPDK queue's drops, and (with its port's first queue, so counted once) the port's own.
void add_queue_drops(DpdkQueueIo& queue, mtcpp_stats* out) {
  const DpdkQueueCounters& q = queue.counters();
  out->rx_dropped += q.rx_bad_checksum + q.rx_segmented + q.rx_steer_dropped + q.rx_no_mbuf;
  out->tx_dropped += q.tx_no_mbuf;
  if (queue.queue() == 0) {
    const DpdkPortStats p = queue.port().stats();
    out->rx_dropped += p.rx_missed + p.rx_errors + p.rx_no_mbuf;
    out->tx_dropped += p.tx_errors;
  }
}

}  // namespace

extern "C" {

int mtcp_init(const char* config_file) {
  if (config_file == nullptr) return fail(EINVAL);
  return init_from(load_mtcp_conf(config_file));
}

int mtcpp_init_text(const char* config_text, const char* file_name) {
  if (config_text == nullptr) return fail(EINVAL);
  return init_from(parse_mtcp_conf(config_text, file_name != nullptr ? file_name : "<text>"));
}

void mtcp_destroy(void) { destroy_runtime(); }

int mtcp_getconf(struct mtcp_conf* conf) {
  Runtime* rt = runtime();
  if (conf == nullptr || rt == nullptr) return fail(EINVAL);
  const RuntimeConfig& c = rt->config();
  conf->num_cores = c.num_cores;
  conf->max_concurrency = c.max_concurrency;
  conf->max_num_buffers = c.max_num_buffers;
  conf->rcvbuf_size = static_cast<int>(c.stack.tcp.receive_buffer);
  conf->sndbuf_size = static_cast<int>(c.stack.tcp.send_buffer);
  // mTCP reports both timeouts in 1 ms ticks.
  conf->tcp_timewait = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(c.stack.tcp.time_wait).count());
  conf->tcp_timeout = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(c.stack.tcp.idle_timeout).count());
  return 0;
}

int mtcp_setconf(const struct mtcp_conf* conf) {
  Runtime* rt = runtime();
  if (conf == nullptr || rt == nullptr) return fail(EINVAL);
  // As in mTCP, only positive values are applied; they affect contexts created afterwards.
  RuntimeConfig next = rt->config();
  if (conf->num_cores > 0 && conf->num_cores != next.num_cores) return fail(EINVAL);  // fixed at init
  if (conf->max_concurrency > 0) next.max_concurrency = conf->max_concurrency;
  if (conf->max_num_buffers > 0) next.max_num_buffers = conf->max_num_buffers;
  if (conf->rcvbuf_size > 0) next.stack.tcp.receive_buffer = static_cast<std::uint32_t>(conf->rcvbuf_size);
  if (conf->sndbuf_size > 0) next.stack.tcp.send_buffer = static_cast<std::uint32_t>(conf->sndbuf_size);
  if (conf->tcp_timewait > 0) next.stack.tcp.time_wait = std::chrono::milliseconds(conf->tcp_timewait);
  if (conf->tcp_timeout > 0) next.stack.tcp.idle_timeout = std::chrono::milliseconds(conf->tcp_timeout);
  next.stack.tcp.max_connections = static_cast<std::size_t>(next.max_concurrency);
  if (auto bad = next.stack.validate()) {
    std::fprintf(stderr, "mtcp_setconf: %s\n", bad->c_str());
    return fail(EINVAL);
  }
  rt->config() = next;
  return 0;
}

int mtcp_core_affinitize(int cpu) {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpu < 0 || cpu >= cpus || cpu >= CPU_SETSIZE) return fail(EINVAL);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (int r = pthread_setaffinity_np(pthread_self(), sizeof set, &set); r != 0) return fail(r);
  return 0;
}

mctx_t mtcp_create_context(int cpu) {
  Runtime* rt = runtime();
  if (rt == nullptr) {
    errno = EPERM;  // mtcp_init first
    return nullptr;
  }
  Context* c = rt->create_context(cpu);
  return c != nullptr ? c->handle() : nullptr;
}

void mtcp_destroy_context(mctx_t mctx) {
  Runtime* rt = runtime();
  if (rt == nullptr) return;
  if (Context* c = rt->find(mctx)) rt->destroy_context(c);
}

mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler) {
  if (signum <= 0 || signum >= NSIG || signum == SIGKILL || signum == SIGSTOP) {
    errno = EINVAL;
    return SIG_ERR;
  }
  const mtcp_sighandler_t previous = g_handlers[static_cast<std::size_t>(signum)];
  g_handlers[static_cast<std::size_t>(signum)] = handler;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(signum, &sa, nullptr) != 0) return SIG_ERR;
  return previous;
}

int64_t mtcpp_now_us(mctx_t mctx) {
  Context* c = context_or_fail(mctx);
  return c == nullptr ? -1 : to_us(c->now());
}

int mtcpp_set_time_us(mctx_t mctx, int64_t now_us) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (!c->clock().manual() || now_us < 0) return fail(EINVAL);
  c->clock().set(from_us(now_us));
  return 0;
}

int64_t mtcpp_poll(mctx_t mctx) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  const Instant next = c->poll();
  return next == kNever ? INT64_MAX : to_us(next);
}

int mtcpp_push_frame(mctx_t mctx, const void* frame, size_t len) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  HostIo* io = host_io(*c);
  if (io == nullptr || frame == nullptr) return fail(EINVAL);
  if (len > io->frame_capacity()) return fail(EMSGSIZE);
  if (!io->push_rx(Bytes(static_cast<const std::uint8_t*>(frame), len))) return fail(ENOBUFS);
  return 0;
}

int mtcpp_get_stats(mctx_t mctx, mtcpp_stats* out) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (out == nullptr) return fail(EFAULT);
  const StackStats& s = c->stack().stats();
  *out = mtcpp_stats{};
  out->rx_frames = s.frames_received;
  out->rx_bytes = s.bytes_received;
  out->rx_dropped = s.frames_malformed + s.ip_malformed + s.ip_bad_checksum + s.tcp_malformed + s.tcp_bad_checksum;
  out->tx_frames = s.frames_sent;
  out->tx_bytes = s.bytes_sent;
  out->tx_dropped = s.tx_no_buffer + s.tx_backlog_dropped;
  out->flows = s.tcp_connections_in_use - s.tcp_time_wait;
  out->time_wait = s.tcp_time_wait;
  if (PcapLiveIo* live = c->live_io()) add_live_drops(*live, out);
  for (DpdkQueueIo* queue : c->dpdk_queues()) add_queue_drops(*queue, out);
  return 0;
}

int mtcpp_interface_stats(mctx_t mctx, size_t i, char* name, size_t cap, int* printed, mtcpp_stats* out) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (name == nullptr || printed == nullptr || out == nullptr) return fail(EFAULT);
  if (i >= c->stack().interface_count()) return fail(ENOENT);
  const std::string port = port_name(*c, i);
  if (port.size() + 1 > cap) return fail(ERANGE);
  std::memcpy(name, port.c_str(), port.size() + 1);
  const RuntimeConfig& rc = runtime()->config();
  *printed = std::find(rc.stat_print.begin(), rc.stat_print.end(), port) != rc.stat_print.end() ? 1 : 0;
  const InterfaceCounters& k = c->stack().interface_counters(i);
  const StackStats& s = c->stack().stats();
  *out = mtcpp_stats{};
  out->rx_frames = k.frames_received;
  out->rx_bytes = k.bytes_received;
  out->rx_dropped = k.rx_dropped;
  out->tx_frames = k.frames_sent;
  out->tx_bytes = k.bytes_sent;
  out->tx_dropped = k.tx_dropped;
  out->flows = s.tcp_connections_in_use - s.tcp_time_wait;
  out->time_wait = s.tcp_time_wait;
  if (i < c->dpdk_queues().size()) add_queue_drops(*c->dpdk_queues()[i], out);
  if (PcapLiveIo* live = c->live_io(); live != nullptr && i == 0) add_live_drops(*live, out);
  return 0;
}

int mtcpp_get_counter(mctx_t mctx, const char* name, uint64_t* value) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (name == nullptr || value == nullptr) return fail(EFAULT);
  for (const NamedCounter& counter : kStackCounters) {
    if (std::string_view(counter.name) == name) {
      *value = c->stack().stats().*counter.member;
      return 0;
    }
  }
  // io = dpdk: the context's queues, one per port, together ("dpdk.NAME"), and the PMD's
  // extended statistics, as "port.NAME" for the first port (e.g. port.rx_good_packets) and
  // "port.PORT.NAME" for any (port.dpdk1.rx_good_packets).
  const std::string_view wanted(name);
  const std::vector<DpdkQueueIo*>& queues = c->dpdk_queues();
  if (queues.empty()) return fail(ENOENT);
  for (const DpdkQueueCounterName& counter : kDpdkQueueCounters) {
    if (wanted == counter.name) {
      *value = 0;
      for (const DpdkQueueIo* queue : queues) *value += queue->counters().*counter.member;
      return 0;
    }
  }
  if (!wanted.starts_with("port.")) return fail(ENOENT);
  const std::string_view rest = wanted.substr(5);
  for (const DpdkQueueIo* queue : queues) {
    const std::string& port = queue->port().name();
    if (rest.size() > port.size() && rest.starts_with(port) && rest[port.size()] == '.') {
      if (auto v = queue->port().xstat(std::string(rest.substr(port.size() + 1)))) {
        *value = *v;
        return 0;
      }
    }
  }
  if (auto v = queues[0]->port().xstat(std::string(rest))) {
    *value = *v;
    return 0;
  }
  return fail(ENOENT);
}

const char* mtcpp_counter_name(size_t i) {
  return i < std::size(kStackCounters) ? kStackCounters[i].name : nullptr;
}

int mtcpp_port_info(mctx_t mctx, char* name, size_t cap, int* printed) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (name == nullptr || printed == nullptr) return fail(EFAULT);
  const RuntimeConfig& rc = runtime()->config();
  const std::string port = port_name(*c, 0);
  if (port.size() + 1 > cap) return fail(ERANGE);
  std::memcpy(name, port.c_str(), port.size() + 1);
  *printed = std::find(rc.stat_print.begin(), rc.stat_print.end(), port) != rc.stat_print.end() ? 1 : 0;
  return 0;
}

long mtcpp_pop_frame(mctx_t mctx, void* buf, size_t cap) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  HostIo* io = host_io(*c);
  if (io == nullptr || buf == nullptr) return fail(EINVAL);
  const auto size = io->peek_tx_size();
  if (!size) return 0;
  if (*size > cap) return fail(EMSGSIZE);
  return static_cast<long>(*io->pop_tx_into(MutableBytes(static_cast<std::uint8_t*>(buf), cap)));
}

}  // extern "C"
