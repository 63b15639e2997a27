// mtcp.conf, arp.conf and route.conf parsing: values, defaults, and errors that name file and line.
#include "api/config_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace mtcpp::api {
namespace {

using namespace std::chrono_literals;

// The error of a parse expected to fail, or a marker that it did not.
template <typename T>
std::string error_of(const Parsed<T>& parsed) {
  return parsed.ok() ? "(parsed without error)" : parsed.error;
}

MtcpConfig parse_ok(std::string_view text) {
  ParseResult parsed = parse_mtcp_conf(text, "test.conf");
  EXPECT_TRUE(parsed.ok()) << parsed.error;
  return parsed.ok() ? *parsed.value : MtcpConfig{};
}

// Shaped like mTCP's sample epserver.conf: commented-out alternatives, trailing comments.
constexpr std::string_view kEpserverConf = R"(######### mtcp configuration file #########

# The I/O module; only one may be enabled.
#io = psio
#io = netmap
io = dpdk

# Cores to run mTCP threads on (overrides the app's -N).
num_cores = 4
core_mask = 0000000F

# Memory channels per socket (DPDK only)
num_mem_ch = 4

# Ports in use
#port = xge0 xge1
port = dpdk0 dpdk1

# rcvbuf defaults to sndbuf and the other way round
rcvbuf = 16384
sndbuf = 8192

max_concurrency = 30000   # per core
max_num_buffers = 30000

# tcp_timeout = -1 disables the idle timeout
tcp_timeout = 30
tcp_timewait = 0

# One NIC per line
stat_print = dpdk0
stat_print = dpdk1

#######################################################
)";

TEST(ConfigFileMtcp, ParsesSampleEpserverConf) {
  const MtcpConfig c = parse_ok(kEpserverConf);
  EXPECT_EQ(c.io, "dpdk");
  EXPECT_EQ(c.num_cores, 4);
  EXPECT_EQ(c.core_mask, 0xfu);
  EXPECT_EQ(c.num_mem_ch, 4);
  EXPECT_EQ(c.ports, (std::vector<std::string>{"dpdk0", "dpdk1"}));
  EXPECT_FALSE(c.all_ports);
  EXPECT_EQ(c.tcp.receive_buffer, 16384u);
  EXPECT_EQ(c.tcp.send_buffer, 8192u);
  EXPECT_EQ(c.tcp.max_connections, 30000u);
  EXPECT_EQ(c.max_num_buffers, 30000u);
  EXPECT_EQ(c.tcp.idle_timeout, Duration(30s));
  EXPECT_EQ(c.tcp.time_wait, Duration(0s));
  EXPECT_EQ(c.stat_print, (std::vector<std::string>{"dpdk0", "dpdk1"}));
}

