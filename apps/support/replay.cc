#include "apps/support/replay.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "backends/host/host_io.h"
#include "core/stack.h"
#include "core/wire/ethernet.h"
#include "core/wire/ipv4.h"

namespace mtcpp::replay {

namespace {

constexpr std::size_t kEth = EthernetHeader::kSize;

// The option kinds of a TCP header in wire order, from its raw bytes.
std::string option_kinds(Bytes tcp, std::size_t header_len) {
  std::string out;
  for (std::size_t i = TcpHeader::kMinSize; i < header_len && i < tcp.size();) {
    const std::uint8_t kind = tcp[i];
    const char* name = kind == 0 ? "eol" : kind == 1 ? "nop" : kind == 2 ? "mss" : kind == 3 ? "ws"
                     : kind == 4 ? "sack-permitted" : kind == 5 ? "sack" : kind == 8 ? "ts" : nullptr;
    if (!out.empty()) out += ',';
    out += name != nullptr ? std::string(name) : "k" + std::to_string(kind);
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= tcp.size() || tcp[i + 1] < 2) break;
    i += tcp[i + 1];
  }
  return out;
}

// A TCP segment out of an IPv4 packet (checksums not verified: captures often hold offloaded ones).
struct Parsed {
  Ipv4Header ip;
  Segment seg;
};
std::optional<Parsed> parse_segment(Bytes packet, Instant time) {
  const auto ip = Ipv4Header::parse(packet, false);
  if (!ip.header || ip.header->protocol != static_cast<std::uint8_t>(IpProto::tcp) || ip.header->is_fragment())
    return std::nullopt;
  const auto tcp = TcpHeader::parse(ip.payload, ip.header->src, ip.header->dst, false);
  if (!tcp.header) return std::nullopt;
  Parsed p{*ip.header, {}};
  Segment& s = p.seg;
  s.time = time;
  s.flags = tcp.header->flags;
  s.seq = tcp.header->seq;
  s.ack = tcp.header->ack;
  s.window = tcp.header->window;
  s.options = tcp.header->options;
  s.option_kinds = option_kinds(ip.payload, tcp.header->header_len);
  s.payload.assign(tcp.payload.begin(), tcp.payload.end());
  s.len = static_cast<std::uint32_t>(s.payload.size());
  return p;
}

std::uint16_t src_port(Bytes ip_payload) { return static_cast<std::uint16_t>((ip_payload[0] << 8) | ip_payload[1]); }

bool has(std::uint8_t flags, std::uint8_t f) { return (flags & f) != 0; }

// A side's ISN (its SYN's sequence number) and first TSval, the origins its numbers are shown
// and translated from.
std::optional<std::uint32_t> isn_of(const std::vector<Segment>& side) {
  std::optional<std::uint32_t> isn;
  for (const Segment& s : side)
    if (has(s.flags, tcp_flag::syn)) isn = s.seq;
  return isn;
}
std::optional<std::uint32_t> first_tsval(const std::vector<Segment>& side) {
  for (const Segment& s : side)
    if (s.options.timestamps) return s.options.timestamps->tsval;
  return std::nullopt;
}

}  // namespace

