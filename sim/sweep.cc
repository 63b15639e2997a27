#include "sim/sweep.h"

#include "sim/world.h"

#include <ns3/boolean.h>
#include <ns3/bulk-send-helper.h>
#include <ns3/config.h>
#include <ns3/double.h>
#include <ns3/error-model.h>
#include <ns3/inet-socket-address.h>
#include <ns3/internet-stack-helper.h>
#include <ns3/ipv4-address-helper.h>
#include <ns3/packet-sink-helper.h>
#include <ns3/packet-sink.h>
#include <ns3/pointer.h>
#include <ns3/rng-seed-manager.h>
#include <ns3/simulator.h>
#include <ns3/string.h>
#include <ns3/tcp-cubic.h>
#include <ns3/tcp-l4-protocol.h>
#include <ns3/tcp-prr-recovery.h>
#include <ns3/uinteger.h>

#include <algorithm>
#include <string>

namespace mtcpp::sim {

namespace {

// Who sends and who receives: A is mtcpp with the controller named, except in the baseline,
// where ns-3's TCP is at both ends.
struct Pairing {
  const char* name;
  Peer peer;
  CongestionAlgorithm a_congestion;
  bool ns3_both = false;
};
constexpr Pairing kPairings[] = {
    {"mtcpp newreno -> mtcpp", Peer::mtcpp, CongestionAlgorithm::newreno},
    {"mtcpp cubic -> mtcpp", Peer::mtcpp, CongestionAlgorithm::cubic},
    {"mtcpp cubic -> ns-3", Peer::ns3, CongestionAlgorithm::cubic},
    {"ns-3 cubic+sack+prr -> ns-3", Peer::ns3, CongestionAlgorithm::cubic, true},
};

// A's run for pairing p and seed over `link`.
RunOptions run_options(const Pairing& p, int seed, const LinkSpec& link) {
  RunOptions run;
  run.seed = static_cast<std::uint64_t>(seed);
  run.congestion = p.a_congestion;
  run.link = link;
  return run;
}

void report_failure(const char* what, const Pairing& p, double loss, int seed, const std::string& differences) {
  std::fprintf(stderr, "%s: %s, loss %g %%, seed %d failed its checks:\n%s", what, p.name, loss * 100, seed,
               differences.c_str());
}

// ns-3's TCP at its best, for both ends of the baseline and for the ns-3 receiver: CUBIC, SACK,
// PRR, a 1,448-byte MSS and buffers as large as mtcpp's autotuning reaches (4 MiB). ns-3 sends no
// MSS option, so mtcpp sending to it still uses 536 bytes.
void configure_ns3_tcp() {
  ns3::Config::SetDefault("ns3::TcpL4Protocol::SocketType", ns3::TypeIdValue(ns3::TcpCubic::GetTypeId()));
  ns3::Config::SetDefault("ns3::TcpL4Protocol::RecoveryType", ns3::TypeIdValue(ns3::TcpPrrRecovery::GetTypeId()));
  ns3::Config::SetDefault("ns3::TcpSocketBase::Sack", ns3::BooleanValue(true));
  ns3::Config::SetDefault("ns3::TcpSocket::SegmentSize", ns3::UintegerValue(1448));
  ns3::Config::SetDefault("ns3::TcpSocket::SndBufSize", ns3::UintegerValue(4u << 20));
  ns3::Config::SetDefault("ns3::TcpSocket::RcvBufSize", ns3::UintegerValue(4u << 20));
}

// Random loss of `loss` on the frames reaching each device (seeded by the run number).
void add_random_loss(const ns3::NetDeviceContainer& devs, double loss) {
  for (std::uint32_t h = 0; h < devs.GetN(); ++h) {
    auto em = ns3::CreateObject<ns3::RateErrorModel>();
    em->SetAttribute("ErrorRate", ns3::DoubleValue(loss));
    em->SetAttribute("ErrorUnit", ns3::StringValue("ERROR_UNIT_PACKET"));
    em->AssignStreams(300 + h);
    devs.Get(h)->SetAttribute("ReceiveErrorModel", ns3::PointerValue(em));
  }
}

// Two nodes with ns-3's TCP on `link` (10.0.0.1 and 10.0.0.2), random loss of `loss` on the
// frames reaching each, ns-3's random streams from run `seed`.
struct Ns3Hosts {
  ns3::NodeContainer nodes;
  ns3::Ipv4Address receiver;
};
Ns3Hosts ns3_hosts(const LinkSpec& link, std::uint64_t seed, double loss) {
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(seed);
  Ns3Hosts h;
  h.nodes.Create(2);
  const ns3::NetDeviceContainer devs = install_link(link, h.nodes);
  ns3::InternetStackHelper internet;
  internet.Install(h.nodes);
  internet.AssignStreams(h.nodes, 100);
  ns3::Ipv4AddressHelper ipv4;
  ipv4.SetBase("10.0.0.0", "255.255.255.0");
  h.receiver = ipv4.Assign(devs).GetAddress(1);
  add_random_loss(devs, loss);
  return h;
}

// A bulk flow of `bytes` from node 0 to node 1's `port`: its sender and its receiver.
std::pair<ns3::Ptr<ns3::Application>, ns3::Ptr<ns3::Application>> add_flow(const Ns3Hosts& h, std::uint16_t port,
                                                                           std::uint64_t bytes) {
  ns3::PacketSinkHelper sink("ns3::TcpSocketFactory", ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), port));
  ns3::BulkSendHelper source("ns3::TcpSocketFactory", ns3::InetSocketAddress(h.receiver, port));
  source.SetAttribute("MaxBytes", ns3::UintegerValue(bytes));
  source.SetAttribute("SendSize", ns3::UintegerValue(128 * 1024));
  return {source.Install(h.nodes.Get(0)).Get(0), sink.Install(h.nodes.Get(1)).Get(0)};
}