TEST(ConfigFileMtcp, ParsesMtcppKeys) {
  const MtcpConfig c = parse_ok(
      "io = memory\n"
      "address = 10.0.0.1/16\n"
      "gateway = 10.0.255.254\n"
      "mac = 02:aa:bb:cc:dd:ee\n"
      "mtu = 9000\n"
      "seed = 18446744073709551615\n"
      "clock = manual\n"
      "arp_conf = tables/arp.conf\n"
      "route_conf = /etc/mtcp/route.conf\n"
      "tcp_rto_min_ms = 200\n"
      "tcp_congestion = reno\n"
      "tcp_quick_acks = 0\n"
      "tcp_rto_initial_ms = 500\n"
      "tcp_rto_max_ms = 10000\n"
      "tcp_delayed_ack_ms = 0\n"
      "tcp_fin_wait_2_timeout_s = 5\n"
      "tcp_keepalive_idle_s = 60\n"
      "tcp_nagle = 0\n"
      "tcp_sack = 0\n"
      "tcp_timestamps = 0\n"
      "tcp_window_scaling = 0\n"
      "tcp_initial_window = 4\n"
      "tcp_synack_retries = 2\n"
      "tcp_syn_timeout_s = 240\n"
      "tcp_orphan_persist_timeout_s = 30\n"
      "tcp_zero_window_timeout_s = 600\n"
      "tcp_buffer_memory_mb = 64\n"
      "tcp_mtu_probing = 2\n"
      "tcp_mtu_probe_floor = 1200\n"
      "tcp_mtu_probe_interval_s = 60\n"
      "arp_hold_frames = 200\n"
      "tcp_data_retries = 3\n"
      "multiprocess = 1\n"
      "onvm_serv = 1\n"
      "onvm_inst = 2\n"
      "onvm_dest = 3\n"
      "cc = cubic\n"
      "port = all\n");
  EXPECT_EQ(c.io, "memory");
  EXPECT_EQ(c.address, Ipv4Addr::of(10, 0, 0, 1));
  EXPECT_EQ(c.prefix_len, 16);
  EXPECT_EQ(c.gateway, Ipv4Addr::of(10, 0, 255, 254));
  EXPECT_EQ(c.mac, (MacAddr{{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}}));
  EXPECT_EQ(c.mtu, 9000);
  EXPECT_EQ(c.seed, 18446744073709551615u);
  EXPECT_EQ(c.clock, ClockMode::manual);
  EXPECT_EQ(c.arp_conf, "tables/arp.conf");
  EXPECT_EQ(c.route_conf, "/etc/mtcp/route.conf");
  EXPECT_EQ(c.tcp.rto_min, Duration(200ms));
  EXPECT_EQ(c.tcp.congestion, CongestionAlgorithm::newreno);
  EXPECT_EQ(c.tcp.quick_acks, 0);
  EXPECT_EQ(c.tcp.rto_initial, Duration(500ms));
  EXPECT_EQ(c.tcp.rto_max, Duration(10s));
  EXPECT_EQ(c.tcp.delayed_ack, Duration(0ms));
  EXPECT_EQ(c.tcp.fin_wait_2_timeout, Duration(5s));
  EXPECT_EQ(c.tcp.keepalive_idle, Duration(60s));
  EXPECT_FALSE(c.tcp.nagle);
  EXPECT_FALSE(c.tcp.sack);
  EXPECT_FALSE(c.tcp.timestamps);
  EXPECT_FALSE(c.tcp.window_scaling);
  EXPECT_EQ(c.tcp.initial_window_segments, 4u);
  EXPECT_EQ(c.tcp.synack_retries, 2);
  EXPECT_EQ(c.tcp.syn_timeout, std::chrono::seconds(240));
  EXPECT_EQ(c.tcp.orphan_persist_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.tcp.zero_window_timeout, std::chrono::seconds(600));
  EXPECT_EQ(c.tcp.buffer_memory_limit, 64u << 20);
  EXPECT_EQ(c.tcp.mtu_probing, MtuProbing::always);
  EXPECT_EQ(c.tcp.mtu_probe_floor, 1200);
  EXPECT_EQ(c.tcp.mtu_probe_interval, std::chrono::seconds(60));
  EXPECT_EQ(c.arp_hold_frames, 200u);
  EXPECT_EQ(c.tcp.data_retries, 3);
  EXPECT_TRUE(c.multiprocess);
  EXPECT_EQ(c.onvm_serv, 1);
  EXPECT_EQ(c.onvm_inst, 2);
  EXPECT_EQ(c.onvm_dest, 3);
  EXPECT_EQ(c.cc, "cubic");
  EXPECT_TRUE(c.all_ports);
  EXPECT_TRUE(c.ports.empty());
}

TEST(ConfigFileMtcp, DefaultsWhenKeysAreAbsent) {
  const MtcpConfig c = parse_ok("# nothing but a comment\n\n   \n");
  const TcpConfig core_defaults;
  EXPECT_EQ(c.io, "");
  EXPECT_FALSE(c.num_cores);
  EXPECT_FALSE(c.core_mask);
  EXPECT_FALSE(c.num_mem_ch);
  EXPECT_TRUE(c.ports.empty());
  EXPECT_FALSE(c.all_ports);
  EXPECT_EQ(c.tcp.max_connections, 10000u);
  EXPECT_EQ(c.max_num_buffers, 10000u);
  EXPECT_EQ(c.tcp.receive_buffer, 8192u);
  EXPECT_EQ(c.tcp.send_buffer, 8192u);
  EXPECT_EQ(c.tcp.idle_timeout, Duration(30s));
  EXPECT_EQ(c.tcp.time_wait, Duration(0s));  // mTCP's default, not the core's 2·MSL
  EXPECT_TRUE(c.stat_print.empty());
  EXPECT_FALSE(c.multiprocess);
  EXPECT_FALSE(c.onvm_serv);
  EXPECT_EQ(c.cc, "");
  EXPECT_TRUE(c.address.is_unspecified());
  EXPECT_TRUE(c.gateway.is_unspecified());
  EXPECT_EQ(c.mac, (MacAddr{{0x02, 0, 0, 0, 0, 0x01}}));
  EXPECT_FALSE(c.mtu);
  EXPECT_FALSE(c.seed) << "without a seed, secrets come from the OS";
  EXPECT_EQ(c.clock, ClockMode::real);
  EXPECT_EQ(c.arp_conf, "");
  EXPECT_EQ(c.route_conf, "");
  EXPECT_TRUE(c.arp.empty());
  EXPECT_TRUE(c.routes.empty());
  // Knobs mTCP has no key for keep the core's defaults.
  EXPECT_EQ(c.tcp.rto_min, core_defaults.rto_min);
  EXPECT_EQ(c.tcp.delayed_ack, core_defaults.delayed_ack);
  EXPECT_EQ(c.tcp.sack, core_defaults.sack);
}

