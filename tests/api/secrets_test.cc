// Secrets (RFC 6528 §3, RFC 6056): without a configured seed, mtcp_init keys ISNs and ports with
// 128 bits from the OS, so the ISN one context gives a connection cannot be computed from another
// run's; with a seed, runs repeat exactly (simulation, tests, replay).
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <mtcp_api.h>
#include <mtcpp_ext.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

struct Syn {
  std::uint16_t src_port;
  std::uint32_t seq;
};

// One run: a context on `config`, a connect to 10.0.0.2:80 at time 1 s, and the SYN it sent.
std::optional<Syn> first_syn(const std::string& config) {
  if (mtcpp_init_text(config.c_str(), "secrets.conf") != 0) return std::nullopt;
  mctx_t mctx = mtcp_create_context(0);
  std::optional<Syn> syn;
  if (mctx != nullptr) {
    mtcpp_set_time_us(mctx, 1'000'000);
    const int s = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
    mtcp_setsock_nonblock(mctx, s);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(80);
    to.sin_addr.s_addr = htonl(0x0a000002);
    mtcp_connect(mctx, s, reinterpret_cast<sockaddr*>(&to), sizeof to);
    // The SYN waits for 10.0.0.2's MAC: answer the ARP request.
    const unsigned char reply[42] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x06,  // Ethernet
                                     0, 1, 0x08, 0, 6, 4, 0, 2,                                    // ARP reply
                                     0x02, 0, 0, 0, 0, 0x02, 10, 0, 0, 2,                          // sender
                                     0x02, 0, 0, 0, 0, 0x01, 10, 0, 0, 1};                         // target
    mtcpp_push_frame(mctx, reply, sizeof reply);
    mtcpp_poll(mctx);
    std::vector<unsigned char> frame(2048);
    for (long n; (n = mtcpp_pop_frame(mctx, frame.data(), frame.size())) > 0;) {
      if (n < 54 || frame[12] != 0x08 || frame[13] != 0x00 || frame[23] != 6) continue;  // IPv4 TCP only
      std::uint16_t port;
      std::uint32_t seq;
      std::memcpy(&port, &frame[34], 2);
      std::memcpy(&seq, &frame[38], 4);
      syn = Syn{ntohs(port), ntohl(seq)};
      break;
    }
    mtcp_destroy_context(mctx);
  }
  mtcp_destroy();
  return syn;
}

const std::string kBase =
    "io = host\nclock = manual\naddress = 10.0.0.1/24\nmac = 02:00:00:00:00:01\n";

TEST(Secrets, WithoutASeedIsnsAndPortsCannotBeForeseen) {
  // The same configuration, the same time, the same peer: a predictable stack gives the same
  // ISN and port every time (the attack of the issue: read one ISN, predict the next).
  std::vector<Syn> syns;
  for (int i = 0; i < 4; ++i) {
    const auto syn = first_syn(kBase + "arp_hold_frames = 8\n");
    ASSERT_TRUE(syn) << "run " << i;
    syns.push_back(*syn);
  }
  for (std::size_t i = 1; i < syns.size(); ++i) {
    EXPECT_NE(syns[i].seq, syns[0].seq) << "run " << i << " repeated run 0's ISN";
  }
  int same_port = 0;
  for (std::size_t i = 1; i < syns.size(); ++i) same_port += syns[i].src_port == syns[0].src_port;
  EXPECT_LT(same_port, 3) << "the ephemeral port repeats run after run";
}

TEST(Secrets, WithASeedRunsRepeatExactly) {
  const auto a = first_syn(kBase + "seed = 5\n");
  const auto b = first_syn(kBase + "seed = 5\n");
  const auto c = first_syn(kBase + "seed = 6\n");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->seq, b->seq);
  EXPECT_EQ(a->src_port, b->src_port);
  EXPECT_NE(a->seq, c->seq);
}

// tcp_rekey_interval_s: a context keyed from the OS draws a fresh key that often (RFC 6528 §3);
// one with a seed never does, or its runs would not repeat.
std::vector<std::uint64_t> rekeys_at(const std::string& config, const std::vector<std::int64_t>& times_us) {
  std::vector<std::uint64_t> counts;
  if (mtcpp_init_text(config.c_str(), "rekey.conf") != 0) return counts;
  if (mctx_t mctx = mtcp_create_context(0)) {
    for (const std::int64_t t : times_us) {
      mtcpp_set_time_us(mctx, t);
      mtcpp_poll(mctx);
      std::uint64_t n = ~0ull;
      mtcpp_get_counter(mctx, "tcp_rekeys", &n);
      counts.push_back(n);
    }
    mtcp_destroy_context(mctx);
  }
  mtcp_destroy();
  return counts;
}

TEST(Secrets, AContextKeyedFromTheOsDrawsAFreshKeyEveryRekeyInterval) {
  const std::vector<std::int64_t> times = {9'999'999, 10'000'000, 19'999'999, 20'000'000, 45'000'000};
  EXPECT_EQ(rekeys_at(kBase + "tcp_rekey_interval_s = 10\n", times), (std::vector<std::uint64_t>{0, 1, 1, 2, 3}));
  EXPECT_EQ(rekeys_at(kBase + "tcp_rekey_interval_s = 0\n", times), (std::vector<std::uint64_t>{0, 0, 0, 0, 0}));
  EXPECT_EQ(rekeys_at(kBase + "seed = 5\ntcp_rekey_interval_s = 10\n", times),
            (std::vector<std::uint64_t>{0, 0, 0, 0, 0}));
}

}  // namespace
