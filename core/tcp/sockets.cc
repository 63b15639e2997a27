// Socket calls on the TCP layer and the lifecycle of connection blocks
// (RFC 9293 §3.10.1-3.10.6: OPEN, SEND, RECEIVE, CLOSE, ABORT, STATUS).
#include <algorithm>
#include <cerrno>

#include "core/tcp/syn_cookie.h"
#include "core/tcp/tcp.h"

namespace mtcpp {

Tcp::Tcp(const TcpConfig& config, SegmentSink& out, Rng& rng,
         const std::optional<std::array<std::uint64_t, 2>>& secret, StackStats& stats)
    : config_(config),
      out_(out),
      stats_(stats),
      buffers_(config.buffer_memory_limit, stats.tcp_buffer_memory),
      isn_(secret ? IsnGenerator((*secret)[0], (*secret)[1]) : IsnGenerator(rng)),
      previous_isn_(isn_),
      connection_keys_(isn_),
      rng_(rng.next()),
      flows_(isn_.hash({}, {}, kFlowTableTweak)),  // keyed like the ISNs, no RNG draw
      time_waits_(isn_.hash({}, {}, kTimeWaitTableTweak)) {
  // Room for the usual load at once; a table configured for millions grows as they come.
  flows_.reserve(std::min<std::size_t>(config.max_connections, 1 << 12));
  time_waits_.reserve(std::min<std::size_t>(config.max_connections, 1 << 12));
  for (std::uint32_t& c : port_counters_) c = static_cast<std::uint32_t>(rng_.next());  // RFC 6056 §3.3.4
}

void Tcp::rekey(const std::array<std::uint64_t, 2>& secret, Instant now) {
  previous_isn_ = isn_;
  previous_key_until_ = now + 2 * std::chrono::microseconds(kCookiePeriodUs);
  isn_ = IsnGenerator(secret[0], secret[1]);
  ++stats_.tcp_rekeys;
}

Tcp::~Tcp() {
  // Every TCB is reachable from the socket table, the flow table or the listener table.
  std::vector<Tcb*> all;
  for (Tcb* t : sockets_)
    if (t != nullptr) all.push_back(t);
  flows_.for_each([&](Tcb* t) { all.push_back(t); });
  for (auto& [k, t] : listeners_) all.push_back(t);
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  for (Tcb* t : all) {
    timers_.cancel(t->timer);
    tcbs_.recycle(t);
  }
  while (TimeWaitRecord* r = records_.oldest) {
    records_.oldest = r->newer;
    records_pool_.recycle(r);
  }
}

// ---- lifecycle -------------------------------------------------------------------------------

Tcb* Tcp::new_tcb(std::uint32_t send_buffer, std::uint32_t receive_buffer) {
  if (connections_ >= config_.max_connections && !reclaim_time_wait()) return nullptr;
  Tcb* t = tcbs_.make(send_buffer, receive_buffer, RttEstimator(config_.rto_initial, config_.rto_min, config_.rto_max));
  t->timer.owner = t;
  t->path_mtu = out_.mtu_toward({});  // until the connection's route is known
  t->nodelay = !config_.nagle;
  t->cc_algorithm = config_.congestion;
  ++connections_;
  stats_.tcp_connections_in_use = connections_;
  stats_.tcp_buffer_bytes_in_use += send_buffer + receive_buffer;
  return t;
}

bool Tcp::reclaim_time_wait() {
  if (records_.oldest != nullptr) {
    ++stats_.tcp_time_wait_reclaimed;
    end_time_wait(*records_.oldest);
    return true;
  }
  Tcb* t = time_wait_.oldest;
  while (t != nullptr && !t->orphan()) t = t->aging_next;  // the application may still hold one
  if (t == nullptr) return false;
  ++stats_.tcp_time_wait_reclaimed;
  destroy(t);
  return true;
}

void Tcp::link(AgingList& list, Tcb& t) {
  t.aging_prev = list.newest;
  t.aging_next = nullptr;
  (list.newest != nullptr ? list.newest->aging_next : list.oldest) = &t;
  list.newest = &t;
  ++list.size;
}

void Tcp::unlink(AgingList& list, Tcb& t) {
  (t.aging_prev != nullptr ? t.aging_prev->aging_next : list.oldest) = t.aging_next;
  (t.aging_next != nullptr ? t.aging_next->aging_prev : list.newest) = t.aging_prev;
  t.aging_prev = t.aging_next = nullptr;
  --list.size;
}

Tcp::AgingList* Tcp::aging_list_of(Tcb& t) {
  if (t.state == TcpState::time_wait) return &time_wait_;
  if (t.in_orphan_list) return &orphans_;
  return nullptr;
}

void Tcp::relink(Tcb& t, AgingList* before) {
  AgingList* const after = aging_list_of(t);
  if (before == after) return;
  if (before != nullptr) unlink(*before, t);
  if (after != nullptr) link(*after, t);
  count_time_wait();
}

void Tcp::enforce_orphan_limit(Instant now) {
  while (orphans_.size > config_.max_orphans) {
    ++stats_.tcp_orphans_reset;
    reset_and_destroy(*orphans_.oldest, now);
  }
}

void Tcp::destroy(Tcb* t) {
  if (t == compact_pending_) compact_pending_ = nullptr;
  if (t->ack_deferred) std::erase(deferred_acks_, t);
  if (t->tx_blocked) std::erase(tx_blocked_, t);
  timers_.cancel(t->timer);
  if (AgingList* list = aging_list_of(*t)) unlink(*list, *t);
  count_time_wait();
  flow_remove(*t);
  if (t->state == TcpState::listen) {
    // Children were reset by close_listener; anything left is only unlinked.
    for (Tcb* c = t->accept_head; c != nullptr; c = c->queue_next) c->listener = nullptr;
  }
  if (t->listener != nullptr) {
    // Unlink from the listener's queue.
    Tcb* l = t->listener;
    Tcb** link = &l->accept_head;
    Tcb* prev = nullptr;
    while (*link != nullptr && *link != t) {
      prev = *link;
      link = &(*link)->queue_next;
    }
    if (*link == t) {
      *link = t->queue_next;
      if (l->accept_tail == t) l->accept_tail = prev;
      --l->queued;
      if (t->state == TcpState::syn_received) --l->syn_queued;
    }
  }
  if (t->socket >= 0) free_socket(t->socket);
  --connections_;
  stats_.tcp_connections_in_use = connections_;
  stats_.tcp_buffer_bytes_in_use -= t->snd.capacity() + t->rcv.capacity();
  t->snd.release(buffers_);
  t->rcv.release(buffers_);
  tcbs_.recycle(t);
}

void Tcp::enter(Tcb& t, TcpState s, Instant now) {
  const TcpState from = t.state;
  AgingList* const list_before = aging_list_of(t);
  t.state = s;
  relink(t, list_before);  // the TIME_WAIT and orphan lists follow the state
  if (from != s) {
    if (s == TcpState::time_wait) {
      // Nothing more will be sent or read: the rings go now, not after buffer_release_delay,
      // and an orphan's whole block once the caller is done with it (settle_time_wait).
      t.snd.release_if_empty(buffers_);
      t.rcv.release_if_empty(buffers_);
      t.release_at = kNever;
      if (t.orphan()) compact_pending_ = &t;
    }
    // A handshake begins: the idle timeout counts from here.
    if (s == TcpState::syn_sent || s == TcpState::syn_received) heard_from_peer(t, now);
    const Instant idle_before = t.idle_at;
    arm_idle_timer(t);
    if (t.idle_at != idle_before) rearm(t);
    if (from == TcpState::syn_received && t.listener != nullptr) --t.listener->syn_queued;
  }
  if (observer_ != nullptr) observer_->state_changed(t, from, now);
  t.record(s);
  notify(t);
}

void Tcp::flow_insert(Tcb& t) {
  if (t.in_flow_table) return;
  if (t.state == TcpState::listen) listeners_[listener_key(t.local)] = &t;
  else flows_.insert_or_assign(key_of(t.local, t.remote), &t);
  t.in_flow_table = true;
}

void Tcp::flow_remove(Tcb& t) {
  if (!t.in_flow_table) return;
  if (t.state == TcpState::listen) {
    auto it = listeners_.find(listener_key(t.local));
    if (it != listeners_.end() && it->second == &t) listeners_.erase(it);
  } else {
    flows_.erase_if_holds(key_of(t.local, t.remote), &t);
  }
  t.in_flow_table = false;
}

Tcb* Tcp::socket_tcb(int s) const {
  if (s < 0 || static_cast<std::size_t>(s) >= sockets_.size()) return nullptr;
  return sockets_[static_cast<std::size_t>(s)];
}

int Tcp::alloc_socket(Tcb* t) {
  int id;
  if (!free_ids_.empty() && sockets_.size() >= config_.max_connections) {
    id = free_ids_.front();
    free_ids_.pop_front();
  } else if (sockets_.size() < config_.max_connections) {
    id = static_cast<int>(sockets_.size());
    sockets_.push_back(nullptr);
  } else {
    return -ENFILE;
  }
  sockets_[static_cast<std::size_t>(id)] = t;
  t->socket = id;
  return id;
}

void Tcp::free_socket(int s) {
  sockets_[static_cast<std::size_t>(s)] = nullptr;
  free_ids_.push_back(s);
}

void Tcp::notify(const Tcb& t) {
  if (observer_ != nullptr && t.socket >= 0) observer_->socket_changed(t.socket);
  if (t.listener != nullptr && observer_ != nullptr && t.listener->socket >= 0)
    observer_->socket_changed(t.listener->socket);
}

Tcb* Tcp::listener_for(Endpoint local) const {
  if (auto it = listeners_.find(listener_key(local)); it != listeners_.end()) return it->second;
  if (auto it = listeners_.find(listener_key({Ipv4Addr{}, local.port})); it != listeners_.end()) return it->second;
  return nullptr;
}

bool Tcp::listening_on(Ipv4Addr addr, std::uint16_t port, const Tcb* except) const {
  for (const auto& [key, l] : listeners_)
    if (l != except && l->local.port == port &&
        (l->local.addr == addr || l->local.addr.is_unspecified() || addr.is_unspecified()))
      return true;
  return false;
}

bool Tcp::port_in_use(Ipv4Addr addr, std::uint16_t port, const Tcb* except) const {
  if (listening_on(addr, port, except)) return true;
  for (const Tcb* t : sockets_)
    if (t != nullptr && t != except && t->bound && t->local.port == port &&
        (t->local.addr == addr || t->local.addr.is_unspecified() || addr.is_unspecified()))
      return true;
  // Connections in TIME_WAIT or orphaned still own their port (RFC 9293 §3.6.1, quiet time),
  // unless SO_REUSEADDR says a TIME_WAIT holder may be shared.
  const bool reuse = except != nullptr && except->reuse_address;
  if (!reuse && time_waits_.any_of([&](const TimeWaitRecord* r) { return r->local.port == port; })) return true;
  return flows_.any_of([&](const Tcb* t) {
    return t != except && t->local.port == port && !(reuse && t->state == TcpState::time_wait);
  });
}

void Tcp::start_send_sequence(Tcb& t) const {
  // One keyed hash of the tuple gives the timestamp offset and the IPv4 IDs' start.
  const std::uint64_t keyed = connection_key(t.local, t.remote);
  t.ts_offset = static_cast<std::uint32_t>(keyed);
  t.ip_id = static_cast<std::uint16_t>(keyed >> 48);
  t.snd_una = t.iss;
  t.snd_nxt = t.iss;
  t.snd_max = t.iss;
  t.snd_buf_seq = t.iss + 1;
  t.recover = t.iss;  // RFC 6582 §3.2 step 1
  t.snd_sml = t.iss;
}

int Tcp::pick_ephemeral_port(Ipv4Addr local, Endpoint remote, std::uint16_t* port) {
  // RFC 6056 §3.3.4, Algorithm 4 (double-hash): each destination sees its own keyed offset into
  // the range, stepped by one of many counters, chosen by a second keyed hash. Ports to one peer
  // say little of the ports used with another (with one shared counter, as Algorithm 3, any peer
  // could count the connections made to all others; here only a destination sharing the counter
  // could), and do not repeat soon for the same one. As Linux since CVE-2022-32296, the table has
  // 65,536 counters and each use moves its counter by a random extra step, so that counting
  // through a shared counter is blurred too. An init_rss pool for the destination takes the
  // range's place, walked the same way.
  const PortPool* pool = nullptr;
  for (const PortPool& p : port_pools_)
    if (p.local == local && p.remote == remote) pool = &p;
  const std::uint32_t span =
      pool != nullptr ? static_cast<std::uint32_t>(pool->ports.size())
                      : config_.ephemeral_port_last - config_.ephemeral_port_first + 1u;
  const auto offset = static_cast<std::uint32_t>(isn_.hash({local, 0}, remote));
  std::uint32_t& counter = port_counters_[isn_.hash({local, 0}, remote, kPortTableTweak) % port_counters_.size()];
  // The i-th port a search tries from the counter's present value.
  auto candidate = [&](std::uint32_t i) {
    const std::uint32_t k = (counter + i + offset) % span;
    return pool != nullptr ? pool->ports[k] : static_cast<std::uint16_t>(config_.ephemeral_port_first + k);
  };
  // One search walks `span` consecutive values, so it sees every port of the range once.
  for (std::uint32_t i = 0; i < span; ++i) {
    const std::uint16_t p = candidate(i);
    // A tuple still in TIME_WAIT (or otherwise alive) is skipped, S29.
    if (tuple_in_use(key_of({local, p}, remote))) continue;
    if (listening_on(local, p, nullptr)) continue;
    if (pool == nullptr && port_filter_ && !remote.addr.is_unspecified() && !port_filter_({local, p}, remote)) continue;
    *port = p;
    counter += i + 1 + static_cast<std::uint32_t>(rng_.below(4));
    // The next search for this destination tries candidate(0) first: ask for its tuple's slots
    // now. With many connections in TIME_WAIT both tables are large, and these lookups were the
    // client's costliest misses under short connections.
    prefetch_tuple(key_of({local, candidate(0)}, remote));
    return 0;
  }
  return -EADDRNOTAVAIL;
}

void Tcp::set_port_pool(Ipv4Addr local, Endpoint remote, std::vector<std::uint16_t> ports) {
  std::erase_if(port_pools_, [&](const PortPool& p) { return p.local == local && p.remote == remote; });
  if (!ports.empty()) port_pools_.push_back(PortPool{local, remote, std::move(ports)});
}

// ---- socket calls ----------------------------------------------------------------------------

int Tcp::socket(Instant now) {
  Tcb* t = new_tcb();
  if (t == nullptr) return -ENFILE;
  const int id = alloc_socket(t);
  if (id < 0) {
    destroy(t);
    return id;
  }
  (void)now;  // a new socket starts CLOSED: no transition to record
  return id;
}

int Tcp::bind(int s, Endpoint local) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  if (t->bound || t->state != TcpState::closed) return -EINVAL;
  if (!local.addr.is_unspecified() && !out_.is_local_address(local.addr)) return -EADDRNOTAVAIL;
  if (local.port != 0 && port_in_use(local.addr, local.port, t)) return -EADDRINUSE;
  if (local.port == 0) {
    std::uint16_t p = 0;
    const Ipv4Addr addr = local.addr.is_unspecified() ? *out_.source_address({}) : local.addr;
    if (int e = pick_ephemeral_port(addr, {}, &p); e < 0) return e;
    local.port = p;
  }
  t->local = local;
  t->bound = true;
  return 0;
}

