#include "backends/pcap/trace_file.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstring>

#include "core/bytes.h"

namespace mtcpp {

namespace {

constexpr std::uint16_t kIpv4 = 0x0800;
constexpr std::uint16_t kVlan = 0x8100;
constexpr std::uint16_t kQinQ = 0x88a8;

MacAddr mac_at(const std::uint8_t* p) {
  MacAddr m;
  std::copy_n(p, 6, m.octets.begin());
  return m;
}

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

}  // namespace

std::variant<std::unique_ptr<TraceFile>, std::string> TraceFile::open(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* h = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (h == nullptr) return path + ": " + errbuf;
  const int link = pcap_datalink(h);
  if (link != DLT_EN10MB && link != DLT_LINUX_SLL && link != DLT_LINUX_SLL2 && link != DLT_RAW && link != DLT_IPV4) {
    const char* name = pcap_datalink_val_to_name(link);
    pcap_close(h);
    return path + ": link type " + (name != nullptr ? name : std::to_string(link)) +
           " is not understood (Ethernet, Linux cooked and raw IPv4 are)";
  }
  return std::unique_ptr<TraceFile>(new TraceFile(h, link));
}

TraceFile::~TraceFile() { pcap_close(handle_); }

std::optional<TracePacket> TraceFile::next() {
  for (;;) {
    pcap_pkthdr* header = nullptr;
    const std::uint8_t* data = nullptr;
    const int r = pcap_next_ex(handle_, &header, &data);
    if (r == PCAP_ERROR) error_ = pcap_geterr(handle_);  // an unreadable rest ends the trace, said
    if (r != 1) return std::nullopt;
    ++counters_.packets;
    TracePacket p;
    p.time = from_us(static_cast<std::int64_t>(header->ts.tv_sec) * 1'000'000 + header->ts.tv_usec);
    std::size_t caplen = header->caplen, off = 0;
    std::uint16_t proto = kIpv4;
    if (link_type_ == DLT_EN10MB) {
      if (caplen < 14) {
        ++counters_.not_ipv4;
        continue;
      }
      p.dst_mac = mac_at(data);
      p.src_mac = mac_at(data + 6);
      proto = be16(data + 12);
      off = 14;
      while ((proto == kVlan || proto == kQinQ) && caplen >= off + 4) {
        proto = be16(data + off + 2);
        off += 4;
      }
    } else if (link_type_ == DLT_LINUX_SLL) {  // 16 bytes: type, ARPHRD, address length, address, protocol
      if (caplen < 16) {
        ++counters_.not_ipv4;
        continue;
      }
      if (be16(data + 4) == 6) p.src_mac = mac_at(data + 6);
      proto = be16(data + 14);
      off = 16;
    } else if (link_type_ == DLT_LINUX_SLL2) {  // 20 bytes: protocol first, address at 12
      if (caplen < 20) {
        ++counters_.not_ipv4;
        continue;
      }
      proto = be16(data);
      if (data[11] == 6) p.src_mac = mac_at(data + 12);
      off = 20;
    }
    if (proto != kIpv4 || caplen < off + 20 || (data[off] >> 4) != 4) {
      ++counters_.not_ipv4;
      continue;
    }
    const std::size_t total = be16(data + off + 2);
    const std::size_t have = std::min(caplen - off, total);
    p.ip.assign(total, 0);
    std::copy_n(data + off, have, p.ip.begin());
    p.truncated = have < total;
    if (p.truncated) ++counters_.truncated;
    return p;
  }
}

}  // namespace mtcpp
