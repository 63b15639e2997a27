// The scenarios: each stages one conversation between A (mtcpp) and B (mtcpp or ns-3's TCP)
// through the socket APIs and checks states, wire flags, bytes and leftovers.
#include <algorithm>
#include <memory>

#include <ns3/inet-socket-address.h>
#include <ns3/simulator.h>
#include <ns3/tcp-socket-factory.h>

#include "core/tcp/state.h"
#include "sim/world.h"

namespace mtcpp::sim {
namespace {

using namespace std::chrono_literals;

constexpr std::uint32_t kRequestSalt = 1, kResponseSalt = 2;

// One request/response conversation: the client connects, sends `request` bytes, reads `response`
// bytes and closes first; the server reads the request, sends the response, reads to end of
// stream (twice, both 0) and closes.
struct Conversation {
  std::uint64_t request = 0, response = 0;
  // Observed.
  std::uint64_t server_got = 0, client_got = 0;
  bool server_intact = true, client_intact = true;
  int server_eofs = 0;  // recv calls returning 0 (mtcpp server) / close callback (ns-3)
  bool client_closed = false, server_closed = false;
  std::string api_errors;
};

void check_bytes(std::uint8_t* data, long n, std::uint64_t at, std::uint32_t salt, bool& intact) {
  for (long i = 0; i < n; ++i) intact &= data[i] == stream_byte(at + i, salt);
}

// An mtcpp client on `host`.
void mtcpp_client(World& w, int host, Ipv4Addr server, Conversation& c) {
  MtcppNode& node = host == 0 ? *w.a : *w.b;
  Stack& s = node.stack();
  auto fd = std::make_shared<int>(-1);
  auto sent = std::make_shared<std::uint64_t>(0);
  w.set_app(host, [&w, &s, &c, fd, sent] {
    if (*fd < 0 || c.client_closed) return;
    if (!(s.readiness(*fd) & readiness::out)) return;
    std::vector<std::uint8_t> buf(64 * 1024);
    while (*sent < c.request) {
      const std::size_t n = std::min<std::uint64_t>(buf.size(), c.request - *sent);
      for (std::size_t i = 0; i < n; ++i) buf[i] = stream_byte(*sent + i, kRequestSalt);
      const long k = s.send(*fd, Bytes(buf.data(), n), MtcppNode::now());
      if (k <= 0) {
        if (k != -EAGAIN) c.api_errors += "client send: " + std::to_string(k) + "\n";
        break;
      }
      *sent += static_cast<std::uint64_t>(k);
    }
    while (c.client_got < c.response) {
      const long n = s.recv(*fd, buf, MtcppNode::now());
      if (n > 0) {
        check_bytes(buf.data(), n, c.client_got, kResponseSalt, c.client_intact);
        c.client_got += static_cast<std::uint64_t>(n);
      } else {
        if (n == 0) c.api_errors += "client: end of stream before the whole response\n";
        else if (n != -EAGAIN) c.api_errors += "client recv: " + std::to_string(n) + "\n";
        break;
      }
    }
    if (*sent == c.request && c.client_got == c.response) {
      const int r = s.close(*fd, MtcppNode::now());
      if (r != 0) c.api_errors += "client close: " + std::to_string(r) + "\n";
      c.client_closed = true;
    }
  });
  ns3::Simulator::Schedule(ns3::MilliSeconds(10), [&w, &s, &node, &c, fd, server] {
    *fd = s.socket(MtcppNode::now());
    const int r = s.connect(*fd, {server, World::kPort}, MtcppNode::now());
    if (r != -EINPROGRESS) c.api_errors += "connect: " + std::to_string(r) + "\n";
    node.poke();
    (void)w;
  });
}

// An mtcpp server on `host`.
void mtcpp_server(World& w, int host, Conversation& c) {
  MtcppNode& node = host == 0 ? *w.a : *w.b;
  Stack& s = node.stack();
  auto l = std::make_shared<int>(s.socket(MtcppNode::now()));
  if (s.bind(*l, {s.address(), World::kPort}) != 0 || s.listen(*l, 16) != 0) c.api_errors += "listen failed\n";
  auto fd = std::make_shared<int>(-1);
  auto sent = std::make_shared<std::uint64_t>(0);
  w.set_app(host, [&s, &c, l, fd, sent] {
    if (*fd < 0 && *l >= 0) {
      *fd = s.accept(*l, nullptr);
      if (*fd < 0) return;
      s.close(*l, MtcppNode::now());  // one connection per scenario: nothing left behind
      *l = -1;
    }
    if (*fd < 0 || c.server_closed) return;
    std::vector<std::uint8_t> buf(64 * 1024);
    while (true) {
      const long n = s.recv(*fd, buf, MtcppNode::now());
      if (n > 0) {
        check_bytes(buf.data(), n, c.server_got, kRequestSalt, c.server_intact);
        c.server_got += static_cast<std::uint64_t>(n);
        continue;
      }
      if (n == 0) {
        ++c.server_eofs;
        if (s.recv(*fd, buf, MtcppNode::now()) == 0) ++c.server_eofs;  // and 0 again
      } else if (n != -EAGAIN) {
        c.api_errors += "server recv: " + std::to_string(n) + "\n";
      }
      break;
    }
    if (c.server_got == c.request) {
      while (*sent < c.response) {
        const std::size_t n = std::min<std::uint64_t>(buf.size(), c.response - *sent);
        for (std::size_t i = 0; i < n; ++i) buf[i] = stream_byte(*sent + i, kResponseSalt);
        const long k = s.send(*fd, Bytes(buf.data(), n), MtcppNode::now());
        if (k <= 0) break;
        *sent += static_cast<std::uint64_t>(k);
      }
    }
    if (c.server_eofs > 0 && *sent == c.response) {
      const int r = s.close(*fd, MtcppNode::now());
      if (r != 0) c.api_errors += "server close: " + std::to_string(r) + "\n";
      c.server_closed = true;
    }
  });
}

ns3::Ptr<ns3::Packet> stream_packet(std::uint64_t at, std::uint64_t n, std::uint32_t salt) {
  std::vector<std::uint8_t> b(n);
  for (std::uint64_t i = 0; i < n; ++i) b[i] = stream_byte(at + i, salt);
  return ns3::Create<ns3::Packet>(b.data(), static_cast<std::uint32_t>(n));
}

// ns-3's TCP as the server on B.
void ns3_server(World& w, Conversation& c) {
  ns3::Ptr<ns3::Socket> listener = ns3::Socket::CreateSocket(w.nodes.Get(1), ns3::TcpSocketFactory::GetTypeId());
  listener->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), World::kPort));
  listener->Listen();
  // The callback lives in the listener, so it must not hold a Ptr to it: that cycle would keep
  // the listener (and ns-3's TCP state behind it) alive past Simulator::Destroy.
  ns3::Socket* listening = ns3::PeekPointer(listener);
  listener->SetAcceptCallback(
      ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
      ns3::Callback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>([&w, &c, listening](ns3::Ptr<ns3::Socket> s,
                                                                                       const ns3::Address&) {
        w.watch(s);
        listening->Close();
        s->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&c](ns3::Ptr<ns3::Socket> s) {
          while (ns3::Ptr<ns3::Packet> p = s->Recv()) {
            if (p->GetSize() == 0) break;
            std::vector<std::uint8_t> b(p->GetSize());
            p->CopyData(b.data(), b.size());
            check_bytes(b.data(), static_cast<long>(b.size()), c.server_got, kRequestSalt, c.server_intact);
            const bool was_short = c.server_got < c.request;
            c.server_got += b.size();
            if (was_short && c.server_got >= c.request && c.response > 0) {
              const int k = s->Send(stream_packet(0, c.response, kResponseSalt));
              if (k != static_cast<int>(c.response)) c.api_errors += "ns-3 server Send: " + std::to_string(k) + "\n";
            }
          }
        }));
        s->SetCloseCallbacks(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&c](ns3::Ptr<ns3::Socket> s) {
                               ++c.server_eofs;
                               // Close from a fresh event, not inside the TCP's FIN processing.
                               ns3::Simulator::ScheduleNow([s, &c] {
                                 s->Close();
                                 c.server_closed = true;
                               });
                             }),
                             ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&c](ns3::Ptr<ns3::Socket>) {
                               c.api_errors += "ns-3 server: error close\n";
                             }));
      }));
}

