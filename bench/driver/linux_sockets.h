// The Linux kernel's TCP over loopback (127.0.0.1), shaped as the workloads need it: nonblocking
// sockets with TCP_NODELAY and CUBIC set explicitly, TCP_MAXSEG from the MTU the workload names,
// one edge-triggered epoll set. `busy_poll`: epoll_wait never sleeps (the kernel's best case for
// latency); otherwise it blocks, as ordinary servers do.
#pragma once
#include <netinet/in.h>

#include "bench/driver/sockets.h"

namespace bench {

// 127.0.0.1:port.
sockaddr_in loopback(std::uint16_t port);

class LinuxSockets final : public Sockets {
 public:
  LinuxSockets(const SocketSetup& setup, bool busy_poll);
  ~LinuxSockets() override;
  LinuxSockets(const LinuxSockets&) = delete;
  LinuxSockets& operator=(const LinuxSockets&) = delete;

  int listen(std::uint16_t port, int backlog) override;
  int accept(int listener) override;
  int connect(std::uint16_t port) override;
  long send(int s, const void* data, std::size_t len) override;
  long recv(int s, void* out, std::size_t len) override;
  int close(int s) override;
  void wait(std::vector<Ready>& out) override;

 private:
  // TCP_NODELAY, CUBIC and the MSS; a listener's children inherit them.
  int configure(int fd) const;
  int watch(int fd, std::uint32_t events);

  SocketSetup setup_;
  bool busy_poll_;
  int epoll_ = -1;
  std::vector<bool> open_;  // by fd: created here and not closed yet (closed at destruction)
};

}  // namespace bench
