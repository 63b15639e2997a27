#include "api/config_file.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <iomanip>
#include <limits>
#include <map>
#include <sstream>

namespace mtcpp::api {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TcpConfig mtcp_default_tcp() {
  TcpConfig tcp;
  tcp.receive_buffer = 8192;
  tcp.send_buffer = 8192;
  tcp.max_connections = 10000;
  tcp.time_wait = 0s;
  tcp.idle_timeout = 30s;  // tcp_timeout
  return tcp;
}

namespace {

constexpr std::int64_t kIntMax = std::numeric_limits<std::int32_t>::max();
constexpr std::int64_t kIntMin = std::numeric_limits<std::int32_t>::min();
constexpr std::int64_t kMaxBuffer = std::int64_t{1} << 30;  // StackConfig::validate's bound

// ---------------------------------------------------------------- lines and words

// '\r' counts as space, which is all CRLF files need.
constexpr std::string_view kSpace = " \t\r\f\v";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  while (true) {
    const auto start = s.find_first_not_of(kSpace);
    if (start == std::string_view::npos) return words;
    s.remove_prefix(start);
    const auto end = std::min(s.find_first_of(kSpace), s.size());
    words.push_back(s.substr(0, end));
    s.remove_prefix(end);
  }
}

struct Line {
  int number;  // 1-based, counting every line of the file
  std::string_view text;
};

// The lines that say something, with comments and surrounding whitespace removed.
std::vector<Line> meaningful_lines(std::string_view text) {
  std::vector<Line> lines;
  int number = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find('\n', start), text.size());
    ++number;
    std::string_view line = text.substr(start, end - start);
    line = trim(line.substr(0, line.find('#')));
    if (!line.empty()) lines.push_back({number, line});
    start = end + 1;
  }
  return lines;
}

std::string at(std::string_view file, int line, std::string_view message) {
  return std::string(file) + ":" + std::to_string(line) + ": " + std::string(message);
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// ---------------------------------------------------------------- values

// Thrown by the readers below and caught where the file name and line are known, so that each
// key's rule stays one line. It never leaves this file.
struct BadValue {
  std::string why;
};

std::string range(std::int64_t lo, std::int64_t hi) {
  return std::to_string(lo) + ".." + (hi == kIntMax ? std::string() : std::to_string(hi));
}

std::int64_t integer(std::string_view v, std::int64_t lo, std::int64_t hi) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || end != v.data() + v.size() || n < lo || n > hi)
    throw BadValue{"must be an integer in " + range(lo, hi)};
  return n;
}

Duration seconds(std::string_view v, std::int64_t lo, std::int64_t hi) {
  return std::chrono::seconds(integer(v, lo, hi));
}

Duration milliseconds(std::string_view v, std::int64_t lo, std::int64_t hi) {
  return std::chrono::milliseconds(integer(v, lo, hi));
}

bool flag(std::string_view v) {
  if (v == "0") return false;
  if (v == "1") return true;
  throw BadValue{"must be 0 or 1"};
}

std::string one_of(std::string_view v, std::initializer_list<std::string_view> choices) {
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return std::string(v);
  std::string list;
  for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  throw BadValue{"must be one of " + list};
}

std::string one_word(std::string_view v) {
  if (split_words(v).size() != 1) throw BadValue{"must be a single word"};
  return std::string(v);
}

std::uint64_t hex_mask(std::string_view v) {
  if (v.starts_with("0x") || v.starts_with("0X")) v.remove_prefix(2);
  std::uint64_t mask = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), mask, 16);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || mask == 0)
    throw BadValue{"must be a non-zero hexadecimal mask of up to 64 bits, e.g. 0xf"};
  return mask;
}

double probability(std::string_view v) {
  double p = -1;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size() || !(p >= 0 && p <= 1))
    throw BadValue{"must be a probability in 0..1, e.g. 0.01"};
  return p;
}

std::uint64_t unsigned64(std::string_view v) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc{} || end != v.data() + v.size())
    throw BadValue{"must be an integer in 0.." +
                   std::to_string(std::numeric_limits<std::uint64_t>::max())};
  return n;
}

Ipv4Addr ipv4(std::string_view v) {
  if (auto ip = Ipv4Addr::parse(v)) return *ip;
  throw BadValue{"bad IPv4 address " + quoted(v)};
}

