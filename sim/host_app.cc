#include "sim/host_app.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <ns3/inet-socket-address.h>
#include <ns3/simulator.h>
#include <ns3/tcp-socket-factory.h>
#include <ns3/uinteger.h>

#include "api/mtcp_epoll.h"
#include "sim/mtcpp_node.h"
#include "sim/scenario.h"

namespace mtcpp::sim {

std::string errno_name(int e) {
  if (e == 0) return "0";
  const char* name = strerrorname_np(e);  // glibc 2.32+
  return name != nullptr ? name : "errno " + std::to_string(e);
}

namespace {
std::string result(long r) { return r >= 0 ? std::to_string(r) : "-1 " + errno_name(errno); }
std::string shutdown_name(int how) {
  return how == SHUT_RD ? "shutdown_rd=" : how == SHUT_WR ? "shutdown_wr=" : "shutdown_rdwr=";
}
}  // namespace

// ---- the script ----

void HostApp::add(Step s) {
  script_.push_back(std::move(s));
  if (script_.size() == 1) wake();
}

void HostApp::wake() { wake_at(ns3::Simulator::Now().GetMicroSeconds()); }

void HostApp::wake_at(std::int64_t at_us) {
  const std::int64_t now = ns3::Simulator::Now().GetMicroSeconds();
  at_us = std::max(at_us, now);
  if (wake_.IsRunning() && wake_at_us_ <= at_us) return;
  wake_.Cancel();
  wake_at_us_ = at_us;
  // Simulated time has nanoseconds: "now" in whole microseconds can lie just behind it.
  const ns3::Time delay = std::max(ns3::MicroSeconds(at_us) - ns3::Simulator::Now(), ns3::Time(0));
  wake_ = ns3::Simulator::Schedule(delay, [this] {
    wake_at_us_ = -1;
    on_wake();
  });
}

void HostApp::advance() {
  if (advancing_) return;
  advancing_ = true;
  while (!script_.empty()) {
    Step& s = script_.front();
    if (s.at_us > ns3::Simulator::Now().GetMicroSeconds()) {
      wake_at(s.at_us);
      break;
    }
    if (s.when && !s.when()) break;
    auto act = std::move(s.act);
    script_.pop_front();
    if (act) act();
  }
  advancing_ = false;
}

std::string HostApp::log_text() const {
  std::string t;
  for (const auto& e : log_) t += (t.empty() ? "" : ", ") + e;
  return name_ + ": " + (t.empty() ? "(nothing)" : t);
}

bool HostApp::logged(const std::string& entry) const {
  return std::find(log_.begin(), log_.end(), entry) != log_.end();
}

void HostApp::received(const std::uint8_t* data, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) intact_ &= data[i] == stream_byte(got_on_conn_ + i, read_salt_);
  got_on_conn_ += n;
  got_ += n;
}

void HostApp::fill(std::uint8_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = stream_byte(sent_on_conn_ + i, write_salt_);
}

void HostApp::new_connection() {
  connected_ = eof_ = closed_ = false;
  pending_ = sent_on_conn_ = got_on_conn_ = 0;
}

namespace {

// ---- mtcpp, through the mTCP API ----

class MtcpApp final : public HostApp {
 public:
  MtcpApp(std::string name, MtcppNode& node, std::uint32_t ws, std::uint32_t rs)
      : HostApp(std::move(name), ws, rs), node_(node), ctx_(node.context()->handle()) {
    ep_ = mtcp_epoll_create(ctx_, 16);
    if (ep_ < 0) note("epoll_create=" + result(ep_));
  }

