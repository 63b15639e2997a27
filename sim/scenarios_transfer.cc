// Transfer scenarios: bulk data under seeded random loss (a 0-10 % sweep), reordering, many short
// connections, and both sides closing at once under loss.
#include <ns3/simulator.h>

#include <algorithm>
#include <memory>

#include "sim/scenario_kit.h"

namespace mtcpp::sim {
namespace {

// rate: the random loss configured. Below 5 % a short run may draw no loss at all for some seeds.
// A link with a bottleneck queue (the sweep's point-to-point line) drops what overflows it, so
// only the fault model's losses are checked there, not the retransmissions.
void expect_losses(World& w, double rate, bool bottleneck = false) {
  std::size_t lost = 0;
  for (const auto& s : w.segments) lost += s.lost ? 1 : 0;
  if (rate >= 0.05) {
    w.check(lost > 0, "no segment was lost: the fault model did nothing");
  } else if (rate == 0) {
    w.check(lost == 0 && (bottleneck || w.a->stack().stats().tcp_retransmissions == 0),
            "a loss or retransmission on a clean link");
  }
}

// `bytes` from A to B with seeded random loss of `loss` on the frames reaching each side (and, with
// reorder, 5 % of them delayed by up to 5 ms); A closes once all is written, B on end of stream.
Result bulk(Peer peer, Role role, const RunOptions& o, double loss, bool reorder, const char* name,
            std::uint64_t bytes) {
  // TIME_WAIT and the orphan FIN_WAIT_2 timeout longer than the scenarios' short defaults: ns-3
  // backs its FIN off from 1 s, and under loss its retransmitted FIN must still find A's TIME_WAIT
  // or FIN_WAIT_2 (once they end, A rightly answers it with an RST, as in S13).
  TcpConfig knobs = scenario_tcp();
  knobs.time_wait = 10s;
  knobs.fin_wait_2_timeout = 30s;
  World w(name, peer, o, knobs);
  for (int h = 0; h < 2; ++h) w.faults_at(h).set_random(loss, reorder ? 0.05 : 0, ns3::MilliSeconds(5));
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a, bytes] { a.write(bytes); });
  a.when([&a, bytes] { return a.written() == bytes; }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(1200));  // 10 % loss each way can take minutes of backoff
  if (peer == Peer::ns3 && w.entered(0, "ESTABLISHED") < 0 && w.sent(0, "S.").size() > 1) {
    // Seen with seed 8: the ACK completing the handshake is lost, and ns-3, already ESTABLISHED,
    // ignores every retransmitted SYN-ACK (RFC 9293 says to acknowledge it).
    expect_states(w, 0, {"SYN_RCVD", "CLOSED"});
    w.app(0).close_listener();  // still waiting for its one connection
    expect_clean(w);
    return w.result("ns-3's TCP never acknowledged A's retransmitted SYN-ACK after its own ACK was lost: A's "
                    "embryo gave up after its SYN-ACK retries");
  }
  expect_bytes(w);
  w.check(b.got() == bytes, "B read " + std::to_string(b.got()) + " of " + std::to_string(bytes) + " bytes");
  expect_losses(w, loss, o.link.point_to_point);
  expect_states(w, 0, {"ESTABLISHED", "FIN_WAIT_1", "CLOSED"});
  if (reorder) {
    std::size_t late = 0;
    for (const auto& s : w.segments) late += s.fault == "DELAYED" ? 1 : 0;
    w.check(late > 0, "no segment was delayed");
    // A segment held back past the end of the connection is answered from CLOSED (and ns-3 may
    // reset A's TIME_WAIT): RSTs are fine once the close is over, never before.
    const std::int64_t done = w.entered(0, "TIME_WAIT");
    for (int h = 0; h < 2; ++h) {
      for (const Segment* r : w.sent(h, "R"))
        w.check(done >= 0 && r->time_us > done, std::string(h == 0 ? "A" : "B") + " sent an RST mid-connection");
    }
  } else {
    expect_no_flag(w, 0, "R");
    expect_no_flag(w, 1, "R");
  }
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP sends no MSS option: A uses 536 bytes (524 of payload beside timestamps)" : "");
}

