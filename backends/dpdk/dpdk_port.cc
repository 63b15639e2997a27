#include "backends/dpdk/dpdk_port.h"

#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_thash.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/bytes.h"
#include "core/wire/checksum.h"
#include "core/wire/icmp.h"
#include "core/wire/ipv4.h"
#include "core/wire/tcp.h"

namespace mtcpp {

namespace {

constexpr std::size_t kEthernetHeader = 14;
constexpr std::uint16_t kEtherTypeIpv4 = 0x0800;
constexpr std::uint16_t kEtherTypeArp = 0x0806;
constexpr std::uint8_t kProtocolIcmp = 1;
constexpr std::uint8_t kProtocolTcp = 6;
constexpr unsigned kInboxSize = 4096;           // frames steered to a queue, waiting for it
constexpr std::uint32_t kSoftwareRetaSize = 128;  // the table a PMD without RSS is given in software
// A Toeplitz key that repeats every 16 bits hashes a 4-tuple and its reverse alike, so both
// directions of a flow reach one queue (Woo and Park, "Scalable TCP Session Monitoring with
// Symmetric Receive-side Scaling", 2012).
// The pattern repeats, so a key of any length (40 bytes for most NICs, 52 for i40e and ice) is
// the same key for a 12-byte IPv4 4-tuple. It lives for the whole process: ethdev keeps the
// pointer and some PMDs read the key again when the port restarts.
constexpr std::size_t kRssKeyMax = 64;
const std::uint8_t* symmetric_key() {
  static const std::array<std::uint8_t, kRssKeyMax> key = [] {
    std::array<std::uint8_t, kRssKeyMax> k{};
    for (std::size_t i = 0; i < k.size(); ++i) k[i] = i % 2 == 0 ? 0x6d : 0x5a;
    return k;
  }();
  return key.data();
}
// The PacketBuffer of an mbuf lives in its private area, rounded as DPDK requires.
constexpr std::uint16_t kPrivateSize =
    static_cast<std::uint16_t>((sizeof(PacketBuffer) + RTE_MBUF_PRIV_ALIGN - 1) & ~(RTE_MBUF_PRIV_ALIGN - 1));

PacketBuffer* buffer_of(rte_mbuf* m) { return static_cast<PacketBuffer*>(rte_mbuf_to_priv(m)); }

bool has_arg(const std::vector<std::string>& args, std::initializer_list<const char*> names) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) {
      const std::size_t len = std::strlen(n);
      return a.compare(0, len, n) == 0 && (a.size() == len || a[len] == '=' || n[1] != '-');
    });
  });
}

// The EAL is process-wide and can be set up only once: this records how it was set up, so a
// second open with the same arguments reuses it and one with others gets a clear refusal.
struct EalState {
  std::mutex mutex;
  bool up = false;
  std::vector<std::string> args;
  std::string failed;  // why the EAL did not start: it cannot be tried again in this process
  std::vector<std::uint16_t> started;  // ports to stop at exit (DPDK refuses to close them running)
};

EalState& eal_state() {
  static EalState state;  // the EAL itself is process-global; this mirrors it
  return state;
}

// At exit, running ports are stopped (a NIC stops receiving into memory about to vanish) and
// every port is closed (net_memif removes its socket file, net_tap its interface). The EAL is not
// cleaned up: its interrupt thread keeps running, and rte_eal_cleanup under it crashed it (seen
// with net_memif when the peer disconnects at the same moment). The kernel takes back the memory.
void stop_ports_at_exit() {
  for (std::uint16_t id : eal_state().started) rte_eth_dev_stop(id);
  std::uint16_t id = 0;
  RTE_ETH_FOREACH_DEV(id) { rte_eth_dev_close(id); }
}

bool is_started(std::uint16_t id) {
  EalState& s = eal_state();
  std::lock_guard lock(s.mutex);
  return std::find(s.started.begin(), s.started.end(), id) != s.started.end();
}

void note_started(std::uint16_t id, bool started) {
  EalState& s = eal_state();
  std::lock_guard lock(s.mutex);
  std::erase(s.started, id);
  if (started) s.started.push_back(id);
}