int Tcp::listen(int s, int backlog) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  if (t->state == TcpState::listen) {
    t->backlog = std::clamp(backlog, 1, config_.max_backlog);
    return 0;
  }
  if (t->state != TcpState::closed || !t->bound) return -EINVAL;
  if (listening_on(t->local.addr, t->local.port, t)) return -EADDRINUSE;
  t->backlog = std::clamp(backlog, 1, config_.max_backlog);
  t->state = TcpState::listen;
  flow_insert(*t);
  return 0;
}

int Tcp::accept(int s, Endpoint* peer) {
  Tcb* l = socket_tcb(s);
  if (l == nullptr) return -EBADF;
  if (l->state != TcpState::listen) return -EINVAL;
  // The first child past the handshake; embryonic ones stay queued.
  Tcb* prev = nullptr;
  Tcb* c = l->accept_head;
  while (c != nullptr && c->state == TcpState::syn_received) {
    prev = c;
    c = c->queue_next;
  }
  if (c == nullptr) return -EAGAIN;
  if (sockets_.size() >= config_.max_connections && free_ids_.empty()) return -ENFILE;
  (prev != nullptr ? prev->queue_next : l->accept_head) = c->queue_next;
  if (l->accept_tail == c) l->accept_tail = prev;
  --l->queued;
  c->listener = nullptr;
  c->queue_next = nullptr;
  const int id = alloc_socket(c);
  if (peer != nullptr) *peer = c->remote;
  notify(*c);
  return id;
}

