// Fuzz target: what a hostile peer can send one stack. The stack (L, 10.0.0.1) listens on port 80
// and has accepted a connection from the peer (P, 10.0.0.2:40000); the input is a list of records:
//   segment  from P (ports 40000..40003) to L:80, well formed with right checksums, its sequence
//            and acknowledgement numbers offsets from P's and L's real ones, so it reaches the
//            state machine: flags, offsets, window, options (MSS, window scale, SACK, timestamps,
//            SACK blocks), up to 255 payload bytes
//   frame    raw bytes, any length, as received
//   time     up to 65 s pass, the stack polled at each of its deadlines
//   call     a socket call by L's application: send, recv, shutdown, close, abort, accept,
//            connect, a socket option
// Checked: every frame L sends parses with right checksums and fits the MTU; no ACK from L on
// the first connection acknowledges beyond the furthest P sent; no one event (a frame, a call, a
// timer) makes L send more than 400 frames (no ACK storm; a send buffer's worth is 180); and once the application has closed everything and an
// hour has passed, no connection, no TIME_WAIT, no frame buffer and no socket buffer memory is left.
// The stack runs with small caps (connections, orphans, buffer memory) and the idle and zero-window
// limits on, so that what happens at each is explored.
#include <algorithm>
#include <cstdint>
#include <variant>

#include "backends/host/host_io.h"
#include "tests/fuzz/fuzz_support.h"

using namespace mtcpp;
using namespace mtcpp::fuzz;

namespace {

const MacAddr kMacL{{0x02, 0, 0, 0, 0, 1}};
const MacAddr kMacP{{0x02, 0, 0, 0, 0, 2}};
const Endpoint kL{Ipv4Addr::of(10, 0, 0, 1), 80};
const Ipv4Addr kP = Ipv4Addr::of(10, 0, 0, 2);

class Harness {
 public:
  Harness() : io_(LinkCaps{kMacL, 1500, false, false}, 1024) {
    StackConfig c;
    c.address = kL.addr;
    c.seed = 1;
    c.static_arp = {{kP, kMacP}};
    c.tcp.max_connections = 64;  // small caps, so that reaching them is explored too
    c.tcp.max_orphans = 4;
    c.tcp.buffer_memory_limit = 16 * 1024;  // a few segments: shrunk windows and refused growth
    c.tcp.zero_window_timeout = std::chrono::seconds(120);
    c.tcp.idle_timeout = std::chrono::seconds(600);
    c.tcp.mtu_probing = MtuProbing::always;  // probes where the peer offers SACK, against forged ACKs
    auto made = Stack::create(c, io_);
    stack_ = std::move(std::get<std::unique_ptr<Stack>>(made));
    listener_ = stack_->socket(now_);
    stack_->bind(listener_, kL);
    stack_->listen(listener_, 4);
    open_.push_back(listener_);
    // The first connection, by the book: SYN, SYN-ACK (L's ISS learned), ACK.
    peer_iss_ = 1'000'000;
    inject({.src_port = 40000, .dst_port = 80, .seq = peer_iss_, .flags = tcp_flag::syn, .window = 65535}, {});
    our_iss_ = last_synack_seq_;
    peer_sent_end_ = peer_iss_ + 1;
    inject({.src_port = 40000, .dst_port = 80, .seq = peer_iss_ + 1, .ack = our_iss_ + 1, .flags = tcp_flag::ack,
            .window = 65535},
           {});
    const int s = stack_->accept(listener_, nullptr);
    if (s < 0) fail("the first connection was not accepted");
    open_.push_back(s);
  }

  void segment(Input& in) {
    TcpHeader h;
    h.src_port = static_cast<std::uint16_t>(40000 + in.u8() % 4);
    h.dst_port = 80;
    h.flags = in.u8();
    h.seq = peer_iss_ + 1 + static_cast<std::int16_t>(in.u16()) * 8;
    h.ack = our_iss_ + 1 + static_cast<std::int16_t>(in.u16()) * 8;
    h.window = in.u16();
    const std::uint8_t options = in.u8();
    if (options & 1) h.options.mss = in.u16();
    if (options & 2) h.options.window_scale = in.u8();
    if (options & 4) h.options.sack_permitted = true;
    if (options & 8) h.options.timestamps = TcpTimestamps{++peer_ts_, last_tsval_ - (in.u8() & 3)};
    if (options & 16) {
      h.options.sack_count = 1 + in.u8() % 3;
      for (std::size_t i = 0; i < h.options.sack_count; ++i) {
        const std::uint32_t left = our_iss_ + 1 + static_cast<std::int16_t>(in.u16()) * 8;
        h.options.sack[i] = {left, left + in.u16()};
      }
    }
    const std::vector<std::uint8_t> payload = in.bytes(in.u8());
    if (h.src_port == 40000) {
      const std::uint32_t end = h.seq + static_cast<std::uint32_t>(payload.size()) + (h.has(tcp_flag::syn) ? 1 : 0) +
                                (h.has(tcp_flag::fin) ? 1 : 0);
      if (static_cast<std::int32_t>(end - peer_sent_end_) > 0) peer_sent_end_ = end;
    }
    inject(h, payload);
  }

