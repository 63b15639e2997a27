#include "core/config.h"

namespace mtcpp {

std::optional<std::string> StackConfig::validate() const {
  if (address.is_unspecified() || address.is_broadcast() || address.is_multicast())
    return "address: must be a unicast IPv4 address";
  if (prefix_len < 0 || prefix_len > 32) return "prefix_len: must be 0..32";
  if (mtu && (*mtu < 576 || *mtu > 9000)) return "mtu: must be 576..9000";
  bool gateway_on_link = gateway.is_unspecified() || prefix_len == 0 || same_prefix(gateway, address, prefix_len);
  for (std::size_t i = 0; i < more_interfaces.size(); ++i) {
    const InterfaceConfig& f = more_interfaces[i];
    const std::string name = "more_interfaces[" + std::to_string(i) + "]";
    if (f.address.is_unspecified() || f.address.is_broadcast() || f.address.is_multicast())
      return name + ".address: must be a unicast IPv4 address";
    if (f.prefix_len < 0 || f.prefix_len > 32) return name + ".prefix_len: must be 0..32";
    if (f.mtu && (*f.mtu < 576 || *f.mtu > 9000)) return name + ".mtu: must be 576..9000";
    if (f.address == address) return name + ".address: the first interface has it already";
    for (std::size_t j = 0; j < i; ++j)
      if (more_interfaces[j].address == f.address)
        return name + ".address: more_interfaces[" + std::to_string(j) + "] has it already";
    gateway_on_link = gateway_on_link || f.prefix_len == 0 || same_prefix(gateway, f.address, f.prefix_len);
  }
  if (!gateway_on_link) return "gateway: not inside any interface's subnet";
  const auto interfaces = static_cast<int>(1 + more_interfaces.size());
  for (const Route& r : routes) {
    if (r.prefix_len < 0 || r.prefix_len > 32) return "routes: prefix length must be 0..32";
    if (r.interface < -1 || r.interface >= interfaces)
      return "routes: interface " + std::to_string(r.interface) + " does not exist (the stack has " +
             std::to_string(interfaces) + ")";
  }
  if (arp.max_requests < 1) return "arp.max_requests: must be at least 1";
  if (arp.retry_interval <= Duration::zero()) return "arp.retry_interval: must be positive";
  if (arp.max_entries < 1) return "arp.max_entries: must be at least 1";
  if (arp.max_pending < 1) return "arp.max_pending: must be at least 1";
  if (arp.max_pending_total < arp.max_pending) return "arp.max_pending_total: must be at least arp.max_pending";
  if (arp.entry_lifetime <= Duration::zero()) return "arp.entry_lifetime: must be positive";
  const TcpConfig& t = tcp;
  if (t.send_buffer < 2048 || t.send_buffer > (1u << 30)) return "tcp.send_buffer: must be 2 KiB..1 GiB";
  if (t.receive_buffer < 2048 || t.receive_buffer > (1u << 30))
    return "tcp.receive_buffer: must be 2 KiB..1 GiB";
  if (t.receive_buffer_max < 2048 || t.receive_buffer_max > (1u << 30))
    return "tcp.receive_buffer_max: must be 2 KiB..1 GiB";
  if (t.send_buffer_max < 2048 || t.send_buffer_max > (1u << 30)) return "tcp.send_buffer_max: must be 2 KiB..1 GiB";
  if (t.max_connections < 1 || t.max_connections > kMaxConnections)
    return "tcp.max_connections: must be 1.." + std::to_string(kMaxConnections);
  if (t.max_backlog < 1) return "tcp.max_backlog: must be at least 1";
  if (t.ephemeral_port_first == 0 || t.ephemeral_port_first > t.ephemeral_port_last)
    return "tcp.ephemeral_port_first/last: need 0 < first <= last";
  if (t.initial_window_segments < 1) return "tcp.initial_window_segments: must be at least 1";
  if (t.rto_min <= Duration::zero() || t.rto_initial < t.rto_min || t.rto_max < t.rto_initial)
    return "tcp.rto_*: need 0 < rto_min <= rto_initial <= rto_max";
  if (t.synack_retries < 0 || t.data_retries < 0) return "tcp.*_retries: must not be negative";
  if (t.syn_timeout <= Duration::zero()) return "tcp.syn_timeout: must be positive";
  if (t.delayed_ack < Duration::zero() || t.delayed_ack > 500ms)
    return "tcp.delayed_ack: must be 0..500 ms (RFC 9293 §3.8.6.3)";
  if (t.quick_acks < 0 || t.quick_acks > 1000) return "tcp.quick_acks: must be 0..1000";
  if (t.persist_min <= Duration::zero() || t.persist_max < t.persist_min)
    return "tcp.persist_*: need 0 < persist_min <= persist_max";
  if (t.keepalive_idle <= Duration::zero() || t.keepalive_interval <= Duration::zero() ||
      t.keepalive_probes < 1)
    return "tcp.keepalive_*: must be positive";
  if (t.fin_wait_2_timeout <= Duration::zero()) return "tcp.fin_wait_2_timeout: must be positive";
  if (t.orphan_persist_timeout <= Duration::zero()) return "tcp.orphan_persist_timeout: must be positive";
  if (t.invalid_ack_interval < Duration::zero()) return "tcp.invalid_ack_interval: must not be negative";
  if (t.time_wait < Duration::zero()) return "tcp.time_wait: must not be negative";
  if (t.buffer_release_delay < Duration::zero()) return "tcp.buffer_release_delay: must not be negative";
  if (t.max_orphans < 1) return "tcp.max_orphans: must be at least 1";
  // A year at most: a deadline computed from them must not overflow.
  constexpr Duration kYear = std::chrono::hours(24 * 365);
  if (t.zero_window_timeout < Duration::zero() || t.zero_window_timeout > kYear)
    return "tcp.zero_window_timeout: must be 0 .. 1 year";
  if (t.idle_timeout < Duration::zero() || t.idle_timeout > kYear) return "tcp.idle_timeout: must be 0 .. 1 year";
  if (t.mtu_probing != MtuProbing::off && t.mtu_probing != MtuProbing::black_hole && t.mtu_probing != MtuProbing::always)
    return "tcp.mtu_probing: must be off, black_hole or always";
  if (t.mtu_probe_floor < 552 || t.mtu_probe_floor > 9000)
    return "tcp.mtu_probe_floor: must be 552..9000 bytes";
  if (t.mtu_probe_interval <= Duration::zero() || t.mtu_probe_interval > kYear)
    return "tcp.mtu_probe_interval: must be positive, at most 1 year";
  if (t.challenge_ack_limit < 1) return "tcp.challenge_ack_limit: must be at least 1";
  if (t.challenge_ack_interval < Duration::zero()) return "tcp.challenge_ack_interval: must not be negative";
  return std::nullopt;
}

}  // namespace mtcpp
