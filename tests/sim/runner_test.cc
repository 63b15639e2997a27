// The ns-3 scenario framework (sim/scenario.h) and ladder diagrams, run directly (not through the
// mtcpp-sim binary).
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
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

const Scenario& named(const std::string& name) {
  for (const Scenario& s : scenarios()) {
    if (s.name == name) return s;
  }
  throw std::out_of_range("no scenario " + name);
}

// Every scenario passing against both peers is Sim/Golden's check; here: the list, ladders,
// determinism within a process and seeds.
TEST(SimRunner, ScenariosListedOnceEach) {
  ASSERT_GE(scenarios().size(), 3u);
  EXPECT_EQ(scenarios()[0].name, "s01-active-close.a-client");
  for (std::size_t i = 0; i < scenarios().size(); ++i) {
    EXPECT_FALSE(scenarios()[i].description.empty()) << scenarios()[i].name;
    for (std::size_t j = i + 1; j < scenarios().size(); ++j) EXPECT_NE(scenarios()[i].name, scenarios()[j].name);
  }
}

TEST(SimRunner, LadderOfARunHasAnArrowPerSegment) {
  for (Peer peer : {Peer::mtcpp, Peer::ns3}) {
    const Result r = named("s03-simultaneous-close-lost-ack.a-client").run(peer, RunOptions{});
    EXPECT_TRUE(r.pass) << r.differences;
    const std::string svg = ladder_svg(ladder_of(r, "s03", peer));
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    EXPECT_EQ(count(svg, "<line class=\"seg"), r.segments.size());
    EXPECT_EQ(count(svg, "<line class=\"seg lost"), 1u);
  }
}

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Twice in one process: the same segments, states and pcap bytes. (A fresh process is Sim/Golden:
// each of its cases runs alone and compares with pcaps another process wrote.)
TEST(SimRunner, SameSeedSameRunInOneProcess) {
  char tmpl[] = "/tmp/mtcpp-rerun-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::filesystem::path dir = tmpl;
  for (const char* name : {"s01-active-close.a-server", "s03-simultaneous-close-lost-ack.a-client", "bulk-reorder.a-client"}) {
    for (Peer peer : {Peer::mtcpp, Peer::ns3}) {
      RunOptions o;
      o.seed = 5;
      o.pcap_dir = (dir / "first").string();
      std::filesystem::create_directories(o.pcap_dir);
      const Result a = named(name).run(peer, o);
      o.pcap_dir = (dir / "second").string();
      std::filesystem::create_directories(o.pcap_dir);
      const Result b = named(name).run(peer, o);
      EXPECT_EQ(segment_text(a.segments), segment_text(b.segments)) << name << " " << to_string(peer);
      EXPECT_TRUE(a.segments == b.segments) << name << " " << to_string(peer);
      EXPECT_TRUE(a.states == b.states) << name << " " << to_string(peer);
      const std::string pcap = std::string(name) + "-" + to_string(peer) + ".pcap";
      const std::string first = file_bytes(dir / "first" / pcap);
      EXPECT_FALSE(first.empty()) << pcap;
      EXPECT_TRUE(first == file_bytes(dir / "second" / pcap)) << pcap << " differs between two runs";
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(SimRunner, OtherSeedOtherLosses) {
  RunOptions o;
  o.seed = 5;
  const Result a = named("bulk-loss-5.a-client").run(Peer::mtcpp, o);
  o.seed = 6;
  const Result b = named("bulk-loss-5.a-client").run(Peer::mtcpp, o);
  EXPECT_TRUE(a.pass && b.pass);
  EXPECT_FALSE(a.segments == b.segments);
}

TEST(SimRunnerLadder, LostSegmentStopsMidwayWithCross) {
  LadderInput in;
  in.hosts[0] = "A";
  in.hosts[1] = "B";
  in.segments = {{0, 0, "S", 0, 0, 0, false, "", -1}, {1000, 1, "S.", 0, 1, 0, false, "", -1}, {2000, 0, "P.", 1, 1, 100, true, "", -1}};
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