// The baseline: `bytes` from node 0 to node 1, both ns-3's TCP, over `link` with random loss on
// the frames reaching each side (ns-3's RateErrorModel, seeded by the run number). The time runs
// from the first data segment sent to the last byte received (mtcpp's pairings: from A's
// ESTABLISHED to B's CLOSE_WAIT, within a round trip of the same span); -1 if it never ended.
double ns3_pair_seconds(const LinkSpec& link, std::uint64_t seed, double loss, std::uint64_t bytes) {
  const Ns3Hosts hosts = ns3_hosts(link, seed, loss);
  const auto [source, sink] = add_flow(hosts, 5001, bytes);
  double first_tx = -1, done = -1;
  std::uint64_t received = 0;
  source->TraceConnectWithoutContext("Tx", ns3::Callback<void, ns3::Ptr<const ns3::Packet>>(
                                                       [&first_tx](ns3::Ptr<const ns3::Packet>) {
                                                         if (first_tx < 0) first_tx = ns3::Simulator::Now().GetSeconds();
                                                       }));
  sink->TraceConnectWithoutContext(
      "Rx", ns3::Callback<void, ns3::Ptr<const ns3::Packet>, const ns3::Address&>(
                [&](ns3::Ptr<const ns3::Packet> p, const ns3::Address&) {
                  received += p->GetSize();
                  if (received >= bytes && done < 0) {
                    done = ns3::Simulator::Now().GetSeconds();
                    ns3::Simulator::Stop();
                  }
                }));
  ns3::Simulator::Stop(ns3::Seconds(1200));
  ns3::Simulator::Run();
  ns3::Simulator::Destroy();
  return first_tx >= 0 && done > first_tx ? done - first_tx : -1;
}