constexpr std::uint64_t kSweepBytes = 256 * 1024;
Result loss0(Peer p, Role r, const RunOptions& o) { return bulk(p, r, o, 0, false, "bulk-loss-0", kSweepBytes); }
Result loss1(Peer p, Role r, const RunOptions& o) { return bulk(p, r, o, 0.01, false, "bulk-loss-1", kSweepBytes); }
Result loss2(Peer p, Role r, const RunOptions& o) { return bulk(p, r, o, 0.02, false, "bulk-loss-2", kSweepBytes); }
Result loss5(Peer p, Role r, const RunOptions& o) { return bulk(p, r, o, 0.05, false, "bulk-loss-5", kSweepBytes); }
Result loss10(Peer p, Role r, const RunOptions& o) { return bulk(p, r, o, 0.10, false, "bulk-loss-10", kSweepBytes); }
Result reorder(Peer p, Role r, const RunOptions& o) { return bulk(p, r, o, 0.01, true, "bulk-reorder", kSweepBytes); }
Result big(Peer p, Role r, const RunOptions& o) { return bulk(p, r, o, 0.02, false, "bulk-1mb-loss-2", 1 << 20); }

// 20 connections one after another from the client to the server's listener, 100 bytes each
// way; the server closes each after answering, the client on end of stream. Nothing is left on
// the mtcpp hosts afterwards (the server's TIME_WAITs last the knob, 2 s).
Result short_connections(Peer peer, Role role, const RunOptions& o) {
  World w("short-connections", peer, o, scenario_tcp());
  constexpr int kCount = 20;
  HostApp& server = w.app(server_of(role));
  HostApp& client = w.app(client_of(role));
  const Ipv4Addr to = w.addr(server_of(role));
  server.listen(World::kPort, kCount);
  for (int i = 1; i <= kCount; ++i) {
    client.at_ms(10, [&client, to] { client.connect(to, World::kPort); });
    client.when([&client] { return client.connected(); }, [&client] { client.write(100); });
    server.when([&server, i] { return server.connections() == i && server.got() == 100u * i; }, [&server] {
      server.write(100);
      server.close();
    });
    client.when([&client] { return client.eof(); }, [&client] { client.close(); });
  }
  w.run(ns3::Seconds(10));
  w.check(server.connections() == kCount && client.connections() == kCount,
          "connections: the server accepted " + std::to_string(server.connections()) + ", the client made " +
              std::to_string(client.connections()));
  expect_bytes(w);
  w.check(server.got() == 100u * kCount && client.got() == 100u * kCount, "not 100 bytes each way per connection");
  w.check(w.sent(server_of(role), "S.").size() == kCount && w.sent(server_of(role), "F").size() == kCount,
          "not one SYN-ACK and one FIN per connection from the server");
  expect_no_flag(w, 0, "R");
  expect_no_flag(w, 1, "R");
  expect_clean(w);
  return w.result(peer == Peer::ns3 && role == Role::client
                      ? "ns-3's server sockets stay in TIME_WAIT (240 s): only A is checked for leftovers"
                      : "");
}

