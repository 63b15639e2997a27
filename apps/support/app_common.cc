#include "apps/support/app_common.h"

#include <mtcp_epoll.h>
#include <mtcpp_ext.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace mtcpp::apps {

std::optional<long> parse_long(const char* text, long lo, long hi) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) return std::nullopt;
  return v;
}

std::optional<std::vector<int>> pick_cores(const char* program, int cores, int one_core, const char* cores_flag,
                                           const char* one_core_flag) {
  mtcp_conf conf{};
  mtcp_getconf(&conf);
  std::vector<int> out;
  if (one_core >= 0) {
    if (one_core >= conf.num_cores) {
      std::fprintf(stderr, "%s: %s %d: the configuration has %d core(s)\n", program, one_core_flag, one_core,
                   conf.num_cores);
      return std::nullopt;
    }
    out.push_back(one_core);
    return out;
  }
  const int n = cores > 0 ? cores : conf.num_cores;
  if (n > conf.num_cores) {
    std::fprintf(stderr, "%s: %s %d: the configuration has num_cores = %d\n", program, cores_flag, n, conf.num_cores);
    return std::nullopt;
  }
  for (int i = 0; i < n; ++i) out.push_back(i);
  return out;
}

void finish_closing(mctx_t mctx, int ep, std::chrono::seconds limit) {
  const auto since = std::chrono::steady_clock::now();
  mtcp_epoll_event ev;
  for (mtcpp_stats st{}; mtcpp_get_stats(mctx, &st) == 0 && st.flows > 0 &&
                         std::chrono::steady_clock::now() - since < limit;)
    mtcp_epoll_wait(mctx, ep, &ev, 1, 50);
}

}  // namespace mtcpp::apps