// From A's ESTABLISHED to B's CLOSE_WAIT (B has every byte and the FIN), in seconds; -1 if the
// run never got there.
double transfer_seconds(const Result& r) {
  std::int64_t start = -1, end = -1;
  for (const auto& s : r.states) {
    if (s.host == 0 && s.state == "ESTABLISHED" && start < 0) start = s.time_us;
    if (s.host == 1 && s.state == "CLOSE_WAIT" && end < 0) end = s.time_us;
  }
  return start >= 0 && end > start ? static_cast<double>(end - start) / 1e6 : -1;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// `flows` of ns-3's TCP from node 0 to node 1 (distinct ports), started together over `link`: the
// bytes each had delivered when the first completed.
std::vector<std::uint64_t> ns3_shared(const LinkSpec& link, std::uint64_t seed, double loss, std::uint64_t bytes,
                                      int flows) {
  const Ns3Hosts hosts = ns3_hosts(link, seed, loss);
  std::vector<std::uint64_t> got(static_cast<std::size_t>(flows), 0), snapshot;
  for (int i = 0; i < flows; ++i) {
    const auto [source, sink] = add_flow(hosts, static_cast<std::uint16_t>(5001 + i), bytes);
    sink->TraceConnectWithoutContext(
        "Rx", ns3::Callback<void, ns3::Ptr<const ns3::Packet>, const ns3::Address&>(
                  [&got, &snapshot, i, bytes](ns3::Ptr<const ns3::Packet> p, const ns3::Address&) {
                    got[static_cast<std::size_t>(i)] += p->GetSize();
                    if (got[static_cast<std::size_t>(i)] >= bytes && snapshot.empty()) {
                      snapshot = got;
                      ns3::Simulator::Stop();
                    }
                  }));
  }
  ns3::Simulator::Stop(ns3::Seconds(1200));
  ns3::Simulator::Run();
  ns3::Simulator::Destroy();
  return snapshot;
}

double jain(const std::vector<std::uint64_t>& x) {
  double sum = 0, squares = 0;
  for (const std::uint64_t v : x) {
    sum += static_cast<double>(v);
    squares += static_cast<double>(v) * static_cast<double>(v);
  }
  return squares > 0 ? sum * sum / (static_cast<double>(x.size()) * squares) : 0;
}

int run_fairness(const SweepOptions& o, std::FILE* out) {
  std::fprintf(out, "%d flows of %llu bytes from A to B started together, %s link %s, %.1f ms each way, queue %u frames, seeds 1-%d\n",
               o.flows, static_cast<unsigned long long>(o.bytes), o.link.point_to_point ? "point-to-point" : "CSMA",
               o.link.rate.c_str(), static_cast<double>(o.link.delay_us) / 1000, o.link.queue_packets, o.seeds);
  std::fprintf(out, "Jain's index of the bytes each flow had delivered when the first completed (1: even shares)\n");
  std::fprintf(out, "%-28s %6s %8s %8s %8s\n", "pairing", "loss %", "median", "min", "max");
  int failed = 0;
  std::string json;
  for (double loss : o.losses) {
    for (const Pairing& p : kPairings) {
      if (p.peer == Peer::ns3 && !p.ns3_both) continue;  // fairness among one stack's flows
      std::vector<double> index;
      for (int seed = 1; seed <= o.seeds; ++seed) {
        std::vector<std::uint64_t> shares;
        if (p.ns3_both) {
          shares = ns3_shared(o.link, static_cast<std::uint64_t>(seed), loss, o.bytes, o.flows);
        } else {
          const SharedRun r = shared_transfer(o.flows, run_options(p, seed, o.link), loss, o.bytes);
          if (!r.pass) {
            ++failed;
            report_failure("fairness", p, loss, seed, r.differences);
          }
          shares = r.delivered;
        }
        if (shares.size() == static_cast<std::size_t>(o.flows)) index.push_back(jain(shares));
      }
      if (index.empty()) {
        std::fprintf(out, "%-28s %6.1f %8s\n", p.name, loss * 100, "no run finished");
        ++failed;
        continue;
      }
      const double med = median(index);
      const auto [lo, hi] = std::minmax_element(index.begin(), index.end());
      std::fprintf(out, "%-28s %6.1f %8.3f %8.3f %8.3f\n", p.name, loss * 100, med, *lo, *hi);
      std::fflush(out);
      char line[320];
      std::snprintf(line, sizeof line,
                    "{\"bench\":\"sim_fairness\",\"link\":\"%s\",\"pairing\":\"%s\",\"flows\":%d,\"loss\":%g,"
                    "\"bytes\":%llu,\"seeds\":%d,\"median_jain\":%.4f,\"min_jain\":%.4f,\"max_jain\":%.4f}\n",
                    o.link.point_to_point ? "p2p" : "csma", p.name, o.flows, loss,
                    static_cast<unsigned long long>(o.bytes), o.seeds, med, *lo, *hi);
      json += line;
    }
  }
  std::fputs(json.c_str(), out);
  return failed;
}

}  // namespace

