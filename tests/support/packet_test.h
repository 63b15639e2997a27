// The packet-level test DSL: one stack under test (L) driven through the host backend, and a
// scripted peer (P) whose segments are written in packetdrill's notation with sequence numbers
// relative to each side's ISS. A test reads like a transcript:
//   inject(seg(F|A, 1, 1));            // P: F. 1:1(0) ack 1
//   expect(seg(A, 1, 2));              // L: . 1:1(0) ack 2
//   advance(rto); expect(...);         // time moves only when the test says so
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/host/host_io.h"
#include "core/stack.h"
#include "core/wire/tcp.h"

namespace mtcpp::test {

inline constexpr std::uint8_t F = tcp_flag::fin, S = tcp_flag::syn, R = tcp_flag::rst, P = tcp_flag::psh,
                              A = tcp_flag::ack;

// A segment as the test writes or sees it: relative seq/ack, payload length.
struct Seg {
  std::uint8_t flags = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint32_t len = 0;
  std::uint16_t win = 65535;
  TcpOptions options;
  std::vector<std::uint8_t> payload;  // when empty and len > 0, a pattern is used

  Seg& with_win(std::uint16_t w) { win = w; return *this; }
  Seg& with_options(const TcpOptions& o) { options = o; return *this; }
};

inline Seg seg(std::uint8_t flags, std::uint32_t seq, std::uint32_t ack = 0, std::uint32_t len = 0) {
  Seg s;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.len = len;
  return s;
}
std::string describe(const Seg& s);  // "FP. 1:1001(1000) ack 1 win 65535"

class PacketTest : public ::testing::Test {
 public:
  // What P's SYN offers in E0: MSS 1000, nothing else.
  static TcpOptions syn_options() { TcpOptions o; o.mss = 1000; return o; }
  // The same with timestamps; their TSval is filled in by the DSL (peer_ts_).
  static TcpOptions ts_syn_options() {
    TcpOptions o = syn_options();
    o.timestamps = TcpTimestamps{0, 0};
    return o;
  }
  // s carrying timestamps with this TSval.
  static Seg with_ts(Seg s, std::uint32_t tsval) {
    s.options.timestamps = TcpTimestamps{tsval, 0};
    return s;
  }

 protected:
  PacketTest();
  ~PacketTest() override;

  // Rebuilds the stack with a changed configuration (call before anything else), on a link of
  // `link_mtu` bytes.
  void configure(const StackConfig& config, std::uint16_t link_mtu = 1500);
  StackConfig default_config() const;
  Stack& stack() { return *stack_; }
  Instant now() const { return now_; }

  // The peer's side.
  void inject(const Seg& s);
  void inject_raw(Bytes frame);                     // a hand-made (possibly malformed) frame
  std::vector<std::uint8_t> frame_for(const Seg& s) const;
  // L's side: the next segment L sent, with its fields made relative.
  std::optional<Seg> next_sent();
  // Exactly this segment next (flags, seq, ack, payload length; window when checked).
  void expect(const Seg& s, bool check_window = false);
  void expect_nothing();
  // Moves time forward, polling the stack at each deadline on the way.
  void advance(Duration d);
  void advance_to(Instant t);
  // Called whenever now() moves, before the stack is polled (a borrowed stack's clock follows).
  virtual void time_changed() {}
  // Polls the stack at now().
  void poll() {
    time_changed();
    stack_->poll(now_);
  }
  // The connection's current RTO; after close() the id is gone, so the 4-tuple finds it.
  Duration rto(int fd) const {
    const Tcb* t = stack_->tcp().tcb(fd);
    if (t == nullptr) t = peer_tcb();
    return t != nullptr ? t->rtt.rto() : Duration::zero();
  }
  TcpState state(int fd) const { return stack_->tcp().tcb(fd)->state; }
  // The connection's block; none once it is a TIME_WAIT record (core/tcp/time_wait.h).
  const Tcb* peer_tcb() const { return stack_->tcp().find(local_, remote_); }
  // The tuple's state, block or record; CLOSED when nothing holds it.
  TcpState peer_state() const { return stack_->tcp().state_of(local_, remote_).value_or(TcpState::closed); }
  bool peer_alive() const { return stack_->tcp().state_of(local_, remote_).has_value(); }

  // Fixtures for each state, from the "E0" baseline of close-scenarios.md: L listens on
  // listen_fd and has accepted the returned id; P offered MSS 1000, window 65535, no options.
  int listen_socket();
  int established(const TcpOptions& peer_syn_options = syn_options());
  int syn_sent();                                  // L connected; its SYN consumed
  // The remaining states, each reached from established() by the shortest exchange. Those
  // reached through close() return -1 (the id is gone); peer_tcb() finds the connection.
  int syn_received();                              // simultaneous open: L's SYN-ACK consumed
  int fin_wait_1();                                // close(); L's FIN consumed
  int fin_wait_2();                                // ... and P acknowledged it
  int close_wait();                                // P's FIN arrived; L's ACK consumed
  int last_ack();                                  // ... then close(); L's FIN consumed
  int closing();                                   // FINs crossed; L's ACK consumed
  int time_wait();                                 // four-way close done; L's last ACK consumed
  // From syn_sent() (or any connect whose SYN was consumed): P's SYN-ACK, then L closes first
  // and the four-way close ends with L in TIME_WAIT, its last ACK consumed.
  void active_close_to_time_wait(int fd);

  Endpoint local_{Ipv4Addr::of(10, 0, 0, 1), 8080};
  Endpoint remote_{Ipv4Addr::of(10, 0, 0, 2), 40000};
  MacAddr local_mac_{{0x02, 0, 0, 0, 0, 1}};
  MacAddr remote_mac_{{0x02, 0, 0, 0, 0, 2}};
  std::uint32_t peer_iss_ = 1'000'000;
  std::uint32_t our_iss_ = 0;   // learned from L's SYN or SYN-ACK
  std::uint32_t peer_ts_ = 100; // TSval P sends when timestamps are in use
  int listen_fd_ = -1;
  // The stack under test and its device: owned here, or borrowed from an mTCP context (api/).
  std::unique_ptr<HostIo> own_io_;
  std::unique_ptr<Stack> own_stack_;
  HostIo* io_ = nullptr;
  Stack* stack_ = nullptr;
  Instant now_ = from_us(1'000'000);
};

}  // namespace mtcpp::test
