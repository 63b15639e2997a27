#include "apps/support/stats_board.h"

#include <mtcpp_ext.h>

namespace mtcpp::apps {

StatsBoard::StatsBoard(int cores) : slots_(new Slot[static_cast<std::size_t>(cores)]), cores_(cores) {}

void StatsBoard::attach(int core, mctx_t mctx) {
  Slot& s = slots_[static_cast<std::size_t>(core)];
  s.ports = 0;
  for (std::size_t i = 0; i < kMaxPorts; ++i) {
    int printed = 0;
    mtcpp_stats st{};
    if (mtcpp_interface_stats(mctx, i, s.port[i].name, sizeof s.port[i].name, &printed, &st) != 0) break;
    s.port[i].printed = printed != 0;
    s.ports = i + 1;
  }
  if (s.ports > 0) s.attached.store(true, std::memory_order_release);
}

void StatsBoard::publish(int core, mctx_t mctx) {
  Slot& s = slots_[static_cast<std::size_t>(core)];
  for (std::size_t i = 0; i < s.ports; ++i) {
    mtcpp_stats st{};
    int printed = 0;
    char name[sizeof s.port[i].name];
    if (mtcpp_interface_stats(mctx, i, name, sizeof name, &printed, &st) != 0) continue;
    PortSlot& p = s.port[i];
    p.rx_frames = st.rx_frames;
    p.rx_bytes = st.rx_bytes;
    p.rx_dropped = st.rx_dropped;
    p.tx_frames = st.tx_frames;
    p.tx_bytes = st.tx_bytes;
    s.flows = st.flows;
  }
  std::uint64_t out = 0, in = 0;
  if (mtcpp_get_counter(mctx, "dpdk.rx_steered_out", &out) == 0 && mtcpp_get_counter(mctx, "dpdk.rx_steered_in", &in) == 0) {
    s.steered_out = out;
    s.steered_in = in;
    s.steers = true;  // DPDK queues: shown on the core's first line
  }
}

void StatsBoard::line(std::FILE* out, const char* who, const char* port, const Counters& d, std::uint64_t flows,
                      double seconds, const Slot* steering) {
  const double pps_rx = static_cast<double>(d.rx_frames) / seconds;
  const double pps_tx = static_cast<double>(d.tx_frames) / seconds;
  const double gbps_rx = static_cast<double>(d.rx_bytes) * 8 / seconds / 1e9;
  const double gbps_tx = static_cast<double>(d.tx_bytes) * 8 / seconds / 1e9;
  std::fprintf(out, "[%s] %-8s flows: %6llu, RX: %7.0f(pps) (err: %5llu), %5.2f(Gbps), TX: %7.0f(pps), %5.2f(Gbps)",
               who, port, static_cast<unsigned long long>(flows), pps_rx,
               static_cast<unsigned long long>(d.rx_dropped), gbps_rx, pps_tx, gbps_tx);
  // mtcpp's addition: frames this core handed to the core owning their flow, and took from others.
  if (steering != nullptr && steering->steers)
    std::fprintf(out, ", steered out: %llu, in: %llu", static_cast<unsigned long long>(steering->steered_out.load()),
                 static_cast<unsigned long long>(steering->steered_in.load()));
  std::fputc('\n', out);
}

void StatsBoard::print(std::FILE* out, double seconds) {
  if (seconds <= 0) return;
  Counters total;
  std::uint64_t total_flows = 0;
  int printed = 0;
  for (int i = 0; i < cores_; ++i) {
    Slot& s = slots_[static_cast<std::size_t>(i)];
    if (!s.attached.load(std::memory_order_acquire)) continue;
    bool first_line = true;
    for (std::size_t k = 0; k < s.ports; ++k) {
      PortSlot& p = s.port[k];
      if (!p.printed) continue;
      const Counters now{p.rx_frames, p.rx_bytes, p.rx_dropped, p.tx_frames, p.tx_bytes, 0};
      const Counters d{now.rx_frames - p.last.rx_frames, now.rx_bytes - p.last.rx_bytes,
                       now.rx_dropped - p.last.rx_dropped, now.tx_frames - p.last.tx_frames,
                       now.tx_bytes - p.last.tx_bytes, 0};
      p.last = now;
      char who[16];
      std::snprintf(who, sizeof who, "CPU %2d", i);
      line(out, who, p.name, d, s.flows, seconds, first_line ? &s : nullptr);
      total.rx_frames += d.rx_frames;
      total.rx_bytes += d.rx_bytes;
      total.rx_dropped += d.rx_dropped;
      total.tx_frames += d.tx_frames;
      total.tx_bytes += d.tx_bytes;
      if (first_line) total_flows += s.flows;  // a core's flows, once
      first_line = false;
      ++printed;
    }
  }
  if (printed == 0) return;
  line(out, " ALL  ", "", total, total_flows, seconds, nullptr);
  std::fflush(out);
}

}  // namespace mtcpp::apps
