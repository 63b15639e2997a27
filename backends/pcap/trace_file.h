// Reads a capture file (pcap or pcapng, through libpcap) packet by packet, as IPv4 packets with
// their link-layer addresses: Ethernet (with 802.1Q/802.1ad tags removed), Linux cooked captures
// (SLL and SLL2) and raw IPv4 are understood. A packet cut short by the capture's snap length is
// padded with zeros to its IP total length and marked truncated. Anything that is not IPv4 is
// skipped and counted.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/time.h"
#include "core/wire/addr.h"

struct pcap;

namespace mtcpp {

struct TracePacket {
  Instant time;
  MacAddr src_mac;  // zero when the link type has none (raw IP)
  MacAddr dst_mac;  // zero when the link type has none (raw IP, cooked captures)
  std::vector<std::uint8_t> ip;  // the IPv4 packet, total_length bytes
  bool truncated = false;        // bytes past the capture's snap length were zero-filled
};

struct TraceCounters {
  std::uint64_t packets = 0;
  std::uint64_t not_ipv4 = 0;   // ARP, IPv6, unknown EtherTypes, frames too short
  std::uint64_t truncated = 0;
};

class TraceFile {
 public:
  // Opens path; a message on failure (no such file, not a capture, a link type not understood).
  static std::variant<std::unique_ptr<TraceFile>, std::string> open(const std::string& path);
  ~TraceFile();
  TraceFile(const TraceFile&) = delete;
  TraceFile& operator=(const TraceFile&) = delete;

  // The next IPv4 packet, or nothing at the end of the file.
  std::optional<TracePacket> next();
  const TraceCounters& counters() const { return counters_; }
  // Why the file ended before its end (a damaged or unsupported record), or empty.
  const std::string& error() const { return error_; }

 private:
  TraceFile(pcap* handle, int link_type) : handle_(handle), link_type_(link_type) {}
  pcap* handle_;
  int link_type_;
  TraceCounters counters_;
  std::string error_;
};

}  // namespace mtcpp
