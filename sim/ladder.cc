#include "sim/ladder.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace mtcpp::sim {
namespace {

constexpr double kLeft = 200, kRight = 620, kTop = 60;
constexpr double kMinStep = 14, kMaxStep = 80, kPxPerMs = 20;

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string duration_text(std::int64_t us) {
  char b[48];
  if (us >= 1000000) std::snprintf(b, sizeof b, "%.3f s", static_cast<double>(us) / 1e6);
  else std::snprintf(b, sizeof b, "%.3f ms", static_cast<double>(us) / 1e3);
  return b;
}

}  // namespace

std::string ladder_label(const LadderSegment& s) {
  std::string l = s.flags + " " + std::to_string(s.seq) + ":" + std::to_string(s.seq + s.len) + "(" +
                  std::to_string(s.len) + ")";
  if (s.flags.find('.') != std::string::npos) l += " ack " + std::to_string(s.ack);
  return l;
}

std::string ladder_svg(const LadderInput& in) {
  // Piecewise time axis over every event time (sends, arrivals, midpoints of losses, states).
  std::set<std::int64_t> times;
  times.insert(0);
  auto arrival = [&in](const LadderSegment& s) { return s.arrive_us >= 0 ? s.arrive_us : s.time_us + in.one_way_delay_us; };
  for (const auto& s : in.segments) {
    times.insert(s.time_us);
    times.insert(arrival(s));
  }
  for (const auto& st : in.states) times.insert(st.time_us);
  std::map<std::int64_t, double> y;
  std::vector<std::pair<double, std::int64_t>> breaks;  // y of a compressed gap, its real length
  double at = kTop;
  std::int64_t prev = *times.begin();
  for (std::int64_t t : times) {
    if (t != prev) {
      const std::int64_t gap = t - prev;
      const double want = static_cast<double>(gap) / 1000.0 * kPxPerMs;
      double step = std::max(kMinStep, std::min(want, kMaxStep));
      if (want > kMaxStep) breaks.emplace_back(at + step / 2, gap);
      // Arrival and send times a few microseconds apart still need room for a label.
      if (gap < 50) step = kMinStep / 2;
      at += step;
    }
    y[t] = at;
    prev = t;
  }
  const double height = at + 60;
  const double width = kRight + 200;
  const double x[2] = {kLeft, kRight};

  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) + "\" height=\"" + num(height) +
       "\" viewBox=\"0 0 " + num(width) + " " + num(height) + "\" font-family=\"monospace\" font-size=\"11\">\n";
  o += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
       "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>\n";
  o += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!in.title.empty())
    o += "<text x=\"" + num(width / 2) + "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">" +
         escape(in.title) + "</text>\n";
  for (int h = 0; h < 2; ++h) {
    o += "<text x=\"" + num(x[h]) + "\" y=\"" + num(kTop - 14) + "\" text-anchor=\"middle\" font-weight=\"bold\">" +
         escape(in.hosts[h]) + "</text>\n";
    o += "<line class=\"host\" x1=\"" + num(x[h]) + "\" y1=\"" + num(kTop) + "\" x2=\"" + num(x[h]) + "\" y2=\"" +
         num(height - 30) + "\" stroke=\"black\" stroke-width=\"2\"/>\n";
  }
  for (const auto& [by, gap] : breaks) {
    o += "<text class=\"gap\" x=\"" + num((kLeft + kRight) / 2) + "\" y=\"" + num(by + 4) +
         "\" text-anchor=\"middle\" fill=\"gray\">~ " + duration_text(gap) + " ~</text>\n";
  }
  for (const auto& s : in.segments) {
    const int from = s.from == 0 ? 0 : 1;
    const double x1 = x[from], x2 = x[1 - from];
    const double y1 = y[s.time_us], y2 = y[arrival(s)];
    const std::string label = escape(ladder_label(s));
    const std::string colour = s.lost ? "red" : (s.flags.find('R') != std::string::npos ? "purple" : "black");
    o += "<text class=\"time\" x=\"4\" y=\"" + num(y1 + 4) + "\" fill=\"gray\">" + duration_text(s.time_us) +
         "</text>\n";
    if (s.lost) {
      const double mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
      o += "<line class=\"seg lost\" x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(mx) + "\" y2=\"" +
           num(my) + "\" stroke=\"" + colour + "\" stroke-dasharray=\"4 3\"/>\n";
      o += "<text x=\"" + num(mx) + "\" y=\"" + num(my + 5) + "\" text-anchor=\"middle\" fill=\"red\" font-size=\"15\">×</text>\n";
    } else {
      o += "<line class=\"seg\" x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" +
           num(y2) + "\" stroke=\"" + colour + "\" marker-end=\"url(#arrow)\"/>\n";
    }
    const double lx = (x1 + x2) / 2, ly = (y1 + y2) / 2 - 3;
    o += "<text x=\"" + num(lx) + "\" y=\"" + num(ly) + "\" text-anchor=\"middle\" fill=\"" + colour + "\">" + label +
         (s.lost ? " (lost)" : "") + (s.note.empty() ? "" : " (" + escape(s.note) + ")") + "</text>\n";
  }
  double last_y[2] = {-1e9, -1e9};  // states at the same instant stack downwards
  for (const auto& st : in.states) {
    const int h = st.host == 0 ? 0 : 1;
    const double sx = h == 0 ? x[0] - 8 : x[1] + 8;
    const double sy = std::max(y[st.time_us] + 4, last_y[h] + 12);
    last_y[h] = sy;
    o += "<text class=\"state\" x=\"" + num(sx) + "\" y=\"" + num(sy) + "\" text-anchor=\"" +
         (h == 0 ? "end" : "start") + "\" fill=\"darkblue\">" + escape(st.state) + "</text>\n";
  }
  o += "</svg>\n";
  return o;
}

}  // namespace mtcpp::sim
