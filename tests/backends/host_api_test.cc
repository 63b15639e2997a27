// The host C API (mtcpp_host.h) as a C program would use it: two stacks joined by nothing but
// this test, which pops each one's frames and pushes them into the other, and a clock that moves
// only when the test says so. No C++ type of the stack appears here on purpose.
#include "backends/host/mtcpp_host.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace mtcpp {
namespace {

constexpr std::int64_t kStartUs = 1'000'000;
constexpr std::int64_t kTimeWaitUs = 2'000'000;
constexpr std::uint16_t kServerPort = 80;
const std::uint32_t kClientAddr = mtcpp_host_ipv4(10, 0, 0, 1);
const std::uint32_t kServerAddr = mtcpp_host_ipv4(10, 0, 0, 2);

mtcpp_host_config config_for(std::uint32_t address, std::uint8_t mac_last) {
  mtcpp_host_config cfg;
  mtcpp_host_config_init(&cfg);
  cfg.address = address;
  const std::uint8_t mac[6] = {0x02, 0, 0, 0, 0, mac_last};
  std::memcpy(cfg.mac, mac, sizeof mac);
  cfg.time_wait_us = kTimeWaitUs;
  return cfg;
}

mtcpp_host* create_or_fail(const mtcpp_host_config& cfg) {
  char err[128] = "";
  mtcpp_host* h = mtcpp_host_create(&cfg, err, sizeof err);
  EXPECT_NE(h, nullptr) << err;
  return h;
}

std::uint64_t counter(const mtcpp_host* h, const char* name) {
  std::uint64_t value = 0;
  EXPECT_EQ(mtcpp_host_stats(h, name, &value), 0) << name;
  return value;
}

std::vector<std::uint8_t> pattern(std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>((i * 131 + i / 997) & 0xff);
  return bytes;
}

// A client and a server stack on one Ethernet segment that the test carries by hand.
class HostApiPair : public ::testing::Test {
 protected:
  HostApiPair()
      : client_(create_or_fail(config_for(kClientAddr, 1))), server_(create_or_fail(config_for(kServerAddr, 2))) {}
  ~HostApiPair() override {
    mtcpp_host_destroy(client_);
    mtcpp_host_destroy(server_);
  }

  // Moves every queued frame from one stack to the other; returns how many moved.
  int carry(mtcpp_host* from, mtcpp_host* to) {
    std::uint8_t frame[2048];
    int moved = 0;
    for (long len; (len = mtcpp_host_pop_frame(from, frame, sizeof frame)) > 0; ++moved)
      EXPECT_EQ(mtcpp_host_push_frame(to, frame, static_cast<std::size_t>(len)), 0);
    return moved;
  }

  // Polls both stacks at the current time and carries frames until neither sends any more.
  int exchange() {
    int total = 0;
    for (int moved = 1; moved > 0; total += moved) {
      EXPECT_GE(mtcpp_host_poll(client_, now_), 0);
      EXPECT_GE(mtcpp_host_poll(server_, now_), 0);
      moved = carry(client_, server_) + carry(server_, client_);
    }
    return total;
  }

  std::int64_t next_deadline() const {
    return std::min(mtcpp_host_next_deadline(client_), mtcpp_host_next_deadline(server_));
  }

  // Moves the clock to `until`, stopping at every deadline on the way to run its timers.
  void advance_to(std::int64_t until) {
    exchange();
    int steps = 0;
    for (std::int64_t next; (next = next_deadline()) <= until; ++steps) {
      if (steps == 100000) {
        ADD_FAILURE() << "a timer due at " << next << " keeps firing";
        break;
      }
      now_ = std::max(now_, next);
      exchange();
    }
    now_ = until;
    exchange();
  }

