// The benchmark workloads, written once over the Sockets interface, so mtcpp and the Linux kernel
// run the very same code: a server side and a client side, each an event handler that is given
// the sockets whose readiness may have changed and drains them until they would block.
//   cps     `connections` concurrent short connections: connect, 64 B request, 64 B reply, close;
//           the client closes first, or the server (`server_closes`)
//   rr      `connections` persistent connections, one 64 B request outstanding on each
//   bulk    one connection, the client writes 128 KiB at a time, the server reads
//   lat     rr on one connection, each round trip timed (a ping-pong)
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/driver/sockets.h"

namespace bench {

enum class Kind { cps, rr, bulk, lat };

struct Workload {
  std::string name;
  Kind kind = Kind::rr;
  int connections = 1;
  bool server_closes = false;
  std::uint16_t mtu = 1500;
  bool one_core = false;        // both ends on one core (mtcpp: one thread polls both stacks)
  bool linux_busy_poll = false;  // the kernel side spins in epoll_wait instead of sleeping
  std::string unit;              // of the figure a trial gives
  std::string what;              // a line for --list
};

// The workloads the driver knows, in the order a full run takes them.
const std::vector<Workload>& all_workloads();

inline constexpr std::size_t kMessage = 64;         // request and reply size
// cps spreads its connections over this many server ports, on both systems: TIME_WAIT holds a
// 4-tuple for 60 s, and one client address talking to one server port has only 64,512 of them,
// which a fast stack uses up within a trial.
inline constexpr int kServerPorts = 8;
inline constexpr std::size_t kBulkWrite = 128 * 1024;  // bulk's write size

// Shared between the measuring thread and the two sides. Counters are written by one side only.
// The counters change on every operation and the flags are read on every turn of both sides'
// loops: each group has a cache line of its own (64 bytes on the cores we run on), so that one
// side's count does not cost the other side a miss on every turn, nor Linux and mtcpp unequally.
struct Progress {
  alignas(64) std::atomic<std::uint64_t> ops{0};  // transactions, connections or bulk bytes received
  std::atomic<std::uint64_t> failures{0};         // connections that failed (refused, reset, no port)
  alignas(64) std::atomic<bool> measuring{false};  // round trips are timed only while this holds
  std::atomic<bool> stop{false};
  alignas(64) std::vector<double> round_trips_us;  // lat: written by the client thread only
};

// Server and Client each belong to one thread and sit side by side in the trial's frame: aligned
// to a cache line, neither's writes land on a line the other thread is using.
class alignas(64) Server {
 public:
  Server(const Workload& w, Progress& progress, std::uint16_t port) : w_(w), progress_(progress), port_(port) {}
  // False when the listener could not be opened (the error is in `error`).
  bool start(Sockets& net, std::string& error);
  void handle(Sockets& net, const Ready& r);
  // Listening ports: `port` and those after it.
  int ports() const { return w_.kind == Kind::cps ? kServerPorts : 1; }

 private:
  struct Conn {
    bool open = false;
    std::uint32_t received = 0;  // bytes of the request being read
  };
  void serve(Sockets& net, int s, Conn& c);

  const Workload& w_;
  Progress& progress_;
  std::uint16_t port_;
  std::vector<int> listeners_;
  std::vector<Conn> conns_;  // by socket
  std::uint64_t bulk_bytes_ = 0;
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(kBulkWrite);
};

class alignas(64) Client {
 public:
  Client(const Workload& w, Progress& progress, std::uint16_t port) : w_(w), progress_(progress), port_(port) {}
  void start(Sockets& net);
  void handle(Sockets& net, const Ready& r);
  // Count-driven runs (instruction counts): operations done so far.
  std::uint64_t done() const { return done_; }

 private:
  enum class Phase { idle, connecting, awaiting_reply, awaiting_close };
  struct Conn {
    Phase phase = Phase::idle;
    std::uint32_t received = 0;
    std::int64_t sent_at_ns = 0;
  };
  void open(Sockets& net);
  void request(Sockets& net, int s, Conn& c);
  void finish(Sockets& net, int s, Conn& c, bool failed);
  void complete(std::uint64_t n);

  const Workload& w_;
  Progress& progress_;
  std::uint16_t port_;
  std::vector<Conn> conns_;  // by socket
  std::uint64_t done_ = 0;
  std::uint64_t opened_ = 0;
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(kBulkWrite, 'b');
};

}  // namespace bench
