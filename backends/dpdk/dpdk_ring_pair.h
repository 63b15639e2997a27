// Two DPDK ports joined back to back in memory: DPDK's net_ring driver over two rings, what one
// port sends is what the other receives (the same mbufs), with no device, copy or thread between
// them. For running two stacks over DPDK in one process (mtcpp-bench --io dpdk, tests).
//
// Contract: dpdk_ring_pair() sets up DPDK's EAL from `eal` as DpdkPort::open does (so a later open
// must pass the same EAL arguments), then makes two ports, one rx and one tx queue each, whose
// DPDK names are net_ring_A and net_ring_B (net_ring adds its prefix to a and b). The ports last
// for the process; asking again for ports that exist returns at once. Open each with
// DpdkPort::open (port = the DPDK name, one queue, a MAC given: net_ring has none). The
// rings hold 4,096 frames each way; a frame sent into a full ring stays the sender's.
#pragma once
#include <optional>
#include <string>

#include "backends/dpdk/dpdk_port.h"

namespace mtcpp {

// Nothing on success, or why not (the EAL, or DPDK's reason for a ring or a port).
std::optional<std::string> dpdk_ring_pair(const DpdkConfig& eal, const std::string& a, const std::string& b);

}  // namespace mtcpp
