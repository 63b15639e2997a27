// mTCP's socket calls (mtcp_api.h): argument checks with mTCP's or POSIX's errno values, then the
// core's socket operations on the context's stack. Blocking sockets drive the stack until the
// call can complete (Context::drive_until).
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>

#include "api/errors.h"
#include "api/mtcp_api.h"
#include "api/runtime.h"

using namespace mtcpp;
using namespace mtcpp::api;

namespace {

bool is_socket(Kind k) { return k == Kind::stream || k == Kind::listener; }

// The entry for a stream or listener id, or nullptr with errno set (EBADF, ENOTSOCK).
Entry* socket_entry(Context& c, int id) {
  Entry* e = c.entry(id);
  if (e == nullptr) {
    errno = EBADF;
    return nullptr;
  }
  if (!is_socket(e->kind)) {
    errno = ENOTSOCK;
    return nullptr;
  }
  return e;
}

// Reads an AF_INET address; 0, or an errno value.
int endpoint_from(const sockaddr* addr, socklen_t len, Endpoint* out, int null_error) {
  if (addr == nullptr) return null_error;
  if (len < static_cast<socklen_t>(sizeof(sockaddr_in))) return EINVAL;
  sockaddr_in sin;
  std::memcpy(&sin, addr, sizeof sin);
  if (sin.sin_family != AF_INET) return EAFNOSUPPORT;
  *out = Endpoint{Ipv4Addr{ntohl(sin.sin_addr.s_addr)}, ntohs(sin.sin_port)};
  return 0;
}

int endpoint_to(const Endpoint& e, sockaddr* addr, socklen_t* len) {
  if (addr == nullptr || len == nullptr) return fail(EFAULT);
  if (static_cast<int>(*len) < 0) return fail(EINVAL);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(e.port);
  sin.sin_addr.s_addr = htonl(e.addr.value);
  std::memcpy(addr, &sin, std::min<std::size_t>(*len, sizeof sin));  // truncated as POSIX says
  *len = sizeof sin;
  return 0;
}

Duration timeout_of(Duration option) { return option == Duration::zero() ? Duration(-1) : option; }

Duration from_timeval(const timeval& tv) {
  return std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
}

timeval to_timeval(Duration d) {
  const auto us = d.count();
  return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
}

}  // namespace

extern "C" {

int mtcp_socket(mctx_t mctx, int domain, int type, int protocol) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (domain != AF_INET) return fail(EAFNOSUPPORT);
  if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM) return fail(EINVAL);
  if (protocol != 0 && protocol != IPPROTO_TCP) return fail(EPROTONOSUPPORT);
  const int id = c->allocate(Kind::stream);
  if (id < 0) return fail(ENFILE);
  const int tcp = c->stack().socket(c->now());
  if (tcp < 0) {
    c->release(id);
    return fail(-tcp);
  }
  c->bind_tcp(id, tcp);
  c->entry(id)->nonblocking = (type & SOCK_NONBLOCK) != 0;
  return id;
}

int mtcp_bind(mctx_t mctx, int sockid, const sockaddr* addr, socklen_t addrlen) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  Endpoint local;
  if (int err = endpoint_from(addr, addrlen, &local, EINVAL); err != 0) return fail(err);
  return static_cast<int>(result(c->stack().bind(e->tcp, local)));
}

int mtcp_listen(mctx_t mctx, int sockid, int backlog) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  if (backlog <= 0 || backlog > c->stack().config().tcp.max_backlog) return fail(EINVAL);
  Endpoint local;
  c->stack().local_endpoint(e->tcp, &local);
  if (local.port == 0) {  // listen without bind takes an ephemeral port, as POSIX allows
    if (long r = c->stack().bind(e->tcp, {}); r < 0) return static_cast<int>(result(r));
  }
  if (long r = c->stack().listen(e->tcp, backlog); r < 0) return static_cast<int>(result(r));
  e->kind = Kind::listener;
  return 0;
}

int mtcp_accept(mctx_t mctx, int sockid, sockaddr* addr, socklen_t* addrlen) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  if (e->kind != Kind::listener) return fail(EINVAL);
  // Every argument is checked before a connection leaves the queue: once taken, it must get an
  // id and be returned. A zero length is valid (the address is truncated to nothing, POSIX).
  if (addr != nullptr && addrlen == nullptr) return fail(EFAULT);
  if (addr != nullptr && static_cast<int>(*addrlen) < 0) return fail(EINVAL);
  if (!c->can_allocate()) return fail(ENFILE);  // a full table never strands a connection
  Endpoint peer;
  int tcp = c->stack().accept(e->tcp, &peer);
  if (tcp == -EAGAIN && !e->nonblocking) {
    const int listener = e->tcp;
    const int r = c->drive_until([&] { return (tcp = c->stack().accept(listener, &peer)) != -EAGAIN; },
                                 timeout_of(e->recv_timeout));
    if (r < 0) tcp = r;
  }
  if (tcp < 0) return fail(-tcp);
  const int id = c->allocate(Kind::stream);
  if (id < 0) {  // the table filled while blocked: the connection must not be stranded
    c->stack().abort(tcp, c->now());
    return fail(ENFILE);
  }
  c->bind_tcp(id, tcp);
  if (addr != nullptr) endpoint_to(peer, addr, addrlen);
  return id;
}