  void listen(std::uint16_t port, int accepts, bool keep_listener) override {
    accepts_left_ = accepts;
    keep_listener_ = keep_listener;
    listener_ = mtcp_socket(ctx_, AF_INET, SOCK_STREAM, 0);
    mtcp_setsock_nonblock(ctx_, listener_);
    apply_receive_buffer(listener_);  // accepted sockets inherit it
    const sockaddr_in a = any(port);
    int r = mtcp_bind(ctx_, listener_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    if (r == 0) r = mtcp_listen(ctx_, listener_, 8);
    note("listen=" + result(r));
    watch(listener_, MTCP_EPOLLIN);
    node_.poke();
  }

  void connect(Ipv4Addr to, std::uint16_t port, std::uint16_t local_port) override {
    new_connection();
    last_read_.clear();
    conn_ = mtcp_socket(ctx_, AF_INET, SOCK_STREAM, 0);
    mtcp_setsock_nonblock(ctx_, conn_);
    apply_receive_buffer(conn_);  // before the SYN announces the window
    if (local_port != 0) {
      const sockaddr_in a = any(local_port);
      const int r = mtcp_bind(ctx_, conn_, reinterpret_cast<const sockaddr*>(&a), sizeof a);
      note("bind=" + result(r));
      if (r != 0) {
        failed(errno);
        mtcp_close(ctx_, conn_);
        conn_ = -1;
        return;
      }
    }
    sockaddr_in peer{};
    peer.sin_family = AF_INET;
    peer.sin_port = htons(port);
    peer.sin_addr.s_addr = htonl(to.value);
    const int r = mtcp_connect(ctx_, conn_, reinterpret_cast<const sockaddr*>(&peer), sizeof peer);
    note("connect=" + result(r));
    if (r != 0 && errno != EINPROGRESS) failed(errno);
    watch(conn_, MTCP_EPOLLIN | MTCP_EPOLLOUT | MTCP_EPOLLRDHUP);
    node_.poke();
  }

  void write(std::uint64_t n) override {
    if (conn_ < 0) return note("write=-1 EBADF");
    pending_ += n;
    // The first call's result is the one the scenario checks; the rest follows on EPOLLOUT.
    const long r = write_some();
    note("write=" + result(r));
    node_.poke();
  }

  void close() override {
    const int r = mtcp_close(ctx_, conn_);
    note("close=" + result(r));
    closed_ = true;
    conn_ = -1;
    node_.poke();
  }

  void shutdown(int how) override {
    const int r = mtcp_shutdown(ctx_, conn_, how);
    note(shutdown_name(how) + result(r));
    node_.poke();
  }

  void abort() override {
    const linger l{1, 0};
    const int r = mtcp_setsockopt(ctx_, conn_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    note("linger=" + result(r));
    close();
  }

  void close_listener() override {
    const int r = mtcp_close(ctx_, listener_);
    note("close_listener=" + result(r));
    listener_ = -1;
    node_.poke();
  }

  void read_now() override {
    std::uint8_t buf[4096];
    const long n = mtcp_read(ctx_, conn_, reinterpret_cast<char*>(buf), sizeof buf);
    note("read=" + result(n));
    if (n > 0) received(buf, static_cast<std::size_t>(n));
    if (n == 0) eof_ = true;
    node_.poke();
  }

  void set_receive_buffer(int bytes) override { rcvbuf_ = bytes; }

  void on_wake() override { node_.poke(); }  // runs the stack at the current time, then pump()

  void pump() override {
    mtcp_epoll_event ev[16];
    const int n = ep_ >= 0 ? mtcp_epoll_wait(ctx_, ep_, ev, 16, 0) : 0;
    for (int i = 0; i < n; ++i) {
      if (ev[i].data.sockid == listener_) accept_all();
      if (ev[i].data.sockid == conn_) on_events(ev[i].events);
    }
    io();
    advance();
    io();  // what the steps just asked for (reading switched on, bytes queued)
  }

 private:
  void io() {
    if (conn_ < 0) return;
    if (connected_) write_some();
    if (reading_) read_all();
  }

  static sockaddr_in any(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    return a;
  }

  void apply_receive_buffer(int id) {
    if (rcvbuf_ <= 0) return;
    const int r = mtcp_setsockopt(ctx_, id, SOL_SOCKET, SO_RCVBUF, &rcvbuf_, sizeof rcvbuf_);
    if (r != 0) note("SO_RCVBUF=" + result(r));
  }

  void watch(int id, std::uint32_t events) {
    mtcp_epoll_event e{};
    e.events = events;
    e.data.sockid = id;
    const int r = mtcp_epoll_ctl(ctx_, ep_, MTCP_EPOLL_CTL_ADD, id, &e);
    if (r != 0) note("epoll_ctl=" + result(r));
  }

  void accept_all() {
    while (accepts_left_ > 0) {
      const int c = mtcp_accept(ctx_, listener_, nullptr, nullptr);
      if (c < 0) {
        if (errno != EAGAIN) note("accept=" + result(c));
        return;
      }
      if (conn_ >= 0) note("accept: the previous connection is still open");
      new_connection();
      last_read_.clear();
      conn_ = c;
      mtcp_setsock_nonblock(ctx_, c);
      watch(c, MTCP_EPOLLIN | MTCP_EPOLLOUT | MTCP_EPOLLRDHUP);
      connected_ = true;
      ++connections_;
      if (--accepts_left_ == 0 && !keep_listener_) close_listener();
    }
  }

  void on_events(std::uint32_t events) {
    epoll_seen_ |= events;
    // An application reading an established connection learns of an error from read (S25:
    // "the read gives ECONNRESET"); one waiting for a nonblocking connect, from SO_ERROR.
    if ((events & MTCP_EPOLLERR) && connected_ && reading_) {
      read_all();
    } else if (events & MTCP_EPOLLERR) {
      int e = 0;
      socklen_t len = sizeof e;
      mtcp_getsockopt(ctx_, conn_, SOL_SOCKET, SO_ERROR, &e, &len);
      if (e != 0) {
        note("SO_ERROR=" + errno_name(e));
        failed(e);
      }
    } else if (!connected_ && (events & MTCP_EPOLLOUT)) {
      connected_ = true;
      ++connections_;
    }
  }

  // Writes what is pending while the socket takes it; returns the first call's result, with its
  // errno. A failure other than EAGAIN drops what is pending.
  long write_some() {
    std::uint8_t buf[16384];
    long first = 0;
    int first_errno = 0;
    bool called = false;
    while (pending_ > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buf, pending_));
      fill(buf, n);
      const long k = mtcp_write(ctx_, conn_, reinterpret_cast<char*>(buf), n);
      if (!called) first = k, first_errno = errno, called = true;
      if (k <= 0) {
        if (k < 0 && errno != EAGAIN) {
          failed(errno);
          pending_ = 0;
        }
        break;
      }
      sent(static_cast<std::size_t>(k));
    }
    errno = first_errno;
    return first;
  }

