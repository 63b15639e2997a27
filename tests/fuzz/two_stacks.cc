// Fuzz target: two stacks over a memory link whose conditions the input sets and changes (delay,
// loss, duplication, reordering, corruption), driven by socket calls and the passing of time.
// B connects to A's listener at the start and may reconnect; the input's records:
//   send     a side writes up to 64 KiB of its stream (each direction a known byte pattern)
//   recv     a side reads, up to 64 KiB
//   time     up to 6.5 s pass, both stacks polled at every deadline and frame arrival
//   link     new conditions: 0.1..25 ms delay, up to 30 % loss, duplication and reordering each
// The input's first byte sets the share of frames B receives corrupted (up to 5 %).
//   end      a side shuts down writing, closes or aborts
//   again    both sides close and B connects anew
// Checked: every frame either stack sends parses with right checksums; every byte read is the
// byte the other side wrote at that offset; a side that reads the end of the stream has read
// everything the other wrote; one instant never sees more than 2,000 frames from one stack; and
// an hour after both sides closed everything, neither stack holds a connection or a buffer. B's
// socket buffers have a budget of 32 KiB, so its windows shrink and reopen on the way.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <variant>

#include "backends/memory/memory_link.h"
#include "backends/wrappers/fault_injector.h"
#include "tests/fuzz/fuzz_support.h"

using namespace mtcpp;
using namespace mtcpp::fuzz;

namespace {

const Ipv4Addr kAddrA = Ipv4Addr::of(10, 0, 0, 1);
const Ipv4Addr kAddrB = Ipv4Addr::of(10, 0, 0, 2);

std::uint8_t stream_byte(int side, std::uint64_t offset) {
  return static_cast<std::uint8_t>((offset * 2654435761u >> 11) + side * 77);
}

// Checks every frame a stack hands its device, and counts them per instant.
class CheckedIo final : public PacketIo {
 public:
  explicit CheckedIo(PacketIo& inner) : inner_(inner) {}
  LinkCaps caps() const override { return inner_.caps(); }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override { return inner_.rx_burst(out, now); }
  PacketBuffer* tx_alloc() override { return inner_.tx_alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override {
    if (now != instant_) {
      instant_ = now;
      frames_ = 0;
    }
    for (PacketBuffer* p : pkts) {
      check_emitted({p->data, p->len}, inner_.caps().mtu);
      if (++frames_ > 2000) fail("more than 2,000 frames from one stack at one instant");
    }
    return inner_.tx_burst(pkts, now);
  }
  void release(PacketBuffer* pkt) override { inner_.release(pkt); }
  Instant next_rx_time() const override { return inner_.next_rx_time(); }

 private:
  PacketIo& inner_;
  Instant instant_{};
  int frames_ = 0;
};

struct Side {
  std::unique_ptr<Stack> stack;
  int socket = -1;
  std::uint64_t written = 0;  // bytes of this side's stream the stack took
  std::uint64_t read = 0;     // bytes of the other side's stream read
  bool wrote_all = false;     // shut down writing or closed: `written` is final
  bool reset = false;         // an error ended the connection: no promise of delivery
};

class Harness {
 public:
  explicit Harness(Input& in)
      : port_a_({.mac = MacAddr{{2, 0, 0, 0, 0, 1}}, .buffers = 2048}),
        port_b_({.mac = MacAddr{{2, 0, 0, 0, 0, 2}}, .buffers = 2048}),
        link_(port_a_, port_b_, {.delay = std::chrono::milliseconds(1)}),
        faults_(port_b_, {.corrupt = in.u8() / 255.0 * 0.05, .seed = 3}),
        checked_a_(port_a_),
        checked_b_(faults_) {
    side_[0].stack = make(kAddrA, 1, checked_a_);
    side_[1].stack = make(kAddrB, 2, checked_b_);
    listener_ = side_[0].stack->socket(now_);
    side_[0].stack->bind(listener_, {kAddrA, 80});
    side_[0].stack->listen(listener_, 8);
    connect();
  }

  void send(Input& in) {
    Side& s = side_[in.u8() & 1];
    const int who = &s == &side_[0] ? 0 : 1;
    std::vector<std::uint8_t> data(in.u16());
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = stream_byte(who, s.written + i);
    if (s.socket < 0 || s.wrote_all) return;
    const long n = s.stack->send(s.socket, data, now_);
    if (n > 0) s.written += static_cast<std::uint64_t>(n);
    // The connection's error (reset, timeout) is reported once, to whichever call comes first;
    // reads then give 0, which must not be taken for the end of the stream.
    if (n < 0 && n != -EAGAIN) s.reset = side_[1 - who].reset = true;
  }

  void recv(Input& in) {
    const int who = in.u8() & 1;
    read_from(who, in.u16());
  }

  void advance(Input& in) { run_for(std::chrono::microseconds(in.u16()) * 100); }

  void set_link(Input& in) {
    LinkConditions c;
    c.delay = std::chrono::microseconds(100 + in.u8() * 100);
    c.loss = in.u8() / 255.0 * 0.3;
    c.duplicate = in.u8() / 255.0 * 0.3;
    c.reorder = in.u8() / 255.0 * 0.3;
    c.seed = in.u8();
    link_.set_conditions(c);
  }