std::optional<std::string> eal_up(const std::vector<std::string>& args) {
  EalState& s = eal_state();
  std::lock_guard lock(s.mutex);
  if (s.up) {
    if (s.args == args) return std::nullopt;
    return std::string("DPDK's EAL is already set up in this process with other arguments (a process sets it up once)");
  }
  if (!s.failed.empty()) return s.failed + " (earlier in this process; DPDK cannot try again)";
  // The EAL keeps pointers into argv: the strings live as long as the process, in s.args.
  s.args = args;
  std::vector<char*> argv;
  for (std::string& a : s.args) argv.push_back(a.data());
  argv.push_back(nullptr);
  cpu_set_t affinity;
  const bool saved = pthread_getaffinity_np(pthread_self(), sizeof affinity, &affinity) == 0;
  const int r = rte_eal_init(static_cast<int>(argv.size() - 1), argv.data());
  if (saved) pthread_setaffinity_np(pthread_self(), sizeof affinity, &affinity);
  if (r < 0) {
    std::string joined;
    for (const std::string& a : args) joined += (joined.empty() ? "" : " ") + a;
    s.args.clear();
    s.failed = "DPDK's EAL refused to start (" + std::string(rte_strerror(rte_errno)) + "; arguments: " + joined + ")";
    return s.failed + "; DPDK's own messages above say why";
  }
  s.up = true;
  std::atexit(stop_ports_at_exit);
  return std::nullopt;
}

// The port named by `name`: "dpdkN" is the Nth port, as mTCP numbers them; anything else is a
// DPDK device name.
std::optional<std::uint16_t> find_port(const std::string& name) {
  if (name.size() > 4 && name.compare(0, 4, "dpdk") == 0 &&
      std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const unsigned long wanted = std::strtoul(name.c_str() + 4, nullptr, 10);
    unsigned long index = 0;
    std::uint16_t id = 0;
    RTE_ETH_FOREACH_DEV(id) {
      if (index++ == wanted) return id;
    }
    return std::nullopt;
  }
  std::uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) return std::nullopt;
  return id;
}

std::string port_list() {
  std::string list;
  std::uint16_t id = 0;
  unsigned index = 0;
  RTE_ETH_FOREACH_DEV(id) {
    char name[RTE_ETH_NAME_MAX_LEN] = {};
    rte_eth_dev_get_name_by_port(id, name);
    list += (list.empty() ? "" : ", ") + ("dpdk" + std::to_string(index++)) + " = " + name;
  }
  return list.empty() ? "none (give a device with --vdev or a PCI address with -a)" : list;
}

std::string why(int negative_errno) { return rte_strerror(-negative_errno); }

}  // namespace

std::optional<std::string> dpdk_eal_start(const DpdkConfig& config) { return eal_up(dpdk_eal_arguments(config)); }

std::vector<std::string> dpdk_eal_arguments(const DpdkConfig& c) {
  std::vector<std::string> args{"mtcpp"};
  const auto& user = c.eal_args;
  if (!has_arg(user, {"-l", "-c", "--lcores"})) args.push_back("-l" + std::to_string(c.main_lcore.value_or(0)));
  if (c.memory_channels && !has_arg(user, {"-n"})) args.push_back("-n" + std::to_string(*c.memory_channels));
  if (!has_arg(user, {"--in-memory", "--no-shconf", "--file-prefix", "--proc-type"}))
    args.push_back(has_arg(user, {"--no-huge"}) ? "--no-shconf" : "--in-memory");
  if (!has_arg(user, {"--telemetry", "--no-telemetry"})) args.push_back("--no-telemetry");
  args.insert(args.end(), user.begin(), user.end());
  return args;
}