int mtcp_init_rss(mctx_t mctx, in_addr_t saddr_base, int num_addr, in_addr_t daddr, in_addr_t dport) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (num_addr <= 0 || daddr == INADDR_ANY || daddr == INADDR_BROADCAST) return fail(EINVAL);
  // mTCP takes the port in network order in an in_addr_t (epwget passes htons(80)).
  const Endpoint remote{Ipv4Addr{ntohl(daddr)}, ntohs(static_cast<std::uint16_t>(dport))};
  if (remote.port == 0) return fail(EINVAL);
  // The source addresses saddr_base .. + num_addr - 1 that are the stack's (mtcpp has one per
  // interface); INADDR_ANY is the one connect takes toward daddr. None of ours: EINVAL.
  Stack& stack = c->stack();
  std::vector<Ipv4Addr> sources;
  if (saddr_base == INADDR_ANY) {
    const std::optional<Ipv4Addr> source = stack.source_address(remote.addr);
    if (!source) return fail(ENETUNREACH);
    sources.push_back(*source);
  } else {
    for (std::uint32_t i = 0; i < static_cast<std::uint32_t>(num_addr); ++i)
      if (const Ipv4Addr a{ntohl(saddr_base) + i}; stack.interface_with(a)) sources.push_back(a);
  }
  if (sources.empty()) return fail(EINVAL);
  // The pool: the ephemeral ports whose flow the device brings back to this context's queue.
  // A context alone on its device owns every port, and needs none.
  const RuntimeConfig& rc = runtime()->config();
  for (const Ipv4Addr local : sources) {
    const std::size_t k = *stack.interface_with(local);
    if (k >= c->dpdk_queues().size() || c->dpdk_queues()[k]->port().queues() < 2) continue;
    const DpdkQueueIo& queue = *c->dpdk_queues()[k];
    std::vector<std::uint16_t> ports;
    const TcpConfig& tcp = rc.stack.tcp;
    for (std::uint32_t p = tcp.ephemeral_port_first; p <= tcp.ephemeral_port_last; ++p)
      if (queue.owns({local, static_cast<std::uint16_t>(p)}, remote)) ports.push_back(static_cast<std::uint16_t>(p));
    if (ports.empty()) return fail(EADDRNOTAVAIL);
    stack.set_port_pool(local, remote, std::move(ports));
  }
  return 0;
}

int mtcp_connect(mctx_t mctx, int sockid, const sockaddr* addr, socklen_t addrlen) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  if (e->kind == Kind::listener) return fail(EINVAL);
  Endpoint remote;
  if (int err = endpoint_from(addr, addrlen, &remote, EFAULT); err != 0) return fail(err);
  const int tcp = e->tcp;
  const int r = c->stack().connect(tcp, remote, c->now());
  if (r != -EINPROGRESS) return static_cast<int>(result(r));
  if (e->nonblocking) return fail(EINPROGRESS);
  auto handshaking = [&] {
    const Tcb* t = c->stack().tcp().tcb(tcp);
    return t != nullptr && (t->state == TcpState::syn_sent || t->state == TcpState::syn_received);
  };
  const int w = c->drive_until([&] { return !handshaking(); }, timeout_of(e->send_timeout));
  if (w == -EAGAIN) return fail(EINPROGRESS);  // SO_SNDTIMEO passed: the handshake goes on
  if (w < 0) return fail(-w);
  int err = 0;
  c->stack().get_option(tcp, SocketOption::error, &err);
  return err != 0 ? fail(err) : 0;
}

int mtcp_close(mctx_t mctx, int sockid) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = c->entry(sockid);
  if (e == nullptr) return fail(EBADF);
  int other_end = -1;
  switch (e->kind) {
    case Kind::stream: case Kind::listener: c->stack().close(e->tcp, c->now()); break;
    case Kind::pipe_read: case Kind::pipe_write: {
      Pipe& p = *e->pipe;
      const bool reader = e->kind == Kind::pipe_read;
      (reader ? p.reader_open : p.writer_open) = false;
      // The id may soon name something else: the pipe must not wake it.
      (reader ? p.read_id : p.write_id) = -1;
      other_end = reader ? p.write_id : p.read_id;
      break;
    }
    default: break;
  }
  c->release(sockid);
  // The other end of a pipe now sees HUP (reader) or EPIPE (writer): tell its watchers.
  if (other_end >= 0) c->changed(other_end);
  return 0;
}

