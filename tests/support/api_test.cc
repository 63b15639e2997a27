#include "support/api_test.h"

#include <arpa/inet.h>

namespace mtcpp::test {

ApiTest::ApiTest() { start(default_config()); }

void ApiTest::start(const StackConfig& stack_config) {
  api::RuntimeConfig config;
  config.io = api::IoKind::host;
  config.manual_clock = true;
  config.num_cores = 1;
  config.max_concurrency = 64;
  config.mac = local_mac_;
  config.stack = stack_config;
  std::string error;
  EXPECT_EQ(api::init_runtime(config, &error), 0) << error;
  mctx_ = mtcp_create_context(0);
  EXPECT_NE(mctx_, nullptr);
  ctx_ = api::context_of(mctx_);
  ctx_->clock().set(now_);
  io_ = ctx_->host_io();
  stack_ = &ctx_->stack();
  // The gratuitous ARP of the context's start is not a segment; drop it.
  std::vector<std::uint8_t> frame;
  while (io_->pop_tx(frame)) {
  }
}

void ApiTest::reconfigure(const StackConfig& config) {
  mtcp_destroy_context(mctx_);
  mtcp_destroy();
  start(config);
}

ApiTest::~ApiTest() {
  stack_ = nullptr;
  io_ = nullptr;
  mtcp_destroy_context(mctx_);
  mtcp_destroy();
}

void ApiTest::time_changed() { ctx_->clock().set(now_); }

sockaddr_in ApiTest::local_addr() const {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(local_.addr.value);
  a.sin_port = htons(local_.port);
  return a;
}

sockaddr_in ApiTest::remote_addr() const {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(remote_.addr.value);
  a.sin_port = htons(remote_.port);
  return a;
}

int ApiTest::api_listen(int backlog) {
  const int s = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(s, 0);
  const sockaddr_in a = local_addr();
  EXPECT_EQ(mtcp_bind(mctx_, s, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
  EXPECT_EQ(mtcp_listen(mctx_, s, backlog), 0);
  EXPECT_EQ(mtcp_setsock_nonblock(mctx_, s), 0);
  api_listen_id_ = s;
  return s;
}

int ApiTest::api_established(const TcpOptions& peer_syn_options) {
  api_listen();
  inject(seg(S, 0).with_options(peer_syn_options));
  expect(seg(S | A, 0, 1));
  advance(std::chrono::milliseconds(10));
  inject(seg(A, 1, 1));
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  const int fd = mtcp_accept(mctx_, api_listen_id_, reinterpret_cast<sockaddr*>(&peer), &len);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(len, sizeof peer);
  EXPECT_EQ(ntohs(peer.sin_port), remote_.port);
  EXPECT_EQ(mtcp_setsock_nonblock(mctx_, fd), 0);
  return fd;
}

int ApiTest::api_syn_sent() {
  const int fd = mtcp_socket(mctx_, AF_INET, SOCK_STREAM, 0);
  EXPECT_EQ(mtcp_setsock_nonblock(mctx_, fd), 0);
  const sockaddr_in l = local_addr();
  EXPECT_EQ(mtcp_bind(mctx_, fd, reinterpret_cast<const sockaddr*>(&l), sizeof l), 0);
  const sockaddr_in r = remote_addr();
  EXPECT_EQ(mtcp_connect(mctx_, fd, reinterpret_cast<const sockaddr*>(&r), sizeof r), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  auto syn = next_sent();
  EXPECT_TRUE(syn && syn->flags == S);
  return fd;
}

std::vector<mtcp_epoll_event> ApiTest::wait_events(int epid, int max) {
  std::vector<mtcp_epoll_event> ev(static_cast<std::size_t>(max));
  const int n = mtcp_epoll_wait(mctx_, epid, ev.data(), max, 0);
  EXPECT_GE(n, 0);
  ev.resize(static_cast<std::size_t>(std::max(n, 0)));
  return ev;
}

void ApiTest::watch(int id, std::uint32_t events) {
  if (ep_ < 0) ep_ = mtcp_epoll_create(mctx_, 8);
  mtcp_epoll_event ev{events, {}};
  ev.data.sockid = id;
  ASSERT_EQ(mtcp_epoll_ctl(mctx_, ep_, MTCP_EPOLL_CTL_ADD, id, &ev), 0);
}

std::uint32_t ApiTest::events_for(int id) {
  std::uint32_t bits = 0;
  for (const auto& e : wait_events(ep_))
    if (e.data.sockid == id) bits |= e.events;
  return bits;
}

}  // namespace mtcpp::test