std::variant<std::unique_ptr<DpdkPort>, std::string> DpdkPort::open(const DpdkConfig& config) {
  const std::string label = "dpdk: port " + config.port + ": ";
  if (config.port.empty()) return std::string("dpdk: no port named (port = dpdk0, or a DPDK device name)");
  if (config.queues < 1 || config.queues > RTE_MAX_QUEUES_PER_PORT) return label + "bad queue count";
  if (auto failed = dpdk_eal_start(config)) return "dpdk: " + *failed;
  const auto found = find_port(config.port);
  if (!found) return label + "no such port; the EAL found: " + port_list();
  const std::uint16_t id = *found;
  char device[RTE_ETH_NAME_MAX_LEN] = {};
  rte_eth_dev_get_name_by_port(id, device);
  // A port in use (named twice, as dpdk0 and by its device name) must not be configured again
  // under its queues.
  if (is_started(id)) return label + "already open in this process (" + device + ")";

  rte_eth_dev_info info{};
  if (int r = rte_eth_dev_info_get(id, &info); r != 0) return label + "no device information: " + why(r);
  const auto queues = static_cast<std::uint16_t>(config.queues);
  if (queues > info.max_rx_queues || queues > info.max_tx_queues)
    return label + std::to_string(config.queues) + " contexts need as many queues, and " + info.driver_name +
           " offers " + std::to_string(std::min(info.max_rx_queues, info.max_tx_queues));

  rte_eth_conf conf{};
  constexpr std::uint64_t kRxChecksums = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
  constexpr std::uint64_t kTxChecksums = RTE_ETH_TX_OFFLOAD_TCP_CKSUM;  // the stack fills IPv4 header sums
  const bool rx_offload = config.checksum_offload && (info.rx_offload_capa & kRxChecksums) == kRxChecksums;
  const bool tx_offload = config.checksum_offload && (info.tx_offload_capa & kTxChecksums) == kTxChecksums;
  if (rx_offload) conf.rxmode.offloads |= kRxChecksums;
  if (tx_offload) conf.txmode.offloads |= kTxChecksums;
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
  if (config.mtu) conf.rxmode.mtu = *config.mtu;
  // Several queues: RSS on the 4-tuple with the symmetric key, where the PMD can; otherwise the
  // queues steer in software (DpdkQueueIo::steer).
  const std::uint64_t hash_fields = info.flow_type_rss_offloads & (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4);
  const std::size_t key_size = info.hash_key_size == 0 ? 40 : info.hash_key_size;
  bool hardware_rss = queues > 1 && (hash_fields & RTE_ETH_RSS_NONFRAG_IPV4_TCP) != 0 && info.reta_size > 0 &&
                      key_size <= kRssKeyMax;
  if (hardware_rss) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = const_cast<std::uint8_t*>(symmetric_key());  // ethdev only reads it
    conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<std::uint8_t>(key_size);
    conf.rx_adv_conf.rss_conf.rss_hf = hash_fields;
  }
  int configured = rte_eth_dev_configure(id, queues, queues, &conf);
  if (configured != 0 && hardware_rss) {  // the PMD refused RSS as asked: steer in software
    hardware_rss = false;
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
    conf.rx_adv_conf.rss_conf = {};
    configured = rte_eth_dev_configure(id, queues, queues, &conf);
  }
  if (configured != 0) return label + "configure: " + why(configured);
  std::uint16_t rx_descriptors = config.rx_descriptors;
  std::uint16_t tx_descriptors = config.tx_descriptors;
  if (int r = rte_eth_dev_adjust_nb_rx_tx_desc(id, &rx_descriptors, &tx_descriptors); r != 0)
    return label + "descriptor counts: " + why(r);

  // A NIC fills its rx ring with mbufs at start, and the tx ring holds sent ones until it frees
  // them: a pool smaller than both rings plus a stash is a port that stops receiving.
  const std::uint32_t mbufs_needed = rx_descriptors + tx_descriptors + 2 * DpdkQueueIo::kStash;
  if (config.mbufs_per_queue < mbufs_needed)
    return label + std::to_string(config.mbufs_per_queue) + " mbufs per queue (max_num_buffers) cannot fill " +
           std::to_string(rx_descriptors) + " rx and " + std::to_string(tx_descriptors) + " tx descriptors; give at least " +
           std::to_string(mbufs_needed);
  // Room for a whole frame of the configured MTU in one mbuf (the stack never uses chains).
  const auto data_room = static_cast<std::uint16_t>(
      RTE_PKTMBUF_HEADROOM + std::max<std::uint32_t>(2048, config.mtu.value_or(1500) + kEthernetHeader + 8));
  const int node = rte_eth_dev_socket_id(id);
  const int socket = node < 0 ? SOCKET_ID_ANY : node;
  std::vector<rte_mempool*> pools;
  const auto fail = [&](const std::string& what) { return label + what; };
  for (std::uint16_t q = 0; q < queues; ++q) {
    // Pools live until the process ends: a port opened again reuses them (mbufs of the earlier
    // run may still sit in its rings).
    const std::string pool_name = "mtcpp_p" + std::to_string(id) + "_q" + std::to_string(q) + "_" +
                                  std::to_string(config.mbufs_per_queue) + "_" + std::to_string(data_room);
    rte_mempool* pool = rte_mempool_lookup(pool_name.c_str());
    if (pool == nullptr)
      pool = rte_pktmbuf_pool_create(pool_name.c_str(), config.mbufs_per_queue, 0, kPrivateSize, data_room, socket);
    if (pool == nullptr) return fail("mbuf pool for queue " + std::to_string(q) + ": " + rte_strerror(rte_errno));
    pools.push_back(pool);
    rte_eth_rxconf rxconf = info.default_rxconf;
    rxconf.offloads = conf.rxmode.offloads;
    if (int r = rte_eth_rx_queue_setup(id, q, rx_descriptors, static_cast<unsigned>(socket), &rxconf, pool); r != 0)
      return fail("rx queue " + std::to_string(q) + ": " + why(r));
    rte_eth_txconf txconf = info.default_txconf;
    txconf.offloads = conf.txmode.offloads;
    if (int r = rte_eth_tx_queue_setup(id, q, tx_descriptors, static_cast<unsigned>(socket), &txconf); r != 0)
      return fail("tx queue " + std::to_string(q) + ": " + why(r));
  }
  std::vector<rte_ring*> inboxes, returns;
  for (std::uint16_t q = 0; queues > 1 && q < queues; ++q) {
    for (const char* kind : {"in", "ret"}) {
      const std::string ring_name = std::string("mtcpp_") + kind + "_p" + std::to_string(id) + "_q" + std::to_string(q);
      rte_ring* ring = rte_ring_lookup(ring_name.c_str());
      if (ring == nullptr) ring = rte_ring_create(ring_name.c_str(), kInboxSize, socket, RING_F_SC_DEQ);
      if (ring == nullptr) return fail("steering ring for queue " + std::to_string(q) + ": " + rte_strerror(rte_errno));
      (kind[0] == 'i' ? inboxes : returns).push_back(ring);
    }
  }
  if (int r = rte_eth_dev_start(id); r != 0) return fail("start: " + why(r));
  note_started(id, true);
  std::uint32_t reta_size = kSoftwareRetaSize;
  if (hardware_rss) {
    // Entry i sends to queue i % queues: queue_of_hash computes the same in software.
    std::vector<rte_eth_rss_reta_entry64> reta(info.reta_size / RTE_ETH_RETA_GROUP_SIZE + 1);
    for (std::uint16_t i = 0; i < info.reta_size; ++i) {
      reta[i / RTE_ETH_RETA_GROUP_SIZE].mask |= std::uint64_t{1} << (i % RTE_ETH_RETA_GROUP_SIZE);
      reta[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = static_cast<std::uint16_t>(i % queues);
    }
    hardware_rss = rte_eth_dev_rss_reta_update(id, reta.data(), info.reta_size) == 0;
    if (hardware_rss) reta_size = info.reta_size;
  }
  // The stack's MAC may not be the port's (mtcp.conf's mac): receive every frame, as mTCP does, or
  // at least those for that MAC.
  if (rte_eth_promiscuous_enable(id) != 0 && config.mac) {
    rte_ether_addr extra{};
    std::copy(config.mac->octets.begin(), config.mac->octets.end(), std::begin(extra.addr_bytes));
    if (rte_eth_dev_mac_addr_add(id, &extra, 0) != 0) {
      rte_eth_dev_stop(id);
      note_started(id, false);
      return label + "neither promiscuous mode nor an extra MAC address: frames for " + config.mac->to_string() +
             " would not be received (leave mac unset to use the port's own)";
    }
  }
  // Wait a little for the link, as mTCP does: frames sent before it is up are lost, and a
  // client's first SYNs would wait a whole retransmission timeout. A link still down (a memif
  // server whose client has not come yet) is no error: the port goes on and the line says so.
  for (int waited_ms = 0; waited_ms < config.link_wait_ms; waited_ms += 20) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(id, &link) == 0 && link.link_status == RTE_ETH_LINK_UP) break;
    rte_delay_us_sleep(20000);
  }
  rte_eth_stats_reset(id);  // the port's figures count from mtcp_init

  LinkCaps caps;
  if (config.mac) {
    caps.mac = *config.mac;
  } else {
    rte_ether_addr own{};
    rte_eth_macaddr_get(id, &own);
    std::copy(std::begin(own.addr_bytes), std::end(own.addr_bytes), caps.mac.octets.begin());
    if (caps.mac.is_zero() || caps.mac.is_multicast()) {  // net_ring has none
      rte_eth_dev_stop(id);
      note_started(id, false);
      return label + "the port has no unicast MAC of its own (" + caps.mac.to_string() + "): give one with mac =";
    }
  }
  std::uint16_t mtu = 1500;
  rte_eth_dev_get_mtu(id, &mtu);
  caps.mtu = config.mtu.value_or(mtu);
  caps.rx_checksum_verified = rx_offload;
  caps.tx_checksum_offload = tx_offload;
  return std::unique_ptr<DpdkPort>(
      new DpdkPort(config, id, device, caps, std::move(pools), std::move(inboxes), std::move(returns), hardware_rss,
                   reta_size, info.driver_name));
}

