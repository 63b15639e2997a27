// Internal to the scenario files (sim/scenarios_*.cc): the pieces every scenario uses. A
// scenario builds a World, connects A and B in a role (A as client or as server), gives each
// host's application a script, runs, and checks API results, states and their timing, the flags
// on the wire, bytes, and what is left.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "sim/world.h"

namespace mtcpp::sim {

using namespace std::chrono_literals;

// Which side A (mtcpp, under test) plays.
enum class Role { client, server };

inline const char* role_name(Role r) { return r == Role::client ? "client" : "server"; }
inline const std::vector<Role> kBoth = {Role::client, Role::server};

// The knobs of the scenarios' mtcpp stacks: short timers so runs stay short, RTO_min Linux-like.
inline TcpConfig scenario_tcp() {
  TcpConfig t;
  t.time_wait = 2s;
  t.fin_wait_2_timeout = 3s;
  t.rto_min = 200ms;
  return t;
}

inline std::int64_t us(Duration d) { return std::chrono::duration_cast<std::chrono::microseconds>(d).count(); }

// The host playing the server / client when A plays `a`.
inline int server_of(Role a) { return a == Role::server ? 0 : 1; }
inline int client_of(Role a) { return a == Role::server ? 1 : 0; }

// The server listens on World::kPort; the client connects at 10 ms.
inline void connect_pair(World& w, Role a) {
  const int server = server_of(a);
  w.app(server).listen(World::kPort);
  HostApp& client = w.app(client_of(a));
  const Ipv4Addr to = w.addr(server);
  client.at_ms(10, [&client, to] { client.connect(to, World::kPort); });
}

// Once an error shows (a reset), the application closes.
inline void close_on_error(HostApp& x) {
  x.when([&x] { return x.error() != 0; }, [&x] { x.close(); });
}

// Once an error shows, the application tries one more write (which must fail: the error was
// reported once, so EPIPE) and closes.
inline void write_then_close_on_error(HostApp& x) {
  x.when([&x] { return x.error() != 0; }, [&x] {
    x.write(10);
    x.close();
  });
}

// `host`'s application logged `entry`.
inline void expect_logged(World& w, int host, const std::string& entry) {
  w.check(w.app(host).logged(entry), "want '" + entry + "' in " + w.app(host).log_text());
}

inline void expect_states(World& w, int host, const std::vector<std::string>& want) {
  std::string list;
  for (const auto& s : want) list += s + " ";
  w.check(w.passed(host, want), std::string(host == 0 ? "A" : "B") + "'s states: " + w.states_text(host) +
                                    "want in order: " + list);
}

inline void expect_no_flag(World& w, int from, const std::string& flags) {
  const auto found = w.sent(from, flags);
  w.check(found.empty(), std::string(from == 0 ? "A" : "B") + " sent " + std::to_string(found.size()) +
                             " segment(s) with flags " + flags);
}

// Each side read exactly what the other wrote, intact.
inline void expect_bytes(World& w) {
  for (int h = 0; h < 2; ++h) {
    const HostApp& reader = w.app(h);
    const HostApp& writer = w.app(1 - h);
    w.check(reader.got() == writer.written() && reader.intact(),
            reader.name() + " read " + std::to_string(reader.got()) + " bytes of " +
                std::to_string(writer.written()) + (reader.intact() ? "" : ", corrupted"));
  }
}

// How long `host` stayed in `state` the first time (entered to the next state change), or -1.
std::int64_t time_in(const World& w, int host, const std::string& state);

// The times of the segments from `from` with all of `flags`, relative to the first one.
std::vector<std::int64_t> offsets(const World& w, int from, const std::string& flags);

// The FINs from `from`: `count` of them with the same SEQ (and ACK, unless the peer's FIN came in
// between), each interval at least RTO_min and then twice the one before (10 ms of slack for the
// timer tick and for CSMA, which can hold a frame back a little while the channel is busy).
// `to_r2`: the sender retransmits until it gives up, so a tail loss probe, when it sends one, is
// a FIN more than `count`.
void expect_fin_backoff(World& w, int from, std::size_t count, bool same_ack = true, bool to_r2 = false);

// Nothing from `from` in (start, end].
void expect_silence(World& w, int from, std::int64_t start, std::int64_t end, const std::string& what);

// How many times `host`'s application logged `entry`.
int count_logged(const World& w, int host, const std::string& entry);

// The FIN exchange on a clean link: one FIN each way, `first` closes first, the other's FIN
// acknowledges it, the last segment is `first`'s ACK of it, no RST.
void expect_fin_exchange(World& w, int first);

// A's TIME_WAIT lasted the knob (within one timer tick of 20 ms), and ended in CLOSED.
void expect_time_wait(World& w, int host);

// No connection block, buffer, frame or socket id left on the mtcpp hosts.
void expect_clean(World& w);

}  // namespace mtcpp::sim

namespace mtcpp::sim {

using ScenarioRun = Result (*)(Peer, Role, const RunOptions&);

// Registers a scenario once per role: "<name>.a-client" and "<name>.a-server", or plain
// "<name>" when it has one role.
void add_scenario(std::vector<Scenario>& out, const std::string& name, const std::string& description,
                  std::vector<Role> roles, ScenarioRun run);

// The groups, in sim/scenarios_*.cc.
void add_close_scenarios(std::vector<Scenario>& out);      // S01-S08
void add_loss_scenarios(std::vector<Scenario>& out);       // S09-S14
void add_buffered_scenarios(std::vector<Scenario>& out);   // S15-S19
void add_handshake_scenarios(std::vector<Scenario>& out);  // S20-S24
void add_reset_scenarios(std::vector<Scenario>& out);      // S25-S30
void add_transfer_scenarios(std::vector<Scenario>& out);   // bulk, short connections, loss sweep

}  // namespace mtcpp::sim

namespace mtcpp::sim {

// Segment predicates for fault rules.
inline bool has(const Segment& s, char flag) { return s.flags.find(flag) != std::string::npos; }
inline bool is_pure_ack(const Segment& s) { return s.flags == "." && s.len == 0; }

inline FaultRule drop_rule(std::function<bool(const Segment&)> match, int nth = 1, int count = 1) {
  FaultRule r;
  r.match = std::move(match);
  r.nth = nth;
  r.count = count;
  r.action = FaultRule::Action::drop;
  return r;
}

// The first segment from `from` with all of `flags`, or nullptr.
inline const Segment* first_sent(const World& w, int from, const std::string& flags) {
  const auto v = w.sent(from, flags);
  return v.empty() ? nullptr : v.front();
}

// True when `s` acknowledges the first FIN `from` sent.
inline bool acks_fin_of(const World& w, int from, const Segment& s) {
  const Segment* fin = first_sent(w, from, "F");
  return fin != nullptr && has(s, '.') && s.ack == fin->seq + fin->len + 1;
}

}  // namespace mtcpp::sim
