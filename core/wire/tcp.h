// TCP header and options (RFC 9293 §3.1; MSS §3.7.1; window scale and timestamps RFC 7323;
// SACK RFC 2018). Unknown options are skipped; a malformed option list rejects the segment.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/wire/addr.h"

namespace mtcpp {

namespace tcp_flag {
inline constexpr std::uint8_t fin = 0x01;
inline constexpr std::uint8_t syn = 0x02;
inline constexpr std::uint8_t rst = 0x04;
inline constexpr std::uint8_t psh = 0x08;
inline constexpr std::uint8_t ack = 0x10;
inline constexpr std::uint8_t urg = 0x20;
inline constexpr std::uint8_t ece = 0x40;
inline constexpr std::uint8_t cwr = 0x80;
}  // namespace tcp_flag

struct SackBlock {
  std::uint32_t left = 0;   // first sequence number of the block
  std::uint32_t right = 0;  // sequence number just past it
  friend constexpr bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct TcpTimestamps {
  std::uint32_t tsval = 0;
  std::uint32_t tsecr = 0;
  friend constexpr bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};

struct TcpOptions {
  static constexpr std::size_t kMaxSackBlocks = 4;
  std::optional<std::uint16_t> mss;
  std::optional<std::uint8_t> window_scale;
  bool sack_permitted = false;
  std::optional<TcpTimestamps> timestamps;
  std::array<SackBlock, kMaxSackBlocks> sack{};
  std::size_t sack_count = 0;

  // Bytes emit() writes, padded to a multiple of 4.
  std::size_t encoded_size() const;
};

struct TcpHeader {
  static constexpr std::size_t kMinSize = 20;
  static constexpr std::size_t kMaxSize = 60;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint8_t flags = 0;
  std::uint16_t window = 0;
  std::uint16_t checksum = 0;
  std::uint16_t urgent = 0;
  std::size_t header_len = kMinSize;
  TcpOptions options;

  bool has(std::uint8_t flag) const { return (flags & flag) != 0; }

  enum class Error { truncated, bad_data_offset, bad_option, bad_checksum };
  struct Parsed;
  // `segment` is the IP payload; the checksum needs the addresses for the pseudo-header.
  static Parsed parse(Bytes segment, Ipv4Addr src, Ipv4Addr dst, bool verify_checksum);

  // Writes header and options (header_len is computed from them) into out, and returns the header
  // length. The checksum covers `payload`, which the caller places right after the header.
  std::size_t emit(MutableBytes out, Ipv4Addr src, Ipv4Addr dst, Bytes payload, bool compute_checksum) const;
};

struct TcpHeader::Parsed {
  std::optional<TcpHeader> header;
  Error error = Error::truncated;
  Bytes payload;
};

}  // namespace mtcpp
