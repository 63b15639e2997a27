// The sender's scoreboard: one record per segment sent and not yet cumulatively acknowledged,
// in sequence order (RFC 6675 §3's scoreboard, with RFC 8985 §5.2's per-segment state).
//
// Contract:
//  - sent() appends a first transmission at the right edge; retransmitted() marks the records a
//    retransmission covers (splitting a record when our own retransmission covers part of it:
//    the only split, so the peer cannot multiply records).
//  - acked() drops what a cumulative ACK covers (trimming a record it covers in part); sack()
//    marks the whole records a SACK block covers. Both call
//    `delivered(segment)` once for each record that reaches the receiver for the first time, so
//    that RACK (rack.h) can learn from it, and return the bytes newly delivered (RFC 6937's
//    DeliveredData is their sum).
//  - A record is in exactly one of: in flight, SACKed, lost (not yet retransmitted), lost and
//    retransmitted (the retransmission in flight). pipe() is RFC 6675's SetPipe() from counters
//    kept as flags change: no walk.
//  - Records live in a vector that grows to the largest flight and is then reused: the per-ACK
//    path does not allocate once a connection has reached its window.
//  - No walk on the per-ACK path grows with the flight: RACK's check (for_each_sent_before) looks
//    only at what left before its reference: a prefix of the records while none of them was sent
//    again, else a list of the transmissions in the order they left (Linux keeps the same, its
//    tsorted queue) from which what is resolved drops out; both it and sack() skip the
//    records that an earlier ACK's blocks already marked (a receiver repeats its blocks, each a
//    little longer, on every ACK). Before these, a recovery over a flight of n segments cost O(n)
//    per ACK, O(n^2) in all.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/tcp/seq.h"
#include "core/time.h"

namespace mtcpp {

struct SentSegment {
  SeqNum begin;
  SeqNum end;            // one past the last sequence number (a FIN counts)
  Instant xmit;          // the last transmission
  bool sacked = false;
  bool lost = false;           // deemed lost (RACK, RTO); stays set while its retransmission flies
  bool retransmitted = false;  // a retransmission is in flight
  bool ever_retransmitted = false;
  std::uint32_t len() const { return static_cast<std::uint32_t>(end - begin); }
};

class Scoreboard {
 public:
  bool empty() const { return head_ == segs_.size(); }
  std::size_t size() const { return segs_.size() - head_; }
  const SentSegment& operator[](std::size_t i) const { return segs_[head_ + i]; }
  const SentSegment& back() const { return segs_.back(); }

  // A first transmission of [begin, end), which must start at the previous right edge.
  void sent(SeqNum begin, SeqNum end, Instant now);
  // A retransmission of [begin, end) (within what was sent): those records are in flight again.
  void retransmitted(SeqNum begin, SeqNum end, Instant now);
  // The receiver holds everything before `una`.
  template <class Delivered>
  std::uint32_t acked(SeqNum una, Delivered&& delivered);
  // The receiver holds [begin, end) (a SACK block, already checked to lie in SND.UNA..SND.MAX).
  template <class Delivered>
  std::uint32_t sack(SeqNum begin, SeqNum end, Delivered&& delivered);

  // Marks one record lost (its retransmission, if any, is then lost too).
  void mark_lost(std::size_t i);
  // RFC 8985 §6.2 step 5's walk: `judge(record)` for each record in flight (neither SACKed nor
  // lost and waiting to be resent) that left before the transmission (xmit, end) by RACK's order
  // (RACK_sent_after: the earlier time, or at the same time the lower end), in no particular
  // order and possibly twice (sent twice at one instant); those it returns true for are marked
  // lost. Costs what it judges and resolves, plus a binary search.
  template <class Judge>
  void for_each_sent_before(Instant xmit, SeqNum end, Judge&& judge);
  // After an RTO: everything not SACKed is lost (RFC 6675 §5.1, RFC 8985 §6.3).
  void mark_all_lost();
  // The receiver dropped data it had SACKed (RFC 2018 §8: SACK is advisory): forget every SACK.
  void clear_sacks();
  // The first record from index `from` on lost and not yet retransmitted (RFC 6675's NextSeg()
  // rule 1), or -1.
  long next_lost(std::size_t from = 0) const;

