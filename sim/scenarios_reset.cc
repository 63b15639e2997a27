// RSTs in synchronized states (S25, S27) and TIME_WAIT (S29, S30). The peer's RST comes from its
// application closing with unread data, which both mtcpp and ns-3 turn into a reset. S26 (blind
// RSTs and SYNs with chosen sequence numbers) and the RST variants of S23/S24 need a scripted
// peer: the packet-level tests stage them.
#include <limits>

#include "sim/scenario_kit.h"

namespace mtcpp::sim {
namespace {

// B resets the connection (its application closes with A's bytes unread). Then: epoll reported
// IN|ERR|HUP|RDHUP, A's read gave ECONNRESET (the error is reported once: the write after it
// gives EPIPE), close gave 0, and A sent nothing after the RST. Returns the RST's time, or -1.
std::int64_t expect_reset_seen(World& w) {
  const Segment* r = first_sent(w, 1, "R");
  w.check(r != nullptr, "B sent no RST");
  HostApp& a = w.app(0);
  expect_logged(w, 0, "read=-1 ECONNRESET");
  w.check((a.epoll_seen() & 0x2019) == 0x2019, "A's epoll did not report IN, ERR, HUP and RDHUP");
  expect_logged(w, 0, "write=-1 EPIPE");
  expect_logged(w, 0, "close=0");
  if (r != nullptr) expect_silence(w, 0, r->time_us, std::numeric_limits<std::int64_t>::max(), "after B's RST");
  return r != nullptr ? r->time_us : -1;
}

// S25: B resets an established connection while A waits in epoll: ECONNRESET, ERR|HUP, then
// EPIPE; A sends nothing.
Result s25(Peer peer, Role role, const RunOptions& o) {
  World w("s25-rst-established", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.set_reading(false);
  a.when([&a] { return a.connected(); }, [&a] { a.write(100); });
  b.at_ms(200, [&b] { b.close(); });
  write_then_close_on_error(a);
  w.run(ns3::Seconds(3));
  expect_reset_seen(w);
  expect_states(w, 0, {"ESTABLISHED", "CLOSED"});
  expect_clean(w);
  return w.result("");
}

// S27: the exact RST in A's FIN_WAIT_2 (after SHUT_WR, the socket open) and in CLOSE_WAIT.
Result s27(Peer peer, Role role, const RunOptions& o, bool close_wait) {
  World w(close_wait ? "s27-rst-in-close-wait" : "s27-rst-in-fin-wait-2", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.set_reading(false);
  if (close_wait) {
    b.when([&b] { return b.connected(); }, [&b] { b.shutdown(SHUT_WR); });
    a.when([&a] { return a.eof(); }, [&a] { a.write(100); });
  } else {
    a.when([&a] { return a.connected(); }, [&a] {
      a.write(100);
      a.shutdown(SHUT_WR);
    });
  }
  b.at_ms(300, [&b] { b.close(); });
  write_then_close_on_error(a);
  w.run(ns3::Seconds(3));
  const std::int64_t rst = expect_reset_seen(w);
  const std::string state = close_wait ? "CLOSE_WAIT" : "FIN_WAIT_2";
  expect_states(w, 0, {state, "CLOSED"});
  w.check(w.entered(0, state) < rst, "A was not in " + state + " when the RST came");
  expect_clean(w);
  return w.result("");
}
Result s27_fw2(Peer p, Role r, const RunOptions& o) { return s27(p, r, o, false); }
Result s27_cw(Peer p, Role r, const RunOptions& o) { return s27(p, r, o, true); }

// S29: A, the client, closes first from port 7000 and sits in TIME_WAIT for the knob, silent;
// binding port 7000 again meanwhile gives EADDRINUSE; after TIME_WAIT the port works again.
Result s29(Peer peer, Role, const RunOptions& o) {
  World w("s29-time-wait", peer, o, scenario_tcp());
  constexpr std::uint16_t kLocal = 7000;
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.listen(World::kPort, 2);
  a.at_ms(10, [&w, &a] { a.connect(w.b_addr, World::kPort, kLocal); });
  a.when([&a] { return a.connected(); }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  a.at_ms(1000, [&w, &a] { a.connect(w.b_addr, World::kPort, kLocal); });
  a.at_ms(3000, [&w, &a] { a.connect(w.b_addr, World::kPort, kLocal); });
  a.when([&a] { return a.connected(); }, [&a] { a.close(); });
  b.when([&b] { return b.connections() == 2 && b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(6));
  expect_logged(w, 0, "bind=-1 EADDRINUSE");  // at 1 s, in TIME_WAIT
  w.check(count_logged(w, 0, "bind=0") == 2, "port 7000 was not usable before and after TIME_WAIT");
  expect_states(w, 0, {"TIME_WAIT", "CLOSED", "SYN_SENT", "ESTABLISHED", "TIME_WAIT", "CLOSED"});
  expect_time_wait(w, 0);
  const std::int64_t tw = w.entered(0, "TIME_WAIT");
  expect_silence(w, 0, tw, tw + time_in(w, 0, "TIME_WAIT"), "during TIME_WAIT");
  expect_clean(w);
  return w.result("");
}

// S30: A, the server, closes first and is in TIME_WAIT when B connects again from the same port
// with a newer SYN (timestamps): A accepts it as a new incarnation with an ISS above the old
// SND.NXT, and the second connection works.
Result s30(Peer peer, Role, const RunOptions& o) {
  World w("s30-time-wait-reopen", peer, o, scenario_tcp());
  constexpr std::uint16_t kLocal = 7001;
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.listen(World::kPort, 2);
  b.at_ms(10, [&w, &b] { b.connect(w.a_addr, World::kPort, kLocal); });
  a.when([&a] { return a.connected(); }, [&a] {
    a.write(100);
    a.close();
  });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  b.at_ms(500, [&w, &b] { b.connect(w.a_addr, World::kPort, kLocal); });
  b.when([&b] { return b.connected(); }, [&b] { b.write(100); });
  a.when([&a] { return a.connections() == 2 && a.got() == 100; }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(6));
  w.check(a.connections() == 2, "A accepted " + std::to_string(a.connections()) + " connections, want 2");
  w.check(b.got() == 100 && a.got() == 100 && a.intact() && b.intact(), "bytes lost or corrupted");
  expect_states(w, 0, {"TIME_WAIT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1"});
  const auto syn_acks = w.sent(0, "S.");
  const auto fins = w.sent(0, "F");
  if (syn_acks.size() == 2 && !fins.empty()) {
    const std::uint32_t old_snd_nxt = fins[0]->raw_seq + fins[0]->len + 1;  // after the FIN
    const std::uint32_t above = syn_acks[1]->raw_seq - old_snd_nxt;
    w.check(above != 0 && above < 0x80000000u, "the new incarnation's ISS is not above the old SND.NXT");
  } else {
    w.check(false, "not two SYN-ACKs and a FIN from A");
  }
  w.check(syn_acks.size() == 2 && syn_acks[1]->time_us < w.entered(0, "TIME_WAIT") + us(w.tcp.time_wait),
          "the new SYN was not accepted during TIME_WAIT");
  expect_no_flag(w, 0, "R");
  expect_clean(w);
  return w.result("");
}

}  // namespace

void add_reset_scenarios(std::vector<Scenario>& out) {
  add_scenario(out, "s25-rst-established", "S25: B resets: SO_ERROR ECONNRESET, IN|ERR|HUP|RDHUP, then EPIPE, A silent",
               kBoth, s25);
  add_scenario(out, "s27-rst-in-fin-wait-2", "S27: exact RST in FIN_WAIT_2 after SHUT_WR: ECONNRESET, CLOSED, silent",
               kBoth, s27_fw2);
  add_scenario(out, "s27-rst-in-close-wait", "S27: exact RST in CLOSE_WAIT: ECONNRESET, then EPIPE, CLOSED, silent",
               kBoth, s27_cw);
  add_scenario(out, "s29-time-wait", "S29: TIME_WAIT lasts the knob, silent; its port gives EADDRINUSE until it ends",
               {Role::client}, s29);
  add_scenario(out, "s30-time-wait-reopen",
               "S30: a newer SYN on A's TIME_WAIT tuple opens a new incarnation with a higher ISS", {Role::server}, s30);
}

}  // namespace mtcpp::sim
