// Counters a stack keeps: every dropped packet is counted under the reason it was dropped.
#pragma once
#include <cstdint>

namespace mtcpp {

struct StackStats {
  // Link and network layers.
  std::uint64_t frames_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t bytes_received = 0;        // Ethernet frames, headers included
  std::uint64_t bytes_sent = 0;
  std::uint64_t frames_malformed = 0;      // too short for Ethernet, bad ARP
  std::uint64_t frames_not_for_us = 0;     // other MAC, unknown EtherType
  std::uint64_t tx_no_buffer = 0;          // the backend's pool was empty
  std::uint64_t tx_ring_full = 0;          // a tx burst left frames behind (kept, offered again)
  std::uint64_t tx_backlog_dropped = 0;    // frames dropped: the device refused and the backlog was full
  std::uint64_t tx_oversize = 0;           // a segment longer than the MTU (never expected)
  std::uint64_t arp_requests_sent = 0;
  std::uint64_t arp_replies_sent = 0;
  std::uint64_t arp_unresolved_drops = 0;  // frames dropped waiting for an address that never answered
  std::uint64_t arp_confirm_probes = 0;    // unicast requests confirming an entry still in use
  std::uint64_t ip_malformed = 0;
  std::uint64_t ip_bad_checksum = 0;
  std::uint64_t ip_fragments_dropped = 0;
  std::uint64_t ip_not_for_us = 0;
  std::uint64_t ip_no_route = 0;
  std::uint64_t ip_unknown_protocol = 0;
  std::uint64_t icmp_malformed = 0;
  std::uint64_t icmp_echo_replies = 0;
  std::uint64_t icmp_unreachable_received = 0;
  // TCP.
  std::uint64_t tcp_segments_received = 0;
  std::uint64_t tcp_segments_sent = 0;
  std::uint64_t tcp_malformed = 0;        // truncated, bad data offset, bad option lengths
  std::uint64_t tcp_bad_checksum = 0;
  std::uint64_t tcp_retransmissions = 0;
  std::uint64_t tcp_tx_blocked = 0;        // a connection stopped sending: the device had no room
  std::uint64_t tcp_rto_expirations = 0;   // retransmission timeouts of established connections
  std::uint64_t tcp_fast_retransmits = 0;  // loss recoveries begun without an RTO
  std::uint64_t tcp_loss_probes = 0;       // tail loss probes sent (RFC 8985 §7)
  std::uint64_t tcp_loss_probe_recoveries = 0;  // losses a probe repaired (§7.4)
  std::uint64_t tcp_dsacks_received = 0;   // duplicate-segment reports (RFC 2883)
  std::uint64_t tcp_spurious_undos = 0;    // window reductions undone: every retransmission was a duplicate
  std::uint64_t tcp_sack_blocks_ignored = 0;    // SACK blocks outside SND.UNA..SND.MAX
  std::uint64_t tcp_disordered_acks = 0;   // reordered duplicate ACKs let past PAWS
  std::uint64_t tcp_pmtu_reductions = 0;   // segment sizes lowered by ICMP fragmentation-needed
  std::uint64_t tcp_pmtu_ignored = 0;      // such ICMP quoting nothing in flight (RFC 5927)
  std::uint64_t tcp_mtu_black_holes = 0;   // paths lowered after full-size segments timed out (RFC 4821)
  std::uint64_t tcp_mtu_probes = 0;        // RFC 4821 probes sent
  std::uint64_t tcp_mtu_probes_acked = 0;  // ... acknowledged: the segment size went up
  std::uint64_t tcp_mtu_probes_lost = 0;   // ... lost alone: the search's ceiling came down
  std::uint64_t tcp_window_probes = 0;     // zero-window probes sent
  std::uint64_t tcp_timeouts = 0;          // connections aborted with ETIMEDOUT
  std::uint64_t tcp_resets_sent = 0;
  std::uint64_t tcp_resets_received = 0;
  std::uint64_t tcp_challenge_acks = 0;
  std::uint64_t tcp_challenge_acks_suppressed = 0;
  std::uint64_t tcp_paws_drops = 0;
  std::uint64_t tcp_out_of_window = 0;
  std::uint64_t tcp_listen_overflows = 0;
  std::uint64_t tcp_table_full_resets = 0;  // SYNs refused with an RST: max_connections reached
  std::uint64_t tcp_syn_queue_overflows = 0;   // SYNs dropped: SYN queue full, cookies off
  std::uint64_t tcp_syncookies_sent = 0;
  std::uint64_t tcp_syncookies_validated = 0;  // ACKs that brought a good cookie back
  std::uint64_t tcp_syncookies_rejected = 0;   // ACKs to a listener sending cookies, with a bad one
  std::uint64_t tcp_rekeys = 0;                // new keys for ISNs, ports and cookies (Stack::rekey)
  std::uint64_t tcp_time_wait_reclaimed = 0;  // TIME_WAIT connections ended early to make room
  std::uint64_t tcp_invalid_acks_suppressed = 0;  // ACKs not sent to unacceptable pure ACKs (rate limit)
  std::uint64_t tcp_fin_wait_2_timeouts = 0;
  std::uint64_t tcp_orphan_persist_resets = 0;    // orphans reset after facing a closed window too long
  std::uint64_t tcp_orphans_reset = 0;            // the oldest orphans reset past max_orphans
  std::uint64_t tcp_zero_window_resets = 0;       // reset after the peer held its window closed too long
  std::uint64_t tcp_idle_timeouts = 0;            // reset after nothing came from the peer for idle_timeout
  std::uint64_t tcp_active_opens = 0;
  std::uint64_t tcp_passive_opens = 0;
  std::uint64_t tcp_connections_in_use = 0;   // connection blocks allocated now
  std::uint64_t tcp_time_wait = 0;            // connections in TIME_WAIT now
  std::uint64_t tcp_buffer_bytes_in_use = 0;  // send plus receive buffer sizes granted now (memory is taken only as data is held)
  std::uint64_t tcp_receive_buffer_grown = 0; // receive buffers enlarged by autotuning
  std::uint64_t tcp_send_buffer_grown = 0;    // send buffers enlarged by autotuning
  std::uint64_t tcp_buffer_memory = 0;        // bytes the send and receive rings hold now
  std::uint64_t tcp_send_memory_limited = 0;  // writes cut short by buffer_memory_limit
  std::uint64_t tcp_receive_memory_drops = 0; // segments whose data (some or all) found no memory
  std::uint64_t tcp_receive_window_shrunk = 0; // ACKs that took back window the ring cannot hold (budget)
};

// Every counter by name, in declaration order, for the C APIs and the tools that print them.
struct NamedCounter {
  const char* name;
  std::uint64_t StackStats::*member;
};

// Stringizing the member keeps each counter's name and field from drifting apart.
#define MTCPP_COUNTER(field) NamedCounter{#field, &StackStats::field}
inline constexpr NamedCounter kStackCounters[] = {
    MTCPP_COUNTER(frames_received),
    MTCPP_COUNTER(frames_sent),
    MTCPP_COUNTER(bytes_received),
    MTCPP_COUNTER(bytes_sent),
    MTCPP_COUNTER(frames_malformed),
    MTCPP_COUNTER(frames_not_for_us),
    MTCPP_COUNTER(tx_no_buffer),
    MTCPP_COUNTER(tx_ring_full),
    MTCPP_COUNTER(tx_backlog_dropped),
    MTCPP_COUNTER(tx_oversize),
    MTCPP_COUNTER(arp_requests_sent),
    MTCPP_COUNTER(arp_replies_sent),
    MTCPP_COUNTER(arp_unresolved_drops),
    MTCPP_COUNTER(arp_confirm_probes),
    MTCPP_COUNTER(ip_malformed),
    MTCPP_COUNTER(ip_bad_checksum),
    MTCPP_COUNTER(ip_fragments_dropped),
    MTCPP_COUNTER(ip_not_for_us),
    MTCPP_COUNTER(ip_no_route),
    MTCPP_COUNTER(ip_unknown_protocol),
    MTCPP_COUNTER(icmp_malformed),
    MTCPP_COUNTER(icmp_echo_replies),
    MTCPP_COUNTER(icmp_unreachable_received),
    MTCPP_COUNTER(tcp_segments_received),
    MTCPP_COUNTER(tcp_segments_sent),
    MTCPP_COUNTER(tcp_malformed),
    MTCPP_COUNTER(tcp_bad_checksum),
    MTCPP_COUNTER(tcp_retransmissions),
    MTCPP_COUNTER(tcp_tx_blocked),
    MTCPP_COUNTER(tcp_rto_expirations),
    MTCPP_COUNTER(tcp_fast_retransmits),
    MTCPP_COUNTER(tcp_loss_probes),
    MTCPP_COUNTER(tcp_loss_probe_recoveries),
    MTCPP_COUNTER(tcp_dsacks_received),
    MTCPP_COUNTER(tcp_spurious_undos),
    MTCPP_COUNTER(tcp_sack_blocks_ignored),
    MTCPP_COUNTER(tcp_disordered_acks),
    MTCPP_COUNTER(tcp_pmtu_reductions),
    MTCPP_COUNTER(tcp_pmtu_ignored),
    MTCPP_COUNTER(tcp_mtu_black_holes),
    MTCPP_COUNTER(tcp_mtu_probes),
    MTCPP_COUNTER(tcp_mtu_probes_acked),
    MTCPP_COUNTER(tcp_mtu_probes_lost),
    MTCPP_COUNTER(tcp_window_probes),
    MTCPP_COUNTER(tcp_timeouts),
    MTCPP_COUNTER(tcp_resets_sent),
    MTCPP_COUNTER(tcp_resets_received),
    MTCPP_COUNTER(tcp_challenge_acks),
    MTCPP_COUNTER(tcp_challenge_acks_suppressed),
    MTCPP_COUNTER(tcp_paws_drops),
    MTCPP_COUNTER(tcp_out_of_window),
    MTCPP_COUNTER(tcp_listen_overflows),
    MTCPP_COUNTER(tcp_table_full_resets),
    MTCPP_COUNTER(tcp_syn_queue_overflows),
    MTCPP_COUNTER(tcp_syncookies_sent),
    MTCPP_COUNTER(tcp_syncookies_validated),
    MTCPP_COUNTER(tcp_syncookies_rejected),
    MTCPP_COUNTER(tcp_rekeys),
    MTCPP_COUNTER(tcp_time_wait_reclaimed),
    MTCPP_COUNTER(tcp_invalid_acks_suppressed),
    MTCPP_COUNTER(tcp_fin_wait_2_timeouts),
    MTCPP_COUNTER(tcp_orphan_persist_resets),
    MTCPP_COUNTER(tcp_orphans_reset),
    MTCPP_COUNTER(tcp_zero_window_resets),
    MTCPP_COUNTER(tcp_idle_timeouts),
    MTCPP_COUNTER(tcp_active_opens),
    MTCPP_COUNTER(tcp_passive_opens),
    MTCPP_COUNTER(tcp_connections_in_use),
    MTCPP_COUNTER(tcp_time_wait),
    MTCPP_COUNTER(tcp_buffer_bytes_in_use),
    MTCPP_COUNTER(tcp_receive_buffer_grown),
    MTCPP_COUNTER(tcp_send_buffer_grown),
    MTCPP_COUNTER(tcp_buffer_memory),
    MTCPP_COUNTER(tcp_send_memory_limited),
    MTCPP_COUNTER(tcp_receive_memory_drops),
    MTCPP_COUNTER(tcp_receive_window_shrunk),
};
#undef MTCPP_COUNTER

}  // namespace mtcpp