DpdkPort::DpdkPort(const DpdkConfig& config, std::uint16_t port_id, std::string device, LinkCaps caps,
                   std::vector<rte_mempool*> pools, std::vector<rte_ring*> inboxes, std::vector<rte_ring*> returns,
                   bool hardware_rss, std::uint32_t reta_size, std::string driver)
    : config_(config),
      port_id_(port_id),
      name_(config.port),
      device_(std::move(device)),
      caps_(caps),
      pools_(std::move(pools)),
      inboxes_(std::move(inboxes)),
      returns_(std::move(returns)),
      alive_(new std::atomic<bool>[pools_.size()]),
      hardware_rss_(hardware_rss),
      reta_size_(reta_size),
      driver_(std::move(driver)) {
  for (std::size_t i = 0; i < pools_.size(); ++i) alive_[i] = false;
}

namespace {
void drain(rte_ring* inbox) {
  void* left = nullptr;
  while (rte_ring_sc_dequeue(inbox, &left) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(left));
}
}  // namespace

std::string DpdkPort::describe() const {
  const DpdkPortStats s = stats();
  std::string line = "dpdk: port " + name_ + " = " + device_ + " (" + driver_ + "), MAC " + caps_.mac.to_string() +
                     ", MTU " + std::to_string(caps_.mtu) + ", " + std::to_string(pools_.size()) + " queue(s)";
  if (pools_.size() > 1) line += hardware_rss_ ? ", flows spread by RSS" : ", flows steered in software (no RSS)";
  line += std::string(", checksums: rx ") + (caps_.rx_checksum_verified ? "by the PMD" : "in software") + ", tx " +
          (caps_.tx_checksum_offload ? "by the PMD" : "in software");
  line += s.link_up ? ", link up" + (s.link_speed_mbps > 0 ? " " + std::to_string(s.link_speed_mbps) + " Mbps" : std::string())
                    : ", link down";
  return line;
}

