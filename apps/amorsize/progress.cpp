#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "amorsize/error.hpp"

namespace amorsize::app {
namespace {

// The parent of `pid`, from /proc/PID/stat (0: unknown).
long parent_of(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto close = stat.rfind(')');  // the command name may hold spaces and ')'
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 1));
  std::string state;
  long parent = 0;
  rest >> state >> parent;
  return parent;
}

bool is_terminal_path(const std::string& path) {
  return path.rfind("/dev/pts/", 0) == 0 || path.rfind("/dev/tty", 0) == 0 ||
         path == "/dev/console";
}

std::string duration(double s) {
  char buf[32];
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.0f s", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%dm %02ds", int(s / 60), int(s) % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%dh %02dm", int(s / 3600), int(s / 60) % 60);
  }
  return buf;
}

}  // namespace

ProgressMode parse_progress(const std::string& text) {
  if (text == "auto") return ProgressMode::automatic;
  if (text == "bar") return ProgressMode::bar;
  if (text == "lines") return ProgressMode::lines;
  if (text == "none") return ProgressMode::none;
  throw invalid_argument("\"" + text + "\" is not auto, bar, lines or none");
}

bool launcher_terminal() {
  if (isatty(STDERR_FILENO)) return true;
  long pid = parent_of(long(getpid()));
  for (int depth = 0; depth < 8 && pid > 1; ++depth) {
    char target[256];
    const std::string fd = "/proc/" + std::to_string(pid) + "/fd/2";
    const ssize_t n = readlink(fd.c_str(), target, sizeof target - 1);
    if (n > 0) {
      target[n] = '\0';
      if (is_terminal_path(target)) return true;
    }
    pid = parent_of(pid);
  }
  return false;
}

ProgressMode resolve(ProgressMode mode) {
  if (mode != ProgressMode::automatic) return mode;
  return launcher_terminal() ? ProgressMode::bar : ProgressMode::lines;
}

ProgressPrinter::ProgressPrinter(ProgressMode mode, std::string noun, double line_seconds)
    : mode_(resolve(mode)), noun_(std::move(noun)), line_seconds_(line_seconds) {}

void ProgressPrinter::attach(RunOptions& options) {
  if (mode_ == ProgressMode::none) return;
  options.on_progress = [this](const Progress& p) { (*this)(p); };
  // A warning gets a line of its own, below the bar.
  options.on_warning = [this](const std::string& w) { warning(w); };
}

std::string ProgressPrinter::describe(const Progress& p, const std::string& noun) {
  std::ostringstream out;
  out << p.done;
  if (p.total) {
    out << "/" << *p.total << " " << noun;
    if (*p.total > 0)
      out << " (" << int(std::floor(100.0 * double(p.done) / double(*p.total))) << "%)";
  } else {
    out << " " << noun;
  }
  char rate[32];
  const double r = p.items_per_second;
  std::snprintf(rate, sizeof rate, r >= 100 ? "%.0f/s" : r >= 1 ? "%.1f/s" : "%.3g/s", r);
  out << ", " << rate;
  if (p.eta_seconds && p.done > 0) out << ", ETA " << duration(*p.eta_seconds);
  out << ", " << p.failed << " failed, " << duration(p.elapsed_seconds) << " elapsed";
  return out.str();
}

void ProgressPrinter::operator()(const Progress& p) {
  if (mode_ == ProgressMode::none) return;
  if (mode_ == ProgressMode::bar) {
    std::string bar;
    if (p.total && *p.total > 0) {
      const int filled = int(20.0 * double(p.done) / double(*p.total));
      bar = "[" + std::string(std::size_t(std::min(filled, 20)), '#') +
            std::string(std::size_t(20 - std::min(filled, 20)), '.') + "] ";
    }
    std::fprintf(stderr, "\ramorsize: %s%s   ", bar.c_str(), describe(p, noun_).c_str());
    std::fflush(stderr);
    bar_drawn_ = true;
    return;
  }
  // Lines: at each tenth of the work passed, and at least every line_seconds_.
  int tenths = tenths_;
  if (p.total && *p.total > 0) tenths = int(std::min<std::int64_t>(10, 10 * p.done / *p.total));
  if (tenths > tenths_ || p.elapsed_seconds - last_line_ >= line_seconds_) {
    tenths_ = std::max(tenths, tenths_);
    last_line_ = p.elapsed_seconds;
    std::fprintf(stderr, "amorsize: %s\n", describe(p, noun_).c_str());
    std::fflush(stderr);
  }
}

void ProgressPrinter::warning(const std::string& message) {
  std::fprintf(stderr, "%samorsize: warning: %s\n", bar_drawn_ ? "\n" : "", message.c_str());
  std::fflush(stderr);
  bar_drawn_ = false;
}

void ProgressPrinter::finish() {
  if (bar_drawn_) std::fprintf(stderr, "\n");
  bar_drawn_ = false;
}

}  // namespace amorsize::app