TEST(ConfigFileMtcp, EmptyTextIsAllDefaults) {
  EXPECT_EQ(parse_ok("").tcp.receive_buffer, 8192u);
}

TEST(ConfigFileMtcp, BuffersDefaultToEachOther) {
  MtcpConfig c = parse_ok("rcvbuf = 4096\n");
  EXPECT_EQ(c.tcp.receive_buffer, 4096u);
  EXPECT_EQ(c.tcp.send_buffer, 4096u);

  c = parse_ok("sndbuf = 65536\n");
  EXPECT_EQ(c.tcp.receive_buffer, 65536u);
  EXPECT_EQ(c.tcp.send_buffer, 65536u);

  c = parse_ok("sndbuf = 65536\nrcvbuf = 4096\n");
  EXPECT_EQ(c.tcp.receive_buffer, 4096u);
  EXPECT_EQ(c.tcp.send_buffer, 65536u);

  c = parse_ok("num_cores = 1\n");
  EXPECT_EQ(c.tcp.receive_buffer, 8192u);
  EXPECT_EQ(c.tcp.send_buffer, 8192u);
}

// The parser's ranges are the core's: values at the edges of every range still build a stack.
TEST(ConfigFileMtcp, EdgeValuesPassStackConfigValidate) {
  for (const char* text : {
           "address = 10.0.0.1/24\nrcvbuf = 2048\nsndbuf = 1073741824\nmtu = 576\n"
           "tcp_timewait = 0\ntcp_delayed_ack_ms = 500\ntcp_rto_min_ms = 1\n"
           "tcp_rto_initial_ms = 1\ntcp_rto_max_ms = 1\ntcp_initial_window = 1\n"
           "tcp_synack_retries = 0\ntcp_syn_timeout_s = 1\ntcp_data_retries = 0\ntcp_keepalive_idle_s = 1\n"
           "tcp_fin_wait_2_timeout_s = 1\nmax_concurrency = 1\n",
           "address = 10.0.0.1/0\ngateway = 192.168.0.1\nmtu = 9000\nrcvbuf = 1073741824\n"
           "tcp_delayed_ack_ms = 0\n"}) {
    const MtcpConfig c = parse_ok(text);
    StackConfig stack;
    stack.address = c.address;
    stack.prefix_len = c.prefix_len;
    stack.gateway = c.gateway;
    stack.mtu = c.mtu;
    stack.seed = c.seed.value_or(1);
    stack.tcp = c.tcp;
    EXPECT_EQ(stack.validate(), std::nullopt) << text;
  }
}

TEST(ConfigFileMtcp, NonPositiveTcpTimeoutDisablesIt) {
  EXPECT_EQ(parse_ok("tcp_timeout = -1\n").tcp.idle_timeout, Duration::zero());
  EXPECT_EQ(parse_ok("tcp_timeout = 0\n").tcp.idle_timeout, Duration::zero());
  EXPECT_EQ(parse_ok("tcp_timeout = 5\n").tcp.idle_timeout, Duration(5s));
}

TEST(ConfigFileMtcp, CoreMaskTakesOptional0x) {
  EXPECT_EQ(parse_ok("core_mask = 0xF0\n").core_mask, 0xf0u);
  EXPECT_EQ(parse_ok("core_mask = ffffffffffffffff\n").core_mask, ~std::uint64_t{0});
}

TEST(ConfigFileMtcp, LaterDuplicateKeyWins) {
  const MtcpConfig c = parse_ok("num_cores = 2\nport = dpdk0\nnum_cores = 8\nport = all\n");
  EXPECT_EQ(c.num_cores, 8);
  EXPECT_TRUE(c.all_ports);
  EXPECT_TRUE(c.ports.empty());
  EXPECT_EQ(parse_ok("port = all\nport = xge1\n").ports, std::vector<std::string>{"xge1"});
}

TEST(ConfigFileMtcp, TrailingCommentsAndWhitespace) {
  const MtcpConfig c = parse_ok(
      "\t io\t=\tpsio   # the old PacketShader driver\n"
      "num_cores=2#no spaces at all\n"
      "   port =   xge0\t  xge1   # two NICs\n");
  EXPECT_EQ(c.io, "psio");
  EXPECT_EQ(c.num_cores, 2);
  EXPECT_EQ(c.ports, (std::vector<std::string>{"xge0", "xge1"}));
}