  void read_all() {
    std::uint8_t buf[16384];
    for (;;) {
      const long n = mtcp_read(ctx_, conn_, reinterpret_cast<char*>(buf), sizeof buf);
      if (n > 0) {
        received(buf, static_cast<std::size_t>(n));
        continue;
      }
      // Each new outcome once: "read=0" at end of stream, "read=-1 ECONNRESET" ...
      const std::string r = "read=" + result(n);
      if (n < 0 && errno == EAGAIN) return;
      if (n == 0) eof_ = true;
      if (n < 0) failed(errno);
      if (r != last_read_) note(r);
      last_read_ = r;
      return;
    }
  }

  MtcppNode& node_;
  mctx_t ctx_;
  int ep_ = -1, listener_ = -1, conn_ = -1;
  int accepts_left_ = 0;
  bool keep_listener_ = false;
  int rcvbuf_ = 0;
  std::string last_read_;
};

// ---- ns-3's TCP ----

class Ns3App final : public HostApp {
 public:
  Ns3App(std::string name, ns3::Ptr<ns3::Node> node, std::uint32_t ws, std::uint32_t rs,
              std::function<void(ns3::Ptr<ns3::Socket>)> on_socket)
      : HostApp(std::move(name), ws, rs), node_(std::move(node)), on_socket_(std::move(on_socket)) {}
  ~Ns3App() override {
    for (auto& s : {listener_, conn_}) {
      if (s) forget(s);
    }
  }