int run_sweep(const SweepOptions& o, std::FILE* out) {
  configure_ns3_tcp();
  if (o.flows > 0) return run_fairness(o, out);
  std::fprintf(out, "%llu bytes from A to B, %s link %s, %.1f ms each way, queue %u frames, seeds 1-%d; loss per direction\n",
               static_cast<unsigned long long>(o.bytes), o.link.point_to_point ? "point-to-point" : "CSMA",
               o.link.rate.c_str(), static_cast<double>(o.link.delay_us) / 1000, o.link.queue_packets, o.seeds);
  std::fprintf(out, "%-28s %6s %12s %12s %12s %14s %8s\n", "pairing", "loss %", "median s", "min s", "max s",
               "goodput Mbit/s", "retx");
  int failed = 0;
  std::string json;
  for (double loss : o.losses) {
    for (const Pairing& p : kPairings) {
      std::vector<double> times;
      std::vector<double> retransmissions;  // A's, mtcpp senders only
      int failures = 0;
      for (int seed = 1; seed <= o.seeds; ++seed) {
        double t = -1;
        bool pass = true;
        if (p.ns3_both) {
          t = ns3_pair_seconds(o.link, static_cast<std::uint64_t>(seed), loss, o.bytes);
        } else {
          const Result r = bulk_transfer(p.peer, run_options(p, seed, o.link), loss, o.bytes);
          t = transfer_seconds(r);
          pass = r.pass;
          retransmissions.push_back(static_cast<double>(r.retransmissions));
          if (!pass) report_failure("sweep", p, loss, seed, r.differences);
        }
        if (!pass || t < 0) ++failures;
        if (t > 0) times.push_back(t);
      }
      failed += failures;
      if (times.empty()) {
        std::fprintf(out, "%-28s %6.1f %12s\n", p.name, loss * 100, "no run finished");
        continue;
      }
      const double med = median(times);
      const auto [lo, hi] = std::minmax_element(times.begin(), times.end());
      const double goodput = static_cast<double>(o.bytes) * 8 / med / 1e6;
      const double retx = retransmissions.empty() ? -1 : median(retransmissions);
      std::fprintf(out, "%-28s %6.1f %12.3f %12.3f %12.3f %14.2f %8s%s\n", p.name, loss * 100, med, *lo, *hi, goodput,
                   retx < 0 ? "-" : std::to_string(static_cast<long>(retx)).c_str(),
                   failures ? " (some runs failed their checks)" : "");
      std::fflush(out);
      char line[384];
      std::snprintf(line, sizeof line,
                    "{\"bench\":\"sim_sweep\",\"link\":\"%s\",\"pairing\":\"%s\",\"loss\":%g,\"bytes\":%llu,"
                    "\"seeds\":%d,\"median_s\":%.6f,\"min_s\":%.6f,\"max_s\":%.6f,\"goodput_mbit_s\":%.3f,"
                    "\"median_retransmissions\":%.1f,\"failed\":%d}\n",
                    o.link.point_to_point ? "p2p" : "csma", p.name, loss, static_cast<unsigned long long>(o.bytes),
                    o.seeds, med, *lo, *hi, goodput, retx, failures);
      json += line;
    }
  }
  std::fputs(json.c_str(), out);
  return failed;
}

}  // namespace mtcpp::sim