int DpdkPort::queue_of(Ipv4Addr a, std::uint16_t pa, Ipv4Addr b, std::uint16_t pb) const {
  if (pools_.size() == 1) return 0;
  std::uint32_t tuple[3] = {a.value, b.value, (std::uint32_t{pa} << 16) | pb};
  return queue_of_hash(rte_softrss(tuple, 3, symmetric_key()));
}

DpdkPort::~DpdkPort() {
  rte_eth_dev_stop(port_id_);
  note_started(port_id_, false);
  for (rte_ring* inbox : inboxes_) drain(inbox);  // frames steered after a queue's context ended
  for (rte_ring* ring : returns_) drain(ring);
}

std::unique_ptr<DpdkQueueIo> DpdkPort::take_queue(int i) {
  if (i < 0 || static_cast<std::size_t>(i) >= pools_.size()) return nullptr;
  if (alive_[static_cast<std::size_t>(i)].exchange(true)) return nullptr;  // held by another
  if (!inboxes_.empty()) drain(inboxes_[static_cast<std::size_t>(i)]);  // nothing stale from an earlier holder
  return std::unique_ptr<DpdkQueueIo>(new DpdkQueueIo(*this, static_cast<std::uint16_t>(i)));
}

DpdkPortStats DpdkPort::stats() const {
  std::lock_guard lock(stats_mutex_);
  DpdkPortStats s;
  rte_eth_stats e{};
  if (rte_eth_stats_get(port_id_, &e) == 0) {
    s.rx_packets = e.ipackets;
    s.rx_bytes = e.ibytes;
    s.rx_missed = e.imissed;
    s.rx_errors = e.ierrors;
    s.rx_no_mbuf = e.rx_nombuf;
    s.tx_packets = e.opackets;
    s.tx_bytes = e.obytes;
    s.tx_errors = e.oerrors;
  }
  rte_eth_link link{};
  if (rte_eth_link_get_nowait(port_id_, &link) == 0) {
    s.link_up = link.link_status == RTE_ETH_LINK_UP;
    s.link_speed_mbps = link.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : link.link_speed;
  }
  return s;
}

std::vector<std::pair<std::string, std::uint64_t>> DpdkPort::xstats() const {
  std::lock_guard lock(stats_mutex_);
  std::vector<std::pair<std::string, std::uint64_t>> out;
  const int n = rte_eth_xstats_get_names(port_id_, nullptr, 0);
  if (n <= 0) return out;
  std::vector<rte_eth_xstat_name> names(static_cast<std::size_t>(n));
  std::vector<rte_eth_xstat> values(static_cast<std::size_t>(n));
  if (rte_eth_xstats_get_names(port_id_, names.data(), static_cast<unsigned>(n)) != n) return out;
  if (rte_eth_xstats_get(port_id_, values.data(), static_cast<unsigned>(n)) != n) return out;
  for (const rte_eth_xstat& v : values)
    if (v.id < names.size()) out.emplace_back(names[v.id].name, v.value);
  return out;
}

std::optional<std::uint64_t> DpdkPort::xstat(const std::string& name) const {
  std::lock_guard lock(stats_mutex_);
  std::uint64_t id = 0;
  if (rte_eth_xstats_get_id_by_name(port_id_, name.c_str(), &id) != 0) return std::nullopt;
  std::uint64_t value = 0;
  if (rte_eth_xstats_get_by_id(port_id_, &id, &value, 1) != 1) return std::nullopt;
  return value;
}

