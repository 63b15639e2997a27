// Close with buffered data, S15-S19: unread data, data after close, data in flight, data behind
// a zero window, and the abortive close.
#include <memory>

#include <ns3/simulator.h>

#include "sim/scenario_kit.h"

namespace mtcpp::sim {
namespace {

// B's side of a reset: ECONNRESET through the mTCP API; ns-3's sockets report a reset as an
// ordinary close (no error callback), so there the check is that B's TCP went to CLOSED.
void expect_peer_reset(World& w) {
  if (w.peer == Peer::mtcpp) w.check(w.app(1).error() == ECONNRESET, "B was not reset: " + w.app(1).log_text());
  else w.check(w.state(1) == "CLOSED", "ns-3's B did not close on the reset: " + w.states_text(1) + w.app(1).log_text());
}

const char* kNs3ResetNote = "ns-3's socket reports the RST as an ordinary close (no ECONNRESET)";

// A's first RST has SEQ = `seq` and follows the close at `closed_at` at once: on the wire only
// segments already handed to the device may go before it (CSMA sends a frame about every
// millisecond), never a FIN or a retransmission; later RSTs answer B's segments still in flight, from CLOSED. No FIN,
// no TIME_WAIT.
void expect_reset(World& w, std::uint32_t seq, std::int64_t closed_at) {
  const auto rsts = w.sent(0, "R");
  w.check(!rsts.empty(), "A sent no RST");
  if (!rsts.empty()) {
    w.check(rsts[0]->seq == seq, "A's RST has SEQ " + std::to_string(rsts[0]->seq) + ", want " + std::to_string(seq));
    w.check(rsts[0]->time_us - closed_at <= 20000, "A's RST left " + std::to_string(rsts[0]->time_us - closed_at) +
                                                       " us after the close, want at once");
    std::uint32_t next = 0;
    for (const auto& s : w.segments) {
      if (s.from != 0 || s.time_us < closed_at || &s == rsts[0]) continue;
      if (s.time_us > rsts[0]->time_us) break;
      w.check(!has(s, 'F') && s.seq >= next,
              "A sent " + s.flags + " " + std::to_string(s.seq) + " between its close and its RST");
      next = std::max(next, s.seq + s.len);
    }
  }
  expect_no_flag(w, 0, "F");
  w.check(w.entered(0, "TIME_WAIT") < 0, "A entered TIME_WAIT after a reset");
}

// S15: B sends 1000 bytes A never reads; A's close resets the connection (RFC 9293 §3.6.1's lost
// data rule) instead of sending a FIN. With fin_only, the only unread thing is B's FIN: close
// sends an ordinary FIN.
Result s15(Peer peer, Role role, const RunOptions& o, bool fin_only) {
  World w(fin_only ? "s15-unread-fin-only" : "s15-unread-data-reset", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.set_reading(false);
  if (fin_only) {
    b.when([&b] { return b.connected(); }, [&b] { b.shutdown(SHUT_WR); });
    b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  } else {
    b.when([&b] { return b.connected(); }, [&b] { b.write(1000); });
    close_on_error(b);
  }
  a.at_ms(200, [&a] { a.close(); });
  w.run(ns3::Seconds(5));
  expect_logged(w, 0, "close=0");
  if (fin_only) {
    w.check(w.sent(0, "F").size() == 1 && w.sent(0, "R").empty(), "A did not close with one FIN and no RST");
    expect_states(w, 0, {"CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  } else {
    expect_reset(w, 1, 200000);
    expect_states(w, 0, {"ESTABLISHED", "CLOSED"});
    expect_peer_reset(w);
  }
  expect_clean(w);
  return w.result(peer == Peer::ns3 && !fin_only ? kNs3ResetNote : "");
}
Result s15_data(Peer p, Role r, const RunOptions& o) { return s15(p, r, o, false); }
Result s15_fin(Peer p, Role r, const RunOptions& o) { return s15(p, r, o, true); }

// S16: A closes; B, having read the end of stream, sends 1000 bytes. A's application is gone, so
// the data is never acknowledged: A answers with an RST (SEQ = its SND.NXT, after its FIN).
Result s16(Peer peer, Role role, const RunOptions& o) {
  World w("s16-data-after-close", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.write(1000); });
  close_on_error(b);
  w.run(ns3::Seconds(5));
  expect_logged(w, 0, "close=0");
  // One RST per data segment that reaches A (ns-3 sends two): all at SEQ 2.
  const auto rsts = w.sent(0, "R");
  w.check(!rsts.empty(), "A did not answer B's data with an RST");
  for (const Segment* r : rsts) w.check(r->seq == 2, "A's RST has SEQ " + std::to_string(r->seq) + ", want 2");
  for (const Segment* s : w.sent(0, ".")) w.check(has(*s, 'R') || s->ack <= 2, "A acknowledged B's data after close");
  expect_states(w, 0, {"FIN_WAIT_1", "CLOSED"});
  w.check(w.entered(0, "TIME_WAIT") < 0, "A entered TIME_WAIT");
  expect_peer_reset(w);
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? kNs3ResetNote : "");
}

// S17: A writes 3000 bytes and closes; the second data segment is lost. The close stays
// graceful: A retransmits on the RTO, the FIN sits after the data, no RST, nothing discarded.
Result s17(Peer peer, Role role, const RunOptions& o) {
  World w("s17-close-with-data-in-flight", peer, o, scenario_tcp());
  w.faults_at(1).add(drop_rule([](const Segment& s) { return s.from == 0 && s.len > 0; }, 2, 1));
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] {
    a.write(3000);
    a.close();
  });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(5));
  expect_bytes(w);
  w.check(b.got() == 3000, "B read " + std::to_string(b.got()) + " of 3000 bytes");
  expect_logged(w, 0, "close=0");
  const Segment* fin = first_sent(w, 0, "F");
  w.check(fin != nullptr && fin->seq + fin->len == 3001, "A's FIN does not sit at 3001");
  w.check(w.a->stack().stats().tcp_retransmissions >= 1, "A did not retransmit the lost segment");
  expect_no_flag(w, 0, "R");
  expect_no_flag(w, 1, "R");
  expect_states(w, 0, {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"});
  expect_clean(w);
  return w.result("");
}

// S18: B's receive buffer is small and B does not read: A's 8000 bytes stop behind a zero
// window, A closes, and no FIN goes out while data is unsent; A probes the window, B starts
// reading at 2 s, the rest of the data and then the FIN follow.
Result s18(Peer peer, Role role, const RunOptions& o) {
  World w("s18-zero-window-close", peer, o, scenario_tcp());
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.set_receive_buffer(2048);
  b.set_reading(false);
  connect_pair(w, role);
  a.when([&a] { return a.connected(); }, [&a] { a.write(8000); });
  a.at_ms(500, [&a] { a.close(); });
  b.at_ms(2000, [&b] { b.set_reading(true); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(10));
  expect_bytes(w);
  w.check(b.got() == 8000, "B read " + std::to_string(b.got()) + " of 8000 bytes");
  expect_logged(w, 0, "close=0");
  const Segment* fin = first_sent(w, 0, "F");
  w.check(fin != nullptr && fin->seq + fin->len == 8001 && fin->time_us > 2000000,
          "A's FIN is not at 8001 after B opened its window");
  int probes = 0;
  for (const auto& s : w.segments) probes += s.from == 0 && s.time_us > 500000 && s.time_us < 2000000 ? 1 : 0;
  w.check(probes >= 2, "A sent " + std::to_string(probes) + " window probes while the window was closed");
  expect_no_flag(w, 0, "R");
  expect_no_flag(w, 1, "R");
  expect_states(w, 0, {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"});
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP sends no window update when its application reads: A learns of "
                                      "the open window from the answer to its next probe"
                                    : "");
}

// S19: SO_LINGER {1, 0} then close, with 3000 bytes just sent: an RST at SND.NXT, no FIN, no
// TIME_WAIT; B sees ECONNRESET.
Result s19(Peer peer, Role role, const RunOptions& o) {
  World w("s19-linger-abort", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  auto closed_at = std::make_shared<std::int64_t>(0);
  a.when([&a] { return a.connected(); }, [&a, closed_at] {
    a.write(3000);
    *closed_at = ns3::Simulator::Now().GetMicroSeconds();
    a.abort();
  });
  close_on_error(b);
  w.run(ns3::Seconds(5));
  expect_logged(w, 0, "linger=0");
  expect_logged(w, 0, "close=0");
  std::uint32_t snd_nxt = 1;
  for (const Segment* s : w.sent(0, ".")) snd_nxt = std::max(snd_nxt, s->seq + s->len);
  expect_reset(w, snd_nxt, *closed_at);
  w.check(w.a->stack().stats().tcp_retransmissions == 0, "A retransmitted after the abort");
  expect_states(w, 0, {"ESTABLISHED", "CLOSED"});
  expect_peer_reset(w);
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? kNs3ResetNote : "");
}

}  // namespace

void add_buffered_scenarios(std::vector<Scenario>& out) {
  add_scenario(out, "s15-unread-data-reset", "S15: close with 1000 unread bytes: RST at SEQ 1, no FIN, no TIME_WAIT",
               kBoth, s15_data);
  add_scenario(out, "s15-unread-fin-only", "S15: close with only B's FIN unread: an ordinary FIN", kBoth, s15_fin);
  add_scenario(out, "s16-data-after-close", "S16: data arriving after close: RST at SEQ 2, never ACKed", kBoth, s16);
  add_scenario(out, "s17-close-with-data-in-flight",
               "S17: 3000 bytes in flight, one lost, then close: retransmitted, FIN at 3001, graceful", kBoth, s17);
  add_scenario(out, "s18-zero-window-close",
               "S18: close behind a zero window: probes, no FIN until the data is out, then FIN at 8001", kBoth, s18);
  add_scenario(out, "s19-linger-abort", "S19: SO_LINGER {1,0}: RST at SND.NXT, no FIN, no TIME_WAIT, peer reset", kBoth,
               s19);
}

}  // namespace mtcpp::sim