  // RFC 6675 SetPipe(): bytes the network holds, outstanding = SND.MAX - SND.UNA.
  std::uint32_t pipe(std::uint32_t outstanding) const {
    return outstanding - sacked_bytes_ - lost_bytes_ + retransmitted_bytes_;
  }
  std::uint32_t sacked_bytes() const { return sacked_bytes_; }
  std::uint32_t sacked_segments() const { return sacked_segments_; }
  std::uint32_t lost_bytes() const { return lost_bytes_; }
  std::uint32_t retransmitted_bytes() const { return retransmitted_bytes_; }
  // Whether a and b went out in the same segment (both in one record).
  bool same_segment(SeqNum a, SeqNum b) const {
    const std::size_t i = find(a);
    return i != segs_.size() && i == find(b);
  }

 private:
  // The head record is acknowledged up to `una` (inside it): its front is cut off in place.
  // Returns the bytes newly delivered.
  std::uint32_t trim_front(SeqNum una);
  // Cuts record i in two at seq (strictly inside it); returns the index of the second half.
  std::size_t split(std::size_t i, SeqNum at);
  // Index of the record holding seq, or size() when none does.
  std::size_t find(SeqNum seq) const;
  void set_sacked(SentSegment& s);
  void unflag(SentSegment& s);  // takes s out of the counters of its current class
  void compact();
  bool in_flight(const SentSegment& s) const { return !s.sacked && !(s.lost && !s.retransmitted); }
  // Whether the record holding `i` lies wholly inside a range an earlier sack() marked, and if so
  // the index of the first record reaching beyond that range.
  bool skip_known_sacked(std::size_t& i) const;
  void remember_sacked(SeqNum begin, SeqNum end);

  // One transmission, first or again, of [begin, end).
  struct Transmission {
    SeqNum begin;
    SeqNum end;
    Instant xmit;
  };
  // What the walks above keep apart from the records, so that the connection block grows by a
  // pointer only: made at the first SACK or retransmission, emptied when everything is
  // acknowledged.
  struct History {
    // In the order they left (xmit, then begin, never decreases); kept from a retransmission
    // until everything it covered is acknowledged (while `resending`).
    std::vector<Transmission> sends;
    bool resending = false;
    SeqNum resent_end;  // the end of the highest retransmission, while resending
    std::size_t head = 0;             // sends before head are resolved
    // Ranges a sack() call marked: every record wholly inside one is SACKed (a split keeps the
    // flag, and only clear_sacks() takes it away, which forgets these).
    std::array<std::pair<SeqNum, SeqNum>, 4> sacked{};
    std::size_t sacked_count = 0;
    std::size_t sacked_next = 0;

    void forget_sends() {
      sends.clear();
      head = 0;
      resending = false;
    }
    void forget_sacked() { sacked_count = sacked_next = 0; }
  };
  History& history();
  void record_send(SeqNum begin, SeqNum end, Instant now);
  // Drops resolved sends at the front: acknowledged, or no longer the last transmission of a
  // record in flight.
  void drop_resolved_sends();
  bool resolved(const Transmission& x) const;
  // No record left is one sent again: the records are in the order they left (xmit, then begin),
  // and History::sends is not kept (the common case costs nothing). Kept in History, so that the
  // connection block does not grow.
  bool in_send_order() const { return !history_ || !history_->resending; }