  // The fixture's connection: the client's socket and the server's accepted one.
  void connect() {
    listener_ = mtcpp_host_socket(server_, now_);
    ASSERT_GE(listener_, 0);
    ASSERT_EQ(mtcpp_host_bind(server_, listener_, kServerAddr, kServerPort), 0);
    ASSERT_EQ(mtcpp_host_listen(server_, listener_, 8), 0);

    client_fd_ = mtcpp_host_socket(client_, now_);
    ASSERT_GE(client_fd_, 0);
    ASSERT_EQ(mtcpp_host_connect(client_, client_fd_, kServerAddr, kServerPort, now_), -EINPROGRESS);
    exchange();  // ARP request and reply, SYN, SYN-ACK, ACK

    EXPECT_EQ(mtcpp_host_readiness(server_, listener_) & MTCPP_HOST_IN, MTCPP_HOST_IN);
    std::uint32_t peer_addr = 0;
    std::uint16_t peer_port = 0;
    server_fd_ = mtcpp_host_accept(server_, listener_, &peer_addr, &peer_port);
    ASSERT_GE(server_fd_, 0);
    EXPECT_EQ(peer_addr, kClientAddr);

    std::uint32_t local_addr = 0;
    std::uint16_t local_port = 0;
    ASSERT_EQ(mtcpp_host_local_endpoint(client_, client_fd_, &local_addr, &local_port), 0);
    EXPECT_EQ(local_addr, kClientAddr);
    EXPECT_EQ(local_port, peer_port);
    EXPECT_EQ(mtcpp_host_readiness(client_, client_fd_) & MTCPP_HOST_OUT, MTCPP_HOST_OUT);
  }

  // Reads what is readable now; returns the last result (0 at end of stream, -EAGAIN when dry).
  long drain(mtcpp_host* h, int fd, std::vector<std::uint8_t>& into) {
    std::uint8_t buf[16384];
    long n;
    while ((n = mtcpp_host_recv(h, fd, buf, sizeof buf, 0, now_)) > 0) into.insert(into.end(), buf, buf + n);
    return n;
  }

  // Sends all of `data` from one side while the other reads it; returns what the reader got.
  std::vector<std::uint8_t> transfer(mtcpp_host* writer, int writer_fd, mtcpp_host* reader, int reader_fd,
                                     const std::vector<std::uint8_t>& data) {
    std::vector<std::uint8_t> received;
    std::size_t sent = 0;
    for (int round = 0; received.size() < data.size() && round < 100000; ++round) {
      const std::size_t before = received.size() + sent;
      if (sent < data.size()) {
        const long n = mtcpp_host_send(writer, writer_fd, data.data() + sent, data.size() - sent, now_);
        if (n > 0) sent += static_cast<std::size_t>(n);
        else EXPECT_EQ(n, -EAGAIN);
      }
      const int frames = exchange();
      EXPECT_EQ(drain(reader, reader_fd, received), -EAGAIN);
      if (frames == 0 && received.size() + sent == before) {
        // Nothing moved: only a timer (a delayed ACK, say) can make progress.
        const std::int64_t next = next_deadline();
        if (next == INT64_MAX) {
          ADD_FAILURE() << "stuck after " << received.size() << " bytes";
          break;
        }
        now_ = std::max(now_, next);
      }
    }
    return received;
  }