// ns-3's TCP as the client on B.
void ns3_client(World& w, Conversation& c) {
  ns3::Ptr<ns3::Socket> s = ns3::Socket::CreateSocket(w.nodes.Get(1), ns3::TcpSocketFactory::GetTypeId());
  w.watch(s);
  s->SetConnectCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&c](ns3::Ptr<ns3::Socket> s) {
                          const int k = s->Send(stream_packet(0, c.request, kRequestSalt));
                          if (k != static_cast<int>(c.request)) c.api_errors += "ns-3 client Send: " + std::to_string(k) + "\n";
                        }),
                        ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&c](ns3::Ptr<ns3::Socket>) {
                          c.api_errors += "ns-3 client: connect failed\n";
                        }));
  s->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([&c](ns3::Ptr<ns3::Socket> s) {
    while (ns3::Ptr<ns3::Packet> p = s->Recv()) {
      if (p->GetSize() == 0) break;
      std::vector<std::uint8_t> b(p->GetSize());
      p->CopyData(b.data(), b.size());
      check_bytes(b.data(), static_cast<long>(b.size()), c.client_got, kResponseSalt, c.client_intact);
      c.client_got += b.size();
      if (c.client_got >= c.response && !c.client_closed) {
        c.client_closed = true;
        ns3::Simulator::ScheduleNow([s] { s->Close(); });
      }
    }
  }));
  ns3::Simulator::Schedule(ns3::MilliSeconds(10), [s] {
    s->Bind();
    s->Connect(ns3::InetSocketAddress(ns3::Ipv4Address("10.0.0.1"), World::kPort));
  });
}

