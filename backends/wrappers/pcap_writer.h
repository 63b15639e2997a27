// Records what a device carries to a pcap file while passing everything through: frames the
// stack received (after rx_burst) and frames the device accepted from tx_burst. Timestamps are the
// `now` the stack passed in, never a wall clock, so a simulated run writes the same file each time.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/packet_io.h"

struct pcap;
struct pcap_dumper;

namespace mtcpp {

class PcapWriter final : public PacketIo {
 public:
  struct Opened {
    std::unique_ptr<PcapWriter> writer;  // null on failure
    std::string error;                   // why, when writer is null
  };
  // Creates (or truncates) the file at `path`. `inner` must outlive the writer.
  static Opened open(PacketIo& inner, const std::string& path);
  ~PcapWriter() override;  // flushes and closes the file
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  LinkCaps caps() const override { return inner_.caps(); }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override { return inner_.tx_alloc(); }
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override { inner_.release(pkt); }
  Instant next_rx_time() const override { return inner_.next_rx_time(); }

  void flush();
  std::uint64_t frames_written() const { return frames_written_; }

 private:
  PcapWriter(PacketIo& inner, pcap* handle, pcap_dumper* dumper);
  void write(const std::uint8_t* data, std::uint32_t len, Instant now);

  PacketIo& inner_;
  pcap* handle_;
  pcap_dumper* dumper_;
  // Frames handed to tx_burst are copied here first: once the inner device takes a buffer it
  // may reuse it at once, yet only then do we know which frames it took. Reused across calls.
  std::vector<std::uint8_t> tx_copies_;
  std::vector<std::uint32_t> tx_lengths_;
  std::uint64_t frames_written_ = 0;
};

}  // namespace mtcpp
