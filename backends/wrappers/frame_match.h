// Predicates over raw Ethernet frames for fault rules ("drop the third data segment"). They parse
// with the core wire views and ignore checksums, so a frame corrupted on the way still matches.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>

#include "core/bytes.h"
#include "core/wire/ipv4.h"
#include "core/wire/tcp.h"

namespace mtcpp {

using FrameMatch = std::function<bool(Bytes frame)>;

// An Ethernet frame carrying an unfragmented IPv4 TCP segment, taken apart.
struct TcpFrame {
  Ipv4Header ip;
  TcpHeader tcp;
  Bytes payload;
};
std::optional<TcpFrame> parse_tcp_frame(Bytes frame);

FrameMatch any_frame();
FrameMatch is_arp();
FrameMatch is_tcp();
// TCP with (flags & mask) == value: is_tcp_with_flags(syn | ack, syn) matches a SYN but not a SYN-ACK.
FrameMatch is_tcp_with_flags(std::uint8_t mask, std::uint8_t value);
// TCP carrying at least one byte of data.
FrameMatch is_tcp_payload();
// TCP to or from `port`.
FrameMatch is_tcp_port(std::uint16_t port);

}  // namespace mtcpp
