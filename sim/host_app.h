// One end of a scenario's TCP connection as an application sees it, over mtcpp's mTCP API
// (nonblocking sockets and mtcp_epoll_wait from ns-3 events) or over ns-3's own sockets, so that
// one script drives either peer.
//
// A script is a list of steps; each waits for its condition (and its time, if it has one), then
// acts. Actions and results go to a log in the API's words ("close=0", "write=-1 EPIPE",
// "read=0", "SO_ERROR=ECONNRESET"), which the scenario checks. Bytes written are the endpoint's
// test stream (stream_byte with its salt); bytes read are checked against the other side's.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ns3/event-id.h>
#include <ns3/socket.h>

#include "api/mtcp_api.h"
#include "core/wire/addr.h"

namespace mtcpp::sim {

class MtcppNode;

class HostApp {
 public:
  struct Step {
    std::function<bool()> when;  // null: at once
    std::int64_t at_us = -1;     // and not before this simulated time
    std::function<void()> act;
  };

  HostApp(std::string name, std::uint32_t write_salt, std::uint32_t read_salt)
      : name_(std::move(name)), write_salt_(write_salt), read_salt_(read_salt) {}
  virtual ~HostApp() { wake_.Cancel(); }
  HostApp(const HostApp&) = delete;
  HostApp& operator=(const HostApp&) = delete;

  // Setup: listen (accepting up to `accepts` connections; the listener closes after the last
  // unless keep_listener) or connect (from `local_port`, 0 for an ephemeral one).
  virtual void listen(std::uint16_t port, int accepts = 1, bool keep_listener = false) = 0;
  virtual void connect(Ipv4Addr to, std::uint16_t port, std::uint16_t local_port = 0) = 0;
  // Actions on the current connection, logged with their results.
  virtual void write(std::uint64_t n) = 0;  // queues n more bytes of the stream; the rest follows as room appears
  virtual void close() = 0;
  virtual void shutdown(int how) = 0;       // SHUT_RD, SHUT_WR or SHUT_RDWR
  virtual void abort() = 0;                 // SO_LINGER {1, 0} then close
  virtual void close_listener() = 0;
  virtual void read_now() = 0;               // one read call (even with reading off), logged
  virtual void set_receive_buffer(int bytes) = 0;
  // Reads everything that arrives (checked against the stream) while true.
  void set_reading(bool on) { reading_ = on; }

  // Script.
  void when(std::function<bool()> cond, std::function<void()> act) { add({std::move(cond), -1, std::move(act)}); }
  void at_ms(std::int64_t ms, std::function<void()> act) { add({nullptr, ms * 1000, std::move(act)}); }
  void add(Step s);
  // Runs the steps whose time and condition have come.
  void advance();

  // Called after every poll of the endpoint's stack (mtcpp) or socket callback (ns-3), and
  // whenever a segment crosses the link, so that conditions on either host are re-evaluated.
  virtual void pump() = 0;
  // Schedules on_wake() for now (coalesced).
  void wake();

  // Observations. Per connection: connected, eof, pending; totals over all connections: got,
  // written, connections.
  const std::string& name() const { return name_; }
  bool connected() const { return connected_; }   // the current connection was established
  int connections() const { return connections_; }
  bool eof() const { return eof_; }               // the peer's FIN reached the application
  int error() const { return error_; }            // errno of the first failure seen, 0 if none
  bool closed() const { return closed_; }         // close() or abort() was called on it
  std::uint64_t got() const { return got_; }
  std::uint64_t written() const { return written_; }
  std::uint64_t pending() const { return pending_; }  // asked for by write(), not yet taken
  bool intact() const { return intact_; }
  std::uint32_t epoll_seen() const { return epoll_seen_; }  // every epoll bit reported (mtcpp)
  const std::vector<std::string>& log() const { return log_; }
  std::string log_text() const;
  bool logged(const std::string& entry) const;

 protected:
  void note(const std::string& entry) { log_.push_back(entry); }
  void received(const std::uint8_t* data, std::size_t n);
  // The next n bytes of this connection's outgoing stream.
  void fill(std::uint8_t* out, std::size_t n);
  void sent(std::size_t n) { sent_on_conn_ += n, written_ += n, pending_ -= n; }
  void new_connection();
  void failed(int e) { if (error_ == 0) error_ = e; }
  // A scheduled wake-up: pump(), from inside the stack's run for mtcpp (so its clock is now).
  virtual void on_wake() { pump(); }

  std::string name_;
  std::uint32_t write_salt_, read_salt_;
  bool reading_ = true;
  bool connected_ = false, eof_ = false, closed_ = false, intact_ = true;
  int connections_ = 0;
  int error_ = 0;
  std::uint32_t epoll_seen_ = 0;
  std::uint64_t got_ = 0, written_ = 0, pending_ = 0;
  std::uint64_t sent_on_conn_ = 0, got_on_conn_ = 0;
  std::vector<std::string> log_;

 private:
  void wake_at(std::int64_t at_us);
  std::deque<Step> script_;
  bool advancing_ = false;
  ns3::EventId wake_;
  std::int64_t wake_at_us_ = -1;
};

// The mTCP API on an mtcpp node (its context's id space, one epoll instance).
std::unique_ptr<HostApp> mtcp_app(std::string name, MtcppNode& node, std::uint32_t write_salt,
                                        std::uint32_t read_salt);
// ns-3's TCP (TcpSocketFactory) on an ns-3 node with an Internet stack; on_socket sees every
// connection socket (the scenario traces its states).
std::unique_ptr<HostApp> ns3_app(std::string name, ns3::Ptr<ns3::Node> node, std::uint32_t write_salt,
                                       std::uint32_t read_salt,
                                       std::function<void(ns3::Ptr<ns3::Socket>)> on_socket);

// "ECONNRESET" for ECONNRESET ...
std::string errno_name(int e);

}  // namespace mtcpp::sim