std::variant<std::vector<Connection>, std::string> read_connections(const std::string& trace, Endpoint as,
                                                                    TraceCounters* counters) {
  auto opened = TraceFile::open(trace);
  if (auto* error = std::get_if<std::string>(&opened)) return *error;
  TraceFile& file = *std::get<std::unique_ptr<TraceFile>>(opened);
  std::vector<Connection> out;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::size_t> index;  // (e, o) → out[i]
  const auto key = [](Endpoint e) { return (std::uint64_t{e.addr.value} << 16) | e.port; };
  while (auto packet = file.next()) {
    auto parsed = parse_segment(Bytes(packet->ip), packet->time);
    if (!parsed) continue;
    const Ipv4Header& ip = parsed->ip;
    const Bytes tcp_bytes = Bytes(packet->ip).subspan(ip.header_len);
    const Endpoint src{ip.src, src_port(tcp_bytes)};
    const Endpoint dst{ip.dst, static_cast<std::uint16_t>((tcp_bytes[2] << 8) | tcp_bytes[3])};
    const auto matches = [&](Endpoint x) { return x.addr == as.addr && (as.port == 0 || x.port == as.port); };
    const bool from_e = matches(src);
    if (!from_e && !matches(dst)) continue;
    const Endpoint e = from_e ? src : dst, o = from_e ? dst : src;
    auto [it, fresh] = index.try_emplace({key(e), key(o)}, out.size());
    if (fresh) out.push_back(Connection{e, o, {}, {}, {}, {}});
    Connection& c = out[it->second];
    if (from_e) {
      c.e_mac = packet->src_mac;
      c.o_mac = packet->dst_mac.is_zero() ? c.o_mac : packet->dst_mac;
      c.from_e.push_back(std::move(parsed->seg));
    } else {
      c.o_mac = packet->src_mac.is_zero() ? c.o_mac : packet->src_mac;
      c.from_o.push_back(std::move(parsed->seg));
    }
  }
  if (counters != nullptr) *counters = file.counters();
  if (!file.error().empty()) return trace + ": read stopped early: " + file.error();
  return out;
}

Instant start_of(const Connection& c) {
  return std::min(c.from_e.empty() ? kNever : c.from_e.front().time,
                  c.from_o.empty() ? kNever : c.from_o.front().time);
}

std::string to_string(const Call& call, Instant origin) {
  static constexpr const char* names[] = {"listen", "connect", "write", "shutdown", "close", "abort"};
  char line[96];
  std::snprintf(line, sizeof line, "%.6f:%s", (to_us(call.at) - to_us(origin)) / 1e6, names[static_cast<int>(call.kind)]);
  std::string s = line;
  if (call.kind == CallKind::write) s += ":" + std::to_string(call.data.size());
  return s;
}

std::vector<Call> infer_calls(const Connection& c) {
  std::vector<Call> calls;
  if (c.from_e.empty() && c.from_o.empty()) return calls;
  calls.reserve(c.from_e.size() + 2);  // open_write below points into it
  // A port nobody listened on: E's first answer is a reset, and no call made it.
  if (!c.from_e.empty() && has(c.from_e.front().flags, tcp_flag::rst) && !has(c.from_e.front().flags, tcp_flag::syn))
    return calls;
  const Instant start = start_of(c);
  const bool active = !c.from_e.empty() && has(c.from_e.front().flags, tcp_flag::syn) &&
                      !has(c.from_e.front().flags, tcp_flag::ack) &&
                      (c.from_o.empty() || c.from_e.front().time <= c.from_o.front().time);
  calls.push_back({active ? c.from_e.front().time : start, active ? CallKind::connect : CallKind::listen, {}});
  std::optional<std::uint32_t> next;  // the sequence number after E's data so far
  bool ended = false;
  // New data E sends before its peer sends data again is taken as one write, made when its first
  // segment left (an application writes a response at once; TCP cuts it into segments).
  const auto peer_data_between = [&](Instant from, Instant to) {
    for (const Segment& o : c.from_o)
      if (o.len > 0 && o.time > from && o.time <= to) return true;
    return false;
  };
  Call* open_write = nullptr;
  for (std::size_t i = 0; i < c.from_e.size(); ++i) {
    const Segment& s = c.from_e[i];
    if (has(s.flags, tcp_flag::syn)) next = s.seq + 1;
    if (!next) continue;
    const std::uint32_t end = s.seq + s.len;
    if (s.len > 0 && static_cast<std::int32_t>(end - *next) > 0) {  // new data: the part past `next`
      const auto skip = static_cast<std::uint32_t>(std::max<std::int32_t>(0, static_cast<std::int32_t>(*next - s.seq)));
      if (open_write != nullptr && !peer_data_between(open_write->at, s.time)) {
        open_write->data.insert(open_write->data.end(), s.payload.begin() + skip, s.payload.end());
      } else {
        calls.push_back({s.time, CallKind::write, std::vector<std::uint8_t>(s.payload.begin() + skip, s.payload.end())});
        open_write = &calls.back();
      }
      next = end;
    }
    if (ended) continue;
    if (has(s.flags, tcp_flag::fin)) {
      // A half close if O's data after the FIN was acknowledged by E without a reset.
      bool half = false;
      for (const Segment& later : c.from_o)
        if (later.time > s.time && later.len > 0) {
          for (const Segment& answer : c.from_e)
            if (answer.time >= later.time && !has(answer.flags, tcp_flag::rst) &&
                static_cast<std::int32_t>(answer.ack - (later.seq + later.len)) >= 0)
              half = true;
          break;
        }
      calls.push_back({s.time, half ? CallKind::shutdown_write : CallKind::close, {}});
      ended = true;
    } else if (has(s.flags, tcp_flag::rst)) {
      calls.push_back({s.time, CallKind::abort, {}});
      ended = true;
    }
  }
  return calls;
}

