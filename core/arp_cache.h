// The ARP cache (RFC 826): resolved neighbours, static entries, and for each address being
// resolved a short queue of frames waiting for it, with request retries and a timeout.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/config.h"
#include "core/packet_io.h"

namespace mtcpp {

class ArpCache {
 public:
  explicit ArpCache(const ArpConfig& config);

  void add_static(Ipv4Addr ip, MacAddr mac);
  // The MAC for ip if known and fresh.
  const MacAddr* lookup(Ipv4Addr ip, Instant now) const;
  // Records a mapping; returns the frames that were waiting for it (their destination MAC unset).
  std::vector<PacketBuffer*> learn(Ipv4Addr ip, MacAddr mac, Instant now);
  // As learn(), but only for an address already in the cache (RFC 826's merge step, taken for
  // every ARP packet whoever it is addressed to): a neighbour's new MAC is picked up from its
  // announcements without adding every host that speaks ARP.
  std::vector<PacketBuffer*> update(Ipv4Addr ip, MacAddr mac, Instant now);
  // Holds a frame until ip resolves. False when the queue is full (the caller drops the frame).
  // `*request_now` says whether an ARP request should be sent now.
  bool hold(Ipv4Addr ip, PacketBuffer* frame, Instant now, bool* request_now);

  struct Due {
    std::vector<Ipv4Addr> retry;              // send another request
    std::vector<PacketBuffer*> give_up;       // frames to release: the address never answered
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
    Instant expires = kNever;       // resolved: when to forget; unresolved: next retry
    int requests = 0;
    std::vector<PacketBuffer*> waiting;
  };
  std::vector<PacketBuffer*> resolve(Entry& e, MacAddr mac, Instant now);
  // Frees a slot in a full cache: drops resolved entries that have aged out and, if none had and
  // `evict_fresh`, the resolved entry closest to aging out. Static entries and addresses being
  // resolved are kept. False when no slot could be freed.
  bool make_room(Instant now, bool evict_fresh);

  ArpConfig config_;
  std::unordered_map<std::uint32_t, Entry> entries_;
};

}  // namespace mtcpp