  // `first` closes its sending side, `second` sees end of stream, then both close. `first` ends
  // in TIME_WAIT, which expires after time_wait_us.
  void close_gracefully(mtcpp_host* first, int first_fd, mtcpp_host* second, int second_fd) {
    ASSERT_EQ(mtcpp_host_shutdown(first, first_fd, MTCPP_HOST_SHUT_WR, now_), 0);
    exchange();
    std::vector<std::uint8_t> got;
    EXPECT_EQ(drain(second, second_fd, got), 0);  // end of stream
    EXPECT_TRUE(mtcpp_host_readiness(second, second_fd) & MTCPP_HOST_RDHUP);

    // The half-closed direction still carries data.
    const std::string bye = "bye";
    EXPECT_EQ(mtcpp_host_send(second, second_fd, bye.data(), bye.size(), now_), 3);
    ASSERT_EQ(mtcpp_host_close(second, second_fd, now_), 0);
    exchange();
    got.clear();
    EXPECT_EQ(drain(first, first_fd, got), 0);
    EXPECT_EQ(std::string(got.begin(), got.end()), bye);
    ASSERT_EQ(mtcpp_host_close(first, first_fd, now_), 0);
    exchange();

    EXPECT_EQ(counter(first, "tcp_time_wait"), 1u);
    EXPECT_EQ(counter(second, "tcp_time_wait"), 0u);
    const std::int64_t closed_at = now_;
    advance_to(closed_at + kTimeWaitUs - 1000);
    EXPECT_EQ(counter(first, "tcp_time_wait"), 1u) << "TIME_WAIT ended early";
    advance_to(closed_at + kTimeWaitUs + 10'000);  // the timer wheel ticks in milliseconds
    EXPECT_EQ(counter(first, "tcp_time_wait"), 0u);
    EXPECT_EQ(counter(first, "tcp_resets_sent") + counter(second, "tcp_resets_sent"), 0u);
  }

  mtcpp_host* client_;
  mtcpp_host* server_;
  std::int64_t now_ = kStartUs;
  int listener_ = -1;
  int client_fd_ = -1;
  int server_fd_ = -1;
};

TEST_F(HostApiPair, HandshakeConnectsBothSides) {
  connect();
  EXPECT_EQ(counter(client_, "tcp_active_opens"), 1u);
  EXPECT_EQ(counter(server_, "tcp_passive_opens"), 1u);
  EXPECT_EQ(counter(client_, "arp_requests_sent"), 1u);
  std::uint32_t addr = 0;
  std::uint16_t port = 0;
  ASSERT_EQ(mtcpp_host_remote_endpoint(client_, client_fd_, &addr, &port), 0);
  EXPECT_EQ(addr, kServerAddr);
  EXPECT_EQ(port, kServerPort);
}

TEST_F(HostApiPair, TransfersOneMegabyteIntact) {
  connect();
  const std::vector<std::uint8_t> data = pattern(1 << 20);
  const std::vector<std::uint8_t> received = transfer(client_, client_fd_, server_, server_fd_, data);
  ASSERT_EQ(received.size(), data.size());
  EXPECT_TRUE(received == data) << "the bytes differ";
  EXPECT_EQ(counter(client_, "tcp_retransmissions"), 0u);  // a lossless wire

  // And back, with a peek first: it shows the bytes without taking them.
  const std::string reply = "reply";
  ASSERT_EQ(mtcpp_host_send(server_, server_fd_, reply.data(), reply.size(), now_), 5);
  exchange();
  char peeked[8] = {};
  EXPECT_EQ(mtcpp_host_recv(client_, client_fd_, peeked, sizeof peeked, MTCPP_HOST_PEEK, now_), 5);
  std::vector<std::uint8_t> got;
  EXPECT_EQ(drain(client_, client_fd_, got), -EAGAIN);
  EXPECT_EQ(std::string(peeked), reply);
  EXPECT_EQ(std::string(got.begin(), got.end()), reply);
}

TEST_F(HostApiPair, ClientClosesFirstAndWaitsOutTimeWait) {
  connect();
  close_gracefully(client_, client_fd_, server_, server_fd_);
  EXPECT_EQ(counter(client_, "tcp_connections_in_use"), 0u);
  EXPECT_EQ(counter(server_, "tcp_connections_in_use"), 1u);  // the listener
}

TEST_F(HostApiPair, ServerClosesFirstAndWaitsOutTimeWait) {
  connect();
  close_gracefully(server_, server_fd_, client_, client_fd_);
  EXPECT_EQ(counter(client_, "tcp_connections_in_use"), 0u);
  EXPECT_EQ(counter(server_, "tcp_connections_in_use"), 1u);
}

TEST_F(HostApiPair, AbortResetsThePeer) {
  connect();
  ASSERT_EQ(mtcpp_host_abort(client_, client_fd_, now_), 0);
  exchange();
  EXPECT_EQ(counter(server_, "tcp_resets_received"), 1u);
  EXPECT_TRUE(mtcpp_host_readiness(server_, server_fd_) & MTCPP_HOST_ERR);
  std::uint8_t buf[16];
  EXPECT_EQ(mtcpp_host_recv(server_, server_fd_, buf, sizeof buf, 0, now_), -ECONNRESET);
}

// ---- configuration -----------------------------------------------------------------------------

// The message create() gives for a configuration changed by `edit`, or "" if it succeeded.
template <class Edit>
std::string create_error(Edit edit) {
  mtcpp_host_config cfg = config_for(kClientAddr, 1);
  edit(cfg);
  char err[128] = "";
  mtcpp_host* h = mtcpp_host_create(&cfg, err, sizeof err);
  mtcpp_host_destroy(h);
  return h != nullptr ? "" : err;
}

TEST(HostApiConfig, DefaultsAreTheCoreOnes) {
  mtcpp_host_config cfg;
  mtcpp_host_config_init(&cfg);
  EXPECT_EQ(cfg.address, 0u);
  EXPECT_EQ(cfg.prefix_len, 24);
  EXPECT_EQ(cfg.mtu, 1500);
  EXPECT_EQ(cfg.rto_min_us, 200'000);
  EXPECT_EQ(cfg.time_wait_us, 60'000'000);
  EXPECT_EQ(cfg.send_buffer, 256u * 1024);
  EXPECT_EQ(cfg.max_connections, 10000u);
  EXPECT_EQ(cfg.max_orphans, 65536u);
  EXPECT_EQ(cfg.buffer_memory_limit, 1ull << 30);
  EXPECT_EQ(cfg.idle_timeout_us, 0);
  EXPECT_EQ(cfg.zero_window_timeout_us, 0);
  EXPECT_EQ(cfg.mtu_probing, 1);
  EXPECT_TRUE(std::all_of(std::begin(cfg.secret), std::end(cfg.secret), [](std::uint8_t b) { return b == 0; }));
  mtcpp_host_config_init(nullptr);  // ignored
}

TEST(HostApiConfig, BadFieldIsNamed) {
  EXPECT_EQ(create_error([](mtcpp_host_config&) {}), "");
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.address = 0; }).rfind("address:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.prefix_len = 33; }).rfind("prefix_len:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.gateway = mtcpp_host_ipv4(192, 168, 0, 1); })
                .rfind("gateway:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { std::memset(c.mac, 0, 6); }).rfind("mac:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.mac[0] = 0x01; }).rfind("mac:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.mtu = 100; }).rfind("mtu:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.frame_buffers = 0; }).rfind("frame_buffers:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.send_buffer = 10; }).rfind("tcp.send_buffer:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.receive_buffer = 0; }).rfind("tcp.receive_buffer:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.rto_min_us = 0; }).rfind("tcp.rto_", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.time_wait_us = -1; }).rfind("tcp.time_wait:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.delayed_ack_us = 600'000; }).rfind("tcp.delayed_ack:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.max_connections = 0; }).rfind("tcp.max_connections:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.max_connections = 1u << 25; }).rfind("tcp.max_connections:", 0),
            0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.max_orphans = 0; }).rfind("tcp.max_orphans:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.idle_timeout_us = -1; }).rfind("tcp.idle_timeout:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.zero_window_timeout_us = -1; }).rfind("tcp.zero_window_timeout:", 0),
            0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.mtu_probing = 3; }).rfind("tcp.mtu_probing:", 0), 0u);
  EXPECT_EQ(create_error([](mtcpp_host_config& c) { c.mtu_probing = 2; }), "");
}

