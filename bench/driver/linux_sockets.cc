#include "bench/driver/linux_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace bench {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

namespace {
int fail(int fd) {
  const int e = errno;
  if (fd >= 0) ::close(fd);
  return -e;
}
}  // namespace

LinuxSockets::LinuxSockets(const SocketSetup& setup, bool busy_poll) : setup_(setup), busy_poll_(busy_poll) {
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

LinuxSockets::~LinuxSockets() {
  for (std::size_t fd = 0; fd < open_.size(); ++fd)
    if (open_[fd]) ::close(static_cast<int>(fd));
  ::close(epoll_);
}

int LinuxSockets::configure(int fd) const {
  const int one = 1;
  const int mss = setup_.mtu - 40;  // IPv4 and TCP headers; timestamps come off it as in mtcpp
  static constexpr char kCubic[] = "cubic";
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, kCubic, sizeof kCubic - 1) != 0 ||
      setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss) != 0)
    return -errno;
  return 0;
}

int LinuxSockets::watch(int fd, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.fd = fd;
  if (epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) return fail(fd);
  if (static_cast<std::size_t>(fd) >= open_.size()) open_.resize(static_cast<std::size_t>(fd) + 1024);
  open_[static_cast<std::size_t>(fd)] = true;
  return fd;
}

int LinuxSockets::listen(std::uint16_t port, int backlog) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const int one = 1;
  const sockaddr_in a = loopback(port);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 || configure(fd) != 0 ||
      bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, backlog) != 0)
    return fail(fd);
  return watch(fd, EPOLLIN);
}

int LinuxSockets::accept(int listener) {
  const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return -errno;
  return watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
}

int LinuxSockets::connect(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const sockaddr_in a = loopback(port);
  if (configure(fd) != 0) return fail(fd);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) return fail(fd);
  return watch(fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
}

long LinuxSockets::send(int s, const void* data, std::size_t len) {
  const ssize_t n = ::send(s, data, len, MSG_NOSIGNAL);
  return n >= 0 ? n : -errno;
}

long LinuxSockets::recv(int s, void* out, std::size_t len) {
  const ssize_t n = ::recv(s, out, len, 0);
  return n >= 0 ? n : -errno;
}

int LinuxSockets::close(int s) {
  if (s >= 0 && static_cast<std::size_t>(s) < open_.size()) open_[static_cast<std::size_t>(s)] = false;
  return ::close(s) == 0 ? 0 : -errno;
}

void LinuxSockets::wait(std::vector<Ready>& out) {
  epoll_event evs[256];
  // A blocking wait still wakes every 10 ms, so a finished trial is noticed.
  const int n = epoll_wait(epoll_, evs, 256, busy_poll_ ? 0 : 10);
  for (int i = 0; i < n; ++i) {
    std::uint32_t e = evs[i].events & (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP);
    if (evs[i].events & EPOLLRDHUP) e |= kIn;  // the peer's FIN: a read gives 0
    out.push_back({evs[i].data.fd, e});
  }
}

}  // namespace bench