// ------------------------------------------------------------------------------- queues

DpdkQueueIo::DpdkQueueIo(const DpdkPort& port, std::uint16_t queue)
    : port_(port),
      queue_(queue),
      pool_(port.pools_[queue]),
      steering_(!port.inboxes_.empty()),
      caps_(port.caps()) {}

DpdkQueueIo::~DpdkQueueIo() {
  if (stashed_ > 0) rte_pktmbuf_free_bulk(stash_, static_cast<unsigned>(stashed_));
  free_foreign();
  // No more frames are steered here; those waiting go back to their pools (a frame handed over
  // in the same instant is drained by the next context on this queue, or by the port).
  port_.alive_[queue_] = false;
  if (steering_) {
    drain(port_.inboxes_[queue_]);
    drain(port_.returns_[queue_]);
  }
}

int DpdkQueueIo::owner_of(const rte_mbuf* m) const {
  const Bytes frame(rte_pktmbuf_mtod(m, const std::uint8_t*), m->data_len);
  if (frame.size() < kEthernetHeader + 8) return queue_;
  const std::uint16_t type = load_be16(frame, 12);
  // ARP replies (and announcements as replies) to every stack's cache; a request is answered by
  // the queue it reached, once.
  constexpr std::uint16_t kArpReply = 2;
  if (type == kEtherTypeArp) return load_be16(frame, kEthernetHeader + 6) == kArpReply ? kEveryQueue : queue_;
  if (type != kEtherTypeIpv4) return queue_;
  // The stack's own parser; what it would drop stays here to be dropped and counted.
  const auto ip = Ipv4Header::parse(frame.subspan(kEthernetHeader), false);
  if (!ip.header || ip.header->is_fragment()) return queue_;
  const Bytes payload = ip.payload;
  if (ip.header->protocol == kProtocolTcp && payload.size() >= 4) {
    // Always the software hash: a NIC that hashes otherwise (another key length, a PMD that
    // ignores the key) then costs a hop, never a connection.
    return port_.queue_of(ip.header->src, load_be16(payload, 0), ip.header->dst, load_be16(payload, 2));
  }
  // An ICMP error (destination unreachable, time exceeded) goes where the flow it quotes lives.
  if (ip.header->protocol == kProtocolIcmp && payload.size() > IcmpHeader::kSize &&
      (payload[0] == IcmpHeader::kDestUnreachable || payload[0] == IcmpHeader::kTimeExceeded)) {
    if (const auto q = quoted_tcp(payload.subspan(IcmpHeader::kSize)))
      return port_.queue_of(q->local.addr, q->local.port, q->remote.addr, q->remote.port);
  }
  return queue_;
}

bool DpdkQueueIo::hand_to(int queue, rte_mbuf* m) {
  if (port_.alive_[queue] && rte_ring_mp_enqueue(port_.inboxes_[static_cast<std::size_t>(queue)], m) == 0) return true;
  ++counters_.rx_steer_dropped;
  rte_pktmbuf_free(m);
  return false;
}

bool DpdkQueueIo::steer(rte_mbuf* m) {
  const int owner = owner_of(m);
  if (owner == queue_) return true;
  if (owner != kEveryQueue) {
    if (hand_to(owner, m)) ++counters_.rx_steered_out;
    return false;
  }
  for (int q = 0; q < port_.queues(); ++q) {
    if (q == queue_) continue;
    rte_mbuf* copy = rte_pktmbuf_copy(m, pool_, 0, UINT32_MAX);
    if (copy == nullptr) {
      ++counters_.rx_steer_dropped;
      continue;
    }
    if (hand_to(q, copy)) ++counters_.rx_arp_copies;
  }
  return true;
}