// The ISN of the client's SYN to a server stack, both built from these configurations at the
// same time: the handshake carried by hand until the SYN shows.
std::uint32_t syn_isn(const mtcpp_host_config& client_cfg) {
  mtcpp_host* client = create_or_fail(client_cfg);
  mtcpp_host* server = create_or_fail(config_for(kServerAddr, 2));
  const int l = mtcpp_host_socket(server, kStartUs);
  EXPECT_EQ(mtcpp_host_bind(server, l, kServerAddr, kServerPort), 0);
  EXPECT_EQ(mtcpp_host_listen(server, l, 8), 0);
  const int c = mtcpp_host_socket(client, kStartUs);
  EXPECT_EQ(mtcpp_host_connect(client, c, kServerAddr, kServerPort, kStartUs), -EINPROGRESS);
  std::uint32_t isn = 0;
  std::uint8_t f[2048];
  for (int round = 0; round < 4 && isn == 0; ++round) {
    mtcpp_host_poll(client, kStartUs);
    for (long n; (n = mtcpp_host_pop_frame(client, f, sizeof f)) > 0;) {
      const bool tcp_syn = n >= 54 && f[12] == 0x08 && f[13] == 0x00 && f[23] == 6 && (f[47] & 0x02) != 0;
      if (tcp_syn) isn = std::uint32_t{f[38]} << 24 | std::uint32_t{f[39]} << 16 | std::uint32_t{f[40]} << 8 | f[41];
      else mtcpp_host_push_frame(server, f, static_cast<std::size_t>(n));
    }
    mtcpp_host_poll(server, kStartUs);
    for (long n; (n = mtcpp_host_pop_frame(server, f, sizeof f)) > 0;) mtcpp_host_push_frame(client, f, static_cast<std::size_t>(n));
  }
  mtcpp_host_destroy(client);
  mtcpp_host_destroy(server);
  EXPECT_NE(isn, 0u) << "no SYN";
  return isn;
}