std::variant<std::vector<Call>, std::string> parse_calls(std::string_view script, const Connection& c) {
  const Instant start = start_of(c);
  std::vector<Call> calls;
  std::istringstream words{std::string(script)};
  for (std::string word; words >> word;) {
    const std::size_t colon = word.find(':');
    char* end = nullptr;
    const double t = std::strtod(word.c_str(), &end);
    if (colon == std::string::npos || end != word.c_str() + colon || !(t >= 0 && t <= 1e6))
      return "--script: \"" + word + "\" is not TIME:CALL (TIME in seconds, 0 to 1e6)";
    const std::string call = word.substr(colon + 1);
    Call k{start + Duration(static_cast<std::int64_t>(t * 1e6)), CallKind::listen, {}};
    if (call == "listen") k.kind = CallKind::listen;
    else if (call == "connect") k.kind = CallKind::connect;
    else if (call == "shutdown") k.kind = CallKind::shutdown_write;
    else if (call == "close") k.kind = CallKind::close;
    else if (call == "abort") k.kind = CallKind::abort;
    else if (call.rfind("write:", 0) == 0 && std::atol(call.c_str() + 6) > 0 && std::atol(call.c_str() + 6) <= (1L << 30)) {
      k.kind = CallKind::write;
      k.data.assign(static_cast<std::size_t>(std::atol(call.c_str() + 6)), 'x');
    } else {
      return "--script: unknown call \"" + call + "\" (listen, connect, write:N with N up to 1 GiB, shutdown, close, abort)";
    }
    calls.push_back(std::move(k));
  }
  std::stable_sort(calls.begin(), calls.end(), [](const Call& a, const Call& b) { return a.at < b.at; });
  return calls;
}

namespace {

// The stack playing E, its device, and the application on top.
class Player {
 public:
  Player(const Connection& c, const RunOptions& o, Run& out) : c_(c), out_(out) {
    e_mac_ = c.e_mac.is_zero() ? MacAddr{{0x02, 0, 0, 0, 0, 0x01}} : c.e_mac;
    o_mac_ = c.o_mac.is_zero() ? MacAddr{{0x02, 0, 0, 0, 0, 0x02}} : c.o_mac;
    StackConfig config;
    config.address = c.e.addr;
    config.prefix_len = 0;  // every address on-link: the trace's peer is reached directly
    config.static_arp.push_back({c.o.addr, o_mac_});
    config.arp.gratuitous_at_start = false;
    config.seed = o.seed;
    io_ = std::make_unique<HostIo>(LinkCaps{e_mac_, 1500, false, false});
    auto made = Stack::create(config, *io_);
    if (auto* error = std::get_if<std::string>(&made)) {
      out_.error = "the stack: " + *error;
      return;
    }
    stack_ = std::move(std::get<std::unique_ptr<Stack>>(made));
    if (!o.out_pcap.empty()) {
      dead_ = pcap_open_dead(DLT_EN10MB, 65535);
      dumper_ = pcap_dump_open(dead_, o.out_pcap.c_str());
      if (dumper_ == nullptr) out_.error = o.out_pcap + ": " + pcap_geterr(dead_);
    }
    e_isn_ = isn_of(c.from_e);
    e_ts0_ = first_tsval(c.from_e);
  }
  ~Player() {
    if (dumper_ != nullptr) pcap_dump_close(dumper_);
    if (dead_ != nullptr) pcap_close(dead_);
  }
  bool ok() const { return out_.error.empty() && stack_ != nullptr; }

