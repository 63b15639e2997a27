#include "core/arp_cache.h"

namespace mtcpp {

ArpCache::ArpCache(const ArpConfig& config) : config_(config) { entries_.reserve(config.max_entries); }

void ArpCache::add_static(Ipv4Addr ip, MacAddr mac) {
  Entry& e = entries_[ip.value];
  e.mac = mac;
  e.resolved = true;
  e.is_static = true;
  e.fresh_until = kNever;
}

const MacAddr* ArpCache::lookup(Ipv4Addr ip, Instant now, bool* probe_now) {
  *probe_now = false;
  auto it = entries_.find(ip.value);
  if (it == entries_.end() || !it->second.resolved) return nullptr;
  Entry& e = it->second;
  if (!e.is_static && now >= e.fresh_until && e.requests == 0) {
    e.requests = 1;
    e.retry_at = now + config_.retry_interval;
    *probe_now = true;
  }
  return &e.mac;
}

std::vector<PacketBuffer*> ArpCache::learn(Ipv4Addr ip, MacAddr mac, Instant now) {
  auto it = entries_.find(ip.value);
  if (it == entries_.end()) {
    if (entries_.size() >= config_.max_entries && !make_room(now, false)) return {};
    it = entries_.emplace(ip.value, Entry{}).first;
  }
  return resolve(it->second, mac, now);
}

std::vector<PacketBuffer*> ArpCache::update(Ipv4Addr ip, MacAddr mac, Instant now) {
  auto it = entries_.find(ip.value);
  if (it == entries_.end()) return {};
  return resolve(it->second, mac, now);
}

void ArpCache::confirm(Ipv4Addr ip, MacAddr mac, Instant now) {
  if (ip.value == confirmed_ip_ && mac == confirmed_mac_ && now < confirmed_until_) return;
  auto it = entries_.find(ip.value);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  if (!e.resolved || e.is_static || e.mac != mac) return;
  e.fresh_until = now + config_.entry_lifetime;
  e.requests = 0;
  e.retry_at = kNever;
  confirmed_ip_ = ip.value;
  confirmed_mac_ = mac;
  confirmed_until_ = now + config_.entry_lifetime / 2;  // stale no earlier than this
}

std::vector<PacketBuffer*> ArpCache::resolve(Entry& e, MacAddr mac, Instant now) {
  if (e.is_static) return {};
  e.mac = mac;
  e.resolved = true;
  e.requests = 0;
  e.retry_at = kNever;
  e.fresh_until = now + config_.entry_lifetime;
  std::vector<PacketBuffer*> ready;
  ready.swap(e.waiting);
  held_ -= ready.size();
  return ready;
}

bool ArpCache::hold(Ipv4Addr ip, PacketBuffer* frame, Instant now, bool* request_now) {
  *request_now = false;
  auto it = entries_.find(ip.value);
  if (it == entries_.end()) {
    // Traffic of ours may push out a neighbour that is merely cached; without that, a cache
    // filled by hosts that once asked about us would refuse every new neighbour for good.
    if (entries_.size() >= config_.max_entries && !make_room(now, true)) return false;
    it = entries_.emplace(ip.value, Entry{}).first;
  }
  Entry& e = it->second;
  if (e.waiting.size() >= config_.max_pending || held_ >= config_.max_pending_total) return false;
  e.waiting.push_back(frame);
  ++held_;
  if (e.requests == 0) {
    e.requests = 1;
    e.retry_at = now + config_.retry_interval;
    *request_now = true;
  }
  return true;
}

ArpCache::Due ArpCache::expire(Instant now) {
  Due due;
  for (auto it = entries_.begin(); it != entries_.end();) {
    Entry& e = it->second;
    if (e.is_static) {
      ++it;
      continue;
    }
    if (e.resolved && e.requests == 0) {
      // Not in use: a stale entry unused for another lifetime goes.
      if (now >= e.fresh_until + config_.entry_lifetime) it = entries_.erase(it);
      else ++it;
      continue;
    }
    if (e.retry_at > now) {
      ++it;
      continue;
    }
    if (e.requests >= config_.max_requests) {  // unanswered: forget it
      due.give_up.insert(due.give_up.end(), e.waiting.begin(), e.waiting.end());
      held_ -= e.waiting.size();
      it = entries_.erase(it);
      continue;
    }
    ++e.requests;
    e.retry_at = now + config_.retry_interval;
    if (e.resolved) due.confirm.emplace_back(Ipv4Addr{it->first}, e.mac);
    else due.retry.push_back(Ipv4Addr{it->first});
    ++it;
  }
  return due;
}

bool ArpCache::make_room(Instant now, bool evict_fresh) {
  // Stale entries are otherwise removed only by expire(), which runs only while some address is
  // being resolved or confirmed: they must not hold slots.
  const std::size_t before = entries_.size();
  std::erase_if(entries_, [&](const auto& kv) {
    const Entry& e = kv.second;
    return e.resolved && !e.is_static && e.requests == 0 && e.fresh_until <= now;
  });
  if (entries_.size() < before) return true;
  if (!evict_fresh) return false;
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->second.resolved && !it->second.is_static &&
        (victim == entries_.end() || it->second.fresh_until < victim->second.fresh_until))
      victim = it;
  if (victim == entries_.end()) return false;
  entries_.erase(victim);
  return true;
}

Instant ArpCache::next_deadline() const {
  Instant next = kNever;
  // Going stale needs no wake-up of its own: a stale entry is noticed when it is next used.
  for (const auto& [ip, e] : entries_)
    if (!e.is_static && e.requests > 0) next = std::min(next, e.retry_at);
  return next;
}

std::vector<PacketBuffer*> ArpCache::drain() {
  std::vector<PacketBuffer*> all;
  for (auto& [ip, e] : entries_) all.insert(all.end(), e.waiting.begin(), e.waiting.end());
  entries_.clear();
  held_ = 0;
  return all;
}

}  // namespace mtcpp
