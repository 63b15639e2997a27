#include "backends/wrappers/fault_injector.h"

#include <algorithm>

#include "core/wire/ethernet.h"

namespace mtcpp {

FaultInjector::FaultInjector(PacketIo& inner, const FaultChances& chances)
    : inner_(inner), chances_(chances), seeds_(chances.seed), tx_(seeds_.next()), rx_(seeds_.next()) {}

FaultInjector::~FaultInjector() {
  if (tx_.held != nullptr) inner_.release(tx_.held);
  if (rx_.held != nullptr) inner_.release(rx_.held);
  for (PacketBuffer* pkt : rx_ready_) inner_.release(pkt);
}

std::size_t FaultInjector::add_rule(FaultRule rule) {
  rules_.push_back({std::move(rule)});
  return rules_.size() - 1;
}

FaultInjector::Decision FaultInjector::decide(Direction dir, Bytes frame) {
  Decision d{.rng_after = side(dir).rng};
  // Every chance is drawn for every frame, so one probability does not shift the others' draws.
  d.drop = d.rng_after.chance(chances_.drop);
  d.duplicate = d.rng_after.chance(chances_.duplicate);
  d.reorder = d.rng_after.chance(chances_.reorder);
  d.corrupt = d.rng_after.chance(chances_.corrupt);

  matched_.clear();
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const FaultRule& rule = rules_[i].rule;
    if (rule.dir != dir || !rule.match(frame)) continue;
    const std::int64_t occurrence = static_cast<std::int64_t>(rules_[i].matches) + 1;
    const bool fires = occurrence >= rule.nth && occurrence - rule.nth < rule.count;
    matched_.emplace_back(i, fires);
    if (!fires) continue;
    switch (rule.action) {
      case FaultAction::drop: d.drop = true; break;
      case FaultAction::duplicate: d.duplicate = true; break;
      case FaultAction::reorder: d.reorder = true; break;
      case FaultAction::corrupt: d.corrupt = true; break;
    }
  }

  // Past the Ethernet header, so the frame still reaches its stack and tests its checksums.
  const std::size_t first = frame.size() > EthernetHeader::kSize ? EthernetHeader::kSize : 0;
  if (d.corrupt && frame.size() > first) {
    d.corrupt_at = first + d.rng_after.below(static_cast<std::uint32_t>(frame.size() - first));
  } else {
    d.corrupt = false;
  }
  return d;
}

void FaultInjector::commit(Direction dir, const Decision& d) {
  Side& s = side(dir);
  s.rng = d.rng_after;
  ++s.counters.frames;
  for (const auto& [rule, fires] : matched_) {
    ++rules_[rule].matches;
    if (fires) ++rules_[rule].hits;
  }
}

PacketBuffer* FaultInjector::copy_of(const PacketBuffer& pkt) {
  PacketBuffer* copy = inner_.tx_alloc();
  if (copy == nullptr) return nullptr;  // no buffer: the duplicate simply does not happen
  if (copy->capacity < pkt.len) {
    inner_.release(copy);
    return nullptr;
  }
  std::copy_n(pkt.data, pkt.len, copy->data);
  copy->len = pkt.len;
  return copy;
}

bool FaultInjector::send_one(PacketBuffer* pkt, Instant now) {
  return inner_.tx_burst(std::span<PacketBuffer* const>(&pkt, 1), now) == 1;
}

