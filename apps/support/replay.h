// Replay of a captured TCP conversation against mtcpp (mtcpp-replay): mtcpp plays one endpoint
// of the trace (E), the other endpoint's segments (O) are fed to a stack in trace-time order with
// their acknowledgement numbers, SACK blocks and echoed timestamps translated from E's numbers to
// mtcpp's, mtcpp's socket calls follow what E did (or a script), and what mtcpp sends is compared
// segment by segment with what E sent.
//
//   read_connections → infer_calls | parse_calls → run → compare
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "backends/pcap/trace_file.h"
#include "core/time.h"
#include "core/wire/addr.h"
#include "core/wire/tcp.h"

namespace mtcpp::replay {

// One TCP segment as it was on the wire (absolute sequence numbers).
struct Segment {
  Instant time;
  std::uint8_t flags = 0;
  std::uint32_t seq = 0, ack = 0, len = 0;
  std::uint16_t window = 0;
  TcpOptions options;
  std::string option_kinds;  // in wire order, e.g. "mss,sack-permitted,ts,nop,ws"
  std::vector<std::uint8_t> payload;
};

// One connection of the endpoint mtcpp plays, split by direction, in trace order.
struct Connection {
  Endpoint e, o;
  MacAddr e_mac, o_mac;
  std::vector<Segment> from_e, from_o;
};

// The connections of `as` (port 0: any port of that address), in order of first appearance.
std::variant<std::vector<Connection>, std::string> read_connections(const std::string& trace, Endpoint as,
                                                                    TraceCounters* counters);

// The time of the connection's first segment, either way: the origin of every time shown.
Instant start_of(const Connection& c);

enum class CallKind { listen, connect, write, shutdown_write, close, abort };
struct Call {
  Instant at;
  CallKind kind;
  std::vector<std::uint8_t> data;  // write
};
std::string to_string(const Call& call, Instant origin);

// What E's application did, seen from its segments: listen (or connect, for a SYN of E's), a write
// for each new octet of data E sent, and at E's FIN a close (or a shutdown, when E went on to
// acknowledge data after it), at an RST of E's before any FIN an abort. The application reads
// everything as soon as it arrives.
std::vector<Call> infer_calls(const Connection& c);
// A script instead: "T:CALL ..." with T in seconds from the trace's first segment and CALL one of
// listen, connect, write:N, shutdown, close, abort, e.g. "0:listen 0.5:write:1000 0.8:close".
std::variant<std::vector<Call>, std::string> parse_calls(std::string_view script, const Connection& c);

struct RunOptions {
  Duration tail = std::chrono::seconds(3);  // time mtcpp runs after the trace's last segment
  std::string out_pcap;                     // what mtcpp sent (and received), when set
  std::uint64_t seed = 1;
};
struct Run {
  std::vector<Segment> sent;     // mtcpp's segments
  std::vector<std::string> log;  // every socket call with its result, with its time
  std::string error;             // why the run could not be done
};
Run run(const Connection& c, const std::vector<Call>& calls, const RunOptions& options);

// Fields that legitimately differ between stacks; none is masked unless asked.
struct Masks {
  bool window = false;
  bool options = false;       // which options a segment carries (and their values)
  bool option_order = false;  // the order they come in
  bool timestamps = false;    // TSval and TSecr, relative to each side's first
  bool time = false;          // when a segment was sent
};
struct CompareOptions {
  Masks masks;
  Duration tolerance = std::chrono::milliseconds(10);  // time differences up to this are equal
  bool stop_at_first = false;
};
struct Summary {
  std::size_t recorded = 0, sent = 0, differing = 0;
  std::size_t first_divergence = 0;  // 1-based row; 0 when none
};
// Writes the side-by-side report to out and returns its summary.
Summary compare(const Connection& c, const Run& r, const CompareOptions& options, std::FILE* out);

}  // namespace mtcpp::replay
