// The registry of scenarios and the checks they share (sim/scenario_kit.h).
#include <algorithm>

#include "sim/scenario_kit.h"

namespace mtcpp::sim {

std::int64_t time_in(const World& w, int host, const std::string& state) {
  const std::int64_t in = w.entered(host, state);
  if (in < 0) return -1;
  bool seen = false;
  for (const auto& s : w.states) {
    if (s.host != host) continue;
    if (seen && s.state != state) return s.time_us - in;
    if (s.state == state && s.time_us == in) seen = true;
  }
  return -1;
}

std::vector<std::int64_t> offsets(const World& w, int from, const std::string& flags) {
  std::vector<std::int64_t> out;
  for (const Segment* s : w.sent(from, flags)) out.push_back(s->time_us - w.sent(from, flags).front()->time_us);
  return out;
}

void expect_fin_exchange(World& w, int first) {
  const auto fa = w.sent(first, "F"), fb = w.sent(1 - first, "F");
  const std::string nf = first == 0 ? "A" : "B", ns = first == 0 ? "B" : "A";
  w.check(fa.size() == 1, nf + " sent " + std::to_string(fa.size()) + " FINs, want 1");
  w.check(fb.size() == 1, ns + " sent " + std::to_string(fb.size()) + " FINs, want 1");
  expect_no_flag(w, 0, "R");
  expect_no_flag(w, 1, "R");
  if (fa.size() != 1 || fb.size() != 1) return;
  w.check(fa[0]->time_us <= fb[0]->time_us, nf + "'s FIN is not first");
  w.check(fb[0]->ack == fa[0]->seq + fa[0]->len + 1, ns + "'s FIN does not acknowledge " + nf + "'s FIN");
  const Segment& last = w.segments.back();
  w.check(last.from == first && last.flags == "." && last.ack == fb[0]->seq + fb[0]->len + 1,
          "the last segment is not " + nf + "'s ACK of " + ns + "'s FIN");
}

void expect_time_wait(World& w, int host) {
  const std::int64_t lasted = time_in(w, host, "TIME_WAIT");
  const std::int64_t knob = us(w.tcp.time_wait);
  w.check(lasted >= knob && lasted <= knob + 20000,
          std::string(host == 0 ? "A" : "B") + "'s TIME_WAIT lasted " + std::to_string(lasted) + " us, knob " +
              std::to_string(knob) + " us (+20 ms)");
}

void expect_clean(World& w) {
  w.check_clean(0);
  w.check_clean(1);
}

void add_scenario(std::vector<Scenario>& out, const std::string& name, const std::string& description,
                  std::vector<Role> roles, ScenarioRun run) {
  for (Role r : roles) {
    const std::string full = roles.size() == 1 ? name : name + ".a-" + role_name(r);
    out.push_back({full, description + (roles.size() == 1 ? "" : std::string(" [A is the ") + role_name(r) + "]"),
                   [run, r, full](Peer p, const RunOptions& o) {
                     RunOptions named = o;
                     named.name = full;
                     return run(p, r, named);
                   }});
  }
}

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> all = [] {
    std::vector<Scenario> v;
    add_close_scenarios(v);
    add_loss_scenarios(v);
    add_buffered_scenarios(v);
    add_handshake_scenarios(v);
    add_reset_scenarios(v);
    add_transfer_scenarios(v);
    return v;
  }();
  return all;
}

}  // namespace mtcpp::sim