Ipv4Addr unicast(Ipv4Addr ip) {
  if (ip.is_unspecified() || ip.is_broadcast() || ip.is_multicast())
    throw BadValue{"must be a unicast IPv4 address"};
  return ip;
}

struct Prefixed {
  Ipv4Addr ip;
  int len;
};

Prefixed ip_slash_prefix(std::string_view v) {
  const auto slash = v.find('/');
  if (slash == std::string_view::npos) throw BadValue{"expected IPv4/prefix, e.g. 10.0.0.1/24"};
  const std::string_view len = v.substr(slash + 1);
  Prefixed p{ipv4(v.substr(0, slash)), 0};
  try {
    p.len = static_cast<int>(integer(len, 0, 32));
  } catch (const BadValue&) {
    throw BadValue{"prefix length " + quoted(len) + " must be an integer in 0..32"};
  }
  return p;
}

MacAddr mac_address(std::string_view v) {
  if (auto mac = MacAddr::parse(v)) return *mac;
  throw BadValue{"bad MAC address " + quoted(v) + ", expected e.g. 02:00:00:00:00:01"};
}

// ---------------------------------------------------------------- mtcp.conf keys

using Setter = void (*)(MtcpConfig&, std::string_view value);

struct Key {
  std::string_view name;
  Setter set;
};

