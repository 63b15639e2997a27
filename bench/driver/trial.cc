#include "bench/driver/trial.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <thread>

#include "bench/driver/linux_sockets.h"
#include "bench/driver/mtcpp_pair.h"
#include "bench/driver/mtcpp_sockets.h"

namespace bench {

using namespace mtcpp;
using Clock = std::chrono::steady_clock;

const char* name_of(System s) { return s == System::mtcpp ? "mtcpp" : "linux"; }

namespace {

// The CPUs this process may use: the server side takes the first, the client the second.
std::vector<int> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

void pin(std::thread& t, int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(t.native_handle(), sizeof set, &set);  // best effort: a failure only adds noise
}

// One turn of a side's event loop: what is ready, handled. `ready` is scratch space.
template <class Side>
void step(Sockets& net, Side& side, std::vector<Ready>& ready) {
  ready.clear();
  net.wait(ready);
  for (const Ready& r : ready) side.handle(net, r);
}

template <class Side>
void drive(Sockets& net, Side& side, const Progress& p) {
  std::vector<Ready> ready;
  while (!p.stop.load(std::memory_order_relaxed)) step(net, side, ready);
}

double percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

TrialResult run_trial(System system, const Workload& w, const Timing& timing, const MtcppOptions& options,
                      std::uint16_t port) {
  Progress progress;
  if (w.kind == Kind::lat) progress.round_trips_us.reserve(1 << 20);
  Server server(w, progress, port);
  Client client(w, progress, port);
  std::unique_ptr<MtcppPair> pair;
  std::unique_ptr<BenchClock> clock;
  if (system == System::mtcpp) {
    try {
      pair = std::make_unique<MtcppPair>(w.mtu, options);
    } catch (const std::exception& e) {
      TrialResult failed;
      failed.error = e.what();
      return failed;
    }
    clock = std::make_unique<BenchClock>(false);
  }
  std::atomic<bool> listening{false};
  std::string error;  // written by the server thread before it sets `listening` or `stop`
  auto make_net = [&](bool server_side) -> std::unique_ptr<Sockets> {
    if (system == System::linux_kernel) return std::make_unique<LinuxSockets>(SocketSetup{w.mtu}, w.linux_busy_poll);
    return std::make_unique<MtcppSockets>(server_side ? pair->server() : pair->client(), kServerAddress, *clock);
  };
  auto server_side = [&] {
    auto net = make_net(true);
    if (!server.start(*net, error)) {
      progress.stop = true;
      return;
    }
    listening = true;
    drive(*net, server, progress);
  };
  auto client_side = [&] {
    auto net = make_net(false);
    while (!listening && !progress.stop) std::this_thread::yield();
    client.start(*net);
    drive(*net, client, progress);
  };
  auto both_sides = [&] {  // mtcpp on one core: one thread polls both stacks in turn
    auto server_net = make_net(true);
    auto client_net = make_net(false);
    if (!server.start(*server_net, error)) return void(progress.stop = true);
    listening = true;
    client.start(*client_net);
    std::vector<Ready> ready;
    while (!progress.stop.load(std::memory_order_relaxed)) {
      step(*server_net, server, ready);
      step(*client_net, client, ready);
    }
  };

  const std::vector<int> cpus = usable_cpus();
  const int server_cpu = cpus.empty() ? -1 : cpus[0];
  const int client_cpu = cpus.empty() ? -1 : w.one_core ? cpus[0] : cpus[1 % cpus.size()];
  std::vector<std::thread> threads;
  if (system == System::mtcpp && w.one_core) {
    threads.emplace_back(both_sides);
    pin(threads.back(), server_cpu);
  } else {
    threads.emplace_back(server_side);
    pin(threads.back(), server_cpu);
    threads.emplace_back(client_side);
    pin(threads.back(), client_cpu);
  }

  TrialResult result;
  std::this_thread::sleep_for(timing.warmup);
  const std::uint64_t ops0 = progress.ops.load();
  const std::uint64_t failures0 = progress.failures.load();
  const auto t0 = Clock::now();
  progress.measuring = true;
  std::this_thread::sleep_for(timing.measure);
  progress.measuring = false;
  const std::uint64_t ops1 = progress.ops.load();
  const std::uint64_t failures1 = progress.failures.load();  // not those of the teardown after it
  const auto t1 = Clock::now();
  progress.stop = true;
  for (auto& t : threads) t.join();

  result.error = error;
  result.ops = ops1 - ops0;
  result.failures = failures1 - failures0;
  result.seconds = std::chrono::duration<double>(t1 - t0).count();
  const double rate = static_cast<double>(result.ops) / result.seconds;
  switch (w.kind) {
    case Kind::cps:
    case Kind::rr:
      result.value = rate;
      break;
    case Kind::bulk:
      result.value = rate * 8 / 1e9;
      break;
    case Kind::lat:
      result.value = percentile(progress.round_trips_us, 0.50);
      result.p90 = percentile(progress.round_trips_us, 0.90);
      result.p99 = percentile(progress.round_trips_us, 0.99);
      break;
  }
  if (result.error.empty() && result.ops == 0) result.error = "no progress in the measured interval";
  return result;
}

std::uint64_t run_counted(const Workload& w, const MtcppOptions& options, std::uint64_t ops) {
  Progress progress;
  MtcppPair pair(w.mtu, options);
  BenchClock clock(true);
  MtcppSockets server_net(pair.server(), kServerAddress, clock);
  MtcppSockets client_net(pair.client(), kServerAddress, clock);
  Server server(w, progress, 80);
  Client client(w, progress, 80);
  std::string error;
  if (!server.start(server_net, error)) throw std::runtime_error(error);
  client.start(client_net);
  std::vector<Ready> ready;
  // Far more readings than any run needs: a stall ends the run instead of hanging it.
  for (std::uint64_t spins = 0; progress.ops.load() < ops && spins < 100 * ops + 10'000'000; ++spins) {
    step(server_net, server, ready);
    step(client_net, client, ready);
  }
  return progress.ops.load();
}

}  // namespace bench
