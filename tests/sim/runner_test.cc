// The ns-3 scenario framework (sim/scenario.h) and ladder diagrams, run directly (not through the
// mtcpp-sim binary).
#include <gtest/gtest.h>

#include <string>

#include "sim/ladder.h"
#include "sim/scenario.h"

namespace mtcpp::sim {
namespace {

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

class SimRunnerScenario : public testing::TestWithParam<std::tuple<std::size_t, Peer>> {};

TEST_P(SimRunnerScenario, Passes) {
  const auto [index, peer] = GetParam();
  const Scenario& s = scenarios().at(index);
  const Result r = s.run(peer, RunOptions{});
  EXPECT_TRUE(r.pass) << s.name << " peer " << to_string(peer) << ":\n"
                      << r.differences << segment_text(r.segments);
  EXPECT_FALSE(r.segments.empty());
  const std::string svg = ladder_svg(ladder_of(r, s.name, peer));
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_EQ(count(svg, "<line class=\"seg"), r.segments.size());
}

INSTANTIATE_TEST_SUITE_P(SimRunner, SimRunnerScenario,
                         testing::Combine(testing::Values(0u, 1u, 2u), testing::Values(Peer::mtcpp, Peer::ns3)),
                         [](const auto& info) {
                           std::string n = scenarios().at(std::get<0>(info.param)).name + "_" +
                                           to_string(std::get<1>(info.param));
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

TEST(SimRunner, ThreeScenariosListed) {
  ASSERT_GE(scenarios().size(), 3u);
  EXPECT_EQ(scenarios()[0].name, "s01-active-close");
  EXPECT_EQ(scenarios()[1].name, "s02-passive-close");
  EXPECT_EQ(scenarios()[2].name, "bulk-loss");
}

TEST(SimRunner, SameSeedSameSegments) {
  for (const Scenario& s : scenarios()) {
    for (Peer peer : {Peer::mtcpp, Peer::ns3}) {
      RunOptions o;
      o.seed = 5;
      const Result a = s.run(peer, o);
      const Result b = s.run(peer, o);
      EXPECT_EQ(segment_text(a.segments), segment_text(b.segments)) << s.name << " " << to_string(peer);
      EXPECT_TRUE(a.segments == b.segments) << s.name << " " << to_string(peer);
      EXPECT_TRUE(a.states == b.states) << s.name << " " << to_string(peer);
    }
  }
}

TEST(SimRunner, OtherSeedOtherLosses) {
  RunOptions o;
  o.seed = 5;
  const Result a = scenarios().at(2).run(Peer::mtcpp, o);
  o.seed = 6;
  const Result b = scenarios().at(2).run(Peer::mtcpp, o);
  EXPECT_TRUE(a.pass && b.pass);
  EXPECT_FALSE(a.segments == b.segments);
}

TEST(SimRunnerLadder, LostSegmentStopsMidwayWithCross) {
  LadderInput in;
  in.hosts[0] = "A";
  in.hosts[1] = "B";
  in.segments = {{0, 0, "S", 0, 0, 0, false}, {1000, 1, "S.", 0, 1, 0, false}, {2000, 0, "P.", 1, 1, 100, true}};
  in.states = {{0, 0, "SYN_SENT"}, {2000, 0, "ESTABLISHED"}};
  const std::string svg = ladder_svg(in);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_EQ(count(svg, "<line class=\"seg"), 3u);
  EXPECT_EQ(count(svg, "<line class=\"seg lost"), 1u);
  EXPECT_NE(svg.find("P. 1:101(100) ack 1"), std::string::npos);
  EXPECT_NE(svg.find("×"), std::string::npos);
  EXPECT_NE(svg.find("ESTABLISHED"), std::string::npos);
  EXPECT_EQ(svg, ladder_svg(in));
}

}  // namespace
}  // namespace mtcpp::sim
