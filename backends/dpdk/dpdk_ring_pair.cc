#include "backends/dpdk/dpdk_ring_pair.h"

#include <dlfcn.h>
#include <link.h>

#include <cstring>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

namespace mtcpp {

namespace {

// rte_eth_from_rings lives in the net_ring driver, which the EAL loads as a plugin (Debian's DPDK
// links no driver into programs): found among the loaded objects once the EAL is up.
decltype(&rte_eth_from_rings) from_rings() {
  std::string path;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* found) {
        if (info->dlpi_name == nullptr || std::strstr(info->dlpi_name, "librte_net_ring.so") == nullptr) return 0;
        *static_cast<std::string*>(found) = info->dlpi_name;
        return 1;
      },
      &path);
  void* driver = path.empty() ? nullptr : dlopen(path.c_str(), RTLD_NOW | RTLD_NOLOAD);
  return driver == nullptr ? nullptr : reinterpret_cast<decltype(&rte_eth_from_rings)>(dlsym(driver, "rte_eth_from_rings"));
}

}  // namespace

std::optional<std::string> dpdk_ring_pair(const DpdkConfig& eal, const std::string& a, const std::string& b) {
  if (auto failed = dpdk_eal_start(eal)) return "dpdk: " + *failed;
  std::uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(("net_ring_" + a).c_str(), &id) == 0 &&
      rte_eth_dev_get_port_by_name(("net_ring_" + b).c_str(), &id) == 0)
    return std::nullopt;
  const auto make_port = from_rings();
  if (make_port == nullptr) return std::string("dpdk: the EAL loaded no net_ring driver (librte_net_ring.so)");
  constexpr unsigned kFrames = 4096;
  // One producer and one consumer each way: a's tx queue fills what b's rx queue drains.
  rte_ring* a_to_b = rte_ring_create((a + ">" + b).c_str(), kFrames, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  rte_ring* b_to_a = rte_ring_create((b + ">" + a).c_str(), kFrames, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (a_to_b == nullptr || b_to_a == nullptr)
    return "dpdk: rings between " + a + " and " + b + ": " + rte_strerror(rte_errno);
  if (make_port(a.c_str(), &b_to_a, 1, &a_to_b, 1, SOCKET_ID_ANY) < 0)
    return "dpdk: port " + a + " on rings: " + rte_strerror(rte_errno);
  if (make_port(b.c_str(), &a_to_b, 1, &b_to_a, 1, SOCKET_ID_ANY) < 0)
    return "dpdk: port " + b + " on rings: " + rte_strerror(rte_errno);
  return std::nullopt;
}

}  // namespace mtcpp