int Tcp::connect(int s, Endpoint remote, Instant now) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  switch (t->state) {
    case TcpState::closed: break;
    case TcpState::syn_sent: case TcpState::syn_received: return -EALREADY;
    case TcpState::listen: return -EINVAL;
    default: return -EISCONN;
  }
  if (t->so_error != 0 || t->last_error != 0) return -EINVAL;  // a failed socket is not reused
  if (t->history_len > 0) return -EISCONN;  // it was connected, and ended in order (POSIX)
  if (remote.addr.is_unspecified() || remote.port == 0 || remote.addr.is_broadcast() ||
      remote.addr.is_multicast())
    return -EINVAL;
  // No route: fail now (ENETUNREACH, as Linux), not after a minute of SYNs nobody sends.
  const std::optional<Ipv4Addr> source = out_.source_address(remote.addr);
  if (!source) return -ENETUNREACH;
  Endpoint local = t->bound ? t->local : Endpoint{};
  if (local.addr.is_unspecified()) local.addr = *source;
  if (!t->bound) {
    if (int e = pick_ephemeral_port(local.addr, remote, &local.port); e < 0) return -EAGAIN;
  } else if (tuple_in_use(key_of(local, remote))) {
    return -EADDRINUSE;  // the tuple is still alive, e.g. in TIME_WAIT (S29)
  }
  t->local = local;
  t->remote = remote;
  t->bound = true;
  t->path_mtu = out_.mtu_toward(remote.addr);
  t->iss = isn_.isn(local, remote, now);
  start_send_sequence(*t);
  t->syn_deadline = now + config_.syn_timeout;
  t->rcv_wscale = config_.window_scaling ? offered_window_shift(*t) : 0;  // fixed by the SYN (RFC 7323 §2.2)
  enter(*t, TcpState::syn_sent, now);
  flow_insert(*t);
  ++stats_.tcp_active_opens;
  send_syn(*t, now);
  return -EINPROGRESS;
}