TEST(HostApiConfig, ASecretKeysIsnsInsteadOfTheSeed) {
  mtcpp_host_config cfg = config_for(kClientAddr, 1);
  const std::uint32_t seeded = syn_isn(cfg);
  EXPECT_EQ(syn_isn(cfg), seeded);  // the seed alone: the same ISN every time (predictable)
  for (std::uint8_t i = 0; i < 16; ++i) cfg.secret[i] = static_cast<std::uint8_t>(0x5a + 7 * i);
  const std::uint32_t keyed = syn_isn(cfg);
  EXPECT_NE(keyed, seeded);
  EXPECT_EQ(syn_isn(cfg), keyed);  // the same secret keys the same way
  cfg.secret[15] ^= 1;
  EXPECT_NE(syn_isn(cfg), keyed);
}

TEST(HostApiConfig, RekeyTakesANonZeroSecret) {
  mtcpp_host* h = create_or_fail(config_for(kClientAddr, 1));
  const std::uint8_t zero[16] = {};
  std::uint8_t key[16] = {};
  key[3] = 9;
  EXPECT_EQ(mtcpp_host_rekey(nullptr, key, kStartUs), -EINVAL);
  EXPECT_EQ(mtcpp_host_rekey(h, nullptr, kStartUs), -EINVAL);
  EXPECT_EQ(mtcpp_host_rekey(h, zero, kStartUs), -EINVAL);
  EXPECT_EQ(mtcpp_host_rekey(h, key, -1), -EINVAL);
  EXPECT_EQ(counter(h, "tcp_rekeys"), 0u);
  EXPECT_EQ(mtcpp_host_rekey(h, key, kStartUs), 0);
  EXPECT_EQ(counter(h, "tcp_rekeys"), 1u);
  mtcpp_host_destroy(h);
}

TEST(HostApiConfig, MaxConnectionsCapsSockets) {
  mtcpp_host_config cfg = config_for(kClientAddr, 1);
  cfg.max_connections = 3;
  mtcpp_host* h = create_or_fail(cfg);
  for (int i = 0; i < 3; ++i) EXPECT_GE(mtcpp_host_socket(h, 0), 0);
  EXPECT_EQ(mtcpp_host_socket(h, 0), -ENFILE);
  mtcpp_host_destroy(h);
}

TEST(HostApiConfig, NullConfigAndMessageBuffers) {
  char err[64] = "";
  EXPECT_EQ(mtcpp_host_create(nullptr, err, sizeof err), nullptr);
  EXPECT_STREQ(err, "config: NULL");

  mtcpp_host_config cfg;
  mtcpp_host_config_init(&cfg);  // no address: invalid
  EXPECT_EQ(mtcpp_host_create(&cfg, nullptr, 0), nullptr);
  EXPECT_EQ(mtcpp_host_create(&cfg, nullptr, sizeof err), nullptr);
  char small[5] = {'x', 'x', 'x', 'x', 'x'};
  EXPECT_EQ(mtcpp_host_create(&cfg, small, sizeof small), nullptr);
  EXPECT_STREQ(small, "addr");  // truncated, still terminated
  char untouched[4] = {'x', 'x', 'x', 'x'};
  EXPECT_EQ(mtcpp_host_create(&cfg, untouched, 0), nullptr);
  EXPECT_EQ(untouched[0], 'x');
}

TEST(HostApiConfig, LargeMtuGetsBuffersThatHoldItsFrames) {
  mtcpp_host_config cfg = config_for(kClientAddr, 1);
  cfg.mtu = 9000;
  mtcpp_host* h = create_or_fail(cfg);
  std::vector<std::uint8_t> jumbo(9000 + 14);
  EXPECT_EQ(mtcpp_host_push_frame(h, jumbo.data(), jumbo.size()), 0);
  mtcpp_host_destroy(h);
}

// ---- bad arguments -----------------------------------------------------------------------------