// Both sides write 64 kB at once and half-close (SHUT_WR) as soon as all is written, so the FINs
// cross, under 5 % random loss each way; each closes on end of stream. Every byte arrives, no RST.
// Against ns-3 the scenario has seen three things, each reported when it happens: its close
// (after SHUT_WR, on end of stream) resets the connection while its own data is still
// unacknowledged, so A gets an intact prefix; it reaches TIME_WAIT without acknowledging A's FIN
// and ignores the retransmissions (as in S03), so A gives up at R2 (6 retries here); or it answers
// a retransmission of A's with an RST after its application closed. A must stay intact, RST-free
// and clean in every case.
Result close_under_loss(Peer peer, Role role, const RunOptions& o) {
  TcpConfig knobs = scenario_tcp();
  knobs.data_retries = 6;
  World w("simultaneous-close-loss", peer, o, knobs);
  constexpr std::uint64_t kBytes = 64 * 1024;
  for (int h = 0; h < 2; ++h) w.faults_at(h).set_random(0.05, 0, ns3::Time(0));
  connect_pair(w, role);
  for (int h = 0; h < 2; ++h) {
    HostApp& x = w.app(h);
    x.when([&x] { return x.connected(); }, [&x] { x.write(kBytes); });
    x.when([&x] { return x.written() == kBytes; }, [&x] { x.shutdown(SHUT_WR); });
    // An application does not wait forever: at 300 s it closes anyway.
    x.when([&x] { return x.eof() || x.error() != 0 || ns3::Simulator::Now() >= ns3::Seconds(300); }, [&x] { x.close(); });
    ns3::Simulator::Schedule(ns3::Seconds(300), [&x] { x.wake(); });
  }
  w.run(ns3::Seconds(600));  // long enough for R2 against ns-3 (see above)
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  const bool ns3_short = peer == Peer::ns3 && a.got() < kBytes;
  w.check(b.got() == kBytes && b.intact(), "B read " + std::to_string(b.got()) + " bytes");
  w.check(a.intact() && (a.got() == kBytes || ns3_short), "A read " + std::to_string(a.got()) + " bytes");
  expect_losses(w, 0.05);
  w.check(w.passed(0, {"FIN_WAIT_1", "CLOSED"}), "A did not close: " + w.states_text(0));
  expect_no_flag(w, 0, "R");
  const bool ns3_reset = peer == Peer::ns3 && !w.sent(1, "R").empty();
  if (peer == Peer::mtcpp) expect_no_flag(w, 1, "R");
  const bool gave_up = w.a->stack().stats().tcp_timeouts > 0;
  w.check(!gave_up || peer == Peer::ns3, "A gave up at R2 against mtcpp, whose TIME_WAIT answers FINs");
  expect_clean(w);
  std::string note;
  if (ns3_short)
    note = "ns-3 reset the connection when its application closed, before A had all its data (A got " +
           std::to_string(a.got()) + " of " + std::to_string(kBytes) + " bytes). ";
  if (gave_up) note += "ns-3 went to TIME_WAIT without acknowledging A's FIN and ignored its retransmissions: A gave up at R2. ";
  if (ns3_reset && !ns3_short) note += "ns-3 answered a retransmission of A's with an RST after its application closed. ";
  const bool gave_up_waiting = w.entered(0, "CLOSED") > 300'000'000;
  w.check(!gave_up_waiting || ns3_reset, "A's application had to give up waiting though no RST came");
  if (gave_up_waiting)
    note += "ns-3's exact RST was lost and its later ones carried old sequence numbers (ignored, RFC 5961): "
            "A's application gave up waiting at 300 s.";
  return w.result(note);
}

// The last two segments of A's first burst are lost on the way to B, and nothing follows them:
// no duplicate ACK will ever come. A tail loss probe (RFC 8985 §7) resends the last one after
// about two round trips; B's SACK of it shows RACK the other hole, repaired at once. An RTO
// would have taken 200 ms at least.
Result tail_loss(Peer peer, Role role, const RunOptions& o) {
  World w("tail-loss-probe", peer, o, scenario_tcp());
  constexpr std::uint64_t kBytes = 8000;  // a few segments, all in the initial window
  // Data segments from A, counted on the wire: the last two of the burst (whatever B's MSS).
  auto tail = std::make_shared<std::vector<std::uint32_t>>();
  w.faults_at(1).add(drop_rule(
      [tail](const Segment& s) {
        if (s.from != 0 || s.len == 0 || !(s.seq + s.len >= 1 + kBytes - 2 * 524)) return false;
        // the first time each of the last segments is seen (their retransmissions get through)
        if (std::find(tail->begin(), tail->end(), s.seq) != tail->end()) return false;
        tail->push_back(s.seq);
        return true;
      },
      1, 0));
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a] { a.write(kBytes); });
  a.when([&b] { return b.got() == kBytes; }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(10));
  expect_bytes(w);
  w.check(b.got() == kBytes, "B read " + std::to_string(b.got()) + " of " + std::to_string(kBytes) + " bytes");
  w.check(tail->size() >= 2, "the fault model dropped " + std::to_string(tail->size()) + " tail segments, want 2");
  // Every byte at B well before an RTO (200 ms) could have fired after the burst.
  std::int64_t burst_end = -1, repaired = -1;
  for (const auto& s : w.segments) {
    if (s.from == 0 && s.len > 0 && burst_end < 0 && s.seq + s.len == 1 + kBytes) burst_end = s.time_us;
    if (s.from == 1 && s.ack >= 1 + kBytes && repaired < 0) repaired = s.time_us;
  }
  w.check(burst_end >= 0 && repaired > burst_end, "no ACK covered the whole burst");
  w.check(repaired - burst_end < us(w.tcp.rto_min) / 2,
          "the tail was repaired " + std::to_string(repaired - burst_end) + " us after the burst, want well under RTO_min (" +
              std::to_string(us(w.tcp.rto_min)) + " us): a probe, not a timeout");
  expect_no_flag(w, 0, "R");
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP sends no MSS option: A uses 536 bytes (524 of payload beside timestamps)" : "");
}

}  // namespace

