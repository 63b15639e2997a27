#include "bench/driver/mtcpp_sockets.h"

#include <cerrno>

namespace bench {

using namespace mtcpp;

MtcppSockets::MtcppSockets(Stack& stack, Ipv4Addr server, BenchClock& clock)
    : stack_(stack), server_(server), clock_(clock), now_(clock.now()) {
  stack_.set_observer(this);
}

MtcppSockets::~MtcppSockets() { stack_.set_observer(nullptr); }

int MtcppSockets::listen(std::uint16_t port, int backlog) {
  const int s = stack_.socket(now_);
  if (s < 0) return s;
  int e = stack_.bind(s, {stack_.address(), port});
  if (e == 0) e = stack_.listen(s, backlog);
  if (e < 0) {
    stack_.close(s, now_);
    return e;
  }
  return s;
}

int MtcppSockets::accept(int listener) {
  const int s = stack_.accept(listener, nullptr);
  if (s >= 0) stack_.set_option(s, SocketOption::nodelay, 1, now_);
  return s;
}

int MtcppSockets::connect(std::uint16_t port) {
  const int s = stack_.socket(now_);
  if (s < 0) return s;
  stack_.set_option(s, SocketOption::nodelay, 1, now_);
  const int e = stack_.connect(s, {server_, port}, now_);
  if (e < 0 && e != -EINPROGRESS) {
    stack_.close(s, now_);
    return e;
  }
  return s;
}

long MtcppSockets::send(int s, const void* data, std::size_t len) {
  return stack_.send(s, Bytes(static_cast<const std::uint8_t*>(data), len), now_);
}

long MtcppSockets::recv(int s, void* out, std::size_t len) {
  return stack_.recv(s, MutableBytes(static_cast<std::uint8_t*>(out), len), now_);
}

int MtcppSockets::close(int s) { return stack_.close(s, now_); }

void MtcppSockets::wait(std::vector<Ready>& out) {
  now_ = clock_.now();
  stack_.poll(now_);
  for (int s : changed_) {
    is_changed_[static_cast<std::size_t>(s)] = false;
    out.push_back({s, stack_.readiness(s)});
  }
  changed_.clear();
}

void MtcppSockets::socket_changed(int s) {
  if (s < 0) return;
  const auto i = static_cast<std::size_t>(s);
  if (i >= is_changed_.size()) is_changed_.resize(i + 1024);
  if (is_changed_[i]) return;
  is_changed_[i] = true;
  changed_.push_back(s);
}

}  // namespace bench