int mtcp_abort(mctx_t mctx, int sockid) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = c->entry(sockid);
  if (e == nullptr) return fail(EBADF);
  if (!is_socket(e->kind)) return mtcp_close(mctx, sockid);
  c->stack().abort(e->tcp, c->now());
  c->release(sockid);
  return 0;
}

int mtcp_shutdown(mctx_t mctx, int sockid, int how) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  Shutdown s;
  switch (how) {
    case SHUT_RD: s = Shutdown::read; break;
    case SHUT_WR: s = Shutdown::write; break;
    case SHUT_RDWR: s = Shutdown::both; break;
    default: return fail(EINVAL);
  }
  return static_cast<int>(result(c->stack().shutdown(e->tcp, s, c->now())));
}

int mtcp_getsockname(mctx_t mctx, int sockid, sockaddr* addr, socklen_t* addrlen) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  Endpoint local;
  c->stack().local_endpoint(e->tcp, &local);
  return endpoint_to(local, addr, addrlen);
}

int mtcp_getpeername(mctx_t mctx, int sockid, sockaddr* addr, socklen_t* addrlen) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  Endpoint remote;
  if (long r = c->stack().remote_endpoint(e->tcp, &remote); r < 0) return static_cast<int>(result(r));
  return endpoint_to(remote, addr, addrlen);
}

int mtcp_setsock_nonblock(mctx_t mctx, int sockid) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = c->entry(sockid);
  if (e == nullptr) return fail(EBADF);
  e->nonblocking = true;
  return 0;
}

int mtcp_socket_ioctl(mctx_t mctx, int sockid, int request, void* argp) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = c->entry(sockid);
  if (e == nullptr) return fail(EBADF);
  if (argp == nullptr) return fail(EFAULT);
  if (static_cast<unsigned long>(request) == FIONBIO) {
    int on;
    std::memcpy(&on, argp, sizeof on);
    e->nonblocking = on != 0;
    return 0;
  }
  if (static_cast<unsigned long>(request) == FIONREAD) {
    long n;
    if (e->kind == Kind::stream) n = c->stack().bytes_readable(e->tcp);
    else if (e->kind == Kind::pipe_read) n = static_cast<long>(e->pipe->readable());
    else return fail(EINVAL);
    const int v = static_cast<int>(n);
    std::memcpy(argp, &v, sizeof v);
    return 0;
  }
  return fail(EINVAL);
}

int mtcp_setsockopt(mctx_t mctx, int sockid, int level, int optname, const void* optval, socklen_t optlen) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  if (optval == nullptr) return fail(EFAULT);
  auto int_value = [&](int* v) {
    if (optlen < static_cast<socklen_t>(sizeof(int))) return false;
    std::memcpy(v, optval, sizeof(int));
    return true;
  };
  int v = 0;
  Stack& s = c->stack();
  if (level == SOL_SOCKET) {
    switch (optname) {
      case SO_LINGER: {
        if (optlen < static_cast<socklen_t>(sizeof(linger))) return fail(EINVAL);
        linger l;
        std::memcpy(&l, optval, sizeof l);
        // {1, 0} aborts on close; a positive linger time closes gracefully without blocking
        // (close never blocks here; see README).
        return static_cast<int>(result(s.set_option(e->tcp, SocketOption::linger_abort, l.l_onoff != 0 && l.l_linger == 0, c->now())));
      }
      case SO_KEEPALIVE:
        return int_value(&v) ? static_cast<int>(result(s.set_option(e->tcp, SocketOption::keepalive, v, c->now()))) : fail(EINVAL);
      case SO_REUSEADDR:
        return int_value(&v) ? static_cast<int>(result(s.set_option(e->tcp, SocketOption::reuse_address, v, c->now()))) : fail(EINVAL);
      case SO_SNDBUF:
        return int_value(&v) ? static_cast<int>(result(s.set_option(e->tcp, SocketOption::send_buffer, v, c->now()))) : fail(EINVAL);
      case SO_RCVBUF:
        return int_value(&v) ? static_cast<int>(result(s.set_option(e->tcp, SocketOption::receive_buffer, v, c->now()))) : fail(EINVAL);
      case SO_RCVTIMEO: case SO_SNDTIMEO: {
        if (optlen < static_cast<socklen_t>(sizeof(timeval))) return fail(EINVAL);
        timeval tv;
        std::memcpy(&tv, optval, sizeof tv);
        if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1'000'000) return fail(EDOM);
        (optname == SO_RCVTIMEO ? e->recv_timeout : e->send_timeout) = from_timeval(tv);
        return 0;
      }
      default: return fail(ENOPROTOOPT);
    }
  }
  if (level == IPPROTO_TCP) {
    switch (optname) {
      case TCP_NODELAY:
        return int_value(&v) ? static_cast<int>(result(s.set_option(e->tcp, SocketOption::nodelay, v, c->now()))) : fail(EINVAL);
      case TCP_MAXSEG:
        return int_value(&v) ? static_cast<int>(result(s.set_option(e->tcp, SocketOption::max_segment, v, c->now()))) : fail(EINVAL);
      case TCP_CONGESTION: {  // a name, as Linux: "cubic" or "newreno" ("reno" too); ENOENT otherwise
        if (static_cast<int>(optlen) < 1) return fail(EINVAL);
        const auto* chars = static_cast<const char*>(optval);
        constexpr std::size_t kNameMax = 15;  // Linux's TCP_CA_NAME_MAX less the NUL
        const auto a = congestion_algorithm(
            std::string_view(chars, strnlen(chars, std::min<std::size_t>(static_cast<std::size_t>(optlen), kNameMax))));
        if (!a) return fail(ENOENT);
        return static_cast<int>(result(s.set_option(e->tcp, SocketOption::congestion, static_cast<int>(*a), c->now())));
      }
      default: return fail(ENOPROTOOPT);
    }
  }
  return fail(ENOPROTOOPT);
}

