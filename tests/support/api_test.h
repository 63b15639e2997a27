// Packet-level tests through mTCP's API: one context built with `io = host` and a manual clock,
// driven by mtcp_* calls on one side and by the packet DSL (PacketTest) on the other. The DSL's
// time is the context's time.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include "api/context.h"
#include "api/mtcp_api.h"
#include "api/mtcp_epoll.h"
#include "api/runtime.h"
#include "support/packet_test.h"

// A call that must fail with -1 and exactly this errno.
#define EXPECT_ERRNO(call, err) \
  do {                          \
    errno = 0;                  \
    EXPECT_EQ((call), -1);      \
    EXPECT_EQ(errno, (err));    \
  } while (0)

namespace mtcpp::test {

class ApiTest : public PacketTest {
 protected:
  ApiTest();
  ~ApiTest() override;
  void time_changed() override;

  // Rebuilds the runtime and its context with another stack configuration (the knobs), before
  // anything else in a test.
  void reconfigure(const StackConfig& config);
  // After a call that drove the context's clock (a blocking call), the DSL's time follows it.
  void catch_up() { now_ = ctx_->now(); }

  api::Context& context() { return *ctx_; }
  sockaddr_in local_addr() const;
  sockaddr_in remote_addr() const;

  // L listens through the API on local_.port (id returned, also in api_listen_id_).
  int api_listen(int backlog = 8);
  // E0 through the API: the listener, P's handshake, and the accepted id (nonblocking).
  int api_established(const TcpOptions& peer_syn_options = syn_options());
  // A nonblocking connect whose SYN has been consumed.
  int api_syn_sent();
  // The next events of epid with a zero timeout.
  std::vector<mtcp_epoll_event> wait_events(int epid, int max = 16);
  // Registers id (level-triggered unless events say otherwise) in the fixture's own epoll
  // instance, ep_, created on first use.
  void watch(int id, std::uint32_t events = MTCP_EPOLLIN | MTCP_EPOLLOUT | MTCP_EPOLLRDHUP);
  // What one epoll_wait of ep_ with timeout 0 reports for id; 0 when nothing.
  std::uint32_t events_for(int id);

  void start(const StackConfig& config);

  mctx_t mctx_ = nullptr;
  api::Context* ctx_ = nullptr;
  int api_listen_id_ = -1;
  int ep_ = -1;
};

}  // namespace mtcpp::test