long Tcp::send(int s, Bytes data, Instant now) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  if (t->so_error != 0) {
    const int e = t->so_error;
    t->so_error = 0;
    return -e;
  }
  switch (t->state) {
    case TcpState::established: case TcpState::close_wait: break;
    case TcpState::syn_sent: case TcpState::syn_received: return -EAGAIN;
    case TcpState::closed:
      return t->last_error != 0 ? -EPIPE : -ENOTCONN;
    case TcpState::listen: return -ENOTCONN;
    default: return -EPIPE;  // FIN already queued: shutdown(SHUT_WR) or closing
  }
  if (t->fin_queued) return -EPIPE;
  if (data.empty()) return 0;
  const std::uint32_t n = t->snd.append(data, buffers_);
  // Less than the limit alone would have taken: the memory budget held the writer back.
  if (n < std::min<std::size_t>(data.size(), t->snd.capacity() - (t->snd.size() - n))) ++stats_.tcp_send_memory_limited;
  if (n < data.size()) t->snd_blocked = true;  // the buffer held the writer back (autotuning)
  if (n == 0) return -EAGAIN;
  output(*t, now);
  return n;
}

long Tcp::recv(int s, MutableBytes out, bool peek, Instant now) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  if (t->state == TcpState::listen) return -ENOTCONN;
  if (t->rcv.readable() > 0 && !t->shut_rd) {
    const std::uint32_t n = t->rcv.read(out, peek);
    if (!peek) {
      autotune_receive_buffer(*t, n, now);
      if (t->rcv.readable() == 0 && t->rcv.storage() > 0) buffer_emptied(*t, now);
      window_opened(*t, now);
    }
    return n;
  }
  if (t->so_error != 0) {
    const int e = t->so_error;
    t->so_error = 0;
    return -e;
  }
  if (t->shut_rd) return 0;
  switch (t->state) {
    case TcpState::closed:  // a connection that has ended reads as end of stream
      return t->history_len > 0 ? 0 : -ENOTCONN;
    case TcpState::syn_sent: case TcpState::syn_received: return -EAGAIN;
    case TcpState::established: case TcpState::fin_wait_1: case TcpState::fin_wait_2: return -EAGAIN;
    default:  // the peer's FIN has been received: end of stream
      return 0;
  }
}