  void listen(std::uint16_t port, int accepts, bool keep_listener) override {
    accepts_left_ = accepts;
    keep_listener_ = keep_listener;
    listener_ = make();
    int r = listener_->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port));
    if (r == 0) r = listener_->Listen();
    note("listen=" + std::to_string(r));
    listener_->SetAcceptCallback(
        ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
        ns3::Callback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>(
            [this](ns3::Ptr<ns3::Socket> s, const ns3::Address&) { accepted(s); }));
  }

  void connect(Ipv4Addr to, std::uint16_t port, std::uint16_t local_port) override {
    if (conn_) forget(conn_);
    new_connection();
    conn_ = make();
    if (on_socket_) on_socket_(conn_);
    const int b = local_port != 0 ? conn_->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), local_port))
                                  : conn_->Bind();
    if (b != 0) note("bind=" + std::to_string(b));
    attach(conn_);
    conn_->SetConnectCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([this](ns3::Ptr<ns3::Socket>) {
                                connected_ = true;
                                ++connections_;
                                wake();
                              }),
                              ns3::Callback<void, ns3::Ptr<ns3::Socket>>([this](ns3::Ptr<ns3::Socket>) {
                                note("connect-failed");
                                failed(ECONNREFUSED);
                                wake();
                              }));
    const int r = conn_->Connect(ns3::InetSocketAddress(ns3::Ipv4Address(to.value), port));
    note("connect=" + std::to_string(r));
  }

  void write(std::uint64_t n) override {
    pending_ += n;
    write_some();
    note("write=" + std::to_string(n));
  }

  void close() override {
    if (!conn_) return note("close: no connection");
    note("close=" + std::to_string(conn_->Close()));
    closed_ = true;
    forget(conn_);  // nothing it reports any more concerns the application
  }
  void shutdown(int how) override {
    if (!conn_) return note("shutdown: no connection");
    int r = 0;
    if (how == SHUT_RD || how == SHUT_RDWR) r |= conn_->ShutdownRecv();
    if (how == SHUT_WR || how == SHUT_RDWR) r |= conn_->ShutdownSend();
    note(shutdown_name(how) + std::to_string(r));
  }
  // ns-3's sockets have no SO_LINGER: its TCP resets a connection closed with unread data.
  void abort() override { note("abort=unsupported"); }
  void close_listener() override {
    if (!listener_) return note("close_listener: no listener");
    note("close_listener=" + std::to_string(listener_->Close()));
  }
  void read_now() override {
    if (!conn_) return note("read: no connection");
    ns3::Ptr<ns3::Packet> p = conn_->Recv();
    note("read=" + std::to_string(p ? p->GetSize() : 0));
    if (p) take(p);
  }
  void set_receive_buffer(int bytes) override { rcvbuf_ = bytes; }

  void pump() override {
    io();
    advance();
    io();
  }

 private:
  ns3::Ptr<ns3::Socket> make() {
    ns3::Ptr<ns3::Socket> s = ns3::Socket::CreateSocket(node_, ns3::TcpSocketFactory::GetTypeId());
    if (rcvbuf_ > 0) s->SetAttribute("RcvBufSize", ns3::UintegerValue(static_cast<std::uint32_t>(rcvbuf_)));
    return s;
  }

  void accepted(ns3::Ptr<ns3::Socket> s) {
    if (accepts_left_ <= 0) return;
    if (conn_) forget(conn_);
    new_connection();
    conn_ = s;
    if (on_socket_) on_socket_(s);
    attach(s);
    connected_ = true;
    ++connections_;
    if (--accepts_left_ == 0 && !keep_listener_) {
      // Not from inside the listener's own callback.
      ns3::Simulator::ScheduleNow([this] { close_listener(); });
    }
    wake();
  }

  // Callbacks hold no Ptr to the socket (they live in it: a cycle would leak it).
  void attach(ns3::Ptr<ns3::Socket> s) {
    s->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([this](ns3::Ptr<ns3::Socket>) { wake(); }));
    s->SetSendCallback(
        ns3::Callback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>([this](ns3::Ptr<ns3::Socket>, std::uint32_t) { wake(); }));
    s->SetCloseCallbacks(ns3::Callback<void, ns3::Ptr<ns3::Socket>>([this](ns3::Ptr<ns3::Socket>) {
                           // ns-3 calls it when the peer's FIN arrives in order.
                           eof_ = true;
                           note("peer-closed");
                           wake();
                         }),
                         ns3::Callback<void, ns3::Ptr<ns3::Socket>>([this](ns3::Ptr<ns3::Socket>) {
                           // A reset or a timeout: ns-3 does not say which.
                           note("error-close");
                           failed(ECONNRESET);
                           wake();
                         }));
  }

  static void forget(ns3::Ptr<ns3::Socket> s) {
    s->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
    s->SetSendCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, std::uint32_t>());
    s->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                         ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
    s->SetConnectCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                          ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
    s->SetAcceptCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
                         ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>());
  }

  void io() {
    if (!conn_ || closed_) return;
    write_some();
    if (!reading_) return;
    while (ns3::Ptr<ns3::Packet> p = conn_->Recv()) {
      if (p->GetSize() == 0) break;
      take(p);
    }
  }

  void take(ns3::Ptr<ns3::Packet> p) {
    std::vector<std::uint8_t> b(p->GetSize());
    p->CopyData(b.data(), b.size());
    received(b.data(), b.size());
  }

  void write_some() {
    while (pending_ > 0 && conn_) {
      const std::uint32_t room = conn_->GetTxAvailable();
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>({pending_, room, 65536}));
      if (n == 0) return;
      std::vector<std::uint8_t> b(n);
      fill(b.data(), n);
      const int k = conn_->Send(ns3::Create<ns3::Packet>(b.data(), static_cast<std::uint32_t>(n)));
      if (k <= 0) return;
      sent(static_cast<std::size_t>(k));
    }
  }

  ns3::Ptr<ns3::Node> node_;
  std::function<void(ns3::Ptr<ns3::Socket>)> on_socket_;
  ns3::Ptr<ns3::Socket> listener_, conn_;
  int accepts_left_ = 0;
  bool keep_listener_ = false;
  int rcvbuf_ = 0;
};

}  // namespace

std::unique_ptr<HostApp> mtcp_app(std::string name, MtcppNode& node, std::uint32_t ws, std::uint32_t rs) {
  return std::make_unique<MtcpApp>(std::move(name), node, ws, rs);
}

std::unique_ptr<HostApp> ns3_app(std::string name, ns3::Ptr<ns3::Node> node, std::uint32_t ws,
                                       std::uint32_t rs, std::function<void(ns3::Ptr<ns3::Socket>)> on_socket) {
  return std::make_unique<Ns3App>(std::move(name), std::move(node), ws, rs, std::move(on_socket));
}

}  // namespace mtcpp::sim