constexpr Key kKeys[] = {
    // mTCP's keys.
    {"io", [](MtcpConfig& c, std::string_view v) {
       c.io = one_of(v, {"dpdk", "psio", "netmap", "onvm", "memory", "host", "pcap"});
     }},
    {"num_cores", [](MtcpConfig& c, std::string_view v) { c.num_cores = integer(v, 1, 64); }},
    {"core_mask", [](MtcpConfig& c, std::string_view v) { c.core_mask = hex_mask(v); }},
    {"num_mem_ch", [](MtcpConfig& c, std::string_view v) { c.num_mem_ch = integer(v, 1, 32); }},
    {"port", [](MtcpConfig& c, std::string_view v) {
       const auto words = split_words(v);
       c.all_ports = words.size() == 1 && words[0] == "all";
       if (!c.all_ports && std::find(words.begin(), words.end(), "all") != words.end())
         throw BadValue{"must be a list of interface names, or all alone"};
       c.ports.assign(words.begin(), c.all_ports ? words.begin() : words.end());
     }},
    {"max_concurrency",
     [](MtcpConfig& c, std::string_view v) {
       c.tcp.max_connections = integer(v, 1, static_cast<std::int64_t>(kMaxConnections));
     }},
    {"max_num_buffers",
     [](MtcpConfig& c, std::string_view v) { c.max_num_buffers = integer(v, 1, kIntMax); }},
    {"rcvbuf", [](MtcpConfig& c, std::string_view v) {
       c.tcp.receive_buffer = integer(v, 2048, kMaxBuffer);
     }},
    {"sndbuf",
     [](MtcpConfig& c, std::string_view v) { c.tcp.send_buffer = integer(v, 2048, kMaxBuffer); }},
    {"tcp_timeout", [](MtcpConfig& c, std::string_view v) {
       const Duration timeout = seconds(v, kIntMin, kIntMax);
       c.tcp.idle_timeout = std::max(timeout, Duration::zero());
     }},
    {"tcp_timewait",
     [](MtcpConfig& c, std::string_view v) { c.tcp.time_wait = seconds(v, 0, kIntMax); }},
    {"stat_print", [](MtcpConfig& c, std::string_view v) {
       for (std::string_view nic : split_words(v)) c.stat_print.emplace_back(nic);
     }},
    {"multiprocess", [](MtcpConfig& c, std::string_view v) { c.multiprocess = flag(v); }},
    {"onvm_serv", [](MtcpConfig& c, std::string_view v) { c.onvm_serv = integer(v, 0, 65535); }},
    {"onvm_inst", [](MtcpConfig& c, std::string_view v) { c.onvm_inst = integer(v, 0, 65535); }},
    {"onvm_dest", [](MtcpConfig& c, std::string_view v) { c.onvm_dest = integer(v, 0, 65535); }},
    {"cc", [](MtcpConfig& c, std::string_view v) { c.cc = one_word(v); }},
    // mtcpp's keys.
    {"address", [](MtcpConfig& c, std::string_view v) {
       std::vector<InterfaceConfig> given;
       for (std::string_view word : split_words(v)) {
         const Prefixed p = ip_slash_prefix(word);
         const Ipv4Addr address = unicast(p.ip);
         for (const InterfaceConfig& f : given)
           if (f.address == address) throw BadValue{"names " + address.to_string() + " twice"};
         given.push_back(InterfaceConfig{address, p.len, std::nullopt});
       }
       c.address = given.front().address;
       c.prefix_len = given.front().prefix_len;
       c.more_addresses.assign(given.begin() + 1, given.end());
     }},
    {"gateway", [](MtcpConfig& c, std::string_view v) { c.gateway = unicast(ipv4(v)); }},
    {"mac", [](MtcpConfig& c, std::string_view v) {
       std::vector<MacAddr> given;
       for (std::string_view word : split_words(v)) {
         const MacAddr mac = mac_address(word);
         if (mac.is_multicast() || mac.is_zero()) throw BadValue{"must be a unicast, non-zero MAC"};
         given.push_back(mac);
       }
       c.mac = given.front();
       c.more_macs.assign(given.begin() + 1, given.end());
       c.mac_given = true;
     }},
    {"mtu", [](MtcpConfig& c, std::string_view v) { c.mtu = integer(v, 576, 9000); }},
    {"seed", [](MtcpConfig& c, std::string_view v) { c.seed = unsigned64(v); }},
    {"clock", [](MtcpConfig& c, std::string_view v) {
       c.clock = one_of(v, {"real", "manual"}) == "real" ? ClockMode::real : ClockMode::manual;
     }},
    {"arp_conf", [](MtcpConfig& c, std::string_view v) { c.arp_conf = v; }},
    {"pcap", [](MtcpConfig& c, std::string_view v) { c.pcap = v; }},
    {"route_conf", [](MtcpConfig& c, std::string_view v) { c.route_conf = v; }},
    {"tcp_rto_min_ms",
     [](MtcpConfig& c, std::string_view v) { c.tcp.rto_min = milliseconds(v, 1, kIntMax); }},
    {"tcp_rto_initial_ms",
     [](MtcpConfig& c, std::string_view v) { c.tcp.rto_initial = milliseconds(v, 1, kIntMax); }},
    {"tcp_rto_max_ms",
     [](MtcpConfig& c, std::string_view v) { c.tcp.rto_max = milliseconds(v, 1, kIntMax); }},
    {"tcp_delayed_ack_ms",
     [](MtcpConfig& c, std::string_view v) { c.tcp.delayed_ack = milliseconds(v, 0, 500); }},
    {"tcp_rcvbuf_autotune", [](MtcpConfig& c, std::string_view v) { c.tcp.receive_autotune = flag(v); }},
    {"tcp_rcvbuf_max", [](MtcpConfig& c, std::string_view v) {
       c.tcp.receive_buffer_max = static_cast<std::uint32_t>(integer(v, 2048, kMaxBuffer));
     }},
    {"tcp_sndbuf_autotune", [](MtcpConfig& c, std::string_view v) { c.tcp.send_autotune = flag(v); }},
    {"tcp_sndbuf_max", [](MtcpConfig& c, std::string_view v) {
       c.tcp.send_buffer_max = static_cast<std::uint32_t>(integer(v, 2048, kMaxBuffer));
     }},
    {"tcp_quick_acks",
     [](MtcpConfig& c, std::string_view v) { c.tcp.quick_acks = static_cast<int>(integer(v, 0, 1000)); }},
    {"tcp_fin_wait_2_timeout_s",
     [](MtcpConfig& c, std::string_view v) { c.tcp.fin_wait_2_timeout = seconds(v, 1, kIntMax); }},
    {"tcp_keepalive_idle_s",
     [](MtcpConfig& c, std::string_view v) { c.tcp.keepalive_idle = seconds(v, 1, kIntMax); }},
    {"tcp_nagle", [](MtcpConfig& c, std::string_view v) { c.tcp.nagle = flag(v); }},
    {"tcp_sack", [](MtcpConfig& c, std::string_view v) { c.tcp.sack = flag(v); }},
    {"tcp_syn_cookies", [](MtcpConfig& c, std::string_view v) { c.tcp.syn_cookies = flag(v); }},
    {"tcp_max_orphans", [](MtcpConfig& c, std::string_view v) { c.tcp.max_orphans = integer(v, 1, kIntMax); }},
    {"tcp_zero_window_timeout_s",
     [](MtcpConfig& c, std::string_view v) { c.tcp.zero_window_timeout = seconds(v, 0, kIntMax); }},
    {"tcp_mtu_probing", [](MtcpConfig& c, std::string_view v) {
       c.tcp.mtu_probing = static_cast<MtuProbing>(integer(v, 0, 2));  // Linux's values
     }},
    {"tcp_mtu_probe_floor",
     [](MtcpConfig& c, std::string_view v) { c.tcp.mtu_probe_floor = static_cast<std::uint16_t>(integer(v, 552, 9000)); }},
    {"tcp_mtu_probe_interval_s",
     [](MtcpConfig& c, std::string_view v) { c.tcp.mtu_probe_interval = seconds(v, 1, kIntMax); }},
    {"tcp_rekey_interval_s", [](MtcpConfig& c, std::string_view v) { c.rekey_interval = seconds(v, 0, kIntMax); }},
    {"tcp_buffer_memory_mb", [](MtcpConfig& c, std::string_view v) {
       c.tcp.buffer_memory_limit = static_cast<std::uint64_t>(integer(v, 0, 1 << 24)) << 20;
     }},
    {"tcp_congestion", [](MtcpConfig& c, std::string_view v) {
       c.tcp.congestion = *congestion_algorithm(one_of(v, {"cubic", "newreno", "reno"}));
     }},
    {"tcp_timestamps", [](MtcpConfig& c, std::string_view v) { c.tcp.timestamps = flag(v); }},
    {"tcp_window_scaling",
     [](MtcpConfig& c, std::string_view v) { c.tcp.window_scaling = flag(v); }},
    {"tcp_initial_window", [](MtcpConfig& c, std::string_view v) {
       c.tcp.initial_window_segments = integer(v, 1, kIntMax);
     }},
    {"tcp_syn_timeout_s",
     [](MtcpConfig& c, std::string_view v) { c.tcp.syn_timeout = seconds(v, 1, kIntMax); }},
    {"tcp_synack_retries",
     [](MtcpConfig& c, std::string_view v) { c.tcp.synack_retries = integer(v, 0, kIntMax); }},
    {"tcp_orphan_persist_timeout_s",
     [](MtcpConfig& c, std::string_view v) { c.tcp.orphan_persist_timeout = seconds(v, 1, kIntMax); }},
    {"dpdk_args", [](MtcpConfig& c, std::string_view v) {
       for (std::string_view arg : split_words(v)) c.dpdk_args.emplace_back(arg);
     }},
    {"dpdk_checksum_offload", [](MtcpConfig& c, std::string_view v) { c.dpdk_checksum_offload = flag(v); }},
    {"fault_drop", [](MtcpConfig& c, std::string_view v) { c.faults.drop = probability(v); }},
    {"fault_duplicate", [](MtcpConfig& c, std::string_view v) { c.faults.duplicate = probability(v); }},
    {"fault_reorder", [](MtcpConfig& c, std::string_view v) { c.faults.reorder = probability(v); }},
    {"fault_corrupt", [](MtcpConfig& c, std::string_view v) { c.faults.corrupt = probability(v); }},
    {"fault_seed", [](MtcpConfig& c, std::string_view v) { c.faults.seed = unsigned64(v); }},
    {"fault_delay_ms",
     [](MtcpConfig& c, std::string_view v) { c.link_delay = std::chrono::milliseconds(integer(v, 0, 10000)); }},
    {"arp_hold_frames",
     [](MtcpConfig& c, std::string_view v) { c.arp_hold_frames = integer(v, 1, 65536); }},
    {"tcp_data_retries",
     [](MtcpConfig& c, std::string_view v) { c.tcp.data_retries = integer(v, 0, kIntMax); }},
};

