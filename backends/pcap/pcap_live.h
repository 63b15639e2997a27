// mtcpp on an existing Linux interface through libpcap: frames are captured and injected on the
// interface, and the stack has its own MAC and IPv4 address there, which nobody else owns.
//
// Contract:
// - open() activates a capture in immediate, nonblocking mode with a snap length of a whole frame,
//   inbound only, filtered by BPF to frames for the stack's MAC (ARP or IPv4 to its address) and
//   broadcast ARP. It fails with a message naming the interface and libpcap's reason (no such
//   device, no permission, not Ethernet), never a crash.
// - rx_burst() copies up to out.size() waiting frames into pool buffers (the capture's ring cannot
//   be lent past the next call); frames longer than a buffer or truncated are dropped and counted.
// - tx_burst() injects frames in order; a full socket buffer (EAGAIN, ENOBUFS) stops the burst and
//   leaves the rest to the caller; any other error drops the frame, counted.
// - selectable_fd() becomes readable when frames wait: the owner may sleep in poll() on it.
// - One object per interface and per thread: nothing here is shared or locked.
//
// Setting an interface up for it (see README, "libpcap"): no IPv4 address on the interface, so
// the kernel neither answers ARP for the stack's address nor takes its frames; promiscuous mode,
// so frames to the stack's MAC are captured.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "backends/memory/packet_pool.h"
#include "core/packet_io.h"

struct pcap;
struct pcap_pkthdr;

namespace mtcpp {

struct PcapLiveConfig {
  std::string interface;
  MacAddr mac;                 // the stack's own MAC
  Ipv4Addr address;            // the stack's own address
  std::uint16_t mtu = 1500;    // IP MTU of the interface
  std::size_t buffers = 4096;  // frame buffers, both directions
  bool promiscuous = true;
};

struct PcapLiveCounters {
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_too_long = 0;   // longer than a buffer, or truncated by the capture
  std::uint64_t rx_no_buffer = 0;  // the pool was empty
  std::uint64_t tx_frames = 0;
  std::uint64_t tx_errors = 0;
  std::uint64_t kernel_drops = 0;     // pcap_stats: dropped for lack of buffer space
  std::uint64_t interface_drops = 0;  // pcap_stats: dropped by the interface or driver
};

class PcapLiveIo final : public PacketIo {
 public:
  static std::variant<std::unique_ptr<PcapLiveIo>, std::string> open(const PcapLiveConfig& config);
  ~PcapLiveIo() override;
  PcapLiveIo(const PcapLiveIo&) = delete;
  PcapLiveIo& operator=(const PcapLiveIo&) = delete;

  LinkCaps caps() const override;
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override { return pool_.alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override { pool_.free(pkt); }

  int selectable_fd() const { return fd_; }
  // The counters above, with the kernel's drop counts read now.
  PcapLiveCounters counters() const;
  const std::string& interface() const { return config_.interface; }

 private:
  PcapLiveIo(const PcapLiveConfig& config, pcap* handle, int fd);
  static void on_frame(unsigned char* user, const ::pcap_pkthdr* header, const unsigned char* bytes);

  PcapLiveConfig config_;
  pcap* handle_;
  int fd_;
  PacketPool pool_;
  PcapLiveCounters counters_;
  std::span<PacketBuffer*> rx_out_;  // rx_burst's destination while pcap_dispatch runs
  std::size_t rx_count_ = 0;
};

}  // namespace mtcpp