void Tcp::resize_receive_buffer(Tcb& t, std::uint32_t bytes) {
  // Data held is kept, and the window already offered stays: the advertised edge, or a SYN's
  // unscaled window.
  std::uint32_t promised = 0;
  if (t.state == TcpState::syn_sent) promised = std::min<std::uint32_t>(t.rcv.capacity(), 65535);
  else if (t.state != TcpState::closed && t.state != TcpState::listen)
    promised = static_cast<std::uint32_t>(std::max<std::int32_t>(0, t.rcv_adv_max - t.rcv_nxt));
  const std::uint32_t before = t.rcv.capacity();
  t.rcv.resize(bytes, t.rcv.readable() + promised, buffers_);
  stats_.tcp_buffer_bytes_in_use = stats_.tcp_buffer_bytes_in_use - before + t.rcv.capacity();
}

void Tcp::autotune_receive_buffer(Tcb& t, std::uint32_t copied, Instant now) {
  // Dynamic right-sizing (Linux's tcp_rcv_space_adjust): once per round trip the buffer may grow
  // to twice what the application read in the last one, up to receive_buffer_max, so that the
  // window keeps up with the bandwidth-delay product and a bulk flow is not window-limited.
  if (!config_.receive_autotune || t.rcvbuf_locked) return;
  t.rcv_space_copied += copied;
  if (t.rcv_space_start == kNever) {
    t.rcv_space_start = now;
    return;
  }
  const Duration rtt = t.rtt.has_sample() ? std::max<Duration>(t.rtt.srtt(), std::chrono::milliseconds(1))
                                          : config_.rto_initial;
  if (now - t.rcv_space_start < rtt) return;
  const std::uint64_t want = std::min<std::uint64_t>(2ull * t.rcv_space_copied, config_.receive_buffer_max);
  t.rcv_space_start = now;
  t.rcv_space_copied = 0;
  if (want > t.rcv.capacity()) {
    ++stats_.tcp_receive_buffer_grown;
    resize_receive_buffer(t, static_cast<std::uint32_t>(want));  // recv announces the window
  }
}

