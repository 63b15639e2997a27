// What the driver prints: quantiles of a set of figures, JSON lines, and number formatting.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

namespace bench {

struct Quantiles {
  double median = 0;
  double p25 = 0;
  double p75 = 0;
  double min = 0;
  double max = 0;
};
// Of the values given (by linear interpolation); all zero when there are none.
Quantiles quantiles(std::vector<double> values);

// One JSON object on one line, built field by field.
class JsonLine {
 public:
  JsonLine& add(const std::string& key, const std::string& value);
  JsonLine& add(const std::string& key, const char* value) { return add(key, std::string(value)); }
  JsonLine& add(const std::string& key, double value);
  JsonLine& add(const std::string& key, std::uint64_t value);
  JsonLine& add(const std::string& key, int value) { return add(key, static_cast<double>(value)); }
  JsonLine& add(const std::string& key, bool value);
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void key(const std::string& k);
  std::string body_;
};

// A figure for people: 52,100 or 4.31 or 0.0123 (whole numbers from 1,000 up, else three digits).
std::string human(double value);

}  // namespace bench