const Key* find_key(std::string_view name) {
  for (const Key& key : kKeys)
    if (key.name == name) return &key;
  return nullptr;
}

// mtcp.conf as it is being read: the value so far, and where each key was last set, for rules
// that involve several keys and for naming the line of arp_conf and route_conf.
struct Parsing {
  MtcpConfig config;
  std::map<std::string, int, std::less<>> line_of;

  std::optional<int> line(std::string_view key) const {
    const auto it = line_of.find(key);
    return it == line_of.end() ? std::nullopt : std::optional(it->second);
  }
};

// The rules that only make sense once every line is read.
std::optional<std::string> check_whole(Parsing& p, std::string_view file) {
  MtcpConfig& c = p.config;
  TcpConfig& tcp = c.tcp;
  const auto rcvbuf = p.line("rcvbuf");
  const auto sndbuf = p.line("sndbuf");
  if (rcvbuf && !sndbuf) tcp.send_buffer = tcp.receive_buffer;
  if (sndbuf && !rcvbuf) tcp.receive_buffer = tcp.send_buffer;

  if (!(tcp.rto_min <= tcp.rto_initial && tcp.rto_initial <= tcp.rto_max)) {
    // Only a tcp_rto_* line can break this (the defaults agree); blame the last one.
    int last = 0;
    for (std::string_view key : {"tcp_rto_min_ms", "tcp_rto_initial_ms", "tcp_rto_max_ms"})
      last = std::max(last, p.line(key).value_or(0));
    const auto ms = [](Duration d) {
      return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
    };
    return at(file, last,
              "need tcp_rto_min_ms <= tcp_rto_initial_ms <= tcp_rto_max_ms, have " +
                  ms(tcp.rto_min) + ", " + ms(tcp.rto_initial) + ", " + ms(tcp.rto_max));
  }

  const auto gateway = p.line("gateway");
  bool gateway_on_link = same_prefix(c.gateway, c.address, c.prefix_len);
  for (const InterfaceConfig& f : c.more_addresses)
    gateway_on_link = gateway_on_link || same_prefix(c.gateway, f.address, f.prefix_len);
  if (gateway && p.line("address") && !gateway_on_link)
    return at(file, *gateway,
              "gateway = " + c.gateway.to_string() + ": not inside the subnet of " +
                  (c.more_addresses.empty() ? "address " + c.address.to_string() + "/" + std::to_string(c.prefix_len)
                                            : std::string("any address")));

  // Several addresses (and MACs) are one per port, for a stack with an interface per DPDK port.
  const std::size_t addresses = 1 + c.more_addresses.size();
  const std::size_t several_ports = c.io == "dpdk" && c.ports.size() > 1 ? c.ports.size() : 0;
  if (addresses > 1 && addresses != several_ports)
    return at(file, *p.line("address"),
              "address names " + std::to_string(addresses) +
                  " addresses: several are one per port, for io = dpdk with as many ports named" +
                  (several_ports > 0 ? " (port names " + std::to_string(several_ports) + ")" : std::string()));
  if (several_ports > 0 && p.line("address") && addresses == 1)
    return at(file, *p.line("address"),
              "io = dpdk with " + std::to_string(several_ports) +
                  " ports needs an address for each: address = IP/LEN IP/LEN ...");
  if (!c.more_macs.empty() && 1 + c.more_macs.size() > several_ports)
    return at(file, *p.line("mac"),
              "mac names " + std::to_string(1 + c.more_macs.size()) +
                  " MACs: several are one per port, for io = dpdk with as many ports named");
  return std::nullopt;
}