int mtcp_getsockopt(mctx_t mctx, int sockid, int level, int optname, void* optval, socklen_t* optlen) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = socket_entry(*c, sockid);
  if (e == nullptr) return -1;
  if (optval == nullptr || optlen == nullptr) return fail(EFAULT);
  auto put = [&](const void* value, socklen_t size) {
    if (*optlen < size) return fail(EINVAL);
    std::memcpy(optval, value, size);
    *optlen = size;
    return 0;
  };
  auto put_option = [&](SocketOption o) {
    int v = 0;
    if (long r = c->stack().get_option(e->tcp, o, &v); r < 0) return static_cast<int>(result(r));
    return put(&v, sizeof v);
  };
  if (level == SOL_SOCKET) {
    switch (optname) {
      case SO_ERROR: return put_option(SocketOption::error);
      case SO_KEEPALIVE: return put_option(SocketOption::keepalive);
      case SO_REUSEADDR: return put_option(SocketOption::reuse_address);
      case SO_SNDBUF: return put_option(SocketOption::send_buffer);
      case SO_RCVBUF: return put_option(SocketOption::receive_buffer);
      case SO_TYPE: {
        const int t = SOCK_STREAM;
        return put(&t, sizeof t);
      }
      case SO_ACCEPTCONN: {
        const int a = e->kind == Kind::listener;
        return put(&a, sizeof a);
      }
      case SO_LINGER: {
        int abort_on_close = 0;
        c->stack().get_option(e->tcp, SocketOption::linger_abort, &abort_on_close);
        const linger l{abort_on_close, 0};
        return put(&l, sizeof l);
      }
      case SO_RCVTIMEO: case SO_SNDTIMEO: {
        const timeval tv = to_timeval(optname == SO_RCVTIMEO ? e->recv_timeout : e->send_timeout);
        return put(&tv, sizeof tv);
      }
      default: return fail(ENOPROTOOPT);
    }
  }
  if (level == IPPROTO_TCP) {
    switch (optname) {
      case TCP_NODELAY: return put_option(SocketOption::nodelay);
      case TCP_MAXSEG: return put_option(SocketOption::max_segment);
      case TCP_CONGESTION: {  // the name, NUL-padded, cut to *optlen (as Linux)
        int v = 0;
        if (long r = c->stack().get_option(e->tcp, SocketOption::congestion, &v); r < 0) return static_cast<int>(result(r));
        char name[16] = {};
        const std::string_view n = congestion_name(static_cast<CongestionAlgorithm>(v));
        std::memcpy(name, n.data(), n.size());
        if (static_cast<int>(*optlen) < 0) return fail(EINVAL);
        const auto len = std::min<socklen_t>(*optlen, sizeof name);
        std::memcpy(optval, name, len);
        *optlen = len;
        return 0;
      }
      default: return fail(ENOPROTOOPT);
    }
  }
  return fail(ENOPROTOOPT);
}

int mtcp_pipe(mctx_t mctx, int pipeid[2]) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (pipeid == nullptr) return fail(EFAULT);
  const int r = c->allocate(Kind::pipe_read);
  if (r < 0) return fail(ENFILE);
  const int w = c->allocate(Kind::pipe_write);
  if (w < 0) {
    c->release(r);
    return fail(ENFILE);
  }
  auto pipe = std::make_shared<Pipe>();
  pipe->read_id = r;
  pipe->write_id = w;
  c->entry(r)->pipe = pipe;
  c->entry(w)->pipe = pipe;
  pipeid[0] = r;
  pipeid[1] = w;
  return 0;
}

}  // extern "C"
