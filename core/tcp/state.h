// Connection states of RFC 9293 §3.3.2.
#pragma once
#include <cstdint>
#include <string_view>

namespace mtcpp {

enum class TcpState : std::uint8_t {
  closed, listen, syn_sent, syn_received, established, fin_wait_1, fin_wait_2, close_wait, closing,
  last_ack, time_wait,
};

constexpr std::string_view to_string(TcpState s) {
  constexpr std::string_view names[] = {"CLOSED",     "LISTEN",     "SYN_SENT",   "SYN_RCVD",
                                        "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
                                        "CLOSING",    "LAST_ACK",   "TIME_WAIT"};
  return names[static_cast<int>(s)];
}

// States in which the connection is synchronized (RFC 9293 §3.5.2, group 3).
constexpr bool is_synchronized(TcpState s) { return s >= TcpState::established; }

}  // namespace mtcpp