std::optional<std::string> parse_into(Parsing& p, std::string_view text, std::string_view file) {
  for (const Line& line : meaningful_lines(text)) {
    const auto equals = line.text.find('=');
    if (equals == std::string_view::npos)
      return at(file, line.number, "expected 'key = value', got " + quoted(line.text));
    const std::string_view key = trim(line.text.substr(0, equals));
    const std::string_view value = trim(line.text.substr(equals + 1));
    if (key.empty()) return at(file, line.number, "missing key before '='");
    const Key* known = find_key(key);
    if (!known) return at(file, line.number, "unknown key " + quoted(key));
    if (value.empty()) return at(file, line.number, std::string(key) + ": missing value");
    try {
      known->set(p.config, value);
    } catch (const BadValue& bad) {
      return at(file, line.number, std::string(key) + " = " + std::string(value) + ": " + bad.why);
    }
    p.line_of.insert_or_assign(std::string(key), line.number);
  }
  return check_whole(p, file);
}

// ---------------------------------------------------------------- arp.conf and route.conf

// Both files are a header line `WORD count` followed by exactly count two-word lines.
template <typename Entry, typename ParseEntry>
Parsed<std::vector<Entry>> parse_table(std::string_view text, std::string_view file,
                                       const std::string& header, std::string_view form,
                                       ParseEntry parse_entry) {
  Parsed<std::vector<Entry>> result;
  const auto fail = [&](int line, const std::string& message) {
    result.error = at(file, line, message);
    return result;
  };
  const std::vector<Line> lines = meaningful_lines(text);
  if (lines.empty()) {
    result.value.emplace();
    return result;
  }
  const Line& head = lines.front();
  const auto head_words = split_words(head.text);
  if (head_words.size() != 2 || head_words[0] != header)
    return fail(head.number, "expected '" + header + " <count>' first, got " + quoted(head.text));
  std::size_t count = 0;
  try {
    count = integer(head_words[1], 0, kIntMax);
  } catch (const BadValue& bad) {
    return fail(head.number, header + " " + std::string(head_words[1]) + ": count " + bad.why);
  }

  std::vector<Entry> entries;
  for (auto line = lines.begin() + 1; line != lines.end(); ++line) {
    const auto words = split_words(line->text);
    if (words[0] == header)
      return fail(line->number, "a second " + header + " line (the first is line " +
                                    std::to_string(head.number) + ")");
    if (entries.size() == count)
      return fail(line->number, "more entries than the " + std::to_string(count) + " that " +
                                    header + " on line " + std::to_string(head.number) +
                                    " announces");
    if (words.size() != 2)
      return fail(line->number, "expected '" + std::string(form) + "', got " + quoted(line->text));
    try {
      entries.push_back(parse_entry(words[0], words[1]));
    } catch (const BadValue& bad) {
      return fail(line->number, bad.why);
    }
  }
  if (entries.size() < count)
    return fail(head.number, header + " announces " + std::to_string(count) +
                                 " entries but " + std::to_string(entries.size()) + " follow");
  result.value = std::move(entries);
  return result;
}