Result bulk_transfer(Peer peer, const RunOptions& options, double loss, std::uint64_t bytes) {
  return bulk(peer, Role::client, options, loss, false, "sweep", bytes);
}

SharedRun shared_transfer(int flows, const RunOptions& options, double loss, std::uint64_t bytes) {
  TcpConfig knobs = scenario_tcp();
  knobs.time_wait = 10s;
  knobs.fin_wait_2_timeout = 30s;
  World w("fairness", Peer::mtcpp, options, knobs);
  for (int h = 0; h < 2; ++h) w.faults_at(h).set_random(loss, 0, ns3::Time(0));
  std::vector<HostApp*> senders, receivers;
  for (int i = 0; i < flows; ++i) {
    senders.push_back(i == 0 ? &w.app(0) : &w.add_app(0));
    receivers.push_back(i == 0 ? &w.app(1) : &w.add_app(1));
  }
  SharedRun run;
  for (int i = 0; i < flows; ++i) {
    HostApp& a = *senders[static_cast<std::size_t>(i)];
    HostApp& b = *receivers[static_cast<std::size_t>(i)];
    const auto port = static_cast<std::uint16_t>(World::kPort + i);
    b.listen(port);
    a.at_ms(10, [&a, &w, port] { a.connect(w.b_addr, port); });
    a.when([&a] { return a.connected(); }, [&a, bytes] { a.write(bytes); });
    a.when([&a, bytes] { return a.written() == bytes; }, [&a] { a.close(); });
    b.when([&b] { return b.eof(); }, [&b, &run, &receivers] {
      if (run.delivered.empty())
        for (const HostApp* r : receivers) run.delivered.push_back(r->got());
      b.close();
    });
  }
  w.run(ns3::Seconds(1200));
  for (const HostApp* b : receivers)
    w.check(b->got() == bytes && b->intact(), "a flow delivered " + std::to_string(b->got()) + " bytes");
  expect_clean(w);
  const Result r = w.result("");
  run.pass = r.pass && run.delivered.size() == static_cast<std::size_t>(flows);
  run.differences = r.differences;
  return run;
}

void add_transfer_scenarios(std::vector<Scenario>& out) {
  add_scenario(out, "bulk-loss-0", "256 kB from A, no loss: intact, no retransmission, clean close", kBoth, loss0);
  add_scenario(out, "bulk-loss-1", "256 kB from A with 1 % seeded loss each way: intact, clean close", kBoth, loss1);
  add_scenario(out, "bulk-loss-2", "256 kB from A with 2 % seeded loss each way", kBoth, loss2);
  add_scenario(out, "bulk-loss-5", "256 kB from A with 5 % seeded loss each way", kBoth, loss5);
  add_scenario(out, "bulk-loss-10", "256 kB from A with 10 % seeded loss each way", kBoth, loss10);
  add_scenario(out, "bulk-reorder", "256 kB from A, 1 % loss and 5 % of frames held up to 5 ms (reordering)", kBoth,
               reorder);
  add_scenario(out, "bulk-1mb-loss-2", "1 MB from A with 2 % seeded loss each way", {Role::server}, big);
  add_scenario(out, "tail-loss-probe",
               "the last two segments of a burst lost: repaired by a tail loss probe and RACK, not an RTO", kBoth,
               tail_loss);
  add_scenario(out, "short-connections",
               "20 connections in a row, 100 bytes each way, the server closes first: nothing left", kBoth,
               short_connections);
  add_scenario(out, "simultaneous-close-loss",
               "both write 64 kB and half-close at once under 5 % loss each way: intact, no RST from A", kBoth,
               close_under_loss);
}

}  // namespace mtcpp::sim
