#include "bench/driver/workload.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace bench {

namespace {
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
template <class T>
T& slot(std::vector<T>& v, int s) {
  const auto i = static_cast<std::size_t>(s);
  if (i >= v.size()) v.resize(i + 1024);
  return v[i];
}
}  // namespace

const std::vector<Workload>& all_workloads() {
  static const std::vector<Workload> list = {
      {"cps", Kind::cps, 64, false, 1500, false, false, "conn/s",
       "64 concurrent short connections (connect, 64 B each way, close); the client closes first"},
      {"cps-sc", Kind::cps, 64, true, 1500, false, false, "conn/s", "as cps, but the server closes first"},
      {"rr", Kind::rr, 64, false, 1500, false, false, "trans/s",
       "64 persistent connections, one 64 B request outstanding on each"},
      {"rr1", Kind::rr, 1, false, 1500, false, false, "trans/s", "one connection, one 64 B request outstanding"},
      {"bulk1500", Kind::bulk, 1, false, 1500, false, false, "Gbit/s", "one connection, 128 KiB writes, MTU 1500"},
      {"bulk9000", Kind::bulk, 1, false, 9000, false, false, "Gbit/s", "one connection, 128 KiB writes, MTU 9000"},
      {"lat", Kind::lat, 1, false, 1500, false, false, "us",
       "64 B ping-pong round trip (p50; p90 and p99 in the JSON); Linux blocks in epoll_wait"},
      {"lat-busy", Kind::lat, 1, false, 1500, false, true, "us", "as lat, Linux busy-polling epoll_wait"},
      {"cps-1core", Kind::cps, 64, false, 1500, true, false, "conn/s", "cps with both ends on one core"},
      {"rr-1core", Kind::rr, 64, false, 1500, true, false, "trans/s", "rr with both ends on one core"},
  };
  return list;
}

bool Server::start(Sockets& net, std::string& error) {
  for (int i = 0; i < ports(); ++i) {
    const auto port = static_cast<std::uint16_t>(port_ + i);
    const int l = net.listen(port, 4096);
    if (l < 0) {
      error = "listen on port " + std::to_string(port) + ": " + std::strerror(-l);
      return false;
    }
    listeners_.push_back(l);
  }
  return true;
}

void Server::handle(Sockets& net, const Ready& r) {
  if (std::find(listeners_.begin(), listeners_.end(), r.socket) != listeners_.end()) {
    for (int s; (s = net.accept(r.socket)) >= 0;) {
      Conn& c = slot(conns_, s);
      c = Conn{.open = true};
      serve(net, s, c);  // a request may have arrived with the handshake's last ACK
    }
    return;
  }
  if (r.socket < 0 || static_cast<std::size_t>(r.socket) >= conns_.size()) return;
  Conn& c = conns_[static_cast<std::size_t>(r.socket)];
  if (c.open) serve(net, r.socket, c);
}

void Server::serve(Sockets& net, int s, Conn& c) {
  static const std::uint8_t reply[kMessage] = {'r'};
  for (;;) {
    const long n = net.recv(s, buf_.data(), w_.kind == Kind::bulk ? buf_.size() : kMessage);
    if (n == -EAGAIN) return;
    if (n <= 0) {  // the client closed (or reset): close too
      net.close(s);
      c.open = false;
      return;
    }
    if (w_.kind == Kind::bulk) {
      bulk_bytes_ += static_cast<std::uint64_t>(n);
      progress_.ops.store(bulk_bytes_, std::memory_order_relaxed);
      continue;
    }
    for (c.received += static_cast<std::uint32_t>(n); c.received >= kMessage; c.received -= kMessage) {
      net.send(s, reply, kMessage);  // one request outstanding: the send buffer always has room
      if (w_.kind == Kind::cps && w_.server_closes) {
        net.close(s);
        c.open = false;
        return;
      }
    }
  }
}

void Client::start(Sockets& net) {
  for (int i = 0; i < w_.connections; ++i) open(net);
}

void Client::open(Sockets& net) {
  // cps goes round the server's ports (see kServerPorts); the others use the first.
  const auto offset = w_.kind == Kind::cps ? static_cast<int>(opened_++ % kServerPorts) : 0;
  const int s = net.connect(static_cast<std::uint16_t>(port_ + offset));
  if (s < 0) {
    progress_.failures.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  slot(conns_, s) = Conn{.phase = Phase::connecting};
}

void Client::request(Sockets& net, int s, Conn& c) {
  static const std::uint8_t message[kMessage] = {'q'};
  c.received = 0;
  c.phase = Phase::awaiting_reply;
  if (w_.kind == Kind::lat) c.sent_at_ns = now_ns();
  net.send(s, message, kMessage);
}

void Client::complete(std::uint64_t n) {
  done_ += n;
  progress_.ops.store(done_, std::memory_order_relaxed);
}

void Client::finish(Sockets& net, int s, Conn& c, bool failed) {
  net.close(s);
  c.phase = Phase::idle;
  if (failed) progress_.failures.fetch_add(1, std::memory_order_relaxed);
  if (w_.kind == Kind::cps && !failed) complete(1);
  if (!progress_.stop.load(std::memory_order_relaxed)) open(net);
}

void Client::handle(Sockets& net, const Ready& r) {
  if (r.socket < 0 || static_cast<std::size_t>(r.socket) >= conns_.size()) return;
  Conn& c = conns_[static_cast<std::size_t>(r.socket)];
  const int s = r.socket;
  if (c.phase == Phase::idle) return;
  if (c.phase == Phase::connecting) {
    if (r.events & (kErr | kHup)) return finish(net, s, c, true);
    if (!(r.events & kOut)) return;
    if (w_.kind != Kind::bulk) return request(net, s, c);
    c.phase = Phase::awaiting_reply;  // bulk: from now on, write whenever there is room
  }
  if (w_.kind == Kind::bulk) {
    while (net.send(s, buf_.data(), buf_.size()) > 0) {
    }
    return;
  }
  for (;;) {
    const long n = net.recv(s, buf_.data(), buf_.size());
    if (n == -EAGAIN) return;
    if (n == 0 && c.phase == Phase::awaiting_close) return finish(net, s, c, false);
    if (n <= 0) return finish(net, s, c, true);
    c.received += static_cast<std::uint32_t>(n);
    if (c.received < kMessage) continue;
    if (w_.kind == Kind::cps) {
      if (!w_.server_closes) return finish(net, s, c, false);
      c.phase = Phase::awaiting_close;
      continue;
    }
    if (w_.kind == Kind::lat && progress_.measuring.load(std::memory_order_relaxed))
      progress_.round_trips_us.push_back(static_cast<double>(now_ns() - c.sent_at_ns) / 1000.0);
    complete(1);
    request(net, s, c);
  }
}

}  // namespace bench
