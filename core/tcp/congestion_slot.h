// A connection's congestion controller, held inside the connection block: CUBIC or NewReno built
// in place, so opening a connection allocates no controller and reaching it follows no pointer
// out of the block. Empty until the SYN options are settled (the SYN's arrival for a passive
// open, the SYN-ACK's for an active one). Used like the pointer it replaced:
// `if (t.cc) t.cc->cwnd()`.
#pragma once
#include <algorithm>
#include <cstddef>
#include <new>

#include "core/tcp/congestion.h"
#include "core/tcp/cubic.h"

namespace mtcpp {

class CongestionSlot {
 public:
  CongestionSlot() = default;
  ~CongestionSlot() { reset(); }
  CongestionSlot(const CongestionSlot&) = delete;
  CongestionSlot& operator=(const CongestionSlot&) = delete;

  // Builds the controller a connection starts with (cwnd = the initial window), replacing any.
  CongestionControl& emplace(CongestionAlgorithm a, std::uint32_t mss, std::uint32_t initial_window_bytes) {
    reset();
    if (a == CongestionAlgorithm::cubic) cc_ = new (storage_) Cubic(mss, initial_window_bytes);
    else cc_ = new (storage_) NewReno(mss, initial_window_bytes);
    return *cc_;
  }
  void reset() {
    if (cc_ != nullptr) cc_->~CongestionControl();
    cc_ = nullptr;
  }
  explicit operator bool() const { return cc_ != nullptr; }
  CongestionControl* operator->() const { return cc_; }
  CongestionControl& operator*() const { return *cc_; }

 private:
  static constexpr std::size_t kSize = std::max(sizeof(Cubic), sizeof(NewReno));
  static constexpr std::size_t kAlign = std::max(alignof(Cubic), alignof(NewReno));
  alignas(kAlign) std::byte storage_[kSize];
  CongestionControl* cc_ = nullptr;  // into storage_, or none
};

}  // namespace mtcpp