void Tcp::resize_send_buffer(Tcb& t, std::uint32_t bytes) {
  const std::uint32_t before = t.snd.capacity();
  t.snd.resize(bytes, buffers_);
  stats_.tcp_buffer_bytes_in_use = stats_.tcp_buffer_bytes_in_use - before + t.snd.capacity();
}

void Tcp::autotune_send_buffer(Tcb& t) {
  // Twice the congestion window: one window in flight, one being written (Linux's
  // tcp_sndbuf_expand). Grown by half again at least, so it is reallocated a few times at most.
  // Only for a writer the buffer held back (a write found it full since the last growth, as
  // Linux's SOCK_NOSPACE): a connection sending less than its window allows keeps its buffer,
  // however large cwnd has grown.
  if (!config_.send_autotune || t.sndbuf_locked || !t.cc || !t.snd_blocked) return;
  const std::uint64_t want = std::min<std::uint64_t>(2ull * t.cc->cwnd(), config_.send_buffer_max);
  if (want < t.snd.capacity() + t.snd.capacity() / 2) return;
  ++stats_.tcp_send_buffer_grown;
  t.snd_blocked = false;
  resize_send_buffer(t, static_cast<std::uint32_t>(want));
  notify(t);  // room to write
}

void Tcp::window_opened(Tcb& t, Instant now) {
  if (!is_synchronized(t.state)) return;
  // Tell the peer when the window it knows is small (under two segments or half the buffer) and
  // the right edge can move by the silly-window unit (RFC 9293 §3.8.6.2.2); otherwise the next
  // ACK carries the larger window anyway.
  const auto advertised = static_cast<std::uint32_t>(std::max<std::int32_t>(0, t.rcv_adv - t.rcv_nxt));
  const std::uint32_t small = std::min<std::uint32_t>(2 * t.rcv_mss, t.rcv.room(buffers_) / 2);
  if (advertised < small && t.rcv.window(buffers_) >= advertised + sws_threshold(t)) {
    t.ack_now = true;
    output(t, now);
  }
}

void Tcp::queue_fin(Tcb& t, Instant now) {
  if (t.fin_queued) return;
  t.fin_queued = true;
  if (t.state == TcpState::established || t.state == TcpState::syn_received)
    enter(t, TcpState::fin_wait_1, now);
  else if (t.state == TcpState::close_wait)
    enter(t, TcpState::last_ack, now);
  output(t, now);
}

int Tcp::shutdown(int s, Shutdown how, Instant now) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  if (t->state == TcpState::closed || t->state == TcpState::listen || t->state == TcpState::syn_sent)
    return -ENOTCONN;
  if (how != Shutdown::write) {
    t->shut_rd = true;
    t->rcv.discard_readable(buffers_);  // data after SHUT_RD is acknowledged and discarded (docs/close.md)
    notify(*t);
  }
  if (how != Shutdown::read) queue_fin(*t, now);
  return 0;
}

void Tcp::reset_and_destroy(Tcb& t, Instant now) {
  reset_peer(t, now);
  destroy(&t);
}

void Tcp::reset_peer(Tcb& t, Instant now) {
  if (is_synchronized(t.state) || t.state == TcpState::syn_received) send_rst(t, now);
}

