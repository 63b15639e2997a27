// The registry of scenarios and the checks they share (sim/scenario_kit.h).
#include <algorithm>
#include <cstdlib>
#include <exception>

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
  const auto sent = w.sent(from, flags);
  std::vector<std::int64_t> out;
  for (const Segment* s : sent) out.push_back(s->time_us - sent.front()->time_us);
  return out;
}

void expect_fin_backoff(World& w, int from, std::size_t count, bool same_ack, bool to_r2) {
  const auto fins = w.sent(from, "F");
  const std::string who = from == 0 ? "A" : "B";
  // An mtcpp sender with SACK sends its first retransmission as a tail loss probe when the RTO
  // would come first (RFC 8985 §7.2, as Linux): the RTO, not yet backed off, follows it, and
  // a sender that runs to R2 then sends one FIN more. An ACK of earlier data that arrives after
  // the FIN restarts the timer (RFC 6298 §5.3): the first retransmission counts from it (ns-3's
  // 200 ms delayed ACK can come just before the FIN's timeout).
  std::int64_t timer_start = fins.empty() ? 0 : fins[0]->time_us;
  if (fins.size() >= 2) {
    std::uint32_t acked = 0;
    for (const Segment& s : w.segments) {
      if (s.from == from || s.lost || s.time_us >= fins[1]->time_us) continue;
      if (s.flags.find('.') != std::string::npos && s.ack > acked && s.time_us > fins[0]->time_us)
        timer_start = s.time_us;
      acked = std::max(acked, s.ack);
    }
  }
  const std::int64_t r = fins.size() >= 2 ? fins[1]->time_us - timer_start : 0;
  std::size_t first_timeout = 1;
  if (fins.size() >= 3 && std::llabs(fins[2]->time_us - fins[1]->time_us - r) <= 10000) first_timeout = 2;
  const std::size_t want_fins = count + (to_r2 && first_timeout == 2 ? 1 : 0);
  w.check(fins.size() == want_fins, who + " sent " + std::to_string(fins.size()) + " FINs, want " + std::to_string(want_fins));
  if (fins.size() < 2) return;
  w.check(r >= us(w.tcp.rto_min) - 5000, who + "'s first FIN retransmission came " + std::to_string(r) + " us after the FIN");
  std::int64_t want = r;
  for (std::size_t i = 1; i < fins.size(); ++i) {
    const std::int64_t d = fins[i]->time_us - (i == 1 ? timer_start : fins[i - 1]->time_us);
    if (i == first_timeout && first_timeout == 2) want = r;
    w.check(d >= want - 10000 && d <= want + 10000, who + "'s FIN retransmission " + std::to_string(i) + " came " +
                                                        std::to_string(d) + " us after the previous, want " +
                                                        std::to_string(want) + " us");
    w.check(fins[i]->seq == fins[0]->seq && (!same_ack || fins[i]->ack == fins[0]->ack) &&
                fins[i]->flags == fins[0]->flags,
            who + "'s retransmitted FIN differs from the first");
    want = 2 * d;  // §5.5: each timeout doubles the last
  }
}

void expect_silence(World& w, int from, std::int64_t start, std::int64_t end, const std::string& what) {
  for (const auto& s : w.segments) {
    if (s.from == from && s.time_us > start && s.time_us <= end)
      w.check(false, std::string(from == 0 ? "A" : "B") + " sent " + s.flags + " at " + std::to_string(s.time_us) +
                         " us " + what);
  }
}

int count_logged(const World& w, int host, const std::string& entry) {
  int n = 0;
  for (const auto& e : const_cast<World&>(w).app(host).log()) n += e == entry ? 1 : 0;
  return n;
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
                     try {
                       return run(p, r, named);
                     } catch (const std::exception& e) {  // the world could not be built
                       Result failed;
                       failed.differences = std::string("setup: ") + e.what() + "\n";
                       return failed;
                     }
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
