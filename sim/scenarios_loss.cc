// Loss, reordering and duplication around the close, S09-S14: targeted faults on the segments
// that matter (A's FIN, B's FIN, the ACKs of either), both peers, both roles.
#include "sim/scenario_kit.h"

namespace mtcpp::sim {
namespace {

// From A's first FIN on, nothing from B reaches A.
void cut_off_after_fin(World& w) {
  w.faults_at(0).add(drop_rule([&w](const Segment& s) { return s.from == 1 && first_sent(w, 0, "F") != nullptr; }, 1, 0));
}

// S09: A's FIN and its first retransmission are lost; the second gets through.
Result s09(Peer peer, Role role, const RunOptions& o) {
  World w("s09-fin-lost", peer, o, scenario_tcp());
  w.faults_at(1).add(drop_rule([](const Segment& s) { return s.from == 0 && has(s, 'F'); }, 1, 2));
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] { a.write(1000); });
  a.when([&b] { return b.got() == 1000; }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(5));
  expect_bytes(w);
  expect_logged(w, 0, "close=0");
  expect_fin_backoff(w, 0, 3);
  expect_states(w, 0, {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"});
  expect_no_flag(w, 0, "R");
  expect_no_flag(w, 1, "R");
  expect_clean(w);
  return w.result("");
}

// S10a: B's FIN arrives twice (duplicated on the link); A, in CLOSE_WAIT, acknowledges both,
// sees one end of stream and stays in CLOSE_WAIT until it closes.
Result s10_dup_fin(Peer peer, Role role, const RunOptions& o) {
  World w("s10-duplicate-fin", peer, o, scenario_tcp());
  FaultRule dup;
  dup.match = [](const Segment& s) { return s.from == 1 && has(s, 'F'); };
  dup.action = FaultRule::Action::duplicate;
  dup.delay = ns3::MilliSeconds(50);
  w.faults_at(0).add(dup);
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.when([&b] { return b.connected(); }, [&b] { b.shutdown(SHUT_WR); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  a.at_ms(500, [&a] { a.close(); });
  w.run(ns3::Seconds(5));
  const Segment* fin = first_sent(w, 1, "F");
  int acks = 0;
  for (const Segment* s : w.sent(0, "."))
    acks += fin != nullptr && s->ack == fin->seq + 1 && s->len == 0 && !has(*s, 'F') ? 1 : 0;
  w.check(acks == 2, "A acknowledged B's FIN " + std::to_string(acks) + " times, want 2 (the original and the duplicate)");
  w.check(w.entered(0, "LAST_ACK") >= 500000, "A left CLOSE_WAIT before it closed");
  expect_states(w, 0, {"CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  expect_no_flag(w, 0, "R");
  expect_clean(w);
  return w.result("");
}

// S10b: A's ACK of B's FIN is lost; B retransmits its FIN, A re-acknowledges it and TIME_WAIT
// starts again from there.
Result s10_time_wait_restart(Peer peer, Role role, const RunOptions& o) {
  World w("s10-time-wait-restart", peer, o, scenario_tcp());
  w.faults_at(1).add(drop_rule([&w](const Segment& s) { return s.from == 0 && is_pure_ack(s) && acks_fin_of(w, 1, s); }));
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(8));
  const auto b_fins = w.sent(1, "F");
  w.check(b_fins.size() == 2, "B sent " + std::to_string(b_fins.size()) + " FINs, want 2");
  expect_states(w, 0, {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"});
  if (b_fins.size() == 2) {
    const std::int64_t second_fin_at_a = b_fins[1]->time_us;  // + the link's delay
    const std::int64_t gone = w.entered(0, "CLOSED", second_fin_at_a);
    const std::int64_t lasted = gone - second_fin_at_a;
    const std::int64_t knob = us(w.tcp.time_wait);
    w.check(gone > 0 && lasted >= knob && lasted <= knob + 25000,
            "A's TIME_WAIT ended " + std::to_string(lasted) + " us after B's retransmitted FIN, want the knob " +
                std::to_string(knob) + " us (restarted)");
  }
  expect_no_flag(w, 0, "R");
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's RTO (1 s minimum) spaces B's FIN retransmission" : "");
}

// S11a: B closes first, A closes at once (LAST_ACK); B's first two ACKs of A's FIN are lost:
// A retransmits its FIN at +R and +3R, then CLOSED. ns-3's TCP is in TIME_WAIT by then and does
// not acknowledge a retransmitted FIN there (see S03), so against ns-3 A gives up at R2.
Result s11_last_ack(Peer peer, Role role, const RunOptions& o) {
  TcpConfig knobs = scenario_tcp();
  knobs.data_retries = 3;
  World w("s11-last-ack-lost", peer, o, knobs);
  w.faults_at(0).add(drop_rule([&w](const Segment& s) { return s.from == 1 && acks_fin_of(w, 0, s); }, 1, 2));
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.when([&b] { return b.connected(); }, [&b] { b.close(); });
  a.when([&a] { return a.eof(); }, [&a] { a.close(); });
  w.run(ns3::Seconds(5));
  expect_logged(w, 0, "read=0");
  expect_logged(w, 0, "close=0");
  const bool gives_up = peer == Peer::ns3;
  expect_fin_backoff(w, 0, gives_up ? 1 + static_cast<std::size_t>(knobs.data_retries) : 3, true, gives_up);
  expect_states(w, 0, {"CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  w.check(w.a->stack().stats().tcp_timeouts == (gives_up ? 1u : 0u), "A's R2 count is wrong");
  expect_no_flag(w, 0, "R");
  expect_clean(w);
  return w.result(gives_up ? "ns-3's TCP in TIME_WAIT does not re-acknowledge A's retransmitted FIN: A gives up at R2" : "");
}

// S11b: in LAST_ACK B vanishes (nothing from B arrives any more): A retransmits its FIN with
// backoff until R2 (3 retries here), then deletes the connection silently; a counter shows it.
Result s11_peer_vanishes(Peer peer, Role role, const RunOptions& o) {
  TcpConfig knobs = scenario_tcp();
  knobs.data_retries = 3;
  World w("s11-peer-vanishes", peer, o, knobs);
  cut_off_after_fin(w);
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.when([&b] { return b.connected(); }, [&b] { b.close(); });
  a.when([&a] { return a.eof(); }, [&a] { a.close(); });
  w.run(ns3::Seconds(10));
  expect_fin_backoff(w, 0, 1 + static_cast<std::size_t>(knobs.data_retries), true, true);
  expect_states(w, 0, {"CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  w.check(w.a->stack().stats().tcp_timeouts == 1, "A's R2 abort was not counted");
  expect_no_flag(w, 0, "R");
  w.check_clean(0);
  return w.result("B is cut off, so only A is checked for leftovers");
}

// S12: B writes 1000 bytes and closes; its first data segment is held back past the next one,
// so the FIN (or data+FIN) arrives before bytes it follows. A answers with a duplicate ACK,
// reports no end of stream until the hole is filled, then acknowledges the FIN at once.
Result s12(Peer peer, Role role, const RunOptions& o) {
  World w("s12-out-of-order-fin", peer, o, scenario_tcp());
  FaultRule hold;
  hold.match = [](const Segment& s) { return s.from == 1 && s.len > 0; };
  hold.action = FaultRule::Action::delay_past_next;
  w.faults_at(0).add(hold);
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.when([&b] { return b.connected(); }, [&b] {
    b.write(400);  // Nagle aside, two segments: 400 bytes, then the rest with or before the FIN
    b.write(600);
    b.close();
  });
  auto got_at_eof = std::make_shared<std::uint64_t>(0);
  a.when([&a] { return a.eof(); }, [&a, got_at_eof] {
    *got_at_eof = a.got();
    a.close();
  });
  w.run(ns3::Seconds(5));
  w.check(*got_at_eof == 1000, "A saw the end of stream after " + std::to_string(*got_at_eof) + " of 1000 bytes");
  const Segment* fin = first_sent(w, 1, "F");
  const Segment* held = nullptr;
  for (const auto& s : w.segments) held = held == nullptr && s.fault == "DELAYED" ? &s : held;
  w.check(held != nullptr && fin != nullptr, "no segment was held back");
  if (held != nullptr && fin != nullptr) {
    // A's first segment after the FIN's arrival is a duplicate ACK (for the bytes before the hole).
    const Segment* dup = nullptr;
    for (const auto& s : w.segments) {
      if (dup == nullptr && s.from == 0 && s.time_us > fin->time_us) dup = &s;
    }
    w.check(dup != nullptr && dup->ack == held->seq, "A's answer to the early FIN is not a duplicate ACK of " +
                                                         std::to_string(held->seq));
    bool fin_acked = false;
    for (const Segment* s : w.sent(0, ".")) fin_acked |= s->ack == fin->seq + fin->len + 1;
    w.check(fin_acked, "A never acknowledged B's FIN");
  }
  expect_states(w, 0, {"ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  expect_clean(w);
  return w.result("");
}

// S13: A closes, B never does: A's orphaned FIN_WAIT_2 ends after the knob without a segment,
// and B's late FIN is answered by an RST from CLOSED.
Result s13(Peer peer, Role role, const RunOptions& o) {
  World w("s13-fin-wait-2-timeout", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] { a.close(); });
  const std::int64_t late = us(w.tcp.fin_wait_2_timeout) / 1000 + 1000;
  b.at_ms(late, [&b] { b.close(); });
  w.run(ns3::Seconds(8));
  const std::int64_t fw2 = time_in(w, 0, "FIN_WAIT_2");
  const std::int64_t knob = us(w.tcp.fin_wait_2_timeout);
  w.check(fw2 >= knob - 5000 && fw2 <= knob + 20000,
          "A's orphaned FIN_WAIT_2 lasted " + std::to_string(fw2) + " us, knob " + std::to_string(knob) + " us");
  expect_states(w, 0, {"FIN_WAIT_1", "FIN_WAIT_2", "CLOSED"});
  w.check(w.a->stack().stats().tcp_fin_wait_2_timeouts == 1, "the FIN_WAIT_2 timeout was not counted");
  const std::int64_t entered = w.entered(0, "FIN_WAIT_2");
  const Segment* b_fin = first_sent(w, 1, "F");
  // Silent in FIN_WAIT_2 and when it ends: nothing until B's FIN.
  expect_silence(w, 0, entered, b_fin != nullptr ? b_fin->time_us : entered + fw2, "in or at the end of FIN_WAIT_2");
  const auto rsts = w.sent(0, "R");
  w.check(b_fin != nullptr && !rsts.empty() && rsts[0]->time_us > b_fin->time_us && rsts[0]->seq == b_fin->ack &&
              !has(*rsts[0], '.'),
          "B's late FIN did not get R with SEQ = its ACK");
  expect_clean(w);
  return w.result("");
}

// S14: A half-closes and B never acknowledges anything again: A's FIN is retransmitted until R2,
// then the open socket reports ETIMEDOUT (SO_ERROR, epoll ERR|HUP).
Result s14(Peer peer, Role role, const RunOptions& o) {
  TcpConfig knobs = scenario_tcp();
  knobs.data_retries = 3;
  World w("s14-fin-r2-timeout", peer, o, knobs);
  cut_off_after_fin(w);
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] { a.shutdown(SHUT_WR); });
  write_then_close_on_error(a);
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(20));
  expect_fin_backoff(w, 0, 1 + static_cast<std::size_t>(knobs.data_retries), true, true);
  expect_logged(w, 0, "read=-1 ETIMEDOUT");  // the error once (here to the read), then EPIPE
  expect_logged(w, 0, "write=-1 EPIPE");
  w.check((a.epoll_seen() & 0x18) == 0x18, "A's epoll did not report ERR and HUP");
  expect_logged(w, 0, "close=0");
  expect_no_flag(w, 0, "R");
  w.check(w.a->stack().stats().tcp_timeouts == 1, "A's R2 abort was not counted");
  w.check_clean(0);
  if (peer == Peer::mtcpp) w.check_clean(1);
  return w.result(peer == Peer::ns3 ? "B is cut off, so only A is checked for leftovers (ns-3 keeps retrying)" : "");
}

}  // namespace

void add_loss_scenarios(std::vector<Scenario>& out) {
  add_scenario(out, "s09-fin-lost", "S09: A's FIN lost twice: retransmitted at +R and +3R, same SEQ/ACK, then FIN_WAIT_2",
               kBoth, s09);
  add_scenario(out, "s10-duplicate-fin", "S10a: B's FIN duplicated: A ACKs both in CLOSE_WAIT, one end of stream",
               kBoth, s10_dup_fin);
  add_scenario(out, "s10-time-wait-restart",
               "S10b: A's last ACK lost: B retransmits its FIN, A re-ACKs and TIME_WAIT restarts", kBoth,
               s10_time_wait_restart);
  add_scenario(out, "s11-last-ack-lost", "S11a: in LAST_ACK the ACKs of A's FIN are lost twice: FIN at +R, +3R, then CLOSED",
               kBoth, s11_last_ack);
  add_scenario(out, "s11-peer-vanishes", "S11b: in LAST_ACK nothing comes back: FIN backoff to R2, silent delete, counted",
               kBoth, s11_peer_vanishes);
  add_scenario(out, "s12-out-of-order-fin",
               "S12: B's data held back past its FIN: duplicate ACK, no early end of stream, then the FIN ACKed", kBoth, s12);
  add_scenario(out, "s13-fin-wait-2-timeout",
               "S13: orphaned FIN_WAIT_2 ends after the knob, silently; B's late FIN gets R", kBoth, s13);
  add_scenario(out, "s14-fin-r2-timeout", "S14: SHUT_WR and no ACK ever: FIN backoff to R2, ETIMEDOUT, ERR|HUP", kBoth,
               s14);
}

}  // namespace mtcpp::sim