bool DpdkQueueIo::accept_rx(rte_mbuf* m) {
  if (m->nb_segs != 1) {
    ++counters_.rx_segmented;
    return false;
  }
  if (!caps_.rx_checksum_verified) return true;  // the stack checks every checksum itself
  const std::uint64_t ip_verdict = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
  const std::uint64_t l4_verdict = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
  if (ip_verdict == RTE_MBUF_F_RX_IP_CKSUM_BAD || l4_verdict == RTE_MBUF_F_RX_L4_CKSUM_BAD) {
    ++counters_.rx_bad_checksum;
    return false;
  }
  // NONE: the PMD checked, and the field is not final (a frame from this host): as good.
  const bool ip_good = ip_verdict == RTE_MBUF_F_RX_IP_CKSUM_GOOD || ip_verdict == RTE_MBUF_F_RX_IP_CKSUM_NONE;
  const bool l4_good = l4_verdict == RTE_MBUF_F_RX_L4_CKSUM_GOOD || l4_verdict == RTE_MBUF_F_RX_L4_CKSUM_NONE;
  if (ip_good && l4_good) return true;
  // The PMD had no verdict (not IPv4 or TCP, or a PMD that judges only some frames): the stack
  // was told every frame is verified, so the stack's own parsers check the sums here. A frame
  // they find malformed otherwise goes on: the stack drops and counts it as such.
  const Bytes frame(rte_pktmbuf_mtod(m, const std::uint8_t*), m->data_len);
  if (frame.size() < kEthernetHeader || load_be16(frame, 12) != kEtherTypeIpv4) return true;
  const auto ip = Ipv4Header::parse(frame.subspan(kEthernetHeader), !ip_good);
  if (!ip.header) return count_if_bad(ip.error == Ipv4Header::Error::bad_checksum);
  ++counters_.rx_software_checked;
  if (ip.header->protocol != kProtocolTcp || ip.header->is_fragment() || l4_good) return true;
  const auto tcp = TcpHeader::parse(ip.payload, ip.header->src, ip.header->dst, true);
  return tcp.header || count_if_bad(tcp.error == TcpHeader::Error::bad_checksum);
}

bool DpdkQueueIo::count_if_bad(bool bad_checksum) {
  if (bad_checksum) ++counters_.rx_bad_checksum;
  return !bad_checksum;
}

std::size_t DpdkQueueIo::rx_burst(std::span<PacketBuffer*> out, Instant) {
  constexpr std::size_t kBurst = 64;
  rte_mbuf* got[kBurst];
  const auto want = static_cast<unsigned>(std::min(out.size(), kBurst));
  std::size_t kept = 0;
  free_foreign();  // a queue that receives but seldom sends must not sit on another pool's mbufs
  const auto deliver = [&](rte_mbuf* m) {
    if (rte_pktmbuf_priv_size(m->pool) < sizeof(PacketBuffer)) {  // not from a pool of ours: copy
      rte_mbuf* copy = rte_pktmbuf_copy(m, pool_, 0, UINT32_MAX);
      rte_pktmbuf_free(m);
      if (copy == nullptr) {
        ++counters_.rx_no_mbuf;
        return;
      }
      m = copy;
    }
    PacketBuffer* b = buffer_of(m);
    b->data = rte_pktmbuf_mtod(m, std::uint8_t*);
    b->len = m->data_len;
    b->capacity = static_cast<std::uint32_t>(m->buf_len - m->data_off);
    b->backend = m;
    out[kept++] = b;
    ++counters_.rx_frames;
  };
  // First what other queues handed over (already checked there), then the device's own.
  if (steering_) {
    take_back_returns();
    const unsigned n = rte_ring_sc_dequeue_burst(port_.inboxes_[queue_], reinterpret_cast<void**>(got), want, nullptr);
    counters_.rx_steered_in += n;
    for (unsigned i = 0; i < n; ++i) deliver(got[i]);
  }
  if (kept == want) return kept;
  const std::uint16_t n = rte_eth_rx_burst(port_.port_id(), queue_, got, static_cast<std::uint16_t>(want - kept));
  for (std::uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = got[i];
    if (!accept_rx(m)) {
      rte_pktmbuf_free(m);
      continue;
    }
    if (steering_ && !steer(m)) continue;
    deliver(m);
  }
  return kept;
}

PacketBuffer* DpdkQueueIo::tx_alloc() {
  if (stashed_ == 0 && steering_) take_back_returns();
  if (stashed_ == 0) {
    constexpr unsigned kRefill = kStash / 2;
    if (rte_pktmbuf_alloc_bulk(pool_, stash_, kRefill) == 0) {
      stashed_ = kRefill;
      // Their lines were last touched elsewhere (by the core that received them, over a virtual
      // device such as net_ring): asked for with intent to write now, the frames built in them
      // over the next turns do not each wait for the other core to give them up.
      for (rte_mbuf* fresh : std::span(stash_, kRefill)) {
        __builtin_prefetch(buffer_of(fresh), 1);
        const auto* data = rte_pktmbuf_mtod(fresh, const char*);
        for (int line = 0; line < 3; ++line) __builtin_prefetch(data + RTE_CACHE_LINE_SIZE * line, 1);
      }
    } else if (rte_mbuf* last = rte_pktmbuf_alloc(pool_)) {  // fewer left than a refill
      stash_[0] = last;
      stashed_ = 1;
    } else {
      ++counters_.tx_no_mbuf;
      return nullptr;
    }
  }
  rte_mbuf* m = stash_[--stashed_];
  rte_pktmbuf_reset(m);
  PacketBuffer* b = buffer_of(m);
  b->data = rte_pktmbuf_mtod(m, std::uint8_t*);
  b->len = 0;
  b->capacity = static_cast<std::uint32_t>(m->buf_len - m->data_off);
  b->backend = m;
  return b;
}

