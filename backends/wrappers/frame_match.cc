#include "backends/wrappers/frame_match.h"

#include "core/wire/ethernet.h"

namespace mtcpp {

std::optional<TcpFrame> parse_tcp_frame(Bytes frame) {
  const auto eth = EthernetHeader::parse(frame);
  if (!eth || eth->ethertype != static_cast<std::uint16_t>(EtherType::ipv4)) return std::nullopt;
  const auto ip = Ipv4Header::parse(frame.subspan(EthernetHeader::kSize), /*verify_checksum=*/false);
  if (!ip.header || ip.header->is_fragment() ||
      ip.header->protocol != static_cast<std::uint8_t>(IpProto::tcp)) {
    return std::nullopt;
  }
  const auto tcp = TcpHeader::parse(ip.payload, ip.header->src, ip.header->dst, /*verify_checksum=*/false);
  if (!tcp.header) return std::nullopt;
  return TcpFrame{*ip.header, *tcp.header, tcp.payload};
}

FrameMatch any_frame() {
  return [](Bytes) { return true; };
}

FrameMatch is_arp() {
  return [](Bytes frame) {
    const auto eth = EthernetHeader::parse(frame);
    return eth && eth->ethertype == static_cast<std::uint16_t>(EtherType::arp);
  };
}

FrameMatch is_tcp() {
  return [](Bytes frame) { return parse_tcp_frame(frame).has_value(); };
}

FrameMatch is_tcp_with_flags(std::uint8_t mask, std::uint8_t value) {
  return [mask, value](Bytes frame) {
    const auto tcp = parse_tcp_frame(frame);
    return tcp && (tcp->tcp.flags & mask) == value;
  };
}

FrameMatch is_tcp_payload() {
  return [](Bytes frame) {
    const auto tcp = parse_tcp_frame(frame);
    return tcp && !tcp->payload.empty();
  };
}

FrameMatch is_tcp_port(std::uint16_t port) {
  return [port](Bytes frame) {
    const auto tcp = parse_tcp_frame(frame);
    return tcp && (tcp->tcp.src_port == port || tcp->tcp.dst_port == port);
  };
}

}  // namespace mtcpp
