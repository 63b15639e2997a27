// mtcpp on a DPDK port: any PMD (a NIC, or the virtual devices net_tap, net_ring, net_null),
// no kernel module, the stack's MAC and IPv4 address from configuration or the PMD.
//
// Contract:
// - DpdkPort::open() initialises DPDK's EAL (once per process: the EAL cannot be set up twice,
//   so a later open must pass the same EAL arguments), finds the port by DPDK device name
//   ("net_tap0", "0000:01:00.0") or by mTCP's name "dpdkN" (the Nth port), and starts it with one
//   rx and one tx queue per context. Every failure (EAL, no such port, too few queues, a refused
//   configuration) comes back as a message naming the port and DPDK's reason, never an abort.
// - Each queue has its own mbuf pool on the port's NUMA node, so contexts share nothing on the
//   packet path. A received mbuf is the PacketBuffer (it lives in the mbuf's private area): no
//   copy. A frame is built directly in an mbuf from tx_alloc().
// - Checksums: where the PMD verifies IPv4 and TCP checksums on receive, a frame it found bad is
//   dropped and counted here, and one it could not judge is checked here in software, so the
//   stack is told every frame was verified. Where the PMD fills TCP checksums on transmit, the
//   TCP checksum field is set to the pseudo-header sum, as DPDK requires.
// - tx_burst() hands frames to the PMD; those it refuses (a full ring) stay the caller's.
// - Several queues (one per context, all with the port's address): flows are spread by a
//   symmetric Toeplitz hash of the 4-tuple (both directions of a flow hash alike), by the NIC's
//   RSS where the PMD has it, with the redirection table set to queue = entry % queues. Each
//   queue checks what it receives and hands a TCP frame that belongs to another queue (a PMD
//   without RSS, such as net_tap, net_ring or net_memif) to that queue's inbox, a lock-free
//   ring: software steering with the same hash, its hops counted (the hash is computed in
//   software for every TCP frame even with RSS, so a NIC that hashes otherwise costs hops, never
//   connections). ARP replies go to every queue (each stack has its own ARP cache; a request is
//   answered once, by the queue it reached); an ICMP error goes to the queue of the flow it quotes.
//   owns() tells a stack which source ports come back to it, for connect (mtcp_init_rss).
//   Every mbuf is freed by the queue whose pool it came from: a queue done with another's mbuf (a
//   steered frame, an ARP copy) puts it on that queue's return ring.
// - A queue belongs to one thread (its context's); the port object is shared only for reading
//   stats. The destructor stops the port; it is closed at process exit. Opening it again in the
//   same process reconfigures it and reuses its mbuf pools (a virtual device is probed once, at
//   EAL setup, so a closed one could not come back).
//
// EAL arguments: what the configuration gives is passed through; mtcpp adds only what is
// missing: `-l CORE` (the first of core_mask, else 0: contexts run in the application's threads,
// so the EAL needs no worker lcores), `-n` from num_mem_ch, and a private runtime
// (`--in-memory`, or `--no-shconf` with `--no-huge`) so that several DPDK processes coexist.
// The calling thread's CPU affinity, which the EAL changes, is restored afterwards.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/packet_io.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_ring;

