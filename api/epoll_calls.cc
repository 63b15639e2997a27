// mTCP's epoll calls (mtcp_epoll.h). mtcp_epoll_wait is where an mTCP application's context
// lives: it drives the stack until an event is ready or the timeout passes.
#include <fcntl.h>

#include <cstring>
#include <string>

#include "api/errors.h"
#include "api/mtcp_epoll.h"

using namespace mtcpp;
using namespace mtcpp::api;

extern "C" {

int mtcp_epoll_create(mctx_t mctx, int size) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  if (size <= 0) return fail(EINVAL);
  const int id = c->allocate(Kind::epoll);
  if (id < 0) return fail(ENFILE);
  c->entry(id)->epoll = std::make_unique<Epoll>();
  return id;
}

int mtcp_epoll_create1(mctx_t mctx, int flags) {
  if (flags != 0 && flags != O_CLOEXEC) {
    if (context_or_fail(mctx) == nullptr) return -1;
    return fail(EINVAL);
  }
  return mtcp_epoll_create(mctx, 1);
}

int mtcp_epoll_ctl(mctx_t mctx, int epid, int op, int sockid, mtcp_epoll_event* event) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* ep = c->entry(epid);
  Entry* target = c->entry(sockid);
  if (ep == nullptr || target == nullptr) return fail(EBADF);
  if (ep->kind != Kind::epoll || sockid == epid) return fail(EINVAL);
  if (target->kind == Kind::epoll) return fail(EINVAL);  // nesting epoll instances is not supported
  if ((op == MTCP_EPOLL_CTL_ADD || op == MTCP_EPOLL_CTL_MOD) && event == nullptr) return fail(EFAULT);
  int r;
  switch (op) {
    case MTCP_EPOLL_CTL_ADD:
      r = ep->epoll->add(sockid, *event);
      if (r == 0) target->watchers.push_back(epid);
      break;
    case MTCP_EPOLL_CTL_MOD: r = ep->epoll->modify(sockid, *event); break;
    case MTCP_EPOLL_CTL_DEL:
      r = ep->epoll->remove(sockid);
      if (r == 0) std::erase(target->watchers, epid);
      break;
    default: return fail(EINVAL);
  }
  return static_cast<int>(result(r));
}

int mtcp_epoll_wait(mctx_t mctx, int epid, mtcp_epoll_event* events, int maxevents, int timeout) {
  Context* c = context_or_fail(mctx);
  if (c == nullptr) return -1;
  Entry* ep = c->entry(epid);
  if (ep == nullptr) return fail(EBADF);
  if (ep->kind != Kind::epoll || maxevents <= 0) return fail(EINVAL);
  if (events == nullptr) return fail(EFAULT);
  Epoll& epoll = *ep->epoll;
  int n = 0;
  const Duration limit = timeout < 0 ? Duration(-1) : Duration(std::chrono::milliseconds(timeout));
  const int r = c->drive_until(
      [&] {
        n = epoll.collect(events, maxevents, [&](int id) { return c->readiness(id); });
        return n > 0;
      },
      limit);
  if (r == -EINTR) return fail(EINTR);
  return n;  // 0 when the timeout passed
}

char* EventToString(uint32_t event) {
  static const struct {
    std::uint32_t bit;
    const char* name;
  } names[] = {{MTCP_EPOLLIN, "EPOLLIN"},         {MTCP_EPOLLPRI, "EPOLLPRI"},     {MTCP_EPOLLOUT, "EPOLLOUT"},
               {MTCP_EPOLLERR, "EPOLLERR"},       {MTCP_EPOLLHUP, "EPOLLHUP"},     {MTCP_EPOLLRDNORM, "EPOLLRDNORM"},
               {MTCP_EPOLLRDBAND, "EPOLLRDBAND"}, {MTCP_EPOLLWRNORM, "EPOLLWRNORM"}, {MTCP_EPOLLWRBAND, "EPOLLWRBAND"},
               {MTCP_EPOLLMSG, "EPOLLMSG"},       {MTCP_EPOLLRDHUP, "EPOLLRDHUP"},   {MTCP_EPOLLONESHOT, "EPOLLONESHOT"},
               {static_cast<std::uint32_t>(MTCP_EPOLLET), "EPOLLET"}};
  thread_local std::string text;
  text.clear();
  for (const auto& n : names) {
    if ((event & n.bit) == 0) continue;
    if (!text.empty()) text += '|';
    text += n.name;
  }
  if (text.empty()) text = "EPOLLNONE";
  return text.data();
}

}  // extern "C"
