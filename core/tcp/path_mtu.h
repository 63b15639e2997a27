// Packetization-layer path MTU discovery (RFC 4821), one search per connection: the largest
// packet the path is known to carry (search_low), the largest it may carry (search_high), and
// the probe in flight. Pure bookkeeping; Tcp (path_mtu.cc) decides when to probe and sizes the
// segments from Tcb::path_mtu, which follows `low` while a search is on.
//
// Contract:
//  - Sizes are IPv4 packet sizes (MTUs), not payloads.
//  - start() begins a search between a floor the path is assumed to carry and a ceiling (the
//    interface's MTU, or less when the peer's MSS says so).
//  - next_probe() is the size to try next: the ceiling itself first (the path usually carries
//    what the interface does), then halfway once a probe has failed (§7.3's binary search).
//  - A search is over (done()) when the two bounds are closer than kProbeThreshold; start() from
//    `low` opens the ceiling again for a new one (§7.8's periodic re-probing, RFC 1191 §6's 10
//    minutes).
#pragma once
#include <cstdint>

#include "core/tcp/seq.h"
#include "core/time.h"

namespace mtcpp {

struct PathMtuSearch {
  // Linux's tcp_probe_threshold: a search ends within 8 bytes of the true value.
  static constexpr std::uint16_t kProbeThreshold = 8;

  std::uint16_t low = 0;    // 0: no search (the path MTU is the interface's or what ICMP said)
  std::uint16_t high = 0;
  std::uint16_t probe = 0;  // size of the probe in flight, 0 when none
  bool probe_failed = false;  // since start(): probes go halfway, not to the ceiling
  // A segment of the size in use has been acknowledged: the path carried it, so timeouts are more
  // likely loss than size (Tcp::mtu_black_hole then wants more of them).
  bool size_verified = false;
  SeqNum probe_begin;       // the probe's sequence space
  SeqNum probe_end;
  Instant resume_at = kNever;  // a finished search starts again here

  bool searching() const { return low != 0; }
  bool done() const { return high < low + kProbeThreshold; }
  std::uint16_t next_probe() const {
    return probe_failed ? static_cast<std::uint16_t>((low + high + 1) / 2) : high;
  }

  void start(std::uint16_t floor, std::uint16_t ceiling) {
    low = floor;
    high = ceiling;
    probe = 0;
    probe_failed = false;
    resume_at = kNever;
  }
  // The probe was acknowledged: the path carries its size (§7.6.1).
  void probe_acked() {
    low = probe;
    probe = 0;
  }
  // The probe was lost, alone: the path does not carry its size (§7.6.2). Not when other
  // segments were lost too: that says nothing of the size (§7.6.4, inconclusive), and the same
  // size is tried again.
  void probe_lost(bool conclusive) {
    if (conclusive) {
      high = static_cast<std::uint16_t>(probe - 1);
      probe_failed = true;
    }
    probe = 0;
  }
  // Full-size segments timed out (a black hole): the floor comes down to `floor`. A search
  // starts, its ceiling the size that timed out; one under way keeps its ceiling, and its next
  // probe goes to it again (it may have been loss, not size).
  void fall_to(std::uint16_t floor, std::uint16_t timed_out) { start(floor, searching() ? high : timed_out); }
  // What the path carries fell below `mtu` (an ICMP, or a black hole below the floor).
  void lower(std::uint16_t mtu) {
    if (high > mtu) high = mtu;
    if (low > mtu) low = mtu;
    if (probe > mtu) probe = 0;
  }
};

}  // namespace mtcpp