namespace mtcpp {

struct DpdkConfig {
  std::vector<std::string> eal_args;  // passed to the EAL after mtcpp's defaults are added
  std::optional<int> main_lcore;      // -l, unless eal_args set the cores
  std::optional<int> memory_channels; // -n, unless eal_args set it
  std::string port;                   // "dpdkN" (the Nth port) or a DPDK device name
  int queues = 1;                     // rx/tx queue pairs: one per context
  std::optional<MacAddr> mac;         // the stack's MAC; none: the port's own
  std::optional<std::uint16_t> mtu;   // IP MTU; none: the port's
  std::uint32_t mbufs_per_queue = 8191;
  std::uint16_t rx_descriptors = 1024;
  std::uint16_t tx_descriptors = 1024;
  bool checksum_offload = true;       // use the PMD's checksum offloads where it has them
  int link_wait_ms = 2000;            // at open, wait this long at most for the link to come up
};

// The full argument list rte_eal_init receives (argv[0] first), defaults added.
std::vector<std::string> dpdk_eal_arguments(const DpdkConfig& config);
// Sets up DPDK's EAL with dpdk_eal_arguments(config), as DpdkPort::open does first (once per
// process: later calls must pass the same arguments). Nothing on success, else why not.
std::optional<std::string> dpdk_eal_start(const DpdkConfig& config);

struct DpdkQueueCounters {
  std::uint64_t rx_frames = 0;
  std::uint64_t rx_bad_checksum = 0;     // the PMD or the software check found a bad checksum
  std::uint64_t rx_software_checked = 0; // frames the PMD could not judge, checked here
  std::uint64_t rx_segmented = 0;        // frames in more than one mbuf (scatter is not used)
  std::uint64_t tx_frames = 0;
  std::uint64_t tx_ring_full = 0;        // frames the PMD refused and the caller kept
  std::uint64_t tx_no_mbuf = 0;          // tx_alloc found the pool empty
  std::uint64_t rx_steered_out = 0;      // frames handed to the queue that owns their flow
  std::uint64_t rx_steered_in = 0;       // frames other queues handed to this one (ARP copies too)
  std::uint64_t rx_arp_copies = 0;       // ARP frames copied to the other queues
  std::uint64_t rx_steer_dropped = 0;    // the owner's inbox was full or has no context, or no mbuf for a copy
  std::uint64_t rx_no_mbuf = 0;          // a frame from a foreign pool could not be copied into ours
};

// The counters above by name, as mtcpp_get_counter offers them ("dpdk.rx_steered_out" ...).
struct DpdkQueueCounterName {
  const char* name;
  std::uint64_t DpdkQueueCounters::*member;
};
inline constexpr DpdkQueueCounterName kDpdkQueueCounters[] = {
    {"dpdk.rx_frames", &DpdkQueueCounters::rx_frames},
    {"dpdk.rx_bad_checksum", &DpdkQueueCounters::rx_bad_checksum},
    {"dpdk.rx_software_checked", &DpdkQueueCounters::rx_software_checked},
    {"dpdk.rx_segmented", &DpdkQueueCounters::rx_segmented},
    {"dpdk.tx_frames", &DpdkQueueCounters::tx_frames},
    {"dpdk.tx_ring_full", &DpdkQueueCounters::tx_ring_full},
    {"dpdk.tx_no_mbuf", &DpdkQueueCounters::tx_no_mbuf},
    {"dpdk.rx_steered_out", &DpdkQueueCounters::rx_steered_out},
    {"dpdk.rx_steered_in", &DpdkQueueCounters::rx_steered_in},
    {"dpdk.rx_arp_copies", &DpdkQueueCounters::rx_arp_copies},
    {"dpdk.rx_steer_dropped", &DpdkQueueCounters::rx_steer_dropped},
    {"dpdk.rx_no_mbuf", &DpdkQueueCounters::rx_no_mbuf},
};

// The port's own figures (rte_eth_stats), and its link.
struct DpdkPortStats {
  std::uint64_t rx_packets = 0, rx_bytes = 0, rx_missed = 0, rx_errors = 0, rx_no_mbuf = 0;
  std::uint64_t tx_packets = 0, tx_bytes = 0, tx_errors = 0;
  bool link_up = false;
  std::uint32_t link_speed_mbps = 0;
};

class DpdkQueueIo;

class DpdkPort {
  friend class DpdkQueueIo;  // a queue reaches the other queues' inboxes, pools and flags

 public:
  static std::variant<std::unique_ptr<DpdkPort>, std::string> open(const DpdkConfig& config);
  ~DpdkPort();
  DpdkPort(const DpdkPort&) = delete;
  DpdkPort& operator=(const DpdkPort&) = delete;

  // Queue i's device (nullptr while another holds it, or out of range); once that one is
  // destroyed the queue can be taken again. Every queue must be destroyed before the port.
  std::unique_ptr<DpdkQueueIo> take_queue(int i);
  LinkCaps caps() const { return caps_; }
  const std::string& name() const { return name_; }  // as configured, e.g. "dpdk0"
  const std::string& device() const { return device_; }
  std::uint16_t port_id() const { return port_id_; }
  DpdkPortStats stats() const;
  // The PMD's extended statistics (rte_eth_xstats), by name.
  std::vector<std::pair<std::string, std::uint64_t>> xstats() const;
  // One extended statistic by name, if the PMD has it.
  std::optional<std::uint64_t> xstat(const std::string& name) const;

