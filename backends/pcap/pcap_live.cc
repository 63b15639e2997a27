#include "backends/pcap/pcap_live.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mtcpp {

namespace {

constexpr std::uint32_t kEthernetHeader = 14;

std::string failure(const PcapLiveConfig& c, const std::string& what) {
  return "pcap: interface " + c.interface + ": " + what;
}

// Frames for us: unicast to our MAC carrying ARP or IPv4 to our address, and broadcast ARP.
std::string filter_for(const PcapLiveConfig& c) {
  const std::string mac = c.mac.to_string();
  const std::string ip = c.address.to_string();
  return "(ether dst " + mac + " and (arp or (ip and dst host " + ip + "))) or (ether broadcast and arp)";
}

}  // namespace

std::variant<std::unique_ptr<PcapLiveIo>, std::string> PcapLiveIo::open(const PcapLiveConfig& config) {
  if (config.interface.empty()) return std::string("pcap: no interface named (port = IFNAME)");
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* h = pcap_create(config.interface.c_str(), errbuf);
  if (h == nullptr) return failure(config, errbuf);
  const auto frame_max = static_cast<int>(config.mtu + kEthernetHeader + 4);  // room for a VLAN tag
  // Each setter fails only on an activated handle; activation reports the real problems.
  pcap_set_snaplen(h, frame_max);
  pcap_set_promisc(h, config.promiscuous ? 1 : 0);
  pcap_set_immediate_mode(h, 1);
  pcap_set_buffer_size(h, 8 << 20);
  const int activated = pcap_activate(h);
  if (activated < 0) {
    std::string why = pcap_statustostr(activated);
    if (activated == PCAP_ERROR || activated == PCAP_ERROR_PERM_DENIED || activated == PCAP_ERROR_NO_SUCH_DEVICE)
      if (const char* detail = pcap_geterr(h); detail != nullptr && *detail != '\0') why += " (" + std::string(detail) + ")";
    pcap_close(h);
    return failure(config, why);
  }
  const auto close_with = [&](const std::string& why) {
    pcap_close(h);
    return failure(config, why);
  };
  if (pcap_datalink(h) != DLT_EN10MB) return close_with("not an Ethernet interface");
  if (pcap_setdirection(h, PCAP_D_IN) != 0) return close_with(std::string("setdirection: ") + pcap_geterr(h));
  bpf_program program{};
  const std::string filter = filter_for(config);
  if (pcap_compile(h, &program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
    return close_with("filter \"" + filter + "\": " + pcap_geterr(h));
  const int set = pcap_setfilter(h, &program);
  pcap_freecode(&program);
  if (set != 0) return close_with(std::string("setfilter: ") + pcap_geterr(h));
  if (pcap_setnonblock(h, 1, errbuf) != 0) return close_with(errbuf);
  const int fd = pcap_get_selectable_fd(h);
  if (fd < 0) return close_with("no selectable descriptor");
  return std::unique_ptr<PcapLiveIo>(new PcapLiveIo(config, h, fd));
}

PcapLiveIo::PcapLiveIo(const PcapLiveConfig& config, pcap* handle, int fd)
    : config_(config),
      handle_(handle),
      fd_(fd),
      pool_(config.buffers, std::max<std::uint32_t>(PacketPool::kDefaultBufferSize, config.mtu + kEthernetHeader + 4)) {}

PcapLiveIo::~PcapLiveIo() { pcap_close(handle_); }

LinkCaps PcapLiveIo::caps() const { return LinkCaps{config_.mac, config_.mtu, false, false}; }

void PcapLiveIo::on_frame(unsigned char* user, const pcap_pkthdr* header, const unsigned char* bytes) {
  auto* self = reinterpret_cast<PcapLiveIo*>(user);
  if (header->caplen < header->len || header->caplen > self->pool_.buffer_size()) {
    ++self->counters_.rx_too_long;
    return;
  }
  PacketBuffer* b = self->pool_.alloc();
  if (b == nullptr) {
    ++self->counters_.rx_no_buffer;
    return;
  }
  std::memcpy(b->data, bytes, header->caplen);
  b->len = header->caplen;
  self->rx_out_[self->rx_count_++] = b;
  ++self->counters_.rx_frames;
}

std::size_t PcapLiveIo::rx_burst(std::span<PacketBuffer*> out, Instant) {
  if (out.empty()) return 0;
  rx_out_ = out;
  rx_count_ = 0;
  // At most out.size() frames; nonblocking, so 0 when none waits. An error (the interface went
  // away) reads as silence here; counters() and the stack's timers report the consequences.
  pcap_dispatch(handle_, static_cast<int>(out.size()), &PcapLiveIo::on_frame, reinterpret_cast<unsigned char*>(this));
  return rx_count_;
}

std::size_t PcapLiveIo::tx_burst(std::span<PacketBuffer* const> pkts, Instant) {
  std::size_t taken = 0;
  for (PacketBuffer* b : pkts) {
    if (pcap_inject(handle_, b->data, b->len) < 0) {
      if (errno == EAGAIN || errno == ENOBUFS || errno == EWOULDBLOCK) break;  // full: the rest stay
      ++counters_.tx_errors;
    } else {
      ++counters_.tx_frames;
    }
    pool_.free(b);
    ++taken;
  }
  return taken;
}

PcapLiveCounters PcapLiveIo::counters() const {
  PcapLiveCounters c = counters_;
  pcap_stat s{};
  if (pcap_stats(handle_, &s) == 0) {
    c.kernel_drops = s.ps_drop;
    c.interface_drops = s.ps_ifdrop;
  }
  return c;
}

}  // namespace mtcpp