// Adds the offending word to what ip_slash_prefix says, since a table line has two words.
Prefixed table_prefix(std::string_view word) {
  try {
    return ip_slash_prefix(word);
  } catch (const BadValue& bad) {
    throw BadValue{quoted(word) + ": " + bad.why};
  }
}

// ---------------------------------------------------------------- files

// The whole file, or nothing with error set to "cannot open PATH: reason".
std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char chunk[4096];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) text.append(chunk, n);
  const bool failed = std::ferror(f);
  const int saved_errno = errno;
  std::fclose(f);
  if (failed) {
    error = "cannot read " + path + ": " + std::strerror(saved_errno);
    return std::nullopt;
  }
  return text;
}

// Loads one of the table files into entries. The file is the one the key names (relative to
// mtcp.conf's directory), or default_name there if the key is absent and that file exists.
// path_field ends up holding the file read, or empty.
template <typename Entry, typename Parser>
std::optional<std::string> load_table(const Parsing& p, const std::string& conf_path,
                                      std::string_view key, std::string_view default_name,
                                      Parser parse, std::string& path_field,
                                      std::vector<Entry>& entries) {
  const fs::path dir = fs::path(conf_path).parent_path();
  const std::optional<int> key_line = p.line(key);
  const fs::path file = dir / (key_line ? fs::path(path_field) : fs::path(default_name));
  std::error_code ignored;
  if (!key_line && !fs::exists(file, ignored)) {
    path_field.clear();
    return std::nullopt;
  }
  std::string error;
  const auto text = read_file(file.string(), error);
  if (!text) {
    if (key_line)
      return at(conf_path, *key_line, std::string(key) + " = " + path_field + ": " + error);
    return error;
  }
  auto parsed = parse(*text, file.string());
  if (!parsed.ok()) return parsed.error;
  entries = std::move(*parsed.value);
  path_field = file.string();
  return std::nullopt;
}

// ---------------------------------------------------------------- describe

