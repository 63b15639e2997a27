// Graceful close, S01-S08 of the close-scenario catalogue, staged with applications on both
// hosts: A is mtcpp through the mTCP API, B is mtcpp or ns-3's TCP.
#include "sim/scenario_kit.h"

namespace mtcpp::sim {
namespace {

// S01: A closes first after a 10 kB exchange each way.
Result s01(Peer peer, Role role, const RunOptions& o) {
  World w("s01-active-close", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] { a.write(10000); });
  b.when([&b] { return b.got() == 10000; }, [&b] { b.write(10000); });
  a.when([&a] { return a.got() == 10000; }, [&a] {
    a.close();
    a.read_now();  // the id is gone
  });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(5));
  expect_bytes(w);
  expect_logged(w, 0, "write=10000");
  expect_logged(w, 0, "close=0");
  expect_logged(w, 0, "read=-1 EBADF");
  expect_states(w, 0, {"ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"});
  expect_time_wait(w, 0);
  expect_states(w, 1, {"CLOSE_WAIT", "LAST_ACK"});
  expect_fin_exchange(w, 0);
  w.check(w.a->stack().stats().tcp_retransmissions == 0, "A retransmitted on a clean link");
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP sends no MSS option: A uses 536 bytes (524 of payload beside timestamps)" : "");
}

// S02: B closes first; A reads 0 twice, writes 1000 bytes in CLOSE_WAIT, then closes (LAST_ACK).
// B half-closes (shutdown SHUT_WR) so it can still take A's last bytes.
Result s02(Peer peer, Role role, const RunOptions& o) {
  World w("s02-passive-close", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.when([&b] { return b.connected(); }, [&b] { b.write(10000); });
  a.when([&a] { return a.got() == 10000; }, [&a] { a.write(10000); });
  b.when([&b] { return b.got() == 10000; }, [&b] { b.shutdown(SHUT_WR); });
  a.when([&a] { return a.eof(); }, [&a] {
    a.read_now();  // 0 again
    a.write(1000);
  });
  a.when([&w, &b] { return b.got() == 11000; }, [&a] { a.close(); });
  b.when([&b] { return b.got() == 11000; }, [&b] { b.close(); });
  w.run(ns3::Seconds(5));
  expect_bytes(w);
  const int zeros = count_logged(w, 0, "read=0");
  w.check(zeros == 2, "A's reads at end of stream returned 0 " + std::to_string(zeros) + " times, want 2");
  expect_logged(w, 0, "write=1000");
  expect_logged(w, 0, "close=0");
  w.check((a.epoll_seen() & 0x2001) == 0x2001, "A's epoll did not report IN and RDHUP");
  expect_states(w, 0, {"ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  expect_states(w, 1, {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT"});
  expect_fin_exchange(w, 1);
  // The 1000 bytes written in CLOSE_WAIT go out after B's FIN.
  const auto fin_b = w.sent(1, "F");
  std::uint32_t after = 0;
  for (const Segment* s : w.sent(0, ".")) after += !fin_b.empty() && s->time_us > fin_b[0]->time_us ? s->len : 0;
  w.check(after == 1000, "A sent " + std::to_string(after) + " bytes after B's FIN, want the 1000 written in CLOSE_WAIT");
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TIME_WAIT is its own 2*MSL (240 s), not the knob: B is still in "
                                      "TIME_WAIT when the run ends"
                                    : "");
}


