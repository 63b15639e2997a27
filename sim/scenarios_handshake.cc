// Handshake states and listeners, S20-S24 (the ones an application on the peer can stage: S23 and
// S24b/c need RSTs with chosen sequence numbers, which only the packet-level tests can send).
#include "sim/scenario_kit.h"

namespace mtcpp::sim {
namespace {

// S20: A closes while in SYN_SENT (B's SYN-ACK is held back 300 ms): close gives 0 and sends
// nothing, no more SYNs, and the late SYN-ACK is answered by R with SEQ = its ACK.
Result s20(Peer peer, Role, const RunOptions& o) {
  World w("s20-close-in-syn-sent", peer, o, scenario_tcp());
  FaultRule late;
  late.match = [](const Segment& s) { return s.from == 1 && s.flags == "S."; };
  late.action = FaultRule::Action::delay;
  late.delay = ns3::MilliSeconds(300);
  w.faults_at(0).add(late);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.listen(World::kPort);
  a.at_ms(10, [&w, &a] { a.connect(w.b_addr, World::kPort); });
  a.when([&w] { return w.state(0) == "SYN_SENT"; }, [&a] { a.close(); });
  b.at_ms(3000, [&b] { b.close_listener(); });
  w.run(ns3::Seconds(4));
  expect_logged(w, 0, "connect=-1 EINPROGRESS");
  expect_logged(w, 0, "close=0");
  w.check(w.sent(0, "S").size() == 1, "A sent " + std::to_string(w.sent(0, "S").size()) + " SYNs, want 1");
  const Segment* syn_ack = first_sent(w, 1, "S.");
  const auto rsts = w.sent(0, "R");
  w.check(syn_ack != nullptr && rsts.size() == 1 && rsts[0]->time_us > syn_ack->time_us + 300000 &&
              rsts[0]->flags == "R" && rsts[0]->seq == syn_ack->ack,
          "the late SYN-ACK did not get R with SEQ = its ACK (and nothing else)");
  expect_states(w, 0, {"SYN_SENT", "CLOSED"});
  expect_clean(w);
  return w.result("");
}

// S21: A's listener is closed while a connection is embryonic (B's ACK of the SYN-ACK is lost):
// the embryo is reset, no SYN-ACK is retransmitted, a fresh SYN to the port is refused, and the
// port can be listened on again at once.
Result s21(Peer peer, Role, const RunOptions& o) {
  World w("s21-listener-close-embryonic", peer, o, scenario_tcp());
  w.faults_at(0).add(drop_rule([](const Segment& s) { return s.from == 1 && is_pure_ack(s); }, 1, 1));
  HostApp& a = w.app(0);
  HostApp& a2 = w.add_app(0);
  HostApp& b = w.app(1);
  HostApp& b2 = w.add_app(1);
  a.listen(World::kPort);
  b.at_ms(10, [&w, &b] { b.connect(w.a_addr, World::kPort); });
  a.when([&w] { return w.state(0) == "SYN_RCVD"; }, [&a, &a2] {
    a.close_listener();
    a2.listen(World::kPort, 0);  // the port is free at once...
    a2.close_listener();         // ...and free again for B2's SYN below
  });
  b.when([&b] { return b.error() != 0 || b.eof(); }, [&b] { b.close(); });
  b2.at_ms(500, [&w, &b2] { b2.connect(w.a_addr, World::kPort); });
  b2.when([&b2] { return b2.error() != 0 || b2.eof(); }, [&b2] { b2.close(); });
  w.run(ns3::Seconds(4));
  w.check(a2.logged("listen=0"), "listening on the port again did not succeed at once: " + a2.log_text());
  expect_logged(w, 0, "close_listener=0");
  w.check(w.sent(0, "S.").size() == 1, "A sent " + std::to_string(w.sent(0, "S.").size()) + " SYN-ACKs, want 1");
  const auto rsts = w.sent(0, "R");
  w.check(!rsts.empty() && rsts[0]->seq == 1, "the embryo was not reset with SEQ 1");
  // B2's SYN to the closed port: R. 0:0(0) ack 1.
  bool refused = false;
  for (const Segment* r : rsts) refused |= r->flags == "R." && r->seq == 0 && r->ack == 1 && r->time_us >= 500000;
  w.check(refused, "B2's SYN to the closed port was not answered R. 0:0(0) ack 1");
  expect_clean(w);
  return w.result("");
}

// S22: A's listener has two established, never accepted children (B1 sent 100 bytes, B2
// nothing); closing the listener resets both with SEQ = SND.NXT = 1 and no FIN.
Result s22(Peer peer, Role, const RunOptions& o) {
  World w("s22-listener-close-unaccepted", peer, o, scenario_tcp());
  HostApp& a = w.app(0);
  HostApp& b1 = w.app(1);
  HostApp& b2 = w.add_app(1);
  a.listen(World::kPort, 0);  // never accepts
  b1.at_ms(10, [&w, &b1] { b1.connect(w.a_addr, World::kPort); });
  b1.when([&b1] { return b1.connected(); }, [&b1] { b1.write(100); });
  b2.at_ms(20, [&w, &b2] { b2.connect(w.a_addr, World::kPort); });
  a.at_ms(300, [&a] { a.close_listener(); });
  for (HostApp* b : {&b1, &b2}) b->when([b] { return b->error() != 0 || b->eof(); }, [b] { b->close(); });
  w.run(ns3::Seconds(3));
  expect_logged(w, 0, "close_listener=0");
  const auto rsts = w.sent(0, "R");
  w.check(rsts.size() == 2, "A sent " + std::to_string(rsts.size()) + " RSTs, want one per child");
  std::vector<std::uint32_t> acks;
  for (const Segment* r : rsts) {
    w.check(r->seq == 1, "a child's RST has SEQ " + std::to_string(r->seq) + ", want SND.NXT = 1");
    if (has(*r, '.')) acks.push_back(r->ack);  // a plain R is fine too
  }
  std::sort(acks.begin(), acks.end());
  w.check(acks.empty() || acks == std::vector<std::uint32_t>{1, 101}, "the children's R. do not acknowledge 1 and 101");
  expect_no_flag(w, 0, "F");
  if (peer == Peer::mtcpp) {
    w.check(b1.error() == ECONNRESET && b2.error() == ECONNRESET, "B1 and B2 were not both reset");
  }
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's sockets report the RSTs as ordinary closes" : "");
}

// S24a: A connects to a port nobody listens on: B answers R. 0:0(0) ack 1; the nonblocking
// connect fails with SO_ERROR ECONNREFUSED and epoll ERR|HUP; A sends nothing more.
Result s24(Peer peer, Role, const RunOptions& o) {
  World w("s24-connect-refused", peer, o, scenario_tcp());
  HostApp& a = w.app(0);
  a.at_ms(10, [&w, &a] { a.connect(w.b_addr, 8081); });
  close_on_error(a);
  w.run(ns3::Seconds(3));
  expect_logged(w, 0, "connect=-1 EINPROGRESS");
  expect_logged(w, 0, "SO_ERROR=ECONNREFUSED");
  w.check((a.epoll_seen() & 0x18) == 0x18, "A's epoll did not report ERR and HUP");
  expect_logged(w, 0, "close=0");
  const auto rsts = w.sent(1, "R");
  w.check(rsts.size() == 1 && rsts[0]->flags == "R." && rsts[0]->ack == 1, "B did not refuse with R. ack 1");
  w.check(w.sent(0, "").size() == 1, "A sent more than its SYN");
  expect_states(w, 0, {"SYN_SENT", "CLOSED"});
  expect_clean(w);
  return w.result("");
}

// S28: B connects to A's port 8081, where nothing listens: A answers R. 0:0(0) ack 1 and keeps
// no state; B's connection fails.
Result s28(Peer peer, Role, const RunOptions& o) {
  World w("s28-closed-port", peer, o, scenario_tcp());
  HostApp& b = w.app(1);
  b.at_ms(10, [&w, &b] { b.connect(w.a_addr, 8081); });
  close_on_error(b);
  w.run(ns3::Seconds(3));
  const auto rsts = w.sent(0, "R");
  w.check(rsts.size() == 1 && rsts[0]->flags == "R." && rsts[0]->seq == 0 && rsts[0]->ack == 1,
          "A did not answer the SYN to a closed port with R. 0:0(0) ack 1");
  w.check(w.sent(0, "").size() == 1, "A sent more than the RST");
  w.check(w.a->stack().stats().tcp_resets_sent == 1, "A's RST was not counted");
  if (peer == Peer::mtcpp) {
    w.check(b.error() == ECONNREFUSED, "B's connect did not fail with ECONNREFUSED");
  } else {
    w.check(b.error() == 0, "ns-3's connect failed: the scenario expects it to ignore the RST");
  }
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP with timestamps on drops any ACK-bearing segment without a "
                                      "timestamp, RSTs included (RFC 7323 exempts RSTs): its connect ignores "
                                      "the refusal and would retry the SYN after 3 s"
                                    : "");
}

}  // namespace

void add_handshake_scenarios(std::vector<Scenario>& out) {
  add_scenario(out, "s20-close-in-syn-sent",
               "S20: close in SYN_SENT gives 0 and sends nothing; the late SYN-ACK gets R (SEQ = its ACK)", {Role::client}, s20);
  add_scenario(out, "s21-listener-close-embryonic",
               "S21: listener closed with an embryo: RST, no SYN-ACK retransmission, port refused, re-listen at once",
               {Role::server}, s21);
  add_scenario(out, "s22-listener-close-unaccepted",
               "S22: listener closed with two unaccepted children: one RST each at SEQ 1 (ack 101 and 1), no FIN",
               {Role::server}, s22);
  add_scenario(out, "s24-connect-refused", "S24a: connect to a closed port: R. ack 1, ECONNREFUSED, ERR|HUP",
               {Role::client}, s24);
  add_scenario(out, "s28-closed-port", "S28: a SYN to A's closed port gets R. 0:0(0) ack 1, no state kept",
               {Role::server}, s28);
}

}  // namespace mtcpp::sim
