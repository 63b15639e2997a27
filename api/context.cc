#include "api/context.h"

#include <poll.h>
#include <sys/random.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace mtcpp::api {

std::int64_t ContextClock::steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

ContextClock::ContextClock(bool manual, std::int64_t origin_ns) : manual_(manual), origin_ns_(origin_ns) {}

Instant ContextClock::now() const {
  if (manual_) return manual_now_;
  return from_us((steady_now_ns() - origin_ns_) / 1000);
}

Context::Context(int cpu, std::vector<std::unique_ptr<PacketIo>> devices, const StackConfig& config,
                 ContextClock clock, std::size_t max_ids, const std::atomic<unsigned>& interrupts,
                 Duration rekey_interval)
    : handle_{cpu}, devices_(std::move(devices)), clock_(clock), rekey_interval_(rekey_interval), max_ids_(max_ids),
      interrupts_(interrupts) {
  if (devices_.empty()) throw std::invalid_argument("a context needs a device");
  std::vector<PacketIo*> more;
  for (std::size_t i = 1; i < devices_.size(); ++i) more.push_back(devices_[i].get());
  auto made = Stack::create(config, *devices_[0], more);
  if (auto* error = std::get_if<std::string>(&made)) throw std::invalid_argument(*error);
  stack_ = std::move(std::get<std::unique_ptr<Stack>>(made));
  stack_->set_observer(this);
  stack_->start(now());
  // A reproducible stack (a seed, no secret) keeps its keys: runs must repeat.
  if (config.secret && rekey_interval > Duration::zero()) rekey_at_ = now() + rekey_interval;
}

Context::~Context() {
  stack_->set_observer(nullptr);
  stack_.reset();
}

int Context::allocate(Kind kind) {
  int id;
  if (!free_ids_.empty() && entries_.size() >= max_ids_) {
    id = free_ids_.front();
    free_ids_.pop_front();
  } else if (entries_.size() < max_ids_) {
    id = static_cast<int>(entries_.size());
    entries_.emplace_back();
  } else {
    return -ENFILE;
  }
  entries_[static_cast<std::size_t>(id)] = Entry{};
  entries_[static_cast<std::size_t>(id)].kind = kind;
  return id;
}

void Context::release(int id) {
  Entry& e = entries_[static_cast<std::size_t>(id)];
  if (e.tcp >= 0 && static_cast<std::size_t>(e.tcp) < id_of_tcp_.size()) id_of_tcp_[static_cast<std::size_t>(e.tcp)] = -1;
  forget_watchers(id);
  e = Entry{};
  free_ids_.push_back(id);
}

Entry* Context::entry(int id) {
  if (id < 0 || static_cast<std::size_t>(id) >= entries_.size()) return nullptr;
  Entry& e = entries_[static_cast<std::size_t>(id)];
  return e.kind == Kind::unused ? nullptr : &e;
}

int Context::id_of_tcp(int tcp) const {
  if (tcp < 0 || static_cast<std::size_t>(tcp) >= id_of_tcp_.size()) return -1;
  return id_of_tcp_[static_cast<std::size_t>(tcp)];
}

void Context::bind_tcp(int id, int tcp) {
  if (static_cast<std::size_t>(tcp) >= id_of_tcp_.size()) id_of_tcp_.resize(static_cast<std::size_t>(tcp) + 1, -1);
  id_of_tcp_[static_cast<std::size_t>(tcp)] = id;
  entries_[static_cast<std::size_t>(id)].tcp = tcp;
}

Instant Context::poll() {
  const Instant t = now();
  if (t >= rekey_at_) {
    // RFC 6528 §3 lets the key change; the new one comes from the OS, as the first did. Should
    // getrandom fail, the old key stays until the next interval.
    std::array<std::uint64_t, 2> key{};
    if (getrandom(key.data(), sizeof key, GRND_NONBLOCK) == static_cast<ssize_t>(sizeof key)) stack_->rekey(key, t);
    rekey_at_ = t + rekey_interval_;
  }
  return stack_->poll(t);
}

bool Context::wait_for_progress(Instant limit, unsigned idle_rounds) {
  const Instant next = std::min(stack_->next_deadline(), limit);
  if (clock_.manual()) {
    if (next == kNever) return false;
    clock_.set(next);
    return true;
  }
  constexpr unsigned kSpinRounds = 2000;
  if (live_io_ != nullptr) {
    // A live interface announces its frames: after a short spin, sleep until one arrives or the
    // next deadline, whichever is first (at most 10 ms, so signals and other threads' work count).
    if (idle_rounds < 64) return true;
    const Instant t = now();
    const Duration wait = std::min<Duration>(next > t ? next - t : Duration::zero(), std::chrono::milliseconds(10));
    pollfd p{live_io_->selectable_fd(), POLLIN, 0};
    const timespec ts{0, static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count())};
    ::ppoll(&p, 1, &ts, nullptr);
    return true;
  }
  if (idle_rounds < kSpinRounds) {
    std::this_thread::yield();
    return true;
  }
  // Long idle: sleep briefly at most, so a frame from another context is not kept waiting.
  const Instant t = now();
  const Duration nap = std::min<Duration>(next > t ? next - t : Duration::zero(), std::chrono::microseconds(50));
  if (nap > Duration::zero()) std::this_thread::sleep_for(nap);
  return true;
}

std::uint32_t Context::readiness(int id) {
  Entry* e = entry(id);
  if (e == nullptr) return 0;
  switch (e->kind) {
    case Kind::stream: case Kind::listener: return stack_->readiness(e->tcp);
    case Kind::pipe_read: {
      std::uint32_t r = 0;
      if (e->pipe->readable() > 0) r |= MTCP_EPOLLIN;
      if (!e->pipe->writer_open) r |= MTCP_EPOLLIN | MTCP_EPOLLHUP;
      return r;
    }
    case Kind::pipe_write: {
      if (!e->pipe->reader_open) return MTCP_EPOLLERR | MTCP_EPOLLOUT;
      return e->pipe->writable() > 0 ? MTCP_EPOLLOUT : 0;
    }
    default: return 0;
  }
}

void Context::changed(int id) {
  Entry* e = entry(id);
  if (e == nullptr) return;
  for (int ep : e->watchers)
    if (Entry* w = entry(ep); w != nullptr && w->epoll) w->epoll->changed(id);
}

void Context::forget_watchers(int id) {
  Entry& e = entries_[static_cast<std::size_t>(id)];
  // Registrations of a closed id vanish: no event is reported for it again.
  for (int ep : e.watchers)
    if (Entry* w = entry(ep); w != nullptr && w->epoll) w->epoll->remove(id);
  e.watchers.clear();
  // An epoll being closed: the sockets it watched forget it.
  if (e.epoll)
    for (Entry& other : entries_) std::erase(other.watchers, id);
}

void Context::socket_changed(int tcp) {
  const int id = id_of_tcp(tcp);
  if (id >= 0) changed(id);
}

}  // namespace mtcpp::api