  void start(Instant t) {
    now_ = origin_ = t;
    stack_->start(now_);
    collect();
  }
  // Lets time run to t, polling at every deadline on the way.
  void advance_to(Instant t) {
    for (Instant next = stack_->next_deadline(); next <= t; next = stack_->next_deadline()) {
      now_ = std::max(now_, next);
      step();
    }
    now_ = std::max(now_, t);
    step();
  }
  void inject(const Segment& s) {
    TcpHeader h;
    h.src_port = c_.o.port;
    h.dst_port = c_.e.port;
    h.seq = s.seq;
    h.flags = s.flags;
    h.window = s.window;
    h.options = s.options;
    if (has(s.flags, tcp_flag::ack)) h.ack = to_mtcpp(s.ack);
    for (std::size_t i = 0; i < h.options.sack_count; ++i)
      h.options.sack[i] = {to_mtcpp(h.options.sack[i].left), to_mtcpp(h.options.sack[i].right)};
    if (h.options.timestamps && h.options.timestamps->tsecr != 0 && e_ts0_ && m_ts0_)
      h.options.timestamps->tsecr = h.options.timestamps->tsecr - *e_ts0_ + *m_ts0_;
    const std::size_t tcp_len = TcpHeader::kMinSize + h.options.encoded_size();
    std::vector<std::uint8_t> frame(kEth + Ipv4Header::kMinSize + tcp_len + s.payload.size());
    MutableBytes out(frame);
    std::copy(s.payload.begin(), s.payload.end(), frame.end() - static_cast<long>(s.payload.size()));
    h.emit(out.subspan(kEth + Ipv4Header::kMinSize), c_.o.addr, c_.e.addr, Bytes(s.payload), true);
    Ipv4Header ip;
    ip.total_length = static_cast<std::uint16_t>(Ipv4Header::kMinSize + tcp_len + s.payload.size());
    ip.protocol = static_cast<std::uint8_t>(IpProto::tcp);
    ip.src = c_.o.addr;
    ip.dst = c_.e.addr;
    ip.emit(out.subspan(kEth));
    EthernetHeader{e_mac_, o_mac_, static_cast<std::uint16_t>(EtherType::ipv4)}.emit(out);
    if (!io_->push_rx(Bytes(frame))) log("a segment from the trace could not be handed to the stack (too long?)");
    dump(Bytes(frame));
    step();
  }
  void call(const Call& k) {
    switch (k.kind) {
      case CallKind::listen: {
        listener_ = stack_->socket(now_);
        log_result("listen", stack_->bind(listener_, c_.e) == 0 ? stack_->listen(listener_, 16) : -EADDRINUSE);
        break;
      }
      case CallKind::connect: {
        fd_ = stack_->socket(now_);
        const int bound = stack_->bind(fd_, c_.e);
        log_result("connect", bound == 0 ? stack_->connect(fd_, c_.o, now_) : bound);
        break;
      }
      case CallKind::write: pending_.insert(pending_.end(), k.data.begin(), k.data.end()); break;
      case CallKind::shutdown_write: end_ = CallKind::shutdown_write; break;
      case CallKind::close: end_ = CallKind::close; break;
      case CallKind::abort:
        if (fd_ >= 0) {
          log_result("abort", stack_->abort(fd_, now_));
          fd_ = -1;
          done_ = true;
        }
        break;
      default: break;
    }
    step();
  }

