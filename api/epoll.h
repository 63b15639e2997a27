// One epoll instance. Interests live in the instance (not in the socket, as in mTCP), so a
// context may have any number of instances and a socket may be watched by several. Readiness is
// computed from the socket when asked; a socket's "changed" notification is the edge that
// edge-triggered and one-shot interests report, as Linux's epoll does on each wake-up.
#pragma once
#include <cstdint>
#include <deque>
#include <unordered_map>

#include "api/mtcp_epoll.h"

namespace mtcpp::api {

class Epoll {
 public:
  struct Interest {
    std::uint32_t events = 0;   // what the application asked for, ET and ONESHOT included
    mtcp_epoll_data_t data{};
    bool edge = false;          // something happened since the last report
    bool queued = false;        // on the ready list
    bool disarmed = false;      // a one-shot interest that has fired
  };

  // The control operations; errno values as in epoll_ctl(2).
  int add(int id, const mtcp_epoll_event& ev);
  int modify(int id, const mtcp_epoll_event& ev);
  int remove(int id);
  bool watches(int id) const { return interests_.count(id) != 0; }

  // A watched socket changed: queue it for the next wait.
  void changed(int id);
  // Fills up to `max` events from the ready list; `readiness(id)` gives a socket's current bits.
  template <class Readiness>
  int collect(mtcp_epoll_event* out, int max, Readiness&& readiness);
  bool has_candidates() const { return !ready_.empty(); }

 private:
  void enqueue(int id, Interest& in);
  std::unordered_map<int, Interest> interests_;
  std::deque<int> ready_;
};

template <class Readiness>
int Epoll::collect(mtcp_epoll_event* out, int max, Readiness&& readiness) {
  int n = 0;
  // Each queued id is looked at once per call; level-triggered ones that stay ready go back on.
  for (std::size_t pass = ready_.size(); pass > 0 && n < max; --pass) {
    const int id = ready_.front();
    ready_.pop_front();
    auto it = interests_.find(id);
    if (it == interests_.end()) continue;
    Interest& in = it->second;
    in.queued = false;
    if (in.disarmed) continue;
    const std::uint32_t wanted = (in.events & ~(MTCP_EPOLLET | MTCP_EPOLLONESHOT)) | MTCP_EPOLLERR | MTCP_EPOLLHUP;
    const std::uint32_t bits = readiness(id) & wanted;
    const bool edge_triggered = (in.events & (MTCP_EPOLLET | MTCP_EPOLLONESHOT)) != 0;
    if (bits == 0 || (edge_triggered && !in.edge)) continue;
    in.edge = false;
    out[n].events = bits;
    out[n].data = in.data;
    ++n;
    if (in.events & MTCP_EPOLLONESHOT) in.disarmed = true;
    else if (!edge_triggered) enqueue(id, in);  // level-triggered: asked again next time
  }
  return n;
}

}  // namespace mtcpp::api
