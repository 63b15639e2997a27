// mtcpp-relay: forwards every Ethernet frame between two interfaces, losing, delaying and
// reordering some on purpose, by seeded chance: a lossy wire for tests where the kernel has no
// netem, so that the Linux kernel talking to itself and mtcpp talking to the kernel can cross the
// same impaired path. Frames are read with libpcap (inbound only, so injected frames are not read
// back) and injected on the other interface.
#include <poll.h>
#include <pcap/pcap.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "core/rng.h"

namespace {

using Clock = std::chrono::steady_clock;

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: mtcpp-relay IF_A IF_B [--drop P] [--delay MS] [--reorder P] [--seed N] [--duration S]\n"
               "  Forwards every frame arriving on IF_A out of IF_B and back, each direction on its own:\n"
               "  a frame is lost with probability P (--drop), delayed by MS milliseconds (--delay), and\n"
               "  with probability --reorder delayed by one MS more, so later frames pass it. Until\n"
               "  SIGINT/SIGTERM or --duration; prints what it did.\n"
               "example: mtcpp-relay veth-a veth-b --drop 0.01 --delay 1 --reorder 0.05 --seed 7\n");
}

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct Held {
  Clock::time_point due;
  std::vector<unsigned char> frame;
};

struct Side {
  std::string name;
  pcap_t* pcap = nullptr;
  std::deque<Held> queue;  // frames read here, to go out of the other side, by due time
  std::uint64_t read = 0, dropped = 0, reordered = 0, sent = 0, send_errors = 0;
};

pcap_t* open(const std::string& name) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(name.c_str(), errbuf);
  if (p == nullptr) {
    std::fprintf(stderr, "mtcpp-relay: %s: %s\n", name.c_str(), errbuf);
    return nullptr;
  }
  pcap_set_snaplen(p, 65535);
  pcap_set_promisc(p, 1);
  pcap_set_immediate_mode(p, 1);
  pcap_set_buffer_size(p, 8 << 20);
  if (pcap_activate(p) < 0 || pcap_setdirection(p, PCAP_D_IN) != 0 || pcap_setnonblock(p, 1, errbuf) != 0) {
    std::fprintf(stderr, "mtcpp-relay: %s: %s\n", name.c_str(), pcap_geterr(p));
    pcap_close(p);
    return nullptr;
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> ifs;
  double drop = 0, reorder = 0, duration = 0;
  double delay_ms = 0;
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      usage(stdout);
      return 0;
    }
    if (a.rfind("--", 0) == 0) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mtcpp-relay: %s needs a value (see --help)\n", a.c_str());
        return 2;
      }
      const char* v = argv[++i];
      if (a == "--drop") drop = std::atof(v);
      else if (a == "--reorder") reorder = std::atof(v);
      else if (a == "--delay") delay_ms = std::atof(v);
      else if (a == "--seed") seed = std::strtoull(v, nullptr, 10);
      else if (a == "--duration") duration = std::atof(v);
      else {
        std::fprintf(stderr, "mtcpp-relay: unknown option %s (see --help)\n", a.c_str());
        return 2;
      }
      continue;
    }
    ifs.push_back(a);
  }
  if (ifs.size() != 2 || drop < 0 || drop > 1 || reorder < 0 || reorder > 1 || delay_ms < 0) {
    std::fprintf(stderr, "mtcpp-relay: need two interfaces and probabilities in 0..1 (see --help)\n");
    return 2;
  }
  Side sides[2];
  for (int i = 0; i < 2; ++i) {
    sides[i].name = ifs[static_cast<std::size_t>(i)];
    sides[i].pcap = open(sides[i].name);
    if (sides[i].pcap == nullptr) {
      if (i == 1) pcap_close(sides[0].pcap);
      return 1;
    }
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  mtcpp::Rng rng[2] = {mtcpp::Rng(seed), mtcpp::Rng(seed * 0x9e3779b97f4a7c15ull + 1)};
  const auto delay = std::chrono::microseconds(static_cast<long>(delay_ms * 1000));
  const auto start = Clock::now();
  std::printf("mtcpp-relay: %s <-> %s, drop %.4f, delay %.3f ms, reorder %.4f, seed %llu\n", ifs[0].c_str(),
              ifs[1].c_str(), drop, delay_ms, reorder, static_cast<unsigned long long>(seed));
  std::fflush(stdout);
  while (!g_stop && (duration <= 0 || Clock::now() - start < std::chrono::duration<double>(duration))) {
    // Read what waits on each side and queue it for the other.
    for (int i = 0; i < 2; ++i) {
      Side& s = sides[i];
      pcap_pkthdr* h = nullptr;
      const unsigned char* data = nullptr;
      // At most 256 frames a pass, so a flood on one side cannot starve sending.
      for (int taken = 0; taken < 256 && pcap_next_ex(s.pcap, &h, &data) == 1; ++taken) {
        ++s.read;
        if (rng[i].chance(drop)) {
          ++s.dropped;
          continue;
        }
        auto due = Clock::now() + delay;
        if (rng[i].chance(reorder)) {
          due += delay + std::chrono::microseconds(200);
          ++s.reordered;
        }
        Held held{due, std::vector<unsigned char>(data, data + h->caplen)};
        auto at = s.queue.end();  // in due order: a reordered frame lets later ones pass
        while (at != s.queue.begin() && std::prev(at)->due > due) --at;
        s.queue.insert(at, std::move(held));
      }
    }
    // Send what is due.
    const auto now = Clock::now();
    auto next = now + std::chrono::milliseconds(10);
    for (int i = 0; i < 2; ++i) {
      Side& s = sides[i];
      Side& other = sides[1 - i];
      while (!s.queue.empty() && s.queue.front().due <= now) {
        const auto& f = s.queue.front().frame;
        if (pcap_inject(other.pcap, f.data(), f.size()) < 0) ++s.send_errors;
        else ++s.sent;
        s.queue.pop_front();
      }
      if (!s.queue.empty()) next = std::min(next, s.queue.front().due);
    }
    pollfd fds[2] = {{pcap_get_selectable_fd(sides[0].pcap), POLLIN, 0}, {pcap_get_selectable_fd(sides[1].pcap), POLLIN, 0}};
    const auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(next - Clock::now());
    const timespec ts{0, std::max<long>(0, static_cast<long>(wait.count()))};
    ::ppoll(fds, 2, &ts, nullptr);
  }
  for (const Side& s : sides)
    std::printf("mtcpp-relay: from %s: %llu read, %llu dropped, %llu reordered, %llu sent, %llu send errors\n",
                s.name.c_str(), static_cast<unsigned long long>(s.read), static_cast<unsigned long long>(s.dropped),
                static_cast<unsigned long long>(s.reordered), static_cast<unsigned long long>(s.sent),
                static_cast<unsigned long long>(s.send_errors));
  for (Side& s : sides) pcap_close(s.pcap);
  return 0;
}
