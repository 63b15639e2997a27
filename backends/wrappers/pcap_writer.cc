#include "backends/wrappers/pcap_writer.h"

#include <pcap/pcap.h>

#include <algorithm>

namespace mtcpp {

namespace {
constexpr int kSnapLen = 65535;
}  // namespace

PcapWriter::Opened PcapWriter::open(PacketIo& inner, const std::string& path) {
  pcap_t* handle = pcap_open_dead(DLT_EN10MB, kSnapLen);
  if (handle == nullptr) return {nullptr, "pcap_open_dead failed"};
  pcap_dumper_t* dumper = pcap_dump_open(handle, path.c_str());
  if (dumper == nullptr) {
    std::string error = "cannot write pcap file " + path + ": " + pcap_geterr(handle);
    pcap_close(handle);
    return {nullptr, std::move(error)};
  }
  return {std::unique_ptr<PcapWriter>(new PcapWriter(inner, handle, dumper)), {}};
}

PcapWriter::PcapWriter(PacketIo& inner, pcap* handle, pcap_dumper* dumper)
    : inner_(inner), handle_(handle), dumper_(dumper) {}

PcapWriter::~PcapWriter() {
  pcap_dump_close(dumper_);  // flushes
  pcap_close(handle_);
}

void PcapWriter::flush() { pcap_dump_flush(dumper_); }

std::size_t PcapWriter::rx_burst(std::span<PacketBuffer*> out, Instant now) {
  const std::size_t n = inner_.rx_burst(out, now);
  for (std::size_t i = 0; i < n; ++i) write(out[i]->data, out[i]->len, now);
  return n;
}

std::size_t PcapWriter::tx_burst(std::span<PacketBuffer* const> pkts, Instant now) {
  tx_copies_.clear();
  tx_lengths_.clear();
  for (const PacketBuffer* pkt : pkts) {
    tx_copies_.insert(tx_copies_.end(), pkt->data, pkt->data + pkt->len);
    tx_lengths_.push_back(pkt->len);
  }
  const std::size_t n = inner_.tx_burst(pkts, now);
  const std::uint8_t* frame = tx_copies_.data();
  for (std::size_t i = 0; i < n; ++i) {
    write(frame, tx_lengths_[i], now);
    frame += tx_lengths_[i];
  }
  return n;
}

void PcapWriter::write(const std::uint8_t* data, std::uint32_t len, Instant now) {
  const std::int64_t us = to_us(now);
  pcap_pkthdr header{};
  // Floor division, so an instant before the epoch still gets 0 <= tv_usec < 10^6.
  const std::int64_t seconds = us >= 0 ? us / 1'000'000 : (us - 999'999) / 1'000'000;
  header.ts.tv_sec = static_cast<decltype(header.ts.tv_sec)>(seconds);
  header.ts.tv_usec = static_cast<decltype(header.ts.tv_usec)>(us - seconds * 1'000'000);
  header.len = len;
  header.caplen = std::min<std::uint32_t>(len, kSnapLen);
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, data);
  ++frames_written_;
}

}  // namespace mtcpp