void Tcp::give_up(Tcb& t, int error, Instant now) {
  reset_peer(t, now);
  connection_lost(t, error, now);
}

void Tcp::close_listener(Tcb& l, Instant now) {
  // Unaccepted children can never be read: reset them all (S21, S22).
  while (Tcb* c = l.accept_head) {
    l.accept_head = c->queue_next;
    c->listener = nullptr;
    --l.queued;
    reset_and_destroy(*c, now);
  }
  l.accept_tail = nullptr;
}

int Tcp::close(int s, Instant now) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  free_socket(s);
  t->socket = -1;
  switch (t->state) {
    case TcpState::listen:
      close_listener(*t, now);
      destroy(t);
      return 0;
    case TcpState::closed: case TcpState::syn_sent:  // §3.10.4: delete the TCB, send nothing
      destroy(t);
      return 0;
    default: break;
  }
  // SO_LINGER {1,0} is ABORT (§3.10.5): in CLOSING, LAST-ACK and TIME-WAIT the TCB goes silently.
  if (t->linger_abort &&
      (t->state == TcpState::closing || t->state == TcpState::last_ack || t->state == TcpState::time_wait)) {
    destroy(t);
    return 0;
  }
  // Unread data, or SO_LINGER {1,0}: abort with RST (RFC 9293 §3.6.1, RFC 2525 §2.17).
  if (t->linger_abort || t->rcv.readable() > 0) {
    reset_and_destroy(*t, now);
    return 0;
  }
  if (t->state == TcpState::fin_wait_2 && t->close_at == kNever) {
    t->close_at = now + config_.fin_wait_2_timeout;
    rearm(*t);
  }
  if (t->persisting) t->persist_since = now;  // orphan_persist_timeout counts from here
  if (t->state == TcpState::time_wait) {  // nothing left to send: the block becomes a record
    compact_pending_ = t;
    settle_time_wait();
    return 0;
  }
  AgingList* const list_before = aging_list_of(*t);
  t->in_orphan_list = true;
  relink(*t, list_before);
  queue_fin(*t, now);
  enforce_orphan_limit(now);
  return 0;
}

int Tcp::abort(int s, Instant now) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  free_socket(s);
  t->socket = -1;
  if (t->state == TcpState::listen) close_listener(*t, now);
  // §3.10.5: RST in SYN-RECEIVED and the synchronized states, silence otherwise.
  if (t->state == TcpState::time_wait || t->state == TcpState::closing || t->state == TcpState::last_ack)
    destroy(t);
  else
    reset_and_destroy(*t, now);
  return 0;
}

void Tcp::connection_lost(Tcb& t, int error, Instant now) {
  flow_remove(t);
  timers_.cancel(t.timer);
  t.rexmit_at = t.delack_at = t.idle_at = t.close_at = t.probe_at = t.reorder_at = kNever;
  // Nothing will be sent or received any more: what cannot be delivered gives its memory back
  // now (what is readable stays for the application).
  t.release_at = kNever;
  t.snd.release(buffers_);
  t.rcv.discard_out_of_order(buffers_);
  t.so_error = error;
  t.last_error = error;
  if (t.orphan()) {
    destroy(&t);
    return;
  }
  if (t.listener != nullptr && t.state == TcpState::syn_received) {
    destroy(&t);
    return;
  }
  enter(t, TcpState::closed, now);
}

