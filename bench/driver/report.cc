#include "bench/driver/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace bench {

Quantiles quantiles(std::vector<double> v) {
  Quantiles q;
  if (v.empty()) return q;
  std::sort(v.begin(), v.end());
  auto at = [&](double p) {
    const double pos = p * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
  };
  q.median = at(0.5);
  q.p25 = at(0.25);
  q.p75 = at(0.75);
  q.min = v.front();
  q.max = v.back();
  return q;
}

void JsonLine::key(const std::string& k) {
  if (!body_.empty()) body_ += ',';
  body_ += '"' + k + "\":";
}

JsonLine& JsonLine::add(const std::string& k, const std::string& value) {
  key(k);
  body_ += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      body_ += '\\';
      body_ += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      body_ += esc;
    } else {
      body_ += c;
    }
  }
  body_ += '"';
  return *this;
}

JsonLine& JsonLine::add(const std::string& k, double value) {
  key(k);
  if (!std::isfinite(value)) {
    body_ += "null";
    return *this;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  body_ += buf;
  return *this;
}

JsonLine& JsonLine::add(const std::string& k, std::uint64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::add(const std::string& k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

std::string human(double v) {
  char buf[32];
  if (std::fabs(v) < 1000) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
  }
  // Thousands separated by commas, built from the right.
  std::int64_t n = std::llround(std::fabs(v));
  std::string out;
  for (int digits = 0; n > 0 || digits == 0; n /= 10, ++digits) {
    if (digits > 0 && digits % 3 == 0) out += ',';
    out += static_cast<char>('0' + n % 10);
  }
  if (v < 0) out += '-';
  return std::string(out.rbegin(), out.rend());
}

}  // namespace bench