  void raw_frame(Input& in) {
    const std::vector<std::uint8_t> frame = in.bytes(in.u16() % 1600);
    io_.push_rx(frame);
    poll();
  }

  void advance(Input& in) { run_for(std::chrono::milliseconds(in.u16())); }

  void call(Input& in) {
    frames_this_event_ = 0;
    const std::uint8_t op = in.u8();
    const int s = open_.empty() ? -1 : open_[in.u8() % open_.size()];
    switch (op % 9) {
      case 0: {
        std::vector<std::uint8_t> data(in.u16() % 20000, 'd');
        stack_->send(s, data, now_);
        break;
      }
      case 1: {
        std::vector<std::uint8_t> buf(in.u16() % 20000);
        stack_->recv(s, buf, now_, (in.u8() & 1) != 0);
        break;
      }
      case 2: stack_->shutdown(s, static_cast<Shutdown>(in.u8() % 3), now_); break;
      case 3: close(s); break;
      case 4:
        if (stack_->abort(s, now_) == 0) forget(s);
        break;
      case 5:
        for (int c; (c = stack_->accept(listener_, nullptr)) >= 0;) open_.push_back(c);
        break;
      case 6: {
        const int c = stack_->socket(now_);
        if (c >= 0) {
          open_.push_back(c);
          stack_->connect(c, {kP, static_cast<std::uint16_t>(5000 + in.u8() % 4)}, now_);
        }
        break;
      }
      case 7: stack_->set_option(s, static_cast<SocketOption>(in.u8() % 9), static_cast<int>(in.u32()), now_); break;
      case 8: {
        int value = 0;
        stack_->get_option(s, static_cast<SocketOption>(in.u8() % 9), &value);
        stack_->readiness(s);
        break;
      }
    }
    drain();
  }

  // The application closes everything; an hour later nothing may be left.
  void finish() {
    while (!open_.empty()) close(open_.back());
    run_for(std::chrono::hours(1));
    if (stack_->tcp().connection_count() != 0) fail("connections left an hour after everything was closed");
    if (stack_->stats().tcp_time_wait != 0) fail("TIME_WAIT left");
    if (io_.buffers_in_use() != 0) fail("frame buffers left");
    if (stack_->stats().tcp_buffer_memory != 0) fail("socket buffer memory left");
  }

 private:
  void inject(const TcpHeader& h, std::span<const std::uint8_t> payload) {
    io_.push_rx(segment_frame(kMacP, kMacL, {kP, h.src_port}, kL, h, payload));
    poll();
  }
  void close(int s) {
    stack_->close(s, now_);
    forget(s);
    drain();
  }
  void forget(int s) { open_.erase(std::remove(open_.begin(), open_.end(), s), open_.end()); }
  void poll() {
    frames_this_event_ = 0;
    stack_->poll(now_);
    drain();
  }
  void run_for(Duration d) {
    const Instant end = now_ + d;
    while (now_ < end) {
      now_ = std::clamp(stack_->next_deadline(), now_ + std::chrono::milliseconds(1), end);
      poll();
    }
  }
  // Takes what L sent and checks it.
  void drain() {
    std::vector<std::uint8_t> frame;
    while (io_.pop_tx(frame)) {
      if (++frames_this_event_ > 400) fail("more than 400 frames in answer to one event");
      const std::optional<TcpHeader> h = check_emitted(frame, 1500);
      if (!h) continue;
      if (h->has(tcp_flag::syn) && h->has(tcp_flag::ack)) last_synack_seq_ = h->seq;
      if (h->options.timestamps) last_tsval_ = h->options.timestamps->tsval;
      if (h->dst_port == 40000 && h->has(tcp_flag::ack) && !h->has(tcp_flag::rst) && our_iss_ != 0 &&
          static_cast<std::int32_t>(h->ack - peer_sent_end_) > 0)
        fail("L acknowledged beyond what P sent");
    }
  }

  HostIo io_;
  std::unique_ptr<Stack> stack_;
  Instant now_ = from_us(1'000'000);
  int listener_ = -1;
  std::vector<int> open_;
  std::uint32_t peer_iss_ = 0;
  std::uint32_t our_iss_ = 0;
  std::uint32_t last_synack_seq_ = 0;
  std::uint32_t peer_sent_end_ = 0;
  std::uint32_t peer_ts_ = 1;
  std::uint32_t last_tsval_ = 0;
  int frames_this_event_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Input in(data, size);
  Harness h;
  for (int records = 0; !in.empty() && records < 2000; ++records) {
    switch (in.u8() % 4) {
      case 0: h.segment(in); break;
      case 1: h.raw_frame(in); break;
      case 2: h.advance(in); break;
      case 3: h.call(in); break;
    }
  }
  h.finish();
  return 0;
}