  void end(Input& in) {
    const int who = in.u8() & 1;
    Side& s = side_[who];
    if (s.socket < 0) return;
    switch (in.u8() % 3) {
      case 0:
        s.stack->shutdown(s.socket, Shutdown::write, now_);
        s.wrote_all = true;
        break;
      case 1:
        s.stack->close(s.socket, now_);
        s.socket = -1;
        s.wrote_all = true;
        break;
      case 2:
        s.stack->abort(s.socket, now_);
        s.socket = -1;
        s.wrote_all = s.reset = side_[1 - who].reset = true;
        break;
    }
  }

  void again() {
    for (Side& s : side_) {
      if (s.socket >= 0) s.stack->close(s.socket, now_);
      s.socket = -1;
    }
    connect();
  }

  void finish() {
    for (Side& s : side_)
      if (s.socket >= 0) s.stack->close(s.socket, now_);
    side_[0].stack->close(listener_, now_);
    link_.set_conditions({.delay = std::chrono::milliseconds(1)});
    run_for(std::chrono::hours(1));
    for (Side& s : side_)
      if (s.stack->tcp().connection_count() != 0) fail("connections left an hour after everything was closed");
    for (Side& s : side_)
      if (s.stack->stats().tcp_buffer_memory != 0) fail("socket buffer memory left");
    if (port_a_.pool().in_use() != 0 || port_b_.pool().in_use() != 0) fail("frame buffers left");
  }

 private:
  static std::unique_ptr<Stack> make(Ipv4Addr address, std::uint64_t seed, PacketIo& io) {
    StackConfig c;
    c.address = address;
    c.seed = seed;
    c.tcp.max_connections = 64;
    // B's buffers under a budget of a few segments: windows shrink and reopen on the way.
    if (seed == 2) c.tcp.buffer_memory_limit = 32 * 1024;
    // A starts every connection at the RFC 4821 floor and probes upward through the link's
    // faults: probes lost, duplicated, reordered, corrupted.
    if (seed == 1) c.tcp.mtu_probing = MtuProbing::always;
    return std::move(std::get<std::unique_ptr<Stack>>(Stack::create(c, io)));
  }

  void connect() {
    for (Side& s : side_) s.written = s.read = 0, s.wrote_all = s.reset = false;
    side_[1].socket = side_[1].stack->socket(now_);
    side_[1].stack->connect(side_[1].socket, {kAddrA, 80}, now_);
    connecting_ = true;
  }

  // Takes B's current connection from A's listener; older ones still queued are closed.
  void accept_current() {
    Endpoint b_local;
    if (side_[1].socket < 0 || side_[1].stack->local_endpoint(side_[1].socket, &b_local) != 0) return;
    for (int s; (s = side_[0].stack->accept(listener_, nullptr)) >= 0;) {
      Endpoint peer;
      side_[0].stack->remote_endpoint(s, &peer);
      if (peer.port != b_local.port) {
        side_[0].stack->close(s, now_);
        continue;
      }
      side_[0].socket = s;
      connecting_ = false;
      return;
    }
  }

  void read_from(int who, std::size_t max) {
    Side& s = side_[who];
    if (s.socket < 0) return;
    std::vector<std::uint8_t> buf(max);
    const long n = s.stack->recv(s.socket, buf, now_);
    if (n > 0) {
      for (long i = 0; i < n; ++i)
        if (buf[static_cast<std::size_t>(i)] != stream_byte(1 - who, s.read + static_cast<std::uint64_t>(i)))
          fail("a byte read is not the byte the other side wrote there");
      s.read += static_cast<std::uint64_t>(n);
    } else if (n == 0 && max > 0) {  // the end of the stream: everything must have come
      const Side& other = side_[1 - who];
      if (!other.reset && !s.reset && other.wrote_all && s.read != other.written)
        fail("the stream ended before everything written had been read");
    } else if (n < 0 && n != -EAGAIN) {
      s.reset = side_[1 - who].reset = true;  // ECONNRESET and the like: no promise of delivery
    }
  }

  void run_for(Duration d) {
    const Instant end = now_ + d;
    while (now_ < end) {
      const Instant next = std::min(side_[0].stack->next_deadline(), side_[1].stack->next_deadline());
      now_ = std::clamp(next, now_ + std::chrono::microseconds(100), end);
      side_[0].stack->poll(now_);
      side_[1].stack->poll(now_);
      if (connecting_) accept_current();
    }
  }

  MemoryPort port_a_;
  MemoryPort port_b_;
  MemoryLink link_;
  FaultInjector faults_;
  CheckedIo checked_a_;
  CheckedIo checked_b_;
  Side side_[2];
  int listener_ = -1;
  bool connecting_ = false;
  Instant now_ = from_us(1'000'000);
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  Harness h(in);
  for (int records = 0; !in.empty() && records < 500; ++records) {
    switch (in.u8() % 6) {
      case 0: h.send(in); break;
      case 1: h.recv(in); break;
      case 2: h.advance(in); break;
      case 3: h.set_link(in); break;
      case 4: h.end(in); break;
      case 5: h.again(); break;
    }
  }
  h.finish();
  return 0;
}
