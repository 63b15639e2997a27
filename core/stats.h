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
  std::uint64_t tx_ring_full = 0;          // the backend took fewer frames than offered
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
  std::uint64_t tcp_fast_retransmits = 0;  // loss recoveries begun without an RTO
  std::uint64_t tcp_loss_probes = 0;       // tail loss probes sent (RFC 8985 §7)
  std::uint64_t tcp_loss_probe_recoveries = 0;  // losses a probe repaired (§7.4)
  std::uint64_t tcp_dsacks_received = 0;   // duplicate-segment reports (RFC 2883)
  std::uint64_t tcp_sack_blocks_ignored = 0;    // SACK blocks outside SND.UNA..SND.MAX
  std::uint64_t tcp_disordered_acks = 0;   // reordered duplicate ACKs let past PAWS
  std::uint64_t tcp_window_probes = 0;     // zero-window probes sent
  std::uint64_t tcp_timeouts = 0;          // connections aborted with ETIMEDOUT
  std::uint64_t tcp_resets_sent = 0;
  std::uint64_t tcp_resets_received = 0;
  std::uint64_t tcp_challenge_acks = 0;
  std::uint64_t tcp_challenge_acks_suppressed = 0;
  std::uint64_t tcp_paws_drops = 0;
  std::uint64_t tcp_out_of_window = 0;
  std::uint64_t tcp_listen_overflows = 0;
  std::uint64_t tcp_invalid_acks_suppressed = 0;  // ACKs not sent to unacceptable pure ACKs (rate limit)
  std::uint64_t tcp_fin_wait_2_timeouts = 0;
  std::uint64_t tcp_orphan_persist_resets = 0;    // orphans reset after facing a closed window too long
  std::uint64_t tcp_active_opens = 0;
  std::uint64_t tcp_passive_opens = 0;
  std::uint64_t tcp_connections_in_use = 0;   // connection blocks allocated now
  std::uint64_t tcp_time_wait = 0;            // connections in TIME_WAIT now
  std::uint64_t tcp_buffer_bytes_in_use = 0;  // send plus receive buffer capacity allocated now
};

}  // namespace mtcpp
