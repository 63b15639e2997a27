// SVG sequence ("ladder") diagrams of one TCP conversation between two hosts: a vertical time line
// per host, an arrow per segment labelled `FLAGS seq:end(len) ack N` (packetdrill notation, relative
// sequence numbers), lost segments stopping midway with an ×, state names beside the time lines.
// Independent of ns-3: input is plain data, output is deterministic SVG text.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mtcpp::sim {

struct LadderSegment {
  std::int64_t time_us = 0;  // when the sender put it on the wire
  int from = 0;              // 0 or 1: index into LadderInput::hosts
  std::string flags;         // "S", "S.", ".", "P.", "F.", "R" ...
  std::uint32_t seq = 0;     // relative to the sender's ISS
  std::uint32_t ack = 0;     // relative to the receiver's ISS (shown when flags has '.')
  std::uint32_t len = 0;     // payload bytes
  bool lost = false;
  std::string note;           // shown after the label: "DUP", "DELAYED"
  std::int64_t arrive_us = -1;  // when it reached the other host, if not time_us + one-way delay
};

struct LadderState {
  std::int64_t time_us = 0;
  int host = 0;
  std::string state;
};

struct LadderInput {
  std::string title;
  std::string hosts[2];
  std::vector<LadderSegment> segments;
  std::vector<LadderState> states;
  std::int64_t one_way_delay_us = 1000;
};

// "FLAGS seq:end(len) ack N" for one segment.
std::string ladder_label(const LadderSegment& s);

// The whole diagram. The time axis is piecewise: every distinct event time gets a minimum spacing,
// gaps grow with their length up to a cap, and longer idle stretches are compressed and marked
// with their real length.
std::string ladder_svg(const LadderInput& in);

}  // namespace mtcpp::sim
