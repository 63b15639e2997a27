#include "api/epoll.h"

#include <cerrno>

namespace mtcpp::api {

void Epoll::enqueue(int id, Interest& in) {
  if (in.queued) return;
  in.queued = true;
  ready_.push_back(id);
}

int Epoll::add(int id, const mtcp_epoll_event& ev) {
  auto [it, inserted] = interests_.try_emplace(id);
  if (!inserted) return -EEXIST;
  it->second.events = ev.events;
  it->second.data = ev.data;
  it->second.edge = true;  // the current state counts as an edge, as Linux reports it at once
  enqueue(id, it->second);
  return 0;
}

int Epoll::modify(int id, const mtcp_epoll_event& ev) {
  auto it = interests_.find(id);
  if (it == interests_.end()) return -ENOENT;
  it->second.events = ev.events;
  it->second.data = ev.data;
  it->second.disarmed = false;
  it->second.edge = true;
  enqueue(id, it->second);
  return 0;
}

int Epoll::remove(int id) {
  if (interests_.erase(id) == 0) return -ENOENT;
  // Forget a queued entry too, so a later add of the same id is not queued twice.
  std::erase(ready_, id);
  return 0;
}

void Epoll::changed(int id) {
  auto it = interests_.find(id);
  if (it == interests_.end()) return;
  it->second.edge = true;
  enqueue(id, it->second);
}

}  // namespace mtcpp::api
