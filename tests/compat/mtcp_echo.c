/* An mTCP application in C99 that knows only mTCP's headers: two contexts, an epoll server on
 * core 0 and a client on core 1, in one thread. scripts/check-install builds it against the
 * installed mtcpp with `pkg-config --cflags --libs mtcpp` and runs it: mTCP sources build and
 * run on mtcpp unchanged. Usage: mtcp_echo CONFIG_FILE */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mtcp_api.h>
#include <mtcp_epoll.h>

#define MAX_EVENTS 16

static int add(mctx_t mctx, int ep, int sock, uint32_t events) {
  struct mtcp_epoll_event ev;
  ev.events = events;
  ev.data.sockid = sock;
  return mtcp_epoll_ctl(mctx, ep, MTCP_EPOLL_CTL_ADD, sock, &ev);
}

int main(int argc, char **argv) {
  struct mtcp_epoll_event events[MAX_EVENTS];
  struct sockaddr_in addr;
  mctx_t server_ctx, client_ctx;
  int server_ep, client_ep, listener, client, conn = -1, round, i, n;
  int sent = 0, echoed = 0, done = 0;
  char buf[64];

  if (argc != 2 || mtcp_init(argv[1]) < 0) {
    fprintf(stderr, "usage: mtcp_echo CONFIG_FILE (mtcp_init failed)\n");
    return 1;
  }
  server_ctx = mtcp_create_context(0);
  client_ctx = mtcp_create_context(1);
  if (server_ctx == NULL || client_ctx == NULL) return 1;
  server_ep = mtcp_epoll_create(server_ctx, MAX_EVENTS);
  client_ep = mtcp_epoll_create(client_ctx, MAX_EVENTS);

  listener = mtcp_socket(server_ctx, AF_INET, SOCK_STREAM, 0);
  mtcp_setsock_nonblock(server_ctx, listener);
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = INADDR_ANY;
  addr.sin_port = htons(7);
  if (mtcp_bind(server_ctx, listener, (struct sockaddr *)&addr, sizeof addr) < 0 ||
      mtcp_listen(server_ctx, listener, 16) < 0)
    return 1;
  add(server_ctx, server_ep, listener, MTCP_EPOLLIN);

  client = mtcp_socket(client_ctx, AF_INET, SOCK_STREAM, 0);
  mtcp_setsock_nonblock(client_ctx, client);
  addr.sin_addr.s_addr = inet_addr("10.0.0.1");
  if (mtcp_connect(client_ctx, client, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS)
    return 1;
  add(client_ctx, client_ep, client, MTCP_EPOLLOUT | MTCP_EPOLLIN);

  for (round = 0; round < 200000 && !done; ++round) {
    n = mtcp_epoll_wait(server_ctx, server_ep, events, MAX_EVENTS, 0);
    for (i = 0; i < n; ++i) {
      if (events[i].data.sockid == listener) {
        conn = mtcp_accept(server_ctx, listener, NULL, NULL);
        if (conn >= 0) {
          mtcp_setsock_nonblock(server_ctx, conn);
          add(server_ctx, server_ep, conn, MTCP_EPOLLIN);
        }
      } else if (events[i].events & MTCP_EPOLLIN) {
        int got = (int)mtcp_read(server_ctx, conn, buf, sizeof buf);
        if (got > 0) mtcp_write(server_ctx, conn, buf, (size_t)got);
        if (got == 0) mtcp_close(server_ctx, conn);
      }
    }
    n = mtcp_epoll_wait(client_ctx, client_ep, events, MAX_EVENTS, 0);
    for (i = 0; i < n; ++i) {
      if (!sent && (events[i].events & MTCP_EPOLLOUT)) sent = (int)mtcp_write(client_ctx, client, "hello", 5);
      if (events[i].events & MTCP_EPOLLIN) {
        int got = (int)mtcp_read(client_ctx, client, buf, sizeof buf);
        if (got > 0) echoed += got;
        if (echoed == 5) {
          mtcp_close(client_ctx, client);
          done = 1;
        }
      }
    }
  }
  printf("mtcp_echo: echoed %d bytes (%s)\n", echoed, EventToString(MTCP_EPOLLIN | MTCP_EPOLLOUT));
  mtcp_destroy_context(client_ctx);
  mtcp_destroy_context(server_ctx);
  mtcp_destroy();
  return echoed == 5 ? 0 : 1;
}
