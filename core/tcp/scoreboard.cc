#include "core/tcp/scoreboard.h"

#include <algorithm>

namespace mtcpp {

namespace {
// Erasing a vector's consumed front now and then, not at every step, keeps consuming it amortised
// O(1) per element.
template <class T>
void erase_consumed_front(std::vector<T>& v, std::size_t& head) {
  if (head >= 64 && head * 2 >= v.size()) {
    v.erase(v.begin(), v.begin() + static_cast<long>(head));
    head = 0;
  }
}
}  // namespace

void Scoreboard::sent(SeqNum begin, SeqNum end, Instant now) {
  if (end <= begin) return;
  segs_.push_back(SentSegment{begin, end, now});
  if (!in_send_order()) record_send(begin, end, now);
}

void Scoreboard::retransmitted(SeqNum begin, SeqNum end, Instant now) {
  std::size_t i = find(begin);
  if (i == segs_.size()) return;
  History& h = history();
  if (!h.resending) {
    // From here on the records' order is no longer the order they left: the walks need the sends,
    // which until now were the records themselves.
    h.forget_sends();
    for (std::size_t k = head_; k < segs_.size(); ++k) h.sends.push_back({segs_[k].begin, segs_[k].end, segs_[k].xmit});
    h.resending = true;
    h.resent_end = end;
  } else {
    h.resent_end = seq_max(h.resent_end, end);
  }
  record_send(begin, end, now);
  if (segs_[i].begin < begin) i = split(i, begin);
  for (; i < segs_.size() && segs_[i].begin < end; ++i) {
    if (segs_[i].end > end) split(i, end);
    SentSegment& s = segs_[i];
    s.xmit = now;
    s.ever_retransmitted = true;
    // A lost segment's repair is in flight. A segment resent without being deemed lost (a tail
    // loss probe, a window probe's octet) stays an ordinary one in flight: nothing was lost.
    if (s.lost && !s.retransmitted) {
      s.retransmitted = true;
      retransmitted_bytes_ += s.len();
    }
  }
}

void Scoreboard::mark_lost(std::size_t i) {
  SentSegment& s = segs_[head_ + i];
  if (s.sacked) return;
  if (!s.lost) {
    s.lost = true;
    lost_bytes_ += s.len();
  }
  if (s.retransmitted) {
    s.retransmitted = false;
    retransmitted_bytes_ -= s.len();
  }
}

void Scoreboard::mark_all_lost() {
  for (std::size_t i = 0; i < size(); ++i) mark_lost(i);
  if (history_) history_->head = history_->sends.size();  // none is in flight now
}

void Scoreboard::clear_sacks() {
  for (std::size_t i = head_; i < segs_.size(); ++i) {
    SentSegment& s = segs_[i];
    if (!s.sacked) continue;
    unflag(s);
    s.sacked = false;
    s.lost = true;  // SACKed, then dropped by the receiver: it must go again
    lost_bytes_ += s.len();
  }
  if (history_) history_->forget_sacked();
}

long Scoreboard::next_lost(std::size_t from) const {
  if (lost_bytes_ == retransmitted_bytes_) return -1;  // every lost record is already resent
  for (std::size_t i = head_ + from; i < segs_.size(); ++i)
    if (segs_[i].lost && !segs_[i].retransmitted) return static_cast<long>(i - head_);
  return -1;
}

std::uint32_t Scoreboard::trim_front(SeqNum una) {
  SentSegment& s = segs_[head_];
  const auto cut = static_cast<std::uint32_t>(una - s.begin);
  if (s.sacked) sacked_bytes_ -= cut;
  if (s.lost) lost_bytes_ -= cut;
  if (s.retransmitted) retransmitted_bytes_ -= cut;
  s.begin = una;
  return s.sacked ? 0 : cut;
}

std::size_t Scoreboard::split(std::size_t i, SeqNum at) {
  SentSegment second = segs_[i];
  second.begin = at;
  segs_[i].end = at;
  if (second.sacked) ++sacked_segments_;  // bytes are unchanged: both halves keep the flags
  segs_.insert(segs_.begin() + static_cast<long>(i) + 1, second);
  return i + 1;
}

std::size_t Scoreboard::find(SeqNum seq) const {
  // Records tile SND.UNA..SND.MAX in order: the first whose end lies beyond seq holds it.
  const auto it = std::partition_point(segs_.begin() + static_cast<long>(head_), segs_.end(),
                                       [seq](const SentSegment& s) { return s.end <= seq; });
  if (it == segs_.end() || it->begin > seq) return segs_.size();
  return static_cast<std::size_t>(it - segs_.begin());
}

void Scoreboard::set_sacked(SentSegment& s) {
  unflag(s);
  s.sacked = true;
  s.lost = s.retransmitted = false;
  sacked_bytes_ += s.len();
  ++sacked_segments_;
}

void Scoreboard::unflag(SentSegment& s) {
  if (s.sacked) {
    sacked_bytes_ -= s.len();
    --sacked_segments_;
  }
  if (s.lost) lost_bytes_ -= s.len();
  if (s.retransmitted) retransmitted_bytes_ -= s.len();
}

void Scoreboard::compact() {
  if (head_ == segs_.size()) {
    // Everything is acknowledged. A record array grown by a window of segments is given back, so
    // an idle connection keeps at most a few records' worth of memory.
    if (segs_.capacity() > kKeptRecords) segs_ = {};
    segs_.clear();
    head_ = 0;
    if (history_ && history_->sends.capacity() > kKeptRecords) {
      history_.reset();
    } else if (history_) {
      history_->forget_sends();
      history_->forget_sacked();
    }
  } else {
    erase_consumed_front(segs_, head_);
  }
}

bool Scoreboard::skip_known_sacked(std::size_t& i) const {
  const SentSegment& s = segs_[i];
  for (std::size_t k = 0; k < history_->sacked_count; ++k) {
    const SeqNum begin = history_->sacked[k].first;
    const SeqNum end = history_->sacked[k].second;
    if (begin <= s.begin && s.end <= end) {
      i = static_cast<std::size_t>(
          std::partition_point(segs_.begin() + static_cast<long>(i), segs_.end(),
                               [end](const SentSegment& r) { return r.end <= end; }) -
          segs_.begin());
      return true;
    }
  }
  return false;
}

void Scoreboard::remember_sacked(SeqNum begin, SeqNum end) {
  History& h = history();
  // A receiver's block grows at its right edge from one ACK to the next: it replaces itself.
  for (std::size_t k = 0; k < h.sacked_count; ++k) {
    if (h.sacked[k].first == begin) {
      h.sacked[k].second = seq_max(h.sacked[k].second, end);
      return;
    }
  }
  h.sacked[h.sacked_next] = {begin, end};
  h.sacked_next = (h.sacked_next + 1) % h.sacked.size();
  h.sacked_count = std::min(h.sacked_count + 1, h.sacked.size());
}

Scoreboard::History& Scoreboard::history() {
  if (!history_) history_ = std::make_unique<History>();
  return *history_;
}

void Scoreboard::record_send(SeqNum begin, SeqNum end, Instant now) {
  History& h = history();
  erase_consumed_front(h.sends, h.head);
  // Several sends at one instant (a burst goes out with one clock reading) are kept in sequence
  // order, so that for_each_sent_before can stop at the reference's end; a retransmission after
  // new data at the same instant moves down past it.
  auto at = h.sends.end();
  const auto first = h.sends.begin() + static_cast<long>(h.head);
  while (at != first && (at - 1)->xmit == now && begin < (at - 1)->begin) --at;
  h.sends.insert(at, Transmission{begin, end, now});
}

bool Scoreboard::resolved(const Transmission& x) const {
  if (empty() || x.end <= segs_[head_].begin) return true;
  for (std::size_t i = find(seq_max(x.begin, segs_[head_].begin)); i < segs_.size() && segs_[i].begin < x.end; ++i)
    if (segs_[i].xmit == x.xmit && in_flight(segs_[i])) return false;
  return true;
}

void Scoreboard::drop_resolved_sends() {
  if (in_send_order()) return;
  History& h = *history_;
  if (segs_[head_].begin >= h.resent_end) {
    // Every record sent again is acknowledged: those left went once each, in order.
    h.forget_sends();
    return;
  }
  while (h.head < h.sends.size() && resolved(h.sends[h.head])) ++h.head;
}

}  // namespace mtcpp