TEST(ConfigFileMtcp, ToleratesCrlfLineEndings) {
  const MtcpConfig c =
      parse_ok("# windows\r\nio = netmap\r\nrcvbuf = 4096 # c\r\n\r\nport = eth0\r\n");
  EXPECT_EQ(c.io, "netmap");
  EXPECT_EQ(c.tcp.receive_buffer, 4096u);
  EXPECT_EQ(c.ports, std::vector<std::string>{"eth0"});
  EXPECT_EQ(error_of(parse_mtcp_conf("io = dpdk\r\nbogus = 1\r\n", "w.conf")),
            "w.conf:2: unknown key 'bogus'");
}

// Each error class, with the line it must point at.
struct BadConf {
  const char* text;
  const char* error;
};

class ConfigFileMtcpErrors : public testing::TestWithParam<BadConf> {};

TEST_P(ConfigFileMtcpErrors, NamesFileLineAndWhatIsAllowed) {
  EXPECT_EQ(error_of(parse_mtcp_conf(GetParam().text, "mtcp.conf")), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    ConfigFile, ConfigFileMtcpErrors,
    testing::Values(
        BadConf{"io = dpdk\n# ok so far\nmax_concurency = 10\n",
                "mtcp.conf:3: unknown key 'max_concurency'"},
        BadConf{"tcp_congestion = bbr\n",
                "mtcp.conf:1: tcp_congestion = bbr: must be one of cubic, newreno, reno"},
        BadConf{"tcp_mtu_probing = 3\n",
                "mtcp.conf:1: tcp_mtu_probing = 3: must be an integer in 0..2"},
        BadConf{"tcp_quick_acks = -1\n",
                "mtcp.conf:1: tcp_quick_acks = -1: must be an integer in 0..1000"},
        BadConf{"\n\njust some words\n",
                "mtcp.conf:3: expected 'key = value', got 'just some words'"},
        BadConf{"= 5\n", "mtcp.conf:1: missing key before '='"},
        BadConf{"io = dpdk\nnum_cores =   # nothing\n", "mtcp.conf:2: num_cores: missing value"},
        BadConf{"num_cores = four\n", "mtcp.conf:1: num_cores = four: must be an integer in 1..64"},
        BadConf{"\nnum_cores = 65\n", "mtcp.conf:2: num_cores = 65: must be an integer in 1..64"},
        BadConf{"num_cores = 4x\n", "mtcp.conf:1: num_cores = 4x: must be an integer in 1..64"},
        BadConf{"io = dpdk\n\n\nio = rdma\n",
                "mtcp.conf:4: io = rdma: must be one of dpdk, psio, netmap, onvm, memory, host, "
                "pcap"},
        BadConf{"core_mask = 0x\n",
                "mtcp.conf:1: core_mask = 0x: must be a non-zero hexadecimal mask of up to 64 "
                "bits, e.g. 0xf"},
        BadConf{"core_mask = 0\n",
                "mtcp.conf:1: core_mask = 0: must be a non-zero hexadecimal mask of up to 64 bits, "
                "e.g. 0xf"},
        BadConf{"port = dpdk0 all\n",
                "mtcp.conf:1: port = dpdk0 all: must be a list of interface names, or all alone"},
        // The core's bound (StackConfig::validate) is caught here, with a line.
        BadConf{"sndbuf = 8192\nrcvbuf = 1024\n",
                "mtcp.conf:2: rcvbuf = 1024: must be an integer in 2048..1073741824"},
        BadConf{"max_concurrency = 0\n",
                "mtcp.conf:1: max_concurrency = 0: must be an integer in 1..16777216"},
        BadConf{"tcp_timewait = -1\n", "mtcp.conf:1: tcp_timewait = -1: must be an integer in 0.."},
        BadConf{"multiprocess = yes\n", "mtcp.conf:1: multiprocess = yes: must be 0 or 1"},
        BadConf{"onvm_serv = 70000\n",
                "mtcp.conf:1: onvm_serv = 70000: must be an integer in 0..65535"},
        BadConf{"cc = new reno\n", "mtcp.conf:1: cc = new reno: must be a single word"},
        BadConf{"address = 10.0.0.1\n",
                "mtcp.conf:1: address = 10.0.0.1: expected IPv4/prefix, e.g. 10.0.0.1/24"},
        BadConf{"address = 10.0.0.256/24\n",
                "mtcp.conf:1: address = 10.0.0.256/24: bad IPv4 address '10.0.0.256'"},
        BadConf{"address = 10.0.0.1/33\n",
                "mtcp.conf:1: address = 10.0.0.1/33: prefix length '33' must be an integer in "
                "0..32"},
        BadConf{"address = 224.0.0.1/4\n",
                "mtcp.conf:1: address = 224.0.0.1/4: must be a unicast IPv4 address"},
        BadConf{"gateway = 0.0.0.0\n",
                "mtcp.conf:1: gateway = 0.0.0.0: must be a unicast IPv4 address"},
        BadConf{"gateway = 192.168.1.1\naddress = 10.0.0.1/24\n",
                "mtcp.conf:1: gateway = 192.168.1.1: not inside the subnet of address 10.0.0.1/24"},
        BadConf{"address = 10.0.0.1/24 10.0.1.1/24\n",
                "mtcp.conf:1: address names 2 addresses: several are one per port, for io = dpdk with "
                "as many ports named"},
        BadConf{"io = dpdk\nport = dpdk0 dpdk1 dpdk2\naddress = 10.0.0.1/24 10.0.1.1/24\n",
                "mtcp.conf:3: address names 2 addresses: several are one per port, for io = dpdk with "
                "as many ports named (port names 3)"},
        BadConf{"io = dpdk\nport = dpdk0 dpdk1\naddress = 10.0.0.1/24\n",
                "mtcp.conf:3: io = dpdk with 2 ports needs an address for each: address = IP/LEN IP/LEN ..."},
        BadConf{"io = dpdk\nport = dpdk0 dpdk1\naddress = 10.0.0.1/24 10.0.0.1/16\n",
                "mtcp.conf:3: address = 10.0.0.1/24 10.0.0.1/16: names 10.0.0.1 twice"},
        BadConf{"io = dpdk\nport = dpdk0 dpdk1\nmac = 02:00:00:00:00:01 02:00:00:00:00:02 02:00:00:00:00:03\n",
                "mtcp.conf:3: mac names 3 MACs: several are one per port, for io = dpdk with as many "
                "ports named"},
        BadConf{"io = dpdk\nport = dpdk0 dpdk1\naddress = 10.0.0.1/24 10.0.1.1/24\ngateway = 10.0.2.1\n",
                "mtcp.conf:4: gateway = 10.0.2.1: not inside the subnet of any address"},
        BadConf{"mac = 02:00:00:00:00\n",
                "mtcp.conf:1: mac = 02:00:00:00:00: bad MAC address '02:00:00:00:00', expected "
                "e.g. 02:00:00:00:00:01"},
        BadConf{"mac = 01:00:5e:00:00:01\n",
                "mtcp.conf:1: mac = 01:00:5e:00:00:01: must be a unicast, non-zero MAC"},
        BadConf{"mtu = 500\n", "mtcp.conf:1: mtu = 500: must be an integer in 576..9000"},
        BadConf{"seed = -1\n",
                "mtcp.conf:1: seed = -1: must be an integer in 0..18446744073709551615"},
        BadConf{"clock = wall\n", "mtcp.conf:1: clock = wall: must be one of real, manual"},
        BadConf{"tcp_delayed_ack_ms = 501\n",
                "mtcp.conf:1: tcp_delayed_ack_ms = 501: must be an integer in 0..500"},
        BadConf{"tcp_rto_min_ms = 0\n",
                "mtcp.conf:1: tcp_rto_min_ms = 0: must be an integer in 1.."},
        BadConf{"tcp_rto_max_ms = 30000\n# then\ntcp_rto_min_ms = 2000\n",
                "mtcp.conf:3: need tcp_rto_min_ms <= tcp_rto_initial_ms <= tcp_rto_max_ms, have "
                "2000, 1000, 30000"},
        BadConf{"tcp_nagle = 2\n", "mtcp.conf:1: tcp_nagle = 2: must be 0 or 1"},
        BadConf{"tcp_initial_window = 0\n",
                "mtcp.conf:1: tcp_initial_window = 0: must be an integer in 1.."},
        BadConf{"tcp_synack_retries = -1\n",
                "mtcp.conf:1: tcp_synack_retries = -1: must be an integer in 0.."},
        BadConf{"tcp_syn_timeout_s = 0\n",
                "mtcp.conf:1: tcp_syn_timeout_s = 0: must be an integer in 1.."},
        BadConf{"arp_hold_frames = 0\n",
                "mtcp.conf:1: arp_hold_frames = 0: must be an integer in 1..65536"},
        BadConf{"tcp_keepalive_idle_s = 0\n",
                "mtcp.conf:1: tcp_keepalive_idle_s = 0: must be an integer in 1.."}));

// ---------------------------------------------------------------- arp.conf and route.conf

TEST(ConfigFileArp, ParsesEntries) {
  const auto parsed = parse_arp_conf(
      "# (Destination IP address/IP_prefix) (Destination MAC address)\n"
      "\n"
      "ARP_ENTRY 2\r\n"
      "10.0.0.2/32 02:00:00:00:00:02   # the server\n"
      "\t10.0.0.3/24\t02-00-00-00-00-03\n",
      "arp.conf");
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  const std::vector<StaticArpEntry>& arp = *parsed.value;
  ASSERT_EQ(arp.size(), 2u);
  EXPECT_EQ(arp[0].ip, Ipv4Addr::of(10, 0, 0, 2));
  EXPECT_EQ(arp[0].mac, (MacAddr{{2, 0, 0, 0, 0, 2}}));
  EXPECT_EQ(arp[1].ip, Ipv4Addr::of(10, 0, 0, 3));
  EXPECT_EQ(arp[1].mac, (MacAddr{{2, 0, 0, 0, 0, 3}}));
}

TEST(ConfigFileArp, EmptyFileAndZeroCountHaveNoEntries) {
  for (const char* text : {"", "# only comments\n", "ARP_ENTRY 0\n"}) {
    const auto parsed = parse_arp_conf(text, "arp.conf");
    ASSERT_TRUE(parsed.ok()) << parsed.error;
    EXPECT_TRUE(parsed.value->empty());
  }
}

TEST(ConfigFileArp, ErrorsNameFileAndLine) {
  const auto error = [](const char* text) { return error_of(parse_arp_conf(text, "arp.conf")); };
  EXPECT_EQ(error("# c\nARP_ENTRY 3\n10.0.0.2/32 02:00:00:00:00:02\n"),
            "arp.conf:2: ARP_ENTRY announces 3 entries but 1 follow");
  EXPECT_EQ(error("ARP_ENTRY 1\n10.0.0.2/32 02:00:00:00:00:02\n\n10.0.0.3/32 02:00:00:00:00:03\n"),
            "arp.conf:4: more entries than the 1 that ARP_ENTRY on line 1 announces");
  EXPECT_EQ(error("ARP_ENTRY 1\n10.0.0.300/32 02:00:00:00:00:02\n"),
            "arp.conf:2: '10.0.0.300/32': bad IPv4 address '10.0.0.300'");
  EXPECT_EQ(error("ARP_ENTRY 1\n10.0.0.3/33 02:00:00:00:00:02\n"),
            "arp.conf:2: '10.0.0.3/33': prefix length '33' must be an integer in 0..32");
  EXPECT_EQ(error("ARP_ENTRY 1\n10.0.0.3 02:00:00:00:00:02\n"),
            "arp.conf:2: '10.0.0.3': expected IPv4/prefix, e.g. 10.0.0.1/24");
  EXPECT_EQ(error("ARP_ENTRY 1\n10.0.0.3/32 02:00:00:00:00:0g\n"),
            "arp.conf:2: bad MAC address '02:00:00:00:00:0g', expected e.g. 02:00:00:00:00:01");
  EXPECT_EQ(error("ARP_ENTRY 1\n10.0.0.3/32\n"),
            "arp.conf:2: expected 'IP/PREFIX MAC', got '10.0.0.3/32'");
  EXPECT_EQ(error("\n10.0.0.3/32 02:00:00:00:00:02\n"),
            "arp.conf:2: expected 'ARP_ENTRY <count>' first, got '10.0.0.3/32 02:00:00:00:00:02'");
  EXPECT_EQ(error("ARP_ENTRY two\n"),
            "arp.conf:1: ARP_ENTRY two: count must be an integer in 0..");
  EXPECT_EQ(error("ARP_ENTRY 1\nARP_ENTRY 1\n"),
            "arp.conf:2: a second ARP_ENTRY line (the first is line 1)");
}

TEST(ConfigFileRoute, ParsesEntriesIncludingTheDefaultRoute) {
  const auto parsed = parse_route_conf(
      "# (Destination address)/(Prefix) (Device name)\n"
      "ROUTES 2\n"
      "10.0.0.1/24 dpdk0\n"
      "10.0.0.10/0 dpdk0   # default gateway, last\n",
      "route.conf");
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(*parsed.value, (std::vector<RouteEntry>{{Ipv4Addr::of(10, 0, 0, 1), 24, "dpdk0"},
                                                    {Ipv4Addr::of(10, 0, 0, 10), 0, "dpdk0"}}));
}

TEST(ConfigFileRoute, ErrorsNameFileAndLine) {
  const auto error = [](const char* text) { return error_of(parse_route_conf(text, "r.conf")); };
  EXPECT_EQ(error("ROUTES 2\n10.0.0.0/24 dpdk0\n"),
            "r.conf:1: ROUTES announces 2 entries but 1 follow");
  EXPECT_EQ(error("ROUTES 0\n10.0.0.0/24 dpdk0\n"),
            "r.conf:2: more entries than the 0 that ROUTES on line 1 announces");
  EXPECT_EQ(error("ROUTES 1\n10.0.0/24 dpdk0\n"),
            "r.conf:2: '10.0.0/24': bad IPv4 address '10.0.0'");
  EXPECT_EQ(error("ROUTES 1\n10.0.0.0/-1 dpdk0\n"),
            "r.conf:2: '10.0.0.0/-1': prefix length '-1' must be an integer in 0..32");
  EXPECT_EQ(error("ROUTES 1\n10.0.0.0/24\n"),
            "r.conf:2: expected 'IP/PREFIX DEVICE', got '10.0.0.0/24'");
  EXPECT_EQ(error("ROUTES 1\n10.0.0.0/24 dpdk0 extra\n"),
            "r.conf:2: expected 'IP/PREFIX DEVICE', got '10.0.0.0/24 dpdk0 extra'");
  EXPECT_EQ(error("ARP_ENTRY 1\n"), "r.conf:1: expected 'ROUTES <count>' first, got 'ARP_ENTRY 1'");
}

// ---------------------------------------------------------------- files

// A fresh directory under the system temp directory, removed with everything in it.
class ConfigFileLoad : public testing::Test {
 protected:
  void SetUp() override {
    std::string name = (std::filesystem::temp_directory_path() / "mtcpp-conf-XXXXXX").string();
    ASSERT_NE(mkdtemp(name.data()), nullptr);
    dir_ = name;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string write(const std::string& relative, std::string_view text) {
    const std::filesystem::path path = dir_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFileLoad, ReadsArpAndRouteFromConfigDirNextToMtcpConf) {
  const std::string conf = write("mtcp.conf", "io = memory\naddress = 10.0.0.1/24\n");
  const std::string arp = write("config/arp.conf", "ARP_ENTRY 1\n10.0.0.2/32 02:00:00:00:00:02\n");
  const std::string route = write("config/route.conf", "ROUTES 1\n10.0.0.0/24 dpdk0\n");
  const ParseResult loaded = load_mtcp_conf(conf);
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  EXPECT_EQ(loaded.value->io, "memory");
  ASSERT_EQ(loaded.value->arp.size(), 1u);
  EXPECT_EQ(loaded.value->arp[0].ip, Ipv4Addr::of(10, 0, 0, 2));
  ASSERT_EQ(loaded.value->routes.size(), 1u);
  EXPECT_EQ(loaded.value->routes[0].dev, "dpdk0");
  EXPECT_EQ(loaded.value->arp_conf, arp);
  EXPECT_EQ(loaded.value->route_conf, route);
}

TEST_F(ConfigFileLoad, NoConfigDirMeansNoTables) {
  const ParseResult loaded = load_mtcp_conf(write("mtcp.conf", "io = host\n"));
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  EXPECT_TRUE(loaded.value->arp.empty());
  EXPECT_TRUE(loaded.value->routes.empty());
  EXPECT_EQ(loaded.value->arp_conf, "");
  EXPECT_EQ(loaded.value->route_conf, "");
}

TEST_F(ConfigFileLoad, ExplicitPathsAreRelativeToMtcpConf) {
  write("tables/static.arp", "ARP_ENTRY 1\n10.0.0.9/32 02:00:00:00:00:09\n");
  write("config/arp.conf", "ARP_ENTRY 0\n");  // not read: the key overrides the default
  const std::string routes = write("elsewhere/r.conf", "ROUTES 1\n0.0.0.0/0 eth0\n");
  const ParseResult loaded = load_mtcp_conf(
      write("mtcp.conf", "arp_conf = tables/static.arp\nroute_conf = " + routes + "\n"));
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  ASSERT_EQ(loaded.value->arp.size(), 1u);
  EXPECT_EQ(loaded.value->arp[0].ip, Ipv4Addr::of(10, 0, 0, 9));
  EXPECT_EQ(loaded.value->arp_conf, (dir_ / "tables/static.arp").string());
  ASSERT_EQ(loaded.value->routes.size(), 1u);
  EXPECT_EQ(loaded.value->route_conf, routes);
}

TEST_F(ConfigFileLoad, MissingMainFile) {
  const std::string path = (dir_ / "absent.conf").string();
  EXPECT_EQ(error_of(load_mtcp_conf(path)), "cannot open " + path + ": No such file or directory");
}

TEST_F(ConfigFileLoad, MissingNamedTableIsReportedAtItsKey) {
  const std::string conf = write("mtcp.conf", "io = dpdk\n\nroute_conf = nope.conf\n");
  EXPECT_EQ(error_of(load_mtcp_conf(conf)),
            conf + ":3: route_conf = nope.conf: cannot open " + (dir_ / "nope.conf").string() +
                ": No such file or directory");
}

TEST_F(ConfigFileLoad, ErrorsInTablesNameTheirOwnFile) {
  const std::string conf = write("mtcp.conf", "io = dpdk\n");
  const std::string arp = write("config/arp.conf", "ARP_ENTRY 1\n10.0.0.2/32 zz\n");
  EXPECT_EQ(error_of(load_mtcp_conf(conf)),
            arp + ":2: bad MAC address 'zz', expected e.g. 02:00:00:00:00:01");
}

TEST_F(ConfigFileLoad, ErrorsInMainFileComeFirst) {
  const std::string conf = write("mtcp.conf", "io = dpdk\nnum_cores = 0\n");
  write("config/arp.conf", "garbage\n");
  EXPECT_EQ(error_of(load_mtcp_conf(conf)),
            conf + ":2: num_cores = 0: must be an integer in 1..64");
}

// ---------------------------------------------------------------- describe

TEST(ConfigFileMtcp, DpdkKeysAddUpAndMacIsKnownToBeGiven) {
  MtcpConfig c = parse_ok("io = dpdk\nport = dpdk0\n");
  EXPECT_FALSE(c.mac_given);
  EXPECT_TRUE(c.dpdk_checksum_offload);
  EXPECT_TRUE(c.dpdk_args.empty());
  c = parse_ok(
      "io = dpdk\nport = dpdk0\ndpdk_args = --no-huge -m 256\ndpdk_args = --no-pci   --vdev=net_tap0,iface=mt0\n"
      "dpdk_checksum_offload = 0\nmac = 02:00:00:00:00:07\n");
  EXPECT_EQ(c.dpdk_args, (std::vector<std::string>{"--no-huge", "-m", "256", "--no-pci", "--vdev=net_tap0,iface=mt0"}));
  EXPECT_FALSE(c.dpdk_checksum_offload);
  EXPECT_TRUE(c.mac_given);
  EXPECT_EQ(error_of(parse_mtcp_conf("dpdk_checksum_offload = 2\n", "mtcp.conf")).substr(0, 38),
            "mtcp.conf:1: dpdk_checksum_offload = 2");
}

TEST(ConfigFileMtcp, SeveralPortsTakeAnAddressAndMacEach) {
  const MtcpConfig c = parse_ok(
      "io = dpdk\nport = dpdk0 dpdk1\naddress = 10.0.0.1/24 192.168.5.1/16\ngateway = 192.168.0.1\n"
      "mac = 02:00:00:00:00:07 02:00:00:00:00:08\n");
  EXPECT_EQ(c.address, Ipv4Addr::of(10, 0, 0, 1));
  EXPECT_EQ(c.prefix_len, 24);
  ASSERT_EQ(c.more_addresses.size(), 1u);
  EXPECT_EQ(c.more_addresses[0].address, Ipv4Addr::of(192, 168, 5, 1));
  EXPECT_EQ(c.more_addresses[0].prefix_len, 16);
  EXPECT_EQ(c.mac, (MacAddr{{2, 0, 0, 0, 0, 7}}));
  EXPECT_EQ(c.more_macs, (std::vector<MacAddr>{MacAddr{{2, 0, 0, 0, 0, 8}}}));
  const std::string text = describe(c);
  EXPECT_NE(text.find("10.0.0.1/24 192.168.5.1/16"), std::string::npos) << text;
  EXPECT_NE(text.find("02:00:00:00:00:07 02:00:00:00:00:08"), std::string::npos) << text;
  // One MAC for two ports: the second keeps its own. No address: mtcpp's defaults.
  EXPECT_TRUE(parse_mtcp_conf("io = dpdk\nport = dpdk0 dpdk1\nmac = 02:00:00:00:00:07\n", "m").ok());
  EXPECT_TRUE(parse_mtcp_conf("io = dpdk\nport = dpdk0 dpdk1\n", "m").ok());
}

TEST(ConfigFileDescribe, PrintsEffectiveSettingsRoutesAndArp) {
  MtcpConfig c = parse_ok(kEpserverConf);
  c.routes = {{Ipv4Addr::of(10, 0, 0, 0), 24, "dpdk0"}, {Ipv4Addr::of(10, 0, 0, 10), 0, "dpdk0"}};
  c.arp = {{Ipv4Addr::of(10, 0, 0, 2), MacAddr{{2, 0, 0, 0, 0, 2}}}};
  const std::string text = describe(c);
  for (const char* want :
       {"  io                        dpdk\n", "  num_cores                 4\n",
        "  core_mask                 0xf\n", "  port                      dpdk0 dpdk1\n",
        "  rcvbuf                    16384\n", "  sndbuf                    8192\n",
        "  max_concurrency           30000\n", "  tcp_timeout               30 s\n",
        "  tcp_timewait              0 s\n", "  stat_print                dpdk0 dpdk1\n",
        "  address                   (not set)\n",
        "  mac                       02:00:00:00:00:01 (default; io = dpdk: the port's)\n",
        "  tcp_rto_min_ms            200\n", "Routes: 2\n  10.0.0.0/24 dev dpdk0\n",
        "  default via 10.0.0.10 dev dpdk0\n",
        "Static ARP entries: 1\n  10.0.0.2 at 02:00:00:00:00:02\n"})
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "\nin:\n" << text;
}

}  // namespace
}  // namespace mtcpp::api