int Tcp::set_option(int s, SocketOption opt, int value, Instant now) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  switch (opt) {
    case SocketOption::nodelay: t->nodelay = value != 0; return 0;
    case SocketOption::keepalive:
      // Turned on, an idle connection is probed keepalive_idle from now (RFC 1122 §4.2.3.6), as
      // Linux; set again while on, nothing restarts (a periodic setsockopt must not keep a dead
      // peer's connection alive).
      if ((value != 0) != t->keepalive) {
        t->keepalive = value != 0;
        t->keepalive_sent = 0;
        arm_idle_timer(*t, keepalive_applies(*t) ? now + config_.keepalive_idle : kNever);
        rearm(*t);
      }
      return 0;
    case SocketOption::linger_abort: t->linger_abort = value != 0; return 0;
    case SocketOption::max_segment:
      if (value < 88 || value > 65535) return -EINVAL;
      t->user_mss = static_cast<std::uint16_t>(value);
      return 0;
    case SocketOption::reuse_address: t->reuse_address = value != 0; return 0;
    case SocketOption::congestion: {
      if (value != static_cast<int>(CongestionAlgorithm::newreno) && value != static_cast<int>(CongestionAlgorithm::cubic))
        return -EINVAL;
      if (static_cast<CongestionAlgorithm>(value) == t->cc_algorithm) return 0;  // as Linux: nothing restarts
      t->cc_algorithm = static_cast<CongestionAlgorithm>(value);
      if (t->cc) {  // an open connection: the new controller goes on from the current window
        const std::uint32_t cwnd = t->cc->cwnd();
        const std::uint32_t ssthresh = t->cc->ssthresh();
        t->cc.emplace(t->cc_algorithm, t->snd_mss, cwnd).adopt(cwnd, ssthresh);
      }
      return 0;
    }
    case SocketOption::send_buffer: case SocketOption::receive_buffer: {
      // Any time, as in Linux: applications size buffers after accept. Data held is kept, and a
      // buffer never shrinks below it (nor below the window already advertised).
      const auto bytes = static_cast<std::uint32_t>(std::clamp(value, 2048, 1 << 30));
      if (opt == SocketOption::send_buffer) {
        t->sndbuf_locked = true;  // the application chose: no autotuning (as Linux's SO_SNDBUF)
        resize_send_buffer(*t, bytes);
      } else {
        t->rcvbuf_locked = true;  // the application chose: no autotuning (as Linux's SO_RCVBUF)
        resize_receive_buffer(*t, bytes);
        window_opened(*t, now);
      }
      notify(*t);
      return 0;
    }
    default: return -ENOPROTOOPT;
  }
}

int Tcp::get_option(int s, SocketOption opt, int* value) {
  Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  switch (opt) {
    case SocketOption::nodelay: *value = t->nodelay; return 0;
    case SocketOption::keepalive: *value = t->keepalive; return 0;
    case SocketOption::linger_abort: *value = t->linger_abort; return 0;
    case SocketOption::error:
      *value = t->so_error;
      t->so_error = 0;
      return 0;
    case SocketOption::send_buffer: *value = static_cast<int>(t->snd.capacity()); return 0;
    case SocketOption::receive_buffer: *value = static_cast<int>(t->rcv.capacity()); return 0;
    case SocketOption::max_segment: *value = t->snd_mss; return 0;
    case SocketOption::reuse_address: *value = t->reuse_address; return 0;
    case SocketOption::congestion: *value = static_cast<int>(t->cc_algorithm); return 0;
  }
  return -ENOPROTOOPT;
}

int Tcp::local_endpoint(int s, Endpoint* out) const {
  const Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  *out = t->local;
  return 0;
}

int Tcp::remote_endpoint(int s, Endpoint* out) const {
  const Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  if (!is_synchronized(t->state) && t->state != TcpState::syn_received) return -ENOTCONN;
  *out = t->remote;
  return 0;
}

std::uint32_t Tcp::readiness(int s) const {
  const Tcb* t = socket_tcb(s);
  if (t == nullptr) return 0;
  std::uint32_t r = 0;
  if (t->state == TcpState::listen) {
    for (const Tcb* c = t->accept_head; c != nullptr; c = c->queue_next)
      if (c->state != TcpState::syn_received) return readiness::in;
    return 0;
  }
  const bool peer_closed = t->state == TcpState::close_wait || t->state == TcpState::closing ||
                           t->state == TcpState::last_ack || t->state == TcpState::time_wait;
  if (t->rcv.readable() > 0 || peer_closed || t->shut_rd) r |= readiness::in;
  if (peer_closed) r |= readiness::rdhup;
  if ((t->state == TcpState::established || t->state == TcpState::close_wait) && !t->fin_queued &&
      t->snd.free_space(buffers_) > 0)
    r |= readiness::out;
  if (t->so_error != 0) r |= readiness::err;
  // A connection that has ended, by error or in order (TIME_WAIT or LAST_ACK over with the id
  // open): reads give the error or 0 at once, so IN stays reported, with both halves hung up.
  if (t->state == TcpState::closed && t->history_len > 0) r |= readiness::hup | readiness::in | readiness::rdhup;
  if ((t->shut_rd || peer_closed) && t->fin_queued) r |= readiness::hup;
  return r;
}

long Tcp::bytes_readable(int s) const {
  const Tcb* t = socket_tcb(s);
  if (t == nullptr) return -EBADF;
  return t->rcv.readable();
}

const Tcb* Tcp::tcb(int s) const { return socket_tcb(s); }

const Tcb* Tcp::find(Endpoint local, Endpoint remote) const {
  return flows_.find(key_of(local, remote));
}

}  // namespace mtcpp
