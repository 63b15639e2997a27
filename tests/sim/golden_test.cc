// Golden traces: every scenario against both peers, rerun and compared byte for byte with the
// pcaps committed under traces/golden/. A difference is shown as the first segment that differs
// in the readable trace. When a change to the stack is meant to change the wire, regenerate with
// scripts/regen-golden and review `git diff traces/golden/*.txt`.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/scenario.h"

namespace mtcpp::sim {
namespace {

namespace fs = std::filesystem;

// Frames are kept to their headers in the committed pcaps (scripts/regen-golden uses the same).
constexpr std::uint32_t kGoldenSnaplen = 128;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// "line N: golden '...' / now '...'" for the first line that differs.
std::string first_difference(const std::string& golden, const std::string& now) {
  std::istringstream g(golden), n(now);
  std::string gl, nl;
  for (int line = 1;; ++line) {
    const bool more_g = static_cast<bool>(std::getline(g, gl));
    const bool more_n = static_cast<bool>(std::getline(n, nl));
    if (!more_g && !more_n) return "no difference in the segment text";
    if (!more_g || !more_n || gl != nl)
      return "segment " + std::to_string(line) + ": golden '" + (more_g ? gl : "(end)") + "', now '" +
             (more_n ? nl : "(end)") + "'";
  }
}

class Golden : public ::testing::TestWithParam<std::tuple<std::size_t, Peer>> {};

TEST_P(Golden, RerunMatchesTheCommittedTrace) {
  const auto [index, peer] = GetParam();
  const Scenario& s = scenarios().at(index);
  const fs::path golden = fs::path(MTCPP_SOURCE_DIR) / "traces" / "golden";
  char tmpl[] = "/tmp/mtcpp-golden-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  RunOptions options;
  options.seed = 1;
  options.pcap_dir = dir.string();
  options.snaplen = kGoldenSnaplen;
  const Result r = s.run(peer, options);
  EXPECT_TRUE(r.pass) << r.differences;
  const std::string stem = s.name + "-" + to_string(peer);
  const std::string text = segment_text(r.segments);
  const std::string golden_text = read_file(golden / (stem + ".txt"));
  ASSERT_FALSE(golden_text.empty()) << "no golden trace " << stem << ".txt: run scripts/regen-golden";
  EXPECT_EQ(text, golden_text) << first_difference(golden_text, text);
  EXPECT_TRUE(read_file(dir / (stem + ".pcap")) == read_file(golden / (stem + ".pcap")))
      << stem << ".pcap differs from traces/golden (" << first_difference(golden_text, text) << ")";
  fs::remove_all(dir);
}

std::string name_of(const ::testing::TestParamInfo<std::tuple<std::size_t, Peer>>& info) {
  std::string n = scenarios().at(std::get<0>(info.param)).name + "_" + to_string(std::get<1>(info.param));
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(Sim, Golden,
                         ::testing::Combine(::testing::Range<std::size_t>(0, scenarios().size()),
                                            ::testing::Values(Peer::mtcpp, Peer::ns3)),
                         name_of);

}  // namespace
}  // namespace mtcpp::sim
