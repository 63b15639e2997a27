// Per-second statistics lines in the shape mTCP prints them, for the ports that mtcp.conf's
// stat_print names, one line per core and port (a context has an interface per port with
// io = dpdk and several ports) and a total:
//   [CPU  0] veth-m   flows:      3, RX:    1234(pps) (err:     0),  0.01(Gbps), TX:    1200(pps),  0.01(Gbps)
//   [ ALL  ] ...
// A context's counters may be read only in the thread that owns it, so each core's loop
// publishes them (publish(), cheap, about once a second) and the main thread prints (print()).
#pragma once
#include <mtcp_api.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace mtcpp::apps {

class StatsBoard {
 public:
  explicit StatsBoard(int cores);
  // From core's thread, once its context exists: which port it runs on, and whether to print it.
  void attach(int core, mctx_t mctx);
  // From core's thread: the context's counters now.
  void publish(int core, mctx_t mctx);
  // From the main thread: the lines for the interval since the previous call, `seconds` long.
  // Nothing when no attached core's port is in stat_print.
  void print(std::FILE* out, double seconds);

 private:
  struct Counters {
    std::uint64_t rx_frames = 0, rx_bytes = 0, rx_dropped = 0, tx_frames = 0, tx_bytes = 0, flows = 0;
  };
  static constexpr std::size_t kMaxPorts = 8;  // per core; further ports are not shown
  struct PortSlot {
    std::atomic<bool> printed{false};
    char name[64] = {};  // a longer port name leaves the port off the board
    std::atomic<std::uint64_t> rx_frames{0}, rx_bytes{0}, rx_dropped{0}, tx_frames{0}, tx_bytes{0};
    Counters last;  // main thread only
  };
  struct Slot {
    std::atomic<bool> attached{false};
    std::size_t ports = 0;  // set by attach() before `attached` (once per core)
    PortSlot port[kMaxPorts];
    std::atomic<std::uint64_t> flows{0};
    // A DPDK queue shared out over cores: frames handed between cores (since the start), the
    // core's queues of every port together.
    std::atomic<bool> steers{false};
    std::atomic<std::uint64_t> steered_out{0}, steered_in{0};
  };
  static void line(std::FILE* out, const char* who, const char* port, const Counters& delta, std::uint64_t flows,
                   double seconds, const Slot* steering);

  std::unique_ptr<Slot[]> slots_;
  int cores_;
};

}  // namespace mtcpp::apps