TEST(HostApiArguments, NullHandleIsEinvalEverywhere) {
  std::uint8_t buf[64] = {};
  std::uint32_t addr = 0;
  std::uint16_t port = 0;
  int value = 0;
  std::uint64_t count = 0;
  mtcpp_host_destroy(nullptr);
  EXPECT_EQ(mtcpp_host_start(nullptr, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_push_frame(nullptr, buf, sizeof buf), -EINVAL);
  EXPECT_EQ(mtcpp_host_pop_frame(nullptr, buf, sizeof buf), -EINVAL);
  EXPECT_EQ(mtcpp_host_pending_frame(nullptr), -EINVAL);
  EXPECT_EQ(mtcpp_host_poll(nullptr, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_next_deadline(nullptr), -EINVAL);
  EXPECT_EQ(mtcpp_host_socket(nullptr, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_bind(nullptr, 0, 0, 80), -EINVAL);
  EXPECT_EQ(mtcpp_host_listen(nullptr, 0, 1), -EINVAL);
  EXPECT_EQ(mtcpp_host_accept(nullptr, 0, &addr, &port), -EINVAL);
  EXPECT_EQ(mtcpp_host_connect(nullptr, 0, kServerAddr, 80, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_send(nullptr, 0, buf, sizeof buf, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_recv(nullptr, 0, buf, sizeof buf, 0, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_shutdown(nullptr, 0, MTCPP_HOST_SHUT_WR, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_close(nullptr, 0, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_abort(nullptr, 0, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_readiness(nullptr, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_setsockopt(nullptr, 0, MTCPP_HOST_OPT_NODELAY, 1), -EINVAL);
  EXPECT_EQ(mtcpp_host_getsockopt(nullptr, 0, MTCPP_HOST_OPT_NODELAY, &value), -EINVAL);
  EXPECT_EQ(mtcpp_host_local_endpoint(nullptr, 0, &addr, &port), -EINVAL);
  EXPECT_EQ(mtcpp_host_remote_endpoint(nullptr, 0, &addr, &port), -EINVAL);
  EXPECT_EQ(mtcpp_host_stats(nullptr, "frames_sent", &count), -EINVAL);
}

class HostApiOneStack : public ::testing::Test {
 protected:
  HostApiOneStack() : h_(create_or_fail(config_for(kClientAddr, 1))) {}
  ~HostApiOneStack() override { mtcpp_host_destroy(h_); }
  mtcpp_host* h_;
};

TEST_F(HostApiOneStack, NullBuffersAreEinval) {
  const int fd = mtcpp_host_socket(h_, 0);
  ASSERT_GE(fd, 0);
  std::uint32_t addr = 0;
  std::uint16_t port = 0;
  EXPECT_EQ(mtcpp_host_push_frame(h_, nullptr, 60), -EINVAL);
  EXPECT_EQ(mtcpp_host_pop_frame(h_, nullptr, 2048), -EINVAL);
  EXPECT_EQ(mtcpp_host_send(h_, fd, nullptr, 10, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_recv(h_, fd, nullptr, 10, 0, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_getsockopt(h_, fd, MTCPP_HOST_OPT_NODELAY, nullptr), -EINVAL);
  EXPECT_EQ(mtcpp_host_local_endpoint(h_, fd, nullptr, &port), -EINVAL);
  EXPECT_EQ(mtcpp_host_local_endpoint(h_, fd, &addr, nullptr), -EINVAL);
  EXPECT_EQ(mtcpp_host_remote_endpoint(h_, fd, nullptr, nullptr), -EINVAL);
  std::uint64_t count = 0;
  EXPECT_EQ(mtcpp_host_stats(h_, nullptr, &count), -EINVAL);
  EXPECT_EQ(mtcpp_host_stats(h_, "frames_sent", nullptr), -EINVAL);
}

TEST_F(HostApiOneStack, SocketErrorsAreTheStacks) {
  std::uint8_t buf[16];
  EXPECT_EQ(mtcpp_host_close(h_, 42, 0), -EBADF);
  EXPECT_EQ(mtcpp_host_recv(h_, 42, buf, sizeof buf, 0, 0), -EBADF);
  EXPECT_EQ(mtcpp_host_readiness(h_, 42), 0);  // the stack's answer for an id not open
  const int fd = mtcpp_host_socket(h_, 0);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(mtcpp_host_send(h_, fd, buf, sizeof buf, 0), -ENOTCONN);
  EXPECT_EQ(mtcpp_host_accept(h_, fd, nullptr, nullptr), -EINVAL);  // not listening
  // The API's own checks.
  EXPECT_EQ(mtcpp_host_shutdown(h_, fd, 7, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_recv(h_, fd, buf, sizeof buf, 0x100, 0), -EINVAL);
  EXPECT_EQ(mtcpp_host_setsockopt(h_, fd, 999, 1), -ENOPROTOOPT);
  int value = -1;
  ASSERT_EQ(mtcpp_host_setsockopt(h_, fd, MTCPP_HOST_OPT_NODELAY, 1), 0);
  ASSERT_EQ(mtcpp_host_getsockopt(h_, fd, MTCPP_HOST_OPT_NODELAY, &value), 0);
  EXPECT_EQ(value, 1);
}

TEST_F(HostApiOneStack, TimeMustNotGoBackwards) {
  EXPECT_EQ(mtcpp_host_poll(h_, -1), -EINVAL);
  EXPECT_EQ(mtcpp_host_poll(h_, 5000), INT64_MAX);  // nothing to do: no deadline
  EXPECT_EQ(mtcpp_host_poll(h_, 5000), INT64_MAX);  // the same time again is fine
  EXPECT_EQ(mtcpp_host_poll(h_, 4999), -EINVAL);
  EXPECT_EQ(mtcpp_host_socket(h_, 4000), -EINVAL);
  EXPECT_EQ(mtcpp_host_next_deadline(h_), INT64_MAX);
}

TEST_F(HostApiOneStack, TooSmallPopBufferKeepsTheFrame) {
  ASSERT_EQ(mtcpp_host_start(h_, 0), 0);  // a gratuitous ARP, padded to 60 bytes
  const long size = mtcpp_host_pending_frame(h_);
  ASSERT_EQ(size, 60);
  std::uint8_t small[16];
  EXPECT_EQ(mtcpp_host_pop_frame(h_, small, sizeof small), -EMSGSIZE);
  EXPECT_EQ(mtcpp_host_pop_frame(h_, small, 0), -EMSGSIZE);
  EXPECT_EQ(mtcpp_host_pending_frame(h_), size);
  std::uint8_t frame[60];
  ASSERT_EQ(mtcpp_host_pop_frame(h_, frame, static_cast<std::size_t>(size)), size);
  EXPECT_EQ(frame[12], 0x08);  // EtherType ARP, 0x0806
  EXPECT_EQ(frame[13], 0x06);
  EXPECT_EQ(mtcpp_host_pop_frame(h_, frame, sizeof frame), 0);
  EXPECT_EQ(mtcpp_host_pending_frame(h_), 0);
}

TEST_F(HostApiOneStack, PushRefusesOversizeFramesAndAFullPool) {
  std::vector<std::uint8_t> huge(4096);
  EXPECT_EQ(mtcpp_host_push_frame(h_, huge.data(), huge.size()), -EMSGSIZE);

  mtcpp_host_config cfg = config_for(kServerAddr, 2);
  cfg.frame_buffers = 16;
  mtcpp_host* small = create_or_fail(cfg);
  const std::uint8_t frame[60] = {};
  for (int i = 0; i < 16; ++i) ASSERT_EQ(mtcpp_host_push_frame(small, frame, sizeof frame), 0) << i;
  EXPECT_EQ(mtcpp_host_push_frame(small, frame, sizeof frame), -ENOBUFS);
  EXPECT_GE(mtcpp_host_poll(small, 0), 0);  // the stack takes them (and drops them as not ours)
  EXPECT_EQ(mtcpp_host_push_frame(small, frame, sizeof frame), 0);
  EXPECT_EQ(counter(small, "frames_received"), 16u);
  mtcpp_host_destroy(small);
}

TEST_F(HostApiOneStack, CountersAreNamed) {
  std::size_t n = 0;
  for (; mtcpp_host_stats_name(n) != nullptr; ++n) {
    std::uint64_t value = 1;
    EXPECT_EQ(mtcpp_host_stats(h_, mtcpp_host_stats_name(n), &value), 0) << mtcpp_host_stats_name(n);
    EXPECT_EQ(value, 0u) << mtcpp_host_stats_name(n);
  }
  EXPECT_GE(n, 30u);
  EXPECT_STREQ(mtcpp_host_stats_name(0), "frames_received");
  std::uint64_t value = 0;
  EXPECT_EQ(mtcpp_host_stats(h_, "no_such_counter", &value), -ENOENT);
}

}  // namespace
}  // namespace mtcpp
