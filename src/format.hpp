#pragma once
// Human-readable figures for explanations and reports.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace amorsize::detail {

inline std::string fixed(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

inline std::string percent(double fraction) {
  return fixed(fraction * 100, fraction * 100 < 10 && fraction > 0 ? 1 : 0) + "%";
}

/// 3 significant figures with a unit: 850 ns, 12.3 us, 1.50 s, 2.0 h.
inline std::string human_seconds(double s) {
  char buf[64];
  // The unit follows the value as printed: 0.9996 s is "1 s", not "1e+03 ms".
  std::snprintf(buf, sizeof buf, "%.3g", std::fabs(s));
  const double a = std::strtod(buf, nullptr);
  if (a == 0) return "0 s";
  if (a < 1e-6)
    std::snprintf(buf, sizeof buf, "%.3g ns", s * 1e9);
  else if (a < 1e-3)
    std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
  else if (a < 1)
    std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  else if (a < 120)
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  else if (a < 7200)
    std::snprintf(buf, sizeof buf, "%.3g min", s / 60);
  else
    std::snprintf(buf, sizeof buf, "%.3g h", s / 3600);
  return buf;
}

/// Powers of 1024: 512 B, 1.5 KiB, 6.4 GiB.
inline std::string human_bytes(double b) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (std::fabs(b) >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.3g %s", b, units[u]);
  return buf;
}

}  // namespace amorsize::detail