// S03: both close at the same instant, the FINs cross: CLOSING, then TIME_WAIT. With lost_ack,
// B's ACK of A's FIN is dropped and A retransmits its FIN from CLOSING after one RTO. ns-3's TCP,
// by then in TIME_WAIT, does not acknowledge the retransmitted FIN (RFC 9293 says it must), so
// against ns-3 A retransmits with backoff until R2 (3 retries here) and gives up silently.
Result s03(Peer peer, Role role, const RunOptions& o, bool lost_ack) {
  TcpConfig knobs = scenario_tcp();
  knobs.data_retries = 3;
  World w(lost_ack ? "s03-simultaneous-close-lost-ack" : "s03-simultaneous-close", peer, o, knobs);
  if (lost_ack) w.faults_at(0).add(drop_rule([&w](const Segment& s) { return is_pure_ack(s) && acks_fin_of(w, 0, s); }));
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] { a.write(100); });
  b.when([&b] { return b.connected(); }, [&b] { b.write(100); });
  a.at_ms(100, [&a] { a.close(); });
  b.at_ms(100, [&b] { b.close(); });
  w.run(ns3::Seconds(5));
  expect_bytes(w);
  expect_logged(w, 0, "close=0");
  expect_no_flag(w, 0, "R");
  expect_no_flag(w, 1, "R");
  const bool ns3_ignores_fin = lost_ack && peer == Peer::ns3;
  if (ns3_ignores_fin) {
    expect_states(w, 0, {"FIN_WAIT_1", "CLOSING", "CLOSED"});
    w.check(w.a->stack().stats().tcp_timeouts == 1, "A did not give up at R2");
  } else {
    expect_states(w, 0, {"FIN_WAIT_1", "CLOSING", "TIME_WAIT", "CLOSED"});
    expect_time_wait(w, 0);
  }
  // From CLOSING the retransmitted FIN also acknowledges B's FIN (F. 1:1(0) ack 2).
  expect_fin_backoff(w, 0, !lost_ack ? 1 : ns3_ignores_fin ? 1 + static_cast<std::size_t>(knobs.data_retries) : 2,
                     false, ns3_ignores_fin);
  const auto b_fins = w.sent(1, "F");
  w.check(!b_fins.empty() && !acks_fin_of(w, 0, *b_fins[0]), "B's FIN acknowledges A's: the FINs did not cross");
  expect_clean(w);
  return w.result(ns3_ignores_fin ? "ns-3's TCP in TIME_WAIT does not re-acknowledge a retransmitted FIN: A "
                                    "retransmits until R2 and gives up without an RST"
                                  : "");
}
Result s03a(Peer p, Role r, const RunOptions& o) { return s03(p, r, o, false); }
Result s03_lost_ack(Peer p, Role r, const RunOptions& o) { return s03(p, r, o, true); }

// S04: simultaneous open (each side connects to the other's fixed port at once), and A closes
// while in SYN_RCVD: its FIN goes out, no RST from A, and the close ends in TIME_WAIT. ns-3's TCP
// answers the crossing SYN-ACK in its SYN_RCVD with an RST (RFC 9293 §3.10.7.4 would have it
// acknowledge), so against ns-3 the connection ends in A's CLOSED by that reset.
Result s04(Peer peer, Role, const RunOptions& o) {
  World w("s04-close-in-syn-rcvd", peer, o, scenario_tcp());  // no roles: both sides connect
  constexpr std::uint16_t kPortA = 6000, kPortB = 6001;
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.at_ms(10, [&w, &a] { a.connect(w.b_addr, kPortB, kPortA); });
  b.at_ms(10, [&w, &b] { b.connect(w.a_addr, kPortA, kPortB); });
  a.when([&w] { return w.state(0) == "SYN_RCVD"; }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(5));
  expect_logged(w, 0, "connect=-1 EINPROGRESS");
  expect_logged(w, 0, "close=0");
  expect_no_flag(w, 0, "R");
  w.check(w.sent(0, "F").size() == 1, "A sent " + std::to_string(w.sent(0, "F").size()) + " FINs, want 1");
  if (peer == Peer::mtcpp) {
    expect_states(w, 0, {"SYN_SENT", "SYN_RCVD", "FIN_WAIT_1", "TIME_WAIT", "CLOSED"});
    expect_no_flag(w, 1, "R");
  } else {
    expect_states(w, 0, {"SYN_SENT", "SYN_RCVD", "FIN_WAIT_1", "CLOSED"});
    w.check(!w.sent(1, "R").empty(), "ns-3 did not reset the simultaneous open");
  }
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP resets a simultaneous open (RST to the SYN-ACK in its "
                                      "SYN_RCVD): A's FIN is answered by RSTs and A ends in CLOSED"
                                    : "");
}