 private:
  std::uint32_t to_mtcpp(std::uint32_t e_seq) const {
    return e_isn_ && m_iss_ ? e_seq - *e_isn_ + *m_iss_ : e_seq;
  }
  void log(const std::string& what) {
    char t[32];
    std::snprintf(t, sizeof t, "%10.6f ", (to_us(now_) - to_us(origin_)) / 1e6);
    out_.log.push_back(t + what);
  }
  void log_result(const char* what, long r) {
    log(std::string(what) + " = " + (r >= 0 ? std::to_string(r) : std::string("-") + strerrorname_np(static_cast<int>(-r))));
  }
  // One poll, the application's turn, and what went out.
  void step() {
    stack_->poll(now_);
    app();
    collect();
  }
  void app() {
    if (fd_ < 0 && listener_ >= 0 && !done_) {
      const int fd = stack_->accept(listener_, nullptr);
      if (fd >= 0) {
        fd_ = fd;
        log_result("accept", fd);
      }
    }
    if (fd_ < 0) return;
    std::uint8_t buf[65536];
    for (long r; (r = stack_->recv(fd_, MutableBytes(buf, sizeof buf), now_)) > 0;) read_ += static_cast<std::uint64_t>(r);
    while (!pending_.empty()) {
      const long w = stack_->send(fd_, Bytes(pending_), now_);
      if (w <= 0) break;
      pending_.erase(pending_.begin(), pending_.begin() + w);
    }
    if (end_ && pending_.empty()) {  // a close or shutdown goes after the data written before it
      if (*end_ == CallKind::close) {
        log("read " + std::to_string(read_) + " bytes in all");
        log_result("close", stack_->close(fd_, now_));
        fd_ = -1;
        done_ = true;
      } else {
        log_result("shutdown", stack_->shutdown(fd_, Shutdown::write, now_));
      }
      end_.reset();
    }
  }
  void collect() {
    std::vector<std::uint8_t> frame;
    while (io_->pop_tx(frame)) {
      dump(Bytes(frame));
      if (frame.size() < kEth) continue;
      auto p = parse_segment(Bytes(frame).subspan(kEth), now_);
      if (!p) continue;
      Segment& s = p->seg;
      if (has(s.flags, tcp_flag::syn)) m_iss_ = s.seq;
      if (s.options.timestamps && !m_ts0_) m_ts0_ = s.options.timestamps->tsval;
      out_.sent.push_back(std::move(s));
    }
  }
  void dump(Bytes frame) {
    if (dumper_ == nullptr) return;
    pcap_pkthdr h{};
    h.ts.tv_sec = to_us(now_) / 1'000'000;
    h.ts.tv_usec = to_us(now_) % 1'000'000;
    h.caplen = h.len = static_cast<std::uint32_t>(frame.size());
    pcap_dump(reinterpret_cast<unsigned char*>(dumper_), &h, frame.data());
  }

  const Connection& c_;
  Run& out_;
  MacAddr e_mac_, o_mac_;
  std::unique_ptr<HostIo> io_;
  std::unique_ptr<Stack> stack_;
  pcap_t* dead_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  Instant now_{}, origin_{};
  std::optional<std::uint32_t> e_isn_, m_iss_, e_ts0_, m_ts0_;
  int listener_ = -1, fd_ = -1;
  bool done_ = false;
  std::vector<std::uint8_t> pending_;
  std::optional<CallKind> end_;
  std::uint64_t read_ = 0;
};

}  // namespace

Run run(const Connection& c, const std::vector<Call>& calls, const RunOptions& options) {
  Run out;
  Player player(c, options, out);
  if (!player.ok()) return out;
  // Events in time order; at the same instant a call goes before a segment.
  std::size_t next_call = 0, next_seg = 0;
  Instant first = kNever, last = Instant{};
  for (const Call& k : calls) first = std::min(first, k.at), last = std::max(last, k.at);
  for (const Segment& s : c.from_o) first = std::min(first, s.time), last = std::max(last, s.time);
  if (first == kNever) return out;
  player.start(first);
  while (next_call < calls.size() || next_seg < c.from_o.size()) {
    const bool call_first = next_seg == c.from_o.size() ||
                            (next_call < calls.size() && calls[next_call].at <= c.from_o[next_seg].time);
    if (call_first) {
      player.advance_to(calls[next_call].at);
      player.call(calls[next_call++]);
    } else {
      player.advance_to(c.from_o[next_seg].time);
      player.inject(c.from_o[next_seg++]);
    }
  }
  player.advance_to(last + options.tail);
  return out;
}