std::string or_unset(const std::optional<int>& v) {
  return v ? std::to_string(*v) : "(not set)";
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

long long as_ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

long long as_s(Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }

}  // namespace

ParseResult parse_mtcp_conf(std::string_view text, std::string_view file_name) {
  ParseResult result;
  Parsing p;
  if (auto error = parse_into(p, text, file_name))
    result.error = std::move(*error);
  else
    result.value = std::move(p.config);
  return result;
}

Parsed<std::vector<StaticArpEntry>> parse_arp_conf(std::string_view text,
                                                   std::string_view file_name) {
  return parse_table<StaticArpEntry>(
      text, file_name, "ARP_ENTRY", "IP/PREFIX MAC", [](std::string_view ip, std::string_view mac) {
        return StaticArpEntry{table_prefix(ip).ip, mac_address(mac)};
      });
}

Parsed<std::vector<RouteEntry>> parse_route_conf(std::string_view text,
                                                 std::string_view file_name) {
  return parse_table<RouteEntry>(
      text, file_name, "ROUTES", "IP/PREFIX DEVICE", [](std::string_view ip, std::string_view dev) {
        const Prefixed p = table_prefix(ip);
        return RouteEntry{p.ip, p.len, std::string(dev)};
      });
}

ParseResult load_mtcp_conf(const std::string& path) {
  ParseResult result;
  const auto text = read_file(path, result.error);
  if (!text) return result;
  Parsing p;
  auto error = parse_into(p, *text, path);
  MtcpConfig& c = p.config;
  if (!error)
    error = load_table(p, path, "arp_conf", "config/arp.conf", parse_arp_conf, c.arp_conf, c.arp);
  if (!error)
    error = load_table(p, path, "route_conf", "config/route.conf", parse_route_conf, c.route_conf,
                       c.routes);
  if (error)
    result.error = std::move(*error);
  else
    result.value = std::move(c);
  return result;
}