// S05: B writes 1000 bytes and closes in one step; A reads 1000, then 0, with IN and RDHUP.
// ns-3 carries the FIN on the data segment (FP.), mtcpp sends them apart (P. then F.).
Result s05(Peer peer, Role role, const RunOptions& o) {
  World w("s05-fin-with-data", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  b.when([&b] { return b.connected(); }, [&b] {
    b.write(1000);
    b.close();
  });
  a.when([&a] { return a.eof(); }, [&a] { a.close(); });
  w.run(ns3::Seconds(5));
  expect_bytes(w);
  w.check(a.got() == 1000, "A read " + std::to_string(a.got()) + " bytes, want 1000");
  expect_logged(w, 0, "read=0");
  w.check((a.epoll_seen() & 0x2001) == 0x2001, "A's epoll did not report IN and RDHUP");
  const auto b_fin = w.sent(1, "F");
  bool separate = false;
  if (!b_fin.empty()) {
    const std::uint32_t end = b_fin[0]->seq + b_fin[0]->len;  // the FIN's sequence number
    bool acked = false;
    for (const Segment* s : w.sent(0, ".")) {
      if (s->time_us <= b_fin[0]->time_us) continue;
      acked |= is_pure_ack(*s) && s->ack == end + 1;
      separate |= b_fin[0]->len > 0 && s->ack == end;  // FP.: tolerated, but flagged
    }
    w.check(acked, "A's pure ACK of B's FIN (ack " + std::to_string(end + 1) + ") is missing");
  }
  expect_states(w, 0, {"CLOSE_WAIT", "LAST_ACK", "CLOSED"});
  expect_fin_exchange(w, 1);
  expect_clean(w);
  std::string note = peer == Peer::ns3 ? "ns-3 puts its FIN on the last data segment (FP.); mtcpp's peer sends P. and F. apart" : "";
  if (separate) note += " (flagged: A acknowledged the data of B's FP. before the FIN)";
  return w.result(note);
}

// S06: A writes 1000 bytes and closes in one step: the FIN follows the data (seq 1001).
Result s06(Peer peer, Role role, const RunOptions& o) {
  World w("s06-write-then-close", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] {
    a.write(1000);
    a.close();
  });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(5));
  expect_bytes(w);
  expect_logged(w, 0, "write=1000");
  expect_logged(w, 0, "close=0");
  const Segment* fin = first_sent(w, 0, "F");
  w.check(fin != nullptr && fin->seq + fin->len == 1001, "A's FIN does not occupy sequence 1001");
  w.check(w.a->stack().stats().tcp_retransmissions == 0, "A retransmitted on a clean link");
  expect_states(w, 0, {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"});
  expect_fin_exchange(w, 0);
  expect_clean(w);
  return w.result("");
}

// S07: A half-closes (SHUT_WR), its writes fail with EPIPE, and it keeps receiving: B sends 1000
// bytes after A's FIN_WAIT_2 has outlasted the orphan timeout (which must not apply), then closes.
Result s07(Peer peer, Role role, const RunOptions& o) {
  World w("s07-half-close", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] {
    a.shutdown(SHUT_WR);
    a.write(10);
  });
  const std::int64_t late = us(w.tcp.fin_wait_2_timeout) / 1000 + 1000;
  b.at_ms(late, [&b] { b.write(1000); });
  b.when([&b] { return b.written() == 1000; }, [&b] { b.close(); });
  a.when([&a] { return a.eof(); }, [&a] { a.close(); });
  w.run(ns3::Seconds(10));
  expect_bytes(w);
  expect_logged(w, 0, "shutdown_wr=0");
  expect_logged(w, 0, "write=-1 EPIPE");
  expect_logged(w, 0, "read=0");
  expect_logged(w, 0, "close=0");
  w.check(a.got() == 1000, "A read " + std::to_string(a.got()) + " bytes, want 1000");
  expect_states(w, 0, {"FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", "CLOSED"});
  w.check(time_in(w, 0, "FIN_WAIT_2") > us(w.tcp.fin_wait_2_timeout),
          "A's half-closed FIN_WAIT_2 ended after " + std::to_string(time_in(w, 0, "FIN_WAIT_2")) +
              " us: the orphan timeout must not apply to an open socket");
  expect_no_flag(w, 0, "R");
  // ns-3's TCP, in LAST_ACK after sending its data and FIN in two segments, answers the ACK of
  // both with an RST (a segment for a closed connection) when the first segment was acknowledged
  // on its own, as A's quick ACK does: its quirk, not A's.
  if (peer == Peer::mtcpp) expect_no_flag(w, 1, "R");
  w.check(w.sent(0, "F").size() == 1, "A sent more than one FIN");
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP resets A's final ACK after A acknowledged its first data segment at once" : "");
}

