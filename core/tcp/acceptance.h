// The tests RFC 9293 §3.10.7.4 puts to an arriving segment in a synchronized state, as pure
// functions of the segment and the few receive and send variables they read, so that a
// connection block (input.cc) and a TIME_WAIT record (time_wait.cc) answer alike.
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <utility>

#include "core/tcp/seq.h"
#include "core/wire/tcp.h"

namespace mtcpp::acceptance {

// First check, PAWS (RFC 7323 §5.3): a timestamp older than TS.Recent (an RST is exempt).
inline bool paws_fails(const TcpHeader& h, bool ts_enabled, std::uint32_t ts_recent) {
  return ts_enabled && h.options.timestamps && !h.has(tcp_flag::rst) &&
         static_cast<std::int32_t>(h.options.timestamps->tsval - ts_recent) < 0;
}

// First check, the window: `len` is SEG.LEN, `wnd` how far past RCV.NXT the window was offered.
// A zero window still takes the segment that starts at RCV.NXT for its ACK, RST and FIN.
inline bool in_window(SeqNum seq, std::uint32_t len, SeqNum rcv_nxt, std::uint32_t wnd) {
  if (wnd == 0) return seq == rcv_nxt;
  if (len == 0) return seq_in(seq, rcv_nxt, rcv_nxt + wnd);
  return seq_in(seq, rcv_nxt, rcv_nxt + wnd) || seq_in(seq + len - 1, rcv_nxt, rcv_nxt + wnd);
}

// An unacceptable segment that lies wholly before RCV.NXT, at most a window (`capacity`, at least
// 64 KiB) old, still has its ACK field read (BSD's rule; see Tcp::check_sequence).
inline bool old_with_ack(const TcpHeader& h, std::uint32_t len, SeqNum rcv_nxt, std::uint32_t capacity) {
  const SeqNum seq{h.seq};
  const auto age = static_cast<std::uint32_t>(rcv_nxt - (seq + len));
  return h.has(tcp_flag::ack) && !h.has(tcp_flag::syn) && seq + len <= rcv_nxt &&
         age <= std::max<std::uint32_t>(capacity, 65535);
}

// RFC 5961 §5.2: an ACK is acceptable within [SND.UNA - MAX.SND.WND, SND.MAX].
inline bool ack_in_range(SeqNum ack, SeqNum snd_una, SeqNum snd_max, std::uint32_t max_snd_wnd) {
  return ack <= snd_max && ack >= snd_una - max_snd_wnd;
}

// RFC 7323 §4.3: TS.Recent takes the timestamp of a segment at or before the last ACK sent.
inline bool takes_ts_recent(const TcpHeader& h, bool ts_enabled, std::uint32_t ts_recent, SeqNum last_ack_sent) {
  return ts_enabled && h.options.timestamps && SeqNum{h.seq} <= last_ack_sent &&
         static_cast<std::int32_t>(h.options.timestamps->tsval - ts_recent) >= 0;
}

// Data wholly before RCV.NXT arrived twice: the range an ACK reports in a D-SACK block (RFC 2883).
inline std::optional<std::pair<SeqNum, SeqNum>> received_twice(SeqNum seq, std::uint32_t bytes, SeqNum rcv_nxt) {
  if (bytes == 0 || seq + bytes > rcv_nxt) return std::nullopt;
  return std::pair{seq, seq + bytes};
}

}  // namespace mtcpp::acceptance