namespace {

std::string render(const Segment& s, std::uint32_t isn, std::uint32_t peer_isn, std::uint32_t ts0) {
  std::string f;
  if (has(s.flags, tcp_flag::syn)) f += 'S';
  if (has(s.flags, tcp_flag::fin)) f += 'F';
  if (has(s.flags, tcp_flag::rst)) f += 'R';
  if (has(s.flags, tcp_flag::psh)) f += 'P';
  if (has(s.flags, tcp_flag::ack)) f += '.';
  char line[160];
  const std::uint32_t seq = s.seq - isn;
  int n = std::snprintf(line, sizeof line, "%-3s %u:%u(%u)", f.c_str(), seq, seq + s.len, s.len);
  if (has(s.flags, tcp_flag::ack)) n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), " ack %u", s.ack - peer_isn);
  n += std::snprintf(line + n, sizeof line - static_cast<std::size_t>(n), " win %u", s.window);
  std::string out = line;
  if (!s.option_kinds.empty()) {
    out += " <" + s.option_kinds;
    if (s.options.mss) out += " mss=" + std::to_string(*s.options.mss);
    if (s.options.window_scale) out += " ws=" + std::to_string(*s.options.window_scale);
    if (s.options.timestamps) out += " tsval+" + std::to_string(s.options.timestamps->tsval - ts0);
    for (std::size_t i = 0; i < s.options.sack_count; ++i)
      out += " sack " + std::to_string(s.options.sack[i].left - peer_isn) + ":" + std::to_string(s.options.sack[i].right - peer_isn);
    out += ">";
  }
  return out;
}

std::string sorted_kinds(const std::string& kinds) {
  std::vector<std::string> parts;
  std::istringstream in(kinds);
  for (std::string k; std::getline(in, k, ',');)
    if (k != "nop" && k != "eol") parts.push_back(k);
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const std::string& p : parts) out += p + ",";
  return out;
}

// The fields that differ, in words; empty when the rows agree.
std::string differences(const Segment& a, std::uint32_t a_isn, std::uint32_t a_ts0, const Segment& b,
                        std::uint32_t b_isn, std::uint32_t b_ts0, std::uint32_t peer_isn, const CompareOptions& o) {
  std::string d;
  const auto add = [&](const char* field) { d += (d.empty() ? "" : ", ") + std::string(field); };
  if (a.flags != b.flags) add("flags");
  if (a.seq - a_isn != b.seq - b_isn) add("seq");
  if (has(a.flags, tcp_flag::ack) && has(b.flags, tcp_flag::ack) && a.ack != b.ack) add("ack");
  if (a.len != b.len) add("len");
  if (!o.masks.window && a.window != b.window) add("window");
  if (!o.masks.options) {
    if (sorted_kinds(a.option_kinds) != sorted_kinds(b.option_kinds)) add("options");
    else if (a.options.mss != b.options.mss || a.options.window_scale != b.options.window_scale) add("option values");
    else if (!o.masks.option_order && a.option_kinds != b.option_kinds) add("option order");
    bool sack_same = a.options.sack_count == b.options.sack_count;
    for (std::size_t i = 0; sack_same && i < a.options.sack_count; ++i)
      sack_same = a.options.sack[i].left == b.options.sack[i].left && a.options.sack[i].right == b.options.sack[i].right;
    if (!sack_same) add("sack");
  }
  if (!o.masks.timestamps && !o.masks.options && a.options.timestamps && b.options.timestamps &&
      a.options.timestamps->tsval - a_ts0 != b.options.timestamps->tsval - b_ts0)
    add("tsval");
  (void)peer_isn;
  if (!o.masks.time) {
    const Duration dt = a.time > b.time ? a.time - b.time : b.time - a.time;
    if (dt > o.tolerance) add("time");
  }
  return d;
}