// Frames go to the inner device one at a time: a refusal then leaves exactly the frames after it
// with the caller, as tx_burst promises, whatever this frame turned into.
std::size_t FaultInjector::tx_burst(std::span<PacketBuffer* const> pkts, Instant now) {
  FaultCounters& counters = tx_.counters;
  for (std::size_t i = 0; i < pkts.size(); ++i) {
    PacketBuffer* pkt = pkts[i];
    const Decision d = decide(Direction::tx, Bytes(pkt->data, pkt->len));
    if (d.drop) {
      commit(Direction::tx, d);
      ++counters.dropped;
      inner_.release(pkt);
      continue;
    }
    PacketBuffer* copy = d.duplicate ? copy_of(*pkt) : nullptr;  // the copy stays intact
    if (d.corrupt) pkt->data[d.corrupt_at] ^= 0xff;

    const bool hold = d.reorder && tx_.held == nullptr;
    if (!hold && !send_one(pkt, now)) {
      if (d.corrupt) pkt->data[d.corrupt_at] ^= 0xff;  // give the caller back its frame as it was
      if (copy != nullptr) inner_.release(copy);
      return i;
    }
    commit(Direction::tx, d);
    if (d.corrupt) ++counters.corrupted;
    if (copy != nullptr) {
      if (send_one(copy, now)) {
        ++counters.duplicated;
      } else {
        inner_.release(copy);
      }
    }
    if (hold) {
      tx_.held = pkt;
      tx_.held_at = now;
      ++counters.reordered;
    } else if (tx_.held != nullptr && send_one(tx_.held, now)) {
      tx_.held = nullptr;
    }
  }
  return pkts.size();
}

void FaultInjector::process_rx(PacketBuffer* pkt, Instant now) {
  FaultCounters& counters = rx_.counters;
  const Decision d = decide(Direction::rx, Bytes(pkt->data, pkt->len));
  commit(Direction::rx, d);
  if (d.drop) {
    ++counters.dropped;
    inner_.release(pkt);
    return;
  }
  PacketBuffer* copy = d.duplicate ? copy_of(*pkt) : nullptr;
  if (d.corrupt) {
    pkt->data[d.corrupt_at] ^= 0xff;
    ++counters.corrupted;
  }
  const bool hold = d.reorder && rx_.held == nullptr;
  if (hold) {
    rx_.held = pkt;
    rx_.held_at = now;
    ++counters.reordered;
  } else {
    rx_ready_.push_back(pkt);
  }
  if (copy != nullptr) {
    rx_ready_.push_back(copy);
    ++counters.duplicated;
  }
  if (!hold) release_held_rx();
}

std::size_t FaultInjector::rx_burst(std::span<PacketBuffer*> out, Instant now) {
  // Ask the device only for as many frames as there is room left; duplicates and released held
  // frames that overflow `out` wait in rx_ready_ for the next call.
  if (rx_ready_.size() < out.size()) {
    rx_scratch_.resize(out.size() - rx_ready_.size());
    const std::size_t got = inner_.rx_burst(rx_scratch_, now);
    for (std::size_t i = 0; i < got; ++i) process_rx(rx_scratch_[i], now);
  }
  // Frames held past max_hold go now, whatever comes next.
  if (rx_.held != nullptr && now - rx_.held_at >= chances_.max_hold) release_held_rx();
  if (tx_.held != nullptr && now - tx_.held_at >= chances_.max_hold) release_held_tx(now);
  std::size_t n = 0;
  while (n < out.size() && !rx_ready_.empty()) {
    out[n++] = rx_ready_.front();
    rx_ready_.pop_front();
  }
  return n;
}

Instant FaultInjector::next_rx_time() const {
  if (!rx_ready_.empty()) return Instant::min();
  Instant next = inner_.next_rx_time();
  // rx_burst lets a held frame go (either way) once it has waited max_hold.
  for (const Side* s : {&rx_, &tx_})
    if (s->held != nullptr) next = std::min(next, s->held_at + chances_.max_hold);
  return next;
}

void FaultInjector::release_held(Instant now) {
  release_held_tx(now);
  release_held_rx();
}

void FaultInjector::release_held_rx() {
  if (rx_.held == nullptr) return;
  rx_ready_.push_back(rx_.held);
  rx_.held = nullptr;
}

void FaultInjector::release_held_tx(Instant now) {
  if (tx_.held != nullptr && send_one(tx_.held, now)) tx_.held = nullptr;
}

}  // namespace mtcpp
