// An mtcpp stack behind the workloads' socket calls. wait() polls the stack once (busy-polling, as
// an mTCP application's loop does) and reports the sockets its observer heard about. Every
// socket gets TCP_NODELAY; CUBIC is the stack's default; the MSS follows the port's MTU.
// The clock is read once per wait(): the calls that handle what it reported pass the stack that
// time, as an mTCP application's loop does (mTCP's cur_ts), since the workloads never block or
// compute between the two; a clock reading costs about 30 ns on this VM (kvm-clock), a tenth of a
// round trip's work on each side.
#pragma once
#include <chrono>

#include "bench/driver/sockets.h"
#include "core/stack.h"

namespace bench {

// What "now" is for the stacks: the machine's steady clock, or (for instruction counts, which
// must not depend on how slowly a tool runs the program) a clock that moves 1 µs per reading.
class BenchClock {
 public:
  explicit BenchClock(bool counted) : counted_(counted), start_(std::chrono::steady_clock::now()) {}
  mtcpp::Instant now() {
    if (counted_) return mtcpp::from_us(++ticks_);
    return mtcpp::from_us(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count());
  }

 private:
  bool counted_;
  std::chrono::steady_clock::time_point start_;
  std::int64_t ticks_ = 0;
};

class MtcppSockets final : public Sockets, private mtcpp::SocketObserver {
 public:
  MtcppSockets(mtcpp::Stack& stack, mtcpp::Ipv4Addr server, BenchClock& clock);
  ~MtcppSockets() override;

  int listen(std::uint16_t port, int backlog) override;
  int accept(int listener) override;
  int connect(std::uint16_t port) override;
  long send(int s, const void* data, std::size_t len) override;
  long recv(int s, void* out, std::size_t len) override;
  int close(int s) override;
  void wait(std::vector<Ready>& out) override;

 private:
  void socket_changed(int s) override;

  mtcpp::Stack& stack_;
  mtcpp::Ipv4Addr server_;
  BenchClock& clock_;
  mtcpp::Instant now_;            // the clock at the last wait()
  std::vector<int> changed_;      // sockets heard about since the last wait, once each
  std::vector<bool> is_changed_;  // by socket id
};

}  // namespace bench
