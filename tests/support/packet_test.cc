#include "support/packet_test.h"

#include <cstdio>

#include "core/wire/ethernet.h"
#include "core/wire/ipv4.h"

namespace mtcpp::test {

std::string describe(const Seg& s) {
  std::string f;
  if (s.flags & S) f += 'S';
  if (s.flags & F) f += 'F';
  if (s.flags & R) f += 'R';
  if (s.flags & P) f += 'P';
  if (s.flags & A) f += '.';
  char buf[160];
  std::snprintf(buf, sizeof buf, "%s %u:%u(%u) ack %u win %u", f.c_str(), s.seq, s.seq + s.len, s.len, s.ack,
                s.win);
  std::string out = buf;
  if (s.options.sack_count > 0) {
    out += " sack";
    for (std::size_t i = 0; i < s.options.sack_count; ++i)
      out += " " + std::to_string(s.options.sack[i].left) + ":" + std::to_string(s.options.sack[i].right);
  }
  return out;
}

PacketTest::PacketTest() { configure(default_config()); }
PacketTest::~PacketTest() = default;

StackConfig PacketTest::default_config() const {
  StackConfig c;
  c.address = local_.addr;
  c.prefix_len = 24;
  c.static_arp.push_back({remote_.addr, remote_mac_});
  c.arp.gratuitous_at_start = false;
  c.seed = 7;
  c.tcp.send_buffer = 64 * 1024;
  c.tcp.receive_buffer = 64 * 1024;
  return c;
}

void PacketTest::configure(const StackConfig& config, std::uint16_t link_mtu) {
  own_stack_.reset();
  own_io_ = std::make_unique<HostIo>(LinkCaps{local_mac_, link_mtu, false, false}, 4096,
                                     std::max<std::uint32_t>(PacketPool::kDefaultBufferSize, link_mtu + 14u));
  io_ = own_io_.get();
  auto made = Stack::create(config, *io_);
  ASSERT_TRUE(std::holds_alternative<std::unique_ptr<Stack>>(made)) << std::get<std::string>(made);
  own_stack_ = std::move(std::get<std::unique_ptr<Stack>>(made));
  stack_ = own_stack_.get();
}

std::vector<std::uint8_t> PacketTest::frame_for(const Seg& s) const {
  std::vector<std::uint8_t> payload = s.payload;
  if (payload.empty())
    for (std::uint32_t i = 0; i < s.len; ++i) payload.push_back(static_cast<std::uint8_t>('a' + (s.seq + i) % 26));
  TcpHeader h;
  h.src_port = remote_.port;
  h.dst_port = local_.port;
  h.seq = peer_iss_ + s.seq;
  h.ack = (s.flags & A) ? our_iss_ + s.ack : 0;
  h.flags = s.flags;
  h.window = s.win;
  h.options = s.options;
  if (h.options.timestamps && h.options.timestamps->tsval == 0) h.options.timestamps->tsval = peer_ts_;
  const std::size_t tcp_len = TcpHeader::kMinSize + h.options.encoded_size();
  std::vector<std::uint8_t> frame(EthernetHeader::kSize + Ipv4Header::kMinSize + tcp_len + payload.size());
  MutableBytes out(frame);
  std::copy(payload.begin(), payload.end(), frame.begin() + static_cast<long>(frame.size() - payload.size()));
  h.emit(out.subspan(EthernetHeader::kSize + Ipv4Header::kMinSize), remote_.addr, local_.addr, payload, true);
  Ipv4Header ip;
  ip.total_length = static_cast<std::uint16_t>(Ipv4Header::kMinSize + tcp_len + payload.size());
  ip.protocol = 6;
  ip.src = remote_.addr;
  ip.dst = local_.addr;
  ip.emit(out.subspan(EthernetHeader::kSize));
  EthernetHeader{local_mac_, remote_mac_, 0x0800}.emit(out);
  return frame;
}

void PacketTest::inject(const Seg& s) { inject_raw(frame_for(s)); }

void PacketTest::inject_raw(Bytes frame) {
  ASSERT_TRUE(io_->push_rx(frame));
  poll();
}

std::optional<Seg> PacketTest::next_sent() {
  std::vector<std::uint8_t> frame;
  while (io_->pop_tx(frame)) {
    Bytes b(frame);
    auto eth = EthernetHeader::parse(b);
    if (!eth || eth->ethertype != 0x0800) continue;  // ARP and the like are not segments
    auto ip = Ipv4Header::parse(b.subspan(EthernetHeader::kSize), true);
    EXPECT_TRUE(ip.header.has_value()) << "L sent a bad IPv4 header";
    if (!ip.header) return std::nullopt;
    auto tcp = TcpHeader::parse(ip.payload, ip.header->src, ip.header->dst, true);
    EXPECT_TRUE(tcp.header.has_value()) << "L sent a bad TCP segment";
    if (!tcp.header) return std::nullopt;
    const TcpHeader& h = *tcp.header;
    if (h.has(S) && !h.has(A) && our_iss_ == 0) our_iss_ = h.seq;
    if (h.has(S) && h.has(A)) our_iss_ = h.seq;
    Seg s;
    s.flags = h.flags;
    s.seq = h.seq - our_iss_;
    s.ack = h.has(A) ? h.ack - peer_iss_ : 0;
    s.len = static_cast<std::uint32_t>(tcp.payload.size());
    s.win = h.window;
    s.options = h.options;
    s.payload.assign(tcp.payload.begin(), tcp.payload.end());
    if (h.has(R) && !h.has(A)) s.ack = 0;
    return s;
  }
  return std::nullopt;
}

void PacketTest::expect(const Seg& want, bool check_window) {
  auto got = next_sent();
  ASSERT_TRUE(got.has_value()) << "expected " << describe(want) << ", L sent nothing";
  const bool same = got->flags == want.flags && got->seq == want.seq && got->len == want.len &&
                    (!(want.flags & A) || got->ack == want.ack) && (!check_window || got->win == want.win);
  EXPECT_TRUE(same) << "expected " << describe(want) << "\n     got " << describe(*got);
}

void PacketTest::expect_nothing() {
  auto got = next_sent();
  EXPECT_FALSE(got.has_value()) << "expected nothing, L sent " << describe(*got);
}

void PacketTest::advance_to(Instant t) {
  for (;;) {
    const Instant next = stack_->next_deadline();
    if (next > t) break;
    now_ = std::max(now_, next);
    poll();
  }
  now_ = t;
  poll();
}

void PacketTest::advance(Duration d) { advance_to(now_ + d); }

int PacketTest::listen_socket() {
  listen_fd_ = stack_->socket(now_);
  EXPECT_EQ(stack_->bind(listen_fd_, local_), 0);
  EXPECT_EQ(stack_->listen(listen_fd_, 8), 0);
  return listen_fd_;
}

int PacketTest::established(const TcpOptions& peer_syn_options) {
  listen_socket();
  inject(seg(S, 0).with_options(peer_syn_options));
  auto synack = next_sent();
  EXPECT_TRUE(synack && synack->flags == (S | A)) << "no SYN-ACK";
  Seg ack = seg(A, 1, 1);
  if (peer_syn_options.timestamps) ack.options.timestamps = TcpTimestamps{peer_ts_, synack->options.timestamps ? synack->options.timestamps->tsval : 0};
  // A 10 ms round trip gives L an RTT sample, as in E0.
  advance(std::chrono::milliseconds(10));
  inject(ack);
  Endpoint peer;
  const int fd = stack_->accept(listen_fd_, &peer);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(peer, remote_);
  return fd;
}

int PacketTest::syn_sent() {
  const int fd = stack_->socket(now_);
  EXPECT_EQ(stack_->bind(fd, local_), 0);
  EXPECT_EQ(stack_->connect(fd, remote_, now_), -EINPROGRESS);
  auto syn = next_sent();
  EXPECT_TRUE(syn && syn->flags == S);
  return fd;
}

int PacketTest::syn_received() {
  const int fd = syn_sent();
  inject(seg(S, 0).with_options(syn_options()));
  expect(seg(S | A, 0, 1));
  return fd;
}

int PacketTest::fin_wait_1() {
  const int fd = established();
  EXPECT_EQ(stack_->close(fd, now_), 0);
  expect(seg(F | A, 1, 1));
  return -1;
}

int PacketTest::fin_wait_2() {
  fin_wait_1();
  inject(seg(A, 1, 2));
  return -1;
}

int PacketTest::close_wait() {
  const int fd = established();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 1, 2));
  return fd;
}

int PacketTest::last_ack() {
  const int fd = close_wait();
  EXPECT_EQ(stack_->close(fd, now_), 0);
  expect(seg(F | A, 1, 2));
  return -1;
}

int PacketTest::closing() {
  fin_wait_1();
  inject(seg(F | A, 1, 1));
  expect(seg(A, 2, 2));
  return -1;
}

void PacketTest::active_close_to_time_wait(int fd) {
  inject(seg(S | A, 0, 1).with_options(syn_options()));
  expect(seg(A, 1, 1));
  ASSERT_EQ(stack_->close(fd, now_), 0);
  expect(seg(F | A, 1, 1));
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
}

int PacketTest::time_wait() {
  fin_wait_2();
  inject(seg(F | A, 1, 2));
  expect(seg(A, 2, 2));
  return -1;
}

}  // namespace mtcpp::test