  static constexpr std::size_t kKeptRecords = 16;  // capacity kept once everything is acknowledged
  std::vector<SentSegment> segs_;
  std::unique_ptr<History> history_;
  std::size_t head_ = 0;  // records before head_ are acknowledged and wait for compact()
  std::uint32_t sacked_bytes_ = 0;
  std::uint32_t sacked_segments_ = 0;
  std::uint32_t lost_bytes_ = 0;           // lost, retransmitted or not
  std::uint32_t retransmitted_bytes_ = 0;  // lost and retransmitted
};

template <class Delivered>
std::uint32_t Scoreboard::acked(SeqNum una, Delivered&& delivered) {
  std::uint32_t newly = 0;
  while (!empty() && segs_[head_].end <= una) {
    SentSegment& s = segs_[head_];
    if (!s.sacked) {
      newly += s.len();
      delivered(static_cast<const SentSegment&>(s));
    }
    unflag(s);
    ++head_;
  }
  if (!empty() && segs_[head_].begin < una) newly += trim_front(una);  // acknowledged in part
  compact();
  drop_resolved_sends();
  return newly;
}

template <class Delivered>
std::uint32_t Scoreboard::sack(SeqNum begin, SeqNum end, Delivered&& delivered) {
  std::uint32_t newly = 0;
  std::size_t i = find(begin);
  if (i == segs_.size()) return 0;
  // Only whole segments: a block edge inside one (a resegmenting middlebox, or a peer cutting
  // records to make every ACK cost more) marks nothing there.
  if (segs_[i].begin < begin) ++i;
  const std::size_t first = i;
  while (i < segs_.size() && segs_[i].end <= end) {
    if (segs_[i].sacked && skip_known_sacked(i)) continue;
    SentSegment& s = segs_[i++];
    if (s.sacked) continue;
    newly += s.len();
    delivered(static_cast<const SentSegment&>(s));
    set_sacked(s);
  }
  // Only the whole records are remembered: a record the block cuts into is not SACKed, and a
  // later split of it must not leave an unmarked piece inside a remembered range.
  if (i > first) remember_sacked(segs_[first].begin, segs_[i - 1].end);
  return newly;
}

template <class Judge>
void Scoreboard::for_each_sent_before(Instant xmit, SeqNum end, Judge&& judge) {
  if (empty()) return;
  if (in_send_order()) {
    // The records left in sequence order: those before the reference are a prefix.
    for (std::size_t i = head_; i < segs_.size();) {
      const SentSegment& s = segs_[i];
      if (!(s.xmit < xmit || (s.xmit == xmit && s.end < end))) break;
      if (s.sacked && history_ && skip_known_sacked(i)) continue;
      if (in_flight(s) && judge(s)) mark_lost(i - head_);
      ++i;
    }
    return;
  }
  const SeqNum una = segs_[head_].begin;
  std::vector<Transmission>& sends = history_->sends;
  const auto first = sends.begin() + static_cast<long>(history_->head);
  // Sends at the reference's own time are before it only below its end: the rest of its burst,
  // sent at that time but later in sequence, is not looked at.
  const auto stop = std::partition_point(first, sends.end(), [xmit, end](const Transmission& x) {
    return x.xmit < xmit || (x.xmit == xmit && x.begin < end);
  });
  // Newest first, so the sends that stay close up towards `stop` and the resolved ones fall off
  // the front.
  auto kept = stop;
  for (auto x = stop; x != first;) {
    --x;
    if (x->end <= una) continue;  // acknowledged
    bool stays = false;
    for (std::size_t i = find(seq_max(x->begin, una)); i < segs_.size() && segs_[i].begin < x->end; ++i) {
      const SentSegment& s = segs_[i];
      if (s.xmit != x->xmit || !in_flight(s)) continue;  // sent again since, delivered, or lost
      const bool before = s.xmit < xmit || s.end < end;
      if (before && judge(static_cast<const SentSegment&>(s))) mark_lost(i - head_);
      else stays = true;
    }
    if (stays) *--kept = *x;
  }
  history_->head = static_cast<std::size_t>(kept - sends.begin());
}

}  // namespace mtcpp
