// Proportional Rate Reduction (RFC 6937): how much a sender in loss recovery may send on each
// ACK, so that the window comes down to ssthresh smoothly (no burst when recovery starts, no
// stall when the receiver's ACKs come slowly) and, when losses leave the pipe below ssthresh,
// climbs back to it by slow start (PRR-SSRB).
#pragma once
#include <algorithm>
#include <cstdint>

namespace mtcpp {

class Prr {
 public:
  // Recovery begins with `recover_fs` bytes outstanding (RecoverFS = SND.NXT - SND.UNA).
  void start(std::uint32_t recover_fs) {
    recover_fs_ = std::max<std::uint32_t>(recover_fs, 1);
    delivered_ = out_ = 0;
  }
  // RFC 6937 §3, on each ACK in recovery: the bytes that may be sent now (sndcnt).
  std::uint32_t on_ack(std::uint32_t delivered_data, std::uint32_t pipe, std::uint32_t ssthresh,
                       std::uint32_t mss) {
    delivered_ += delivered_data;
    std::int64_t sndcnt;
    if (pipe > ssthresh) {
      // Proportional: CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out.
      const std::uint64_t target = (delivered_ * ssthresh + recover_fs_ - 1) / recover_fs_;
      sndcnt = static_cast<std::int64_t>(target) - static_cast<std::int64_t>(out_);
    } else {
      // Slow-start reduction bound: MIN(ssthresh - pipe, MAX(prr_delivered - prr_out, DeliveredData) + MSS).
      const std::int64_t limit =
          std::max<std::int64_t>(static_cast<std::int64_t>(delivered_) - static_cast<std::int64_t>(out_),
                                 delivered_data) + mss;
      sndcnt = std::min<std::int64_t>(ssthresh - pipe, limit);
    }
    return static_cast<std::uint32_t>(std::max<std::int64_t>(sndcnt, 0));
  }
  // Every byte sent during recovery (prr_out).
  void sent(std::uint32_t bytes) { out_ += bytes; }

  std::uint64_t delivered() const { return delivered_; }
  std::uint64_t out() const { return out_; }

 private:
  std::uint64_t recover_fs_ = 1;
  std::uint64_t delivered_ = 0;  // prr_delivered
  std::uint64_t out_ = 0;        // prr_out
};

}  // namespace mtcpp