void check_conversation(World& w, const Conversation& c) {
  w.check(c.api_errors.empty(), "API: " + c.api_errors);
  w.check(c.server_got == c.request && c.server_intact,
          "request: server got " + std::to_string(c.server_got) + " of " + std::to_string(c.request) +
              (c.server_intact ? "" : ", corrupted"));
  w.check(c.client_got == c.response && c.client_intact,
          "response: client got " + std::to_string(c.client_got) + " of " + std::to_string(c.response) +
              (c.client_intact ? "" : ", corrupted"));
  w.check(c.client_closed && c.server_closed, "not both sides closed");
}

// Indices of the segments from `from` with flag `f`.
std::vector<std::size_t> with_flag(const World& w, int from, char f) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < w.segments.size(); ++i) {
    if (w.segments[i].from == from && w.segments[i].flags.find(f) != std::string::npos) out.push_back(i);
  }
  return out;
}

// The FIN exchange on a clean link: one FIN each way, `first` closes first, the other side's FIN
// is acknowledged by the last segment, no RST.
void check_fin_exchange(World& w, int first) {
  const auto fa = with_flag(w, first, 'F'), fb = with_flag(w, 1 - first, 'F');
  const char* nf = first == 0 ? "A" : "B";
  const char* ns = first == 0 ? "B" : "A";
  w.check(fa.size() == 1, std::string(nf) + " sent " + std::to_string(fa.size()) + " FINs, want 1");
  w.check(fb.size() == 1, std::string(ns) + " sent " + std::to_string(fb.size()) + " FINs, want 1");
  w.check(with_flag(w, 0, 'R').empty() && with_flag(w, 1, 'R').empty(), "an RST on the wire");
  if (fa.size() == 1 && fb.size() == 1) {
    w.check(fa[0] < fb[0], std::string(nf) + "'s FIN is not first");
    const Segment& fin2 = w.segments[fb[0]];
    w.check(fin2.ack == w.segments[fa[0]].seq + w.segments[fa[0]].len + 1,
            std::string(ns) + "'s FIN does not acknowledge " + nf + "'s FIN");
    const Segment& last = w.segments.back();
    w.check(last.from == first && last.flags == "." && last.ack == fin2.seq + fin2.len + 1,
            "the last segment is not " + std::string(nf) + "'s ACK of " + ns + "'s FIN");
  }
}

