// The ARP cache (RFC 826): resolved neighbours, static entries, and for each address being
// resolved a short queue of frames waiting for it, with request retries and a timeout.
//
// A learned entry is fresh for ArpConfig::entry_lifetime after ARP or the neighbour's own frames
// last confirmed it. Used after that, it keeps being used while unicast requests to the known MAC
// confirm it (RFC 1122 §2.3.2.1's unicast poll; Linux's STALE → PROBE): traffic in flight never
// waits for a re-resolution. An entry whose probes all go unanswered is forgotten; one left unused
// for a further lifetime after going stale is dropped.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/packet_io.h"

namespace mtcpp {

class ArpCache {
 public:
  explicit ArpCache(const ArpConfig& config);

  void add_static(Ipv4Addr ip, MacAddr mac);
  // The MAC for ip if resolved, fresh or not. When the entry is stale and not yet being confirmed,
  // confirmation starts and `*probe_now` says to send a unicast request to that MAC now.
  const MacAddr* lookup(Ipv4Addr ip, Instant now, bool* probe_now);
  // Records a mapping; returns the frames that were waiting for it (their destination MAC unset).
  std::vector<PacketBuffer*> learn(Ipv4Addr ip, MacAddr mac, Instant now);
  // As learn(), but only for an address already in the cache (RFC 826's merge step, taken for
  // every ARP packet whoever it is addressed to): a neighbour's new MAC is picked up from its
  // announcements without adding every host that speaks ARP.
  std::vector<PacketBuffer*> update(Ipv4Addr ip, MacAddr mac, Instant now);
  // A frame from ip's neighbour arrived from `mac`: if that is the entry's MAC, it is fresh again.
  void confirm(Ipv4Addr ip, MacAddr mac, Instant now);
  // Holds a frame until ip resolves. False when the queue is full (the caller drops the frame).
  // `*request_now` says whether an ARP request should be sent now.
  bool hold(Ipv4Addr ip, PacketBuffer* frame, Instant now, bool* request_now);

  struct Due {
    std::vector<Ipv4Addr> retry;                           // broadcast another request
    std::vector<std::pair<Ipv4Addr, MacAddr>> confirm;    // unicast another request to confirm
    std::vector<PacketBuffer*> give_up;                    // frames to release: never answered
  };
  // Retries and timeouts due at now.
  Due expire(Instant now);
  Instant next_deadline() const;
  // Frames still held (released by the owner when the stack goes away).
  std::vector<PacketBuffer*> drain();
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    MacAddr mac;
    bool resolved = false;
    bool is_static = false;
    Instant fresh_until = kNever;  // resolved: confirmed until then, probed when used after
    Instant retry_at = kNever;     // the next request while resolving or confirming
    int requests = 0;              // requests sent in the current resolution or confirmation
    std::vector<PacketBuffer*> waiting;
  };
  std::vector<PacketBuffer*> resolve(Entry& e, MacAddr mac, Instant now);
  // Frees a slot in a full cache: drops stale resolved entries that are not being confirmed and,
  // if none was and `evict_fresh`, the resolved entry closest to going stale. Static entries and
  // addresses being resolved are kept. False when no slot could be freed.
  bool make_room(Instant now, bool evict_fresh);

  ArpConfig config_;
  std::unordered_map<std::uint32_t, Entry> entries_;
  // confirm() runs for every frame received: the neighbour it last confirmed, and until when that
  // entry is surely fresh (half a lifetime), spare the lookup for a run of frames from one peer.
  std::uint32_t confirmed_ip_ = 0;
  MacAddr confirmed_mac_;
  Instant confirmed_until_{};
  std::size_t held_ = 0;  // frames waiting in all entries (bounded by max_pending_total)
};

}  // namespace mtcpp