std::string describe(const MtcpConfig& c) {
  std::ostringstream out;
  const auto row = [&out](std::string_view key, const auto& value) {
    out << "  " << std::left << std::setw(26) << key << value << '\n';
  };
  const auto text_or = [](const std::string& s, const char* unset) {
    return s.empty() ? std::string(unset) : s;
  };
  const TcpConfig& t = c.tcp;
  out << "Configuration:\n";
  row("io", text_or(c.io, "(not set)"));
  row("num_cores", c.num_cores ? std::to_string(*c.num_cores) : "(not set: all online CPUs)");
  if (c.core_mask) {
    std::ostringstream mask;
    mask << "0x" << std::hex << *c.core_mask;
    row("core_mask", mask.str());
  } else {
    row("core_mask", "(not set)");
  }
  row("num_mem_ch", or_unset(c.num_mem_ch));
  row("port", c.all_ports ? std::string("all") : text_or(joined(c.ports), "(none)"));
  row("max_concurrency", t.max_connections);
  row("max_num_buffers", c.max_num_buffers);
  row("rcvbuf", t.receive_buffer);
  row("sndbuf", t.send_buffer);
  row("tcp_timeout", t.idle_timeout > Duration::zero() ? std::to_string(as_s(t.idle_timeout)) + " s" : "disabled");
  row("tcp_timewait", std::to_string(as_s(t.time_wait)) + " s");
  row("stat_print", text_or(joined(c.stat_print), "(none)"));
  row("multiprocess", c.multiprocess ? 1 : 0);
  row("onvm_serv", or_unset(c.onvm_serv));
  row("onvm_inst", or_unset(c.onvm_inst));
  row("onvm_dest", or_unset(c.onvm_dest));
  row("cc", text_or(c.cc, "(not set)"));
  std::string addresses = c.address.to_string() + "/" + std::to_string(c.prefix_len);
  for (const InterfaceConfig& f : c.more_addresses) addresses += " " + f.address.to_string() + "/" + std::to_string(f.prefix_len);
  row("address", c.address.is_unspecified() ? std::string("(not set)") : addresses);
  row("gateway", c.gateway.is_unspecified() ? std::string("(not set)") : c.gateway.to_string());
  std::string macs = c.mac.to_string();
  for (const MacAddr& m : c.more_macs) macs += " " + m.to_string();
  row("mac", c.mac_given ? macs : c.mac.to_string() + " (default; io = dpdk: the port's)");
  row("mtu", c.mtu ? std::to_string(*c.mtu) : "(the link's)");
  row("seed", c.seed ? std::to_string(*c.seed) : std::string("(none: secrets from the OS)"));
  row("clock", c.clock == ClockMode::real ? "real" : "manual");
  row("arp_conf", text_or(c.arp_conf, "(none)"));
  row("pcap", text_or(c.pcap, "(none)"));
  row("route_conf", text_or(c.route_conf, "(none)"));
  row("tcp_rto_min_ms", as_ms(t.rto_min));
  row("tcp_rto_initial_ms", as_ms(t.rto_initial));
  row("tcp_rto_max_ms", as_ms(t.rto_max));
  row("tcp_delayed_ack_ms", as_ms(t.delayed_ack));
  row("tcp_quick_acks", std::to_string(t.quick_acks));
  row("tcp_rcvbuf_autotune", t.receive_autotune ? "1" : "0");
  row("tcp_rcvbuf_max", std::to_string(t.receive_buffer_max));
  row("tcp_sndbuf_autotune", t.send_autotune ? "1" : "0");
  row("tcp_sndbuf_max", std::to_string(t.send_buffer_max));
  row("tcp_congestion", std::string(congestion_name(t.congestion)));
  row("tcp_fin_wait_2_timeout_s", as_s(t.fin_wait_2_timeout));
  row("tcp_keepalive_idle_s", as_s(t.keepalive_idle));
  row("tcp_nagle", t.nagle ? 1 : 0);
  row("tcp_sack", t.sack ? 1 : 0);
  row("tcp_syn_cookies", t.syn_cookies ? 1 : 0);
  row("tcp_max_orphans", t.max_orphans);
  row("tcp_zero_window_timeout_s",
      t.zero_window_timeout > Duration::zero() ? std::to_string(as_s(t.zero_window_timeout)) : "0 (no limit)");
  row("tcp_mtu_probing", static_cast<int>(t.mtu_probing));
  row("tcp_mtu_probe_floor", t.mtu_probe_floor);
  row("tcp_mtu_probe_interval_s", as_s(t.mtu_probe_interval));
  row("tcp_rekey_interval_s", c.rekey_interval > Duration::zero() ? std::to_string(as_s(c.rekey_interval)) : "0 (never)");
  row("tcp_buffer_memory_mb",
      t.buffer_memory_limit > 0 ? std::to_string(t.buffer_memory_limit >> 20) : "0 (no limit)");
  row("tcp_timestamps", t.timestamps ? 1 : 0);
  row("tcp_window_scaling", t.window_scaling ? 1 : 0);
  row("tcp_initial_window", t.initial_window_segments);
  row("tcp_syn_timeout_s", as_s(t.syn_timeout));
  row("tcp_synack_retries", t.synack_retries);
  row("tcp_orphan_persist_timeout_s", as_s(t.orphan_persist_timeout));
  row("arp_hold_frames", c.arp_hold_frames);
  row("dpdk_args", text_or(joined(c.dpdk_args), "(none)"));
  row("dpdk_checksum_offload", c.dpdk_checksum_offload ? 1 : 0);
  row("fault_drop", c.faults.drop);
  row("fault_duplicate", c.faults.duplicate);
  row("fault_reorder", c.faults.reorder);
  row("fault_corrupt", c.faults.corrupt);
  row("fault_seed", c.faults.seed);
  row("fault_delay_ms", std::chrono::duration_cast<std::chrono::milliseconds>(c.link_delay).count());
  row("tcp_data_retries", t.data_retries);

  out << "Routes: " << c.routes.size() << '\n';
  for (const RouteEntry& r : c.routes) {
    if (r.prefix_len == 0)
      out << "  default via " << r.prefix.to_string() << " dev " << r.dev << '\n';
    else
      out << "  " << r.prefix.to_string() << '/' << r.prefix_len << " dev " << r.dev << '\n';
  }
  out << "Static ARP entries: " << c.arp.size() << '\n';
  for (const StaticArpEntry& e : c.arp)
    out << "  " << e.ip.to_string() << " at " << e.mac.to_string() << '\n';
  return out.str();
}

}  // namespace mtcpp::api