void DpdkQueueIo::take_back_returns() {
  rte_mbuf* back[kStash];
  const unsigned n = rte_ring_sc_dequeue_burst(port_.returns_[queue_], reinterpret_cast<void**>(back), kStash, nullptr);
  for (unsigned i = 0; i < n; ++i) release_own(back[i]);
}

void DpdkQueueIo::release(PacketBuffer* pkt) {
  auto* m = static_cast<rte_mbuf*>(pkt->backend);
  if (m->pool != pool_ && steering_) {
    // Another queue's mbuf (a steered frame, an ARP copy): back to it, to be freed there. If
    // that queue has no context any more, or its ring is full, it is freed here.
    const auto& pools = port_.pools_;
    const auto owner = static_cast<std::size_t>(std::find(pools.begin(), pools.end(), m->pool) - pools.begin());
    if (owner < pools.size() && port_.alive_[owner] && rte_ring_mp_enqueue(port_.returns_[owner], m) == 0) return;
    rte_pktmbuf_free(m);
    return;
  }
  release_own(m);
}

void DpdkQueueIo::release_own(rte_mbuf* m) {
  // Kept at hand only when it is plainly ours and whole; anything else goes back through DPDK.
  if (m->pool == pool_ && m->nb_segs == 1 && rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m) &&
      !RTE_MBUF_HAS_EXTBUF(m) && stashed_ < kStash) {
    stash_[stashed_++] = m;
    return;
  }
  if (m->pool != pool_) {
    // Another port's mbuf, lent by a zero-copy virtual device (net_ring): freed in batches, since
    // an application thread has no mempool cache and each lone free is a ring operation on a
    // pool another core allocates from.
    foreign_[foreign_count_++] = m;
    if (foreign_count_ == kForeignBatch) free_foreign();
    return;
  }
  rte_pktmbuf_free(m);
}

void DpdkQueueIo::free_foreign() {
  if (foreign_count_ > 0) rte_pktmbuf_free_bulk(foreign_, static_cast<unsigned>(foreign_count_));
  foreign_count_ = 0;
}

void DpdkQueueIo::prepare_tx(rte_mbuf* m) {
  const std::uint32_t len = buffer_of(m)->len;
  m->data_len = static_cast<std::uint16_t>(len);
  m->pkt_len = len;
  if (!caps_.tx_checksum_offload) return;
  // The stack left the TCP checksum to the device: DPDK wants the header lengths, the flags, and
  // the pseudo-header sum (not complemented) in the checksum field.
  const MutableBytes frame(rte_pktmbuf_mtod(m, std::uint8_t*), len);
  if (len < kEthernetHeader || load_be16(frame, 12) != kEtherTypeIpv4) return;
  const auto ip = Ipv4Header::parse(frame.subspan(kEthernetHeader), false);
  if (!ip.header || ip.header->protocol != kProtocolTcp || ip.payload.size() < TcpHeader::kMinSize) return;
  const Checksum pseudo = Checksum::pseudo_header(ip.header->src, ip.header->dst, kProtocolTcp,
                                                  static_cast<std::uint16_t>(ip.payload.size()));
  store_be16(frame, kEthernetHeader + ip.header->header_len + 16, static_cast<std::uint16_t>(~pseudo.finish()));
  m->l2_len = kEthernetHeader;
  m->l3_len = static_cast<std::uint16_t>(ip.header->header_len);
  m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
}

std::size_t DpdkQueueIo::tx_burst(std::span<PacketBuffer* const> pkts, Instant) {
  constexpr std::size_t kBurst = 64;
  std::size_t taken = 0;
  while (taken < pkts.size()) {
    rte_mbuf* batch[kBurst];
    const std::size_t count = std::min(kBurst, pkts.size() - taken);
    for (std::size_t i = 0; i < count; ++i) {
      batch[i] = static_cast<rte_mbuf*>(pkts[taken + i]->backend);
      prepare_tx(batch[i]);
    }
    const std::uint16_t sent = rte_eth_tx_burst(port_.port_id(), queue_, batch, static_cast<std::uint16_t>(count));
    taken += sent;
    counters_.tx_frames += sent;
    if (sent < count) {
      counters_.tx_ring_full += count - sent;
      break;
    }
  }
  free_foreign();  // once per burst: the owner's pool gets its mbufs back soon
  return taken;
}

}  // namespace mtcpp
