// The socket calls a benchmark workload makes. Two implementations: the Linux kernel's TCP over
// loopback (nonblocking sockets and edge-triggered epoll) and an mtcpp stack (its socket calls and
// a readiness observer), so that both systems run exactly the same workload code.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench {

// Readiness bits, with epoll's values (mtcpp's readiness uses the same).
inline constexpr std::uint32_t kIn = 0x001;
inline constexpr std::uint32_t kOut = 0x004;
inline constexpr std::uint32_t kErr = 0x008;
inline constexpr std::uint32_t kHup = 0x010;

struct Ready {
  int socket;
  std::uint32_t events;
};

// Options every connection of a workload gets: TCP_NODELAY and CUBIC always; an MSS from the MTU.
struct SocketSetup {
  std::uint16_t mtu = 1500;
};

class Sockets {
 public:
  virtual ~Sockets() = default;
  // Each call returns >= 0, or a negative errno value (-EAGAIN when it would block).
  virtual int listen(std::uint16_t port, int backlog) = 0;
  virtual int accept(int listener) = 0;
  // Starts a nonblocking connect to the server side's `port`; returns the socket.
  virtual int connect(std::uint16_t port) = 0;
  virtual long send(int s, const void* data, std::size_t len) = 0;
  virtual long recv(int s, void* out, std::size_t len) = 0;
  virtual int close(int s) = 0;
  // Appends the sockets whose readiness may have changed since the last call, with their
  // readiness. Returns at once when nothing has (mtcpp always; Linux unless it blocks).
  virtual void wait(std::vector<Ready>& out) = 0;
};

}  // namespace bench