Result s01_active_close(Peer peer, const RunOptions& o) {
  Conversation c;  // before the world: outlives its events
  c.request = c.response = 10000;
  World w("s01-active-close", peer, o, 2s);
  mtcpp_client(w, 0, w.b_addr, c);
  if (peer == Peer::mtcpp) mtcpp_server(w, 1, c);
  else ns3_server(w, c);
  w.run(ns3::Seconds(4));
  check_conversation(w, c);
  w.check(w.passed(0, {"SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"}),
          "A's states: " + w.states_text(0) + "want SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED");
  const std::int64_t tw = w.entered(0, "TIME_WAIT"), gone = w.entered(0, "CLOSED", std::max<std::int64_t>(tw, 0));
  const std::int64_t knob = std::chrono::duration_cast<std::chrono::microseconds>(w.time_wait).count();
  w.check(tw >= 0 && gone >= 0 && gone - tw >= knob && gone - tw <= knob + 20000,
          "TIME_WAIT lasted " + std::to_string(gone - tw) + " us, knob " + std::to_string(knob) + " us (+20 ms)");
  w.check(w.passed(1, {"CLOSE_WAIT", "LAST_ACK"}), "B's states: " + w.states_text(1));
  check_fin_exchange(w, 0);
  w.check(w.a->stack().stats().tcp_retransmissions == 0, "A retransmitted on a clean link");
  w.check_clean(0);
  w.check_clean(1);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP sends no MSS option: A's segments are 536 bytes; "
                                      "ns-3 server's states are traced from accept (ESTABLISHED) on"
                                    : "");
}

Result s02_passive_close(Peer peer, const RunOptions& o) {
  Conversation c;  // before the world: outlives its events
  c.request = c.response = 10000;
  World w("s02-passive-close", peer, o, 2s);
  mtcpp_server(w, 0, c);
  if (peer == Peer::mtcpp) mtcpp_client(w, 1, w.a_addr, c);
  else ns3_client(w, c);
  w.run(ns3::Seconds(4));
  check_conversation(w, c);
  w.check(c.server_eofs == 2, "A's reads at end of stream: " + std::to_string(c.server_eofs) + " zeros, want 2");
  w.check(w.passed(0, {"SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"}),
          "A's states: " + w.states_text(0) + "want SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED");
  check_fin_exchange(w, 1);
  w.check(w.passed(1, {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"}), "B's states: " + w.states_text(1));
  if (peer == Peer::mtcpp) w.check(w.passed(1, {"TIME_WAIT", "CLOSED"}), "B's TIME_WAIT did not end: " + w.states_text(1));
  w.check(w.a->stack().stats().tcp_retransmissions == 0, "A retransmitted on a clean link");
  w.check_clean(0);
  w.check_clean(1);
  return w.result(peer == Peer::ns3 ? "ns-3's TIME_WAIT is 2*MSL of its own (not the mtcpp knob): B is still "
                                      "in TIME_WAIT when the scenario ends, so only A is checked for leftovers"
                                    : "");
}

Result bulk_loss(Peer peer, const RunOptions& o) {
  Conversation c;  // before the world: outlives its events
  c.request = 1024 * 1024;
  World w("bulk-loss", peer, o, 2s);
  w.loss_at_b(0.02);
  mtcpp_client(w, 0, w.b_addr, c);
  if (peer == Peer::mtcpp) mtcpp_server(w, 1, c);
  else ns3_server(w, c);
  w.run(ns3::Seconds(120));
  check_conversation(w, c);
  std::size_t lost = 0;
  for (const auto& s : w.segments) lost += s.lost ? 1 : 0;
  w.check(lost > 0, "no segment was lost: the error model did nothing");
  w.check(w.a->stack().stats().tcp_retransmissions > 0, "A never retransmitted");
  w.check(w.passed(0, {"ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT", "CLOSED"}), "A's states: " + w.states_text(0));
  w.check(with_flag(w, 0, 'R').empty() && with_flag(w, 1, 'R').empty(), "an RST on the wire");
  w.check_clean(0);
  w.check_clean(1);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP sends no MSS option, so A sends 536-byte segments (about 2000 "
                                      "for 1 MB, against about 720 with the mtcpp peer)"
                                    : "");
}

}  // namespace

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = {
      {"s01-active-close",
       "S01: A connects, 10 kB request/response, A closes first: FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT for the knob",
       s01_active_close},
      {"s02-passive-close",
       "S02: B connects, 10 kB request/response, B closes first: A reads 0 twice, CLOSE_WAIT, LAST_ACK, CLOSED",
       s02_passive_close},
      {"bulk-loss", "1 MB from A to B with 2 % seeded random loss at B: bytes intact, retransmissions, clean close",
       bulk_loss},
  };
  return all;
}

}  // namespace mtcpp::sim
