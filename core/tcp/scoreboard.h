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
#pragma once
#include <cstdint>
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

  static constexpr std::size_t kKeptRecords = 16;  // capacity kept once everything is acknowledged
  std::vector<SentSegment> segs_;
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
  return newly;
}

template <class Delivered>
std::uint32_t Scoreboard::sack(SeqNum begin, SeqNum end, Delivered&& delivered) {
  std::uint32_t newly = 0;
  std::size_t i = find(begin);
  if (i == segs_.size()) return 0;
  // Only whole segments: a block edge inside one (a resegmenting middlebox, or a peer cutting
  // records to make every ACK cost more) marks nothing there.
  for (; i < segs_.size() && segs_[i].end <= end; ++i) {
    if (segs_[i].sacked || segs_[i].begin < begin) continue;
    SentSegment& s = segs_[i];
    newly += s.len();
    delivered(static_cast<const SentSegment&>(s));
    set_sacked(s);
  }
  return newly;
}

}  // namespace mtcpp