// S08: shutdown(SHUT_RD): read gives 0 at once, writing still works, B's data afterwards is
// acknowledged (never reset); the later close sends an ordinary FIN. With rdwr: SHUT_RDWR sends
// the FIN at once and writes fail with EPIPE.
Result s08(Peer peer, Role role, const RunOptions& o, bool rdwr) {
  World w(rdwr ? "s08-shutdown-rdwr" : "s08-shutdown-rd", peer, o, scenario_tcp());
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.set_reading(false);
  a.when([&a] { return a.connected(); }, [&a, rdwr] {
    a.shutdown(rdwr ? SHUT_RDWR : SHUT_RD);
    a.read_now();
    a.write(1000);
  });
  b.at_ms(100, [&b] { b.write(500); });
  a.at_ms(400, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(5));
  expect_logged(w, 0, rdwr ? "shutdown_rdwr=0" : "shutdown_rd=0");
  expect_logged(w, 0, "read=0");
  expect_logged(w, 0, rdwr ? "write=-1 EPIPE" : "write=1000");
  expect_logged(w, 0, "close=0");
  w.check(b.got() == (rdwr ? 0u : 1000u), "B read " + std::to_string(b.got()) + " bytes");
  expect_no_flag(w, 0, "R");
  expect_no_flag(w, 1, "R");
  // B's 500 bytes are acknowledged.
  bool acked = false;
  for (const Segment* s : w.sent(0, ".")) acked |= s->ack >= 501;
  w.check(acked, "A never acknowledged B's 500 bytes sent after SHUT_RD");
  const Segment* fin = first_sent(w, 0, "F");
  w.check(fin != nullptr && (rdwr ? fin->time_us < 100000 : fin->time_us >= 400000),
          rdwr ? "SHUT_RDWR did not send A's FIN at once" : "A's FIN did not wait for close");
  expect_states(w, 0, {"FIN_WAIT_1", "TIME_WAIT", "CLOSED"});
  expect_clean(w);
  return w.result("");
}
Result s08_rd(Peer p, Role r, const RunOptions& o) { return s08(p, r, o, false); }
Result s08_rdwr(Peer p, Role r, const RunOptions& o) { return s08(p, r, o, true); }

}  // namespace

void add_close_scenarios(std::vector<Scenario>& out) {
  add_scenario(out, "s01-active-close",
               "S01: 10 kB each way, A closes first: FIN_WAIT_1, FIN_WAIT_2, TIME_WAIT for the knob", kBoth, s01);
  add_scenario(out, "s02-passive-close",
               "S02: B half-closes first: A reads 0 twice, writes 1000 bytes in CLOSE_WAIT, closes from LAST_ACK",
               kBoth, s02);
  add_scenario(out, "s03-simultaneous-close", "S03: both close at once, FINs cross: CLOSING, TIME_WAIT, never an RST", kBoth, s03a);
  add_scenario(out, "s03-simultaneous-close-lost-ack",
               "S03: crossing FINs, B's ACK of A's FIN dropped: A retransmits its FIN from CLOSING after one RTO", kBoth,
               s03_lost_ack);
  add_scenario(out, "s04-close-in-syn-rcvd",
               "S04: simultaneous open, A closes in SYN_RCVD: a FIN (no RST), FIN_WAIT_1, TIME_WAIT", {Role::client}, s04);
  add_scenario(out, "s05-fin-with-data", "S05: B writes 1000 bytes and closes at once: A reads 1000 then 0, IN and RDHUP",
               kBoth, s05);
  add_scenario(out, "s06-write-then-close", "S06: A writes 1000 bytes and closes at once: the FIN sits at 1001", kBoth, s06);
  add_scenario(out, "s07-half-close",
               "S07: SHUT_WR: write gives EPIPE, A keeps reading past the orphan timeout, then TIME_WAIT", kBoth, s07);
  add_scenario(out, "s08-shutdown-rd", "S08a: SHUT_RD: read 0 at once, writes work, B's data ACKed, close sends a FIN",
               kBoth, s08_rd);
  add_scenario(out, "s08-shutdown-rdwr", "S08b: SHUT_RDWR: the FIN goes at once, read 0, write EPIPE", kBoth, s08_rdwr);
}

}  // namespace mtcpp::sim