  int queues() const { return static_cast<int>(pools_.size()); }
  // The queue that receives the flow between a:pa and b:pb (either way round).
  int queue_of(Ipv4Addr a, std::uint16_t pa, Ipv4Addr b, std::uint16_t pb) const;
  // The queue for an RSS hash (the NIC's, or queue_of's).
  int queue_of_hash(std::uint32_t hash) const { return static_cast<int>(hash % reta_size_ % pools_.size()); }
  bool hardware_rss() const { return hardware_rss_; }
  // One line for a person starting a program: port, device, driver, MAC, MTU, queues, how flows
  // are spread, who checks and fills checksums, the link.
  std::string describe() const;

 private:
  DpdkPort(const DpdkConfig& config, std::uint16_t port_id, std::string device, LinkCaps caps,
           std::vector<rte_mempool*> pools, std::vector<rte_ring*> inboxes, std::vector<rte_ring*> returns,
           bool hardware_rss, std::uint32_t reta_size, std::string driver);

  DpdkConfig config_;
  std::uint16_t port_id_;
  std::string name_;
  std::string device_;
  LinkCaps caps_;
  std::vector<rte_mempool*> pools_;   // one per queue
  std::vector<rte_ring*> inboxes_;    // one per queue when there are several: frames steered to it
  std::vector<rte_ring*> returns_;    // one per queue when there are several: its mbufs, to free
  // Whether queue i is taken, so that a context reads its inbox; steering frees frames for a
  // queue that is not.
  std::unique_ptr<std::atomic<bool>[]> alive_;
  mutable std::mutex stats_mutex_;    // ethdev's stats calls are not safe from several threads
  bool hardware_rss_;
  std::uint32_t reta_size_;
  std::string driver_;
};

class DpdkQueueIo final : public PacketIo {
 public:
  ~DpdkQueueIo() override;
  DpdkQueueIo(const DpdkQueueIo&) = delete;
  DpdkQueueIo& operator=(const DpdkQueueIo&) = delete;

  LinkCaps caps() const override { return caps_; }
  std::size_t rx_burst(std::span<PacketBuffer*> out, Instant now) override;
  PacketBuffer* tx_alloc() override;
  std::size_t tx_burst(std::span<PacketBuffer* const> pkts, Instant now) override;
  void release(PacketBuffer* pkt) override;

  const DpdkQueueCounters& counters() const { return counters_; }
  const DpdkPort& port() const { return port_; }
  std::uint16_t queue() const { return queue_; }
  // Whether the flow local-remote comes back to this queue.
  bool owns(Endpoint local, Endpoint remote) const {
    return port_.queue_of(local.addr, local.port, remote.addr, remote.port) == queue_;
  }

 private:
  friend class DpdkPort;
  DpdkQueueIo(const DpdkPort& port, std::uint16_t queue);
  bool accept_rx(rte_mbuf* m);  // checksum verdicts; false: dropped and counted
  bool count_if_bad(bool bad_checksum);  // counts a bad checksum; false for one
  // Where a received frame goes: this queue (true), or handed to another (false).
  bool steer(rte_mbuf* m);
  int owner_of(const rte_mbuf* m) const;  // a queue, or kEveryQueue
  bool hand_to(int queue, rte_mbuf* m);  // false: the inbox was full, the frame dropped
  void take_back_returns();              // this queue's mbufs that other queues are done with
  void release_own(rte_mbuf* m);         // into the stash, or back to the pool
  void prepare_tx(rte_mbuf* m); // checksum offload flags and the pseudo-header sum
  void free_foreign();           // other ports' mbufs set aside by release_own

  static constexpr std::size_t kStash = 64;
  static constexpr int kEveryQueue = -1;
  const DpdkPort& port_;
  std::uint16_t queue_;
  rte_mempool* pool_;
  bool steering_;  // several queues
  LinkCaps caps_;  // rx_checksum_verified: the PMD judges rx checksums, its verdicts read per frame
  DpdkQueueCounters counters_;
  // Free mbufs of this queue's pool kept at hand: tx_alloc and release rarely touch the pool.
  rte_mbuf* stash_[kStash] = {};
  std::size_t stashed_ = 0;
  static constexpr std::size_t kForeignBatch = 32;
  rte_mbuf* foreign_[kForeignBatch] = {};
  std::size_t foreign_count_ = 0;
};

}  // namespace mtcpp
