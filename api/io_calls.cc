// mTCP's data calls: read, recv, readv, write, writev, on streams and pipe ends. A blocking
// socket drives the stack until the call can complete, SO_RCVTIMEO/SO_SNDTIMEO passes (EAGAIN),
// or a registered signal arrives (EINTR). No call raises SIGPIPE: EPIPE is returned.
#include <climits>

#include "api/errors.h"
#include "api/mtcp_api.h"

using namespace mtcpp;
using namespace mtcpp::api;

namespace {

Duration timeout_of(Duration option) { return option == Duration::zero() ? Duration(-1) : option; }

// One receive into out; the result as the core gives it (bytes, 0 at end of stream, -errno).
long receive(Context& c, Entry& e, MutableBytes out, bool peek) {
  switch (e.kind) {
    case Kind::stream: {
      long n = c.stack().recv(e.tcp, out, c.now(), peek);
      if (n == -EAGAIN && !e.nonblocking && !out.empty()) {
        const int tcp = e.tcp;
        const int r = c.drive_until([&] { return (n = c.stack().recv(tcp, out, c.now(), peek)) != -EAGAIN; },
                                    timeout_of(e.recv_timeout));
        if (r < 0) n = r;
      }
      return n;
    }
    case Kind::pipe_read: {
      Pipe& p = *e.pipe;
      auto ready = [&] { return p.readable() > 0 || !p.writer_open; };
      if (!ready()) {
        if (e.nonblocking) return -EAGAIN;
        if (int r = c.drive_until(ready, timeout_of(e.recv_timeout)); r < 0) return r;
      }
      const std::size_t n = p.read(out);
      if (n > 0 && p.write_id >= 0) c.changed(p.write_id);  // space opened for the writer
      return static_cast<long>(n);
    }
    case Kind::listener: return -ENOTCONN;
    case Kind::pipe_write: return -EBADF;  // not open for reading
    default: return -EINVAL;               // an epoll instance
  }
}

// One send of data; bytes taken or -errno. A blocking stream takes all of it unless interrupted.
long transmit(Context& c, Entry& e, Bytes data) {
  switch (e.kind) {
    case Kind::stream: {
      std::size_t done = 0;
      for (;;) {
        const long n = c.stack().send(e.tcp, data.subspan(done), c.now());
        if (n > 0) done += static_cast<std::size_t>(n);
        if (n < 0 && n != -EAGAIN) return done > 0 ? static_cast<long>(done) : n;
        if (done == data.size() || e.nonblocking) break;
        const int tcp = e.tcp;
        const int r = c.drive_until([&] { return (c.stack().readiness(tcp) & (MTCP_EPOLLOUT | MTCP_EPOLLERR | MTCP_EPOLLHUP)) != 0; },
                                    timeout_of(e.send_timeout));
        if (r < 0) return done > 0 ? static_cast<long>(done) : r;
      }
      return done > 0 || data.empty() ? static_cast<long>(done) : -EAGAIN;
    }
    case Kind::pipe_write: {
      Pipe& p = *e.pipe;
      std::size_t done = 0;
      for (;;) {
        if (!p.reader_open) return done > 0 ? static_cast<long>(done) : -EPIPE;
        done += p.write(data.subspan(done));
        if (done == data.size() || e.nonblocking) break;
        if (int r = c.drive_until([&] { return p.writable() > 0 || !p.reader_open; }, timeout_of(e.send_timeout)); r < 0)
          return done > 0 ? static_cast<long>(done) : r;
      }
      if (done > 0 && p.read_id >= 0) c.changed(p.read_id);
      return done > 0 || data.empty() ? static_cast<long>(done) : -EAGAIN;
    }
    case Kind::listener: return -ENOTCONN;
    case Kind::pipe_read: return -EBADF;
    default: return -EINVAL;
  }
}

bool valid_iov(const iovec* iov, int count) {
  if (iov == nullptr || count <= 0 || count > IOV_MAX) return false;
  for (int i = 0; i < count; ++i)
    if (iov[i].iov_base == nullptr && iov[i].iov_len > 0) return false;
  return true;
}

// readv/writev: io(piece, first) on each non-empty piece in turn, stopping at a short transfer;
// the bytes moved, or -1 with errno when the first piece fails.
template <class Io>
int each_piece(const iovec* iov, int count, Io&& io) {
  long total = 0;
  for (int i = 0; i < count; ++i) {
    if (iov[i].iov_len == 0) continue;
    const long n = io(iov[i], total == 0);
    if (n < 0) return total > 0 ? static_cast<int>(total) : static_cast<int>(result(n));
    total += n;
    if (static_cast<std::size_t>(n) < iov[i].iov_len) break;
  }
  return static_cast<int>(total);
}

}  // namespace

extern "C" {

ssize_t mtcp_recv(mctx_t mctx, int sockid, char* buf, size_t len, int flags) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = c->entry(sockid);
  if (e == nullptr) return fail(EBADF);
  if (flags != 0 && flags != MSG_PEEK) return fail(EINVAL);
  if (buf == nullptr && len > 0) return fail(EFAULT);
  if (flags == MSG_PEEK && e->kind != Kind::stream) return fail(EINVAL);
  return result(receive(*c, *e, MutableBytes(reinterpret_cast<std::uint8_t*>(buf), len), flags == MSG_PEEK));
}

ssize_t mtcp_read(mctx_t mctx, int sockid, char* buf, size_t len) { return mtcp_recv(mctx, sockid, buf, len, 0); }

int mtcp_readv(mctx_t mctx, int sockid, const iovec* iov, int count) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = c->entry(sockid);
  if (e == nullptr) return fail(EBADF);
  if (!valid_iov(iov, count)) return fail(EINVAL);
  return each_piece(iov, count, [&](const iovec& v, bool first) {
    // Only the first piece may wait; the rest take what is already there.
    const bool was_nonblocking = e->nonblocking;
    if (!first) e->nonblocking = true;
    const long n = receive(*c, *e, MutableBytes(static_cast<std::uint8_t*>(v.iov_base), v.iov_len), false);
    e->nonblocking = was_nonblocking;
    return n;
  });
}

ssize_t mtcp_write(mctx_t mctx, int sockid, const char* buf, size_t len) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = c->entry(sockid);
  if (e == nullptr) return fail(EBADF);
  if (buf == nullptr && len > 0) return fail(EFAULT);
  return result(transmit(*c, *e, Bytes(reinterpret_cast<const std::uint8_t*>(buf), len)));
}

int mtcp_writev(mctx_t mctx, int sockid, const iovec* iov, int count) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* e = c->entry(sockid);
  if (e == nullptr) return fail(EBADF);
  if (!valid_iov(iov, count)) return fail(EINVAL);
  return each_piece(iov, count, [&](const iovec& v, bool) {
    return transmit(*c, *e, Bytes(static_cast<const std::uint8_t*>(v.iov_base), v.iov_len));
  });
}

}  // extern "C"
