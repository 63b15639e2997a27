// ARP on each of the stack's interfaces (RFC 826), a cache each: answer requests (and probes)
// for the interface's address, learn from requests and replies addressed to it, update known
// neighbours from any ARP packet, and release frames that were waiting for a resolution.
#include "core/stack.h"
#include "core/wire/arp.h"
#include "core/wire/ethernet.h"

namespace mtcpp {

void Stack::arp_input(Interface& in, Bytes payload, Instant now) {
  const auto arp = ArpPacket::parse(payload);
  if (!arp) {
    ++stats_.frames_malformed;
    ++in.counters.rx_dropped;
    return;
  }
  if (arp->sender_mac.is_multicast()) return;
  const bool about_us = arp->target_ip == in.address;
  if (arp->sender_ip.is_unspecified()) {
    // An ARP probe (RFC 5227 §2.1.1): someone checks whether our address is free. Nothing to
    // learn, but the owner must answer or the prober takes the address.
    if (about_us && arp->op == ArpOp::request) {
      send_arp(in, ArpOp::reply, arp->sender_mac, arp->sender_ip, arp->sender_mac, now);
      ++stats_.arp_replies_sent;
    }
    return;
  }
  // RFC 826: a sender already in the cache is updated from any ARP packet (a neighbour's
  // announcement of a new MAC); it is added only when the packet is about us.
  const std::vector<PacketBuffer*> ready = about_us ? in.arp.learn(arp->sender_ip, arp->sender_mac, now)
                                                    : in.arp.update(arp->sender_ip, arp->sender_mac, now);
  for (PacketBuffer* b : ready) {
    MutableBytes frame(b->data, b->len);
    std::copy(arp->sender_mac.octets.begin(), arp->sender_mac.octets.end(), frame.begin());
    queue_tx(in, b, now);
  }
  in.arp_deadline = in.arp.next_deadline();
  if (about_us && arp->op == ArpOp::request) {
    send_arp(in, ArpOp::reply, arp->sender_mac, arp->sender_ip, arp->sender_mac, now);
    ++stats_.arp_replies_sent;
  }
}

void Stack::send_arp(Interface& out, ArpOp op, MacAddr dst_mac, Ipv4Addr target_ip, MacAddr target_mac,
                     Instant now) {
  PacketBuffer* b = alloc_frame(out);
  if (b == nullptr) return;
  // 42 bytes, padded to Ethernet's 60-byte minimum.
  constexpr std::size_t kLen = 60;
  MutableBytes frame(b->data, kLen);
  std::fill(frame.begin(), frame.end(), 0);
  EthernetHeader{dst_mac, out.caps.mac, static_cast<std::uint16_t>(EtherType::arp)}.emit(frame);
  ArpPacket{op, out.caps.mac, out.address, target_mac, target_ip}.emit(frame.subspan(EthernetHeader::kSize));
  b->len = kLen;
  if (op == ArpOp::request) ++stats_.arp_requests_sent;
  queue_tx(out, b, now);
}

void Stack::run_arp_timers(Interface& i, Instant now) {
  ArpCache::Due due = i.arp.expire(now);
  for (Ipv4Addr ip : due.retry) send_arp(i, ArpOp::request, MacAddr::broadcast(), ip, MacAddr{}, now);
  for (const auto& [ip, mac] : due.confirm) {
    send_arp(i, ArpOp::request, mac, ip, MacAddr{}, now);
    ++stats_.arp_confirm_probes;
  }
  for (PacketBuffer* b : due.give_up) {
    ++stats_.arp_unresolved_drops;
    i.io->release(b);
  }
  i.arp_deadline = i.arp.next_deadline();
}

}  // namespace mtcpp