// Pairs the two sides' segments: the longest common subsequence of (relative seq, length, SYN,
// FIN, RST, and for a pure ACK what it acknowledges), so that one extra ACK on one side does not
// shift every later row. Unpaired segments get a row of their own.
std::vector<std::pair<const Segment*, const Segment*>> align(const std::vector<Segment>& a, std::uint32_t a_isn,
                                                             const std::vector<Segment>& b, std::uint32_t b_isn) {
  constexpr std::uint8_t kKeyFlags = tcp_flag::syn | tcp_flag::fin | tcp_flag::rst;
  const auto same = [&](const Segment& x, const Segment& y) {
    const bool pure_ack = x.len == 0 && (x.flags & kKeyFlags) == 0;
    return x.seq - a_isn == y.seq - b_isn && x.len == y.len && (x.flags & kKeyFlags) == (y.flags & kKeyFlags) &&
           (!pure_ack || x.ack == y.ack);
  };
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::pair<const Segment*, const Segment*>> rows;
  constexpr std::size_t kMaxCells = 64u << 20;  // 256 MiB of table: a trace of some 8,000 segments a side
  if ((n + 1) * (m + 1) > kMaxCells) {  // too long to align: rows in order
    for (std::size_t i = 0; i < std::max(n, m); ++i) rows.emplace_back(i < n ? &a[i] : nullptr, i < m ? &b[i] : nullptr);
    return rows;
  }
  std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);  // lcs[i][j]: of a[i..] and b[j..]
  const auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      at(i, j) = same(a[i], b[j]) ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && same(a[i], b[j])) {
      rows.emplace_back(&a[i++], &b[j++]);
    } else if (j == m || (i < n && at(i + 1, j) >= at(i, j + 1) && a[i].time <= b[j].time)) {
      rows.emplace_back(&a[i++], nullptr);
    } else if (i == n || at(i, j + 1) >= at(i + 1, j)) {
      rows.emplace_back(nullptr, &b[j++]);
    } else {
      rows.emplace_back(&a[i++], nullptr);
    }
  }
  return rows;
}

}  // namespace

Summary compare(const Connection& c, const Run& r, const CompareOptions& o, std::FILE* out) {
  Summary sum;
  sum.recorded = c.from_e.size();
  sum.sent = r.sent.size();
  const std::uint32_t e_isn = isn_of(c.from_e).value_or(0), o_isn = isn_of(c.from_o).value_or(0);
  const std::uint32_t m_iss = isn_of(r.sent).value_or(0);
  const std::uint32_t e_ts0 = first_tsval(c.from_e).value_or(0), m_ts0 = first_tsval(r.sent).value_or(0);
  const Instant origin = start_of(c);
  const auto ms = [&](Instant t) { return (to_us(t) - to_us(origin)) / 1000.0; };
  std::fprintf(out, "%4s  %10s  %-58s  %10s  %-58s  %s\n", "#", "time ms", "recorded (E)", "time ms", "mtcpp",
               "differs in");
  const auto rows = align(c.from_e, e_isn, r.sent, m_iss);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Segment* a = rows[i].first;
    const Segment* b = rows[i].second;
    std::string diff;
    if (a != nullptr && b != nullptr) diff = differences(*a, e_isn, e_ts0, *b, m_iss, m_ts0, o_isn, o);
    else diff = a != nullptr ? "only E sent this" : "only mtcpp sent this";
    std::fprintf(out, "%4zu  %10s  %-58s  %10s  %-58s  %s\n", i + 1,
                 a != nullptr ? std::to_string(ms(a->time)).substr(0, 10).c_str() : "",
                 a != nullptr ? render(*a, e_isn, o_isn, e_ts0).c_str() : "",
                 b != nullptr ? std::to_string(ms(b->time)).substr(0, 10).c_str() : "",
                 b != nullptr ? render(*b, m_iss, o_isn, m_ts0).c_str() : "", diff.c_str());
    if (!diff.empty()) {
      ++sum.differing;
      if (sum.first_divergence == 0) sum.first_divergence = i + 1;
      if (o.stop_at_first) break;
    }
  }
  return sum;
}

}  // namespace mtcpp::replay
