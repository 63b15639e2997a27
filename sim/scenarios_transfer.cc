// Transfer scenarios: bulk data under seeded random loss (a sweep), many short connections, and
// both sides closing at once under loss.
#include "sim/scenario_kit.h"

namespace mtcpp::sim {
namespace {

Result bulk(Peer peer, Role role, const RunOptions& o, double loss, const char* name, std::uint64_t bytes) {
  World w(name, peer, o, scenario_tcp());
  w.faults_at(1).set_random(loss, 0, ns3::Time(0));
  connect_pair(w, role);
  HostApp& a = w.app(0);
  HostApp& b = w.app(1);
  a.when([&a] { return a.connected(); }, [&a, bytes] { a.write(bytes); });
  a.when([&a, bytes] { return a.written() == bytes; }, [&a] { a.close(); });
  b.when([&b] { return b.eof(); }, [&b] { b.close(); });
  w.run(ns3::Seconds(120));
  expect_bytes(w);
  std::size_t lost = 0;
  for (const auto& s : w.segments) lost += s.lost ? 1 : 0;
  if (loss > 0) {
    w.check(lost > 0, "no segment was lost: the fault model did nothing");
    w.check(w.a->stack().stats().tcp_retransmissions > 0, "A never retransmitted");
  } else {
    w.check(lost == 0 && w.a->stack().stats().tcp_retransmissions == 0, "a loss or retransmission on a clean link");
  }
  expect_states(w, 0, {"ESTABLISHED", "FIN_WAIT_1", "TIME_WAIT", "CLOSED"});
  expect_no_flag(w, 0, "R");
  expect_no_flag(w, 1, "R");
  expect_clean(w);
  return w.result(peer == Peer::ns3 ? "ns-3's TCP sends no MSS option, so A sends 536-byte segments" : "");
}

Result bulk_loss(Peer peer, Role role, const RunOptions& o) { return bulk(peer, role, o, 0.02, "bulk-loss", 1 << 20); }

}  // namespace

void add_transfer_scenarios(std::vector<Scenario>& out) {
  add_scenario(out, "bulk-loss", "1 MB from A with 2 % seeded random loss at B: bytes intact, retransmissions, clean close",
               {Role::client}, bulk_loss);
}

}  // namespace mtcpp::sim
