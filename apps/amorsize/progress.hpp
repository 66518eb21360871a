#pragma once
// --progress auto|bar|lines|none for `amorsize run` and `amorsize bench`: a live bar where a
// person watches a terminal, plain lines where the output goes to a file or a batch log.
#include <cstdio>
#include <string>

#include "amorsize/run_types.hpp"

namespace amorsize::app {

enum class ProgressMode { automatic, bar, lines, none };

/// "auto", "bar", "lines" or "none"; anything else throws invalid_argument.
ProgressMode parse_progress(const std::string& text);

/// True when a person's terminal shows this process's stderr: its own stderr is one, or that
/// of a launcher it descends from on this host (`mpirun`, or its daemon, whose stderr is the
/// terminal while each rank's is a pipe). Looks at most 8 ancestors up.
bool launcher_terminal();

/// `automatic` resolved: bar on a launcher's terminal, else lines.
ProgressMode resolve(ProgressMode mode);

/// Draws Progress on stderr. Lines come at each tenth of the work and at least every 60 s
/// (`line_seconds`); a bar is redrawn at every call.
class ProgressPrinter {
 public:
  ProgressPrinter(ProgressMode mode, std::string noun, double line_seconds = 60);
  ProgressPrinter(const ProgressPrinter&) = delete;  // attach() hands out `this`
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;
  /// Unless the mode is none: the run's progress and warnings are drawn here (`options` keeps a
  /// reference to this printer).
  void attach(RunOptions& options);
  void operator()(const Progress& p);
  /// A warning on a line of its own (below the bar, which is drawn again at the next call).
  void warning(const std::string& message);
  /// Ends the bar's line, if one is drawn.
  void finish();
  ProgressMode mode() const { return mode_; }
  static std::string describe(const Progress& p, const std::string& noun);

 private:
  ProgressMode mode_;
  std::string noun_;
  double line_seconds_;
  int tenths_ = 0;        // tenths of the work already reported in lines
  double last_line_ = 0;  // elapsed seconds at the last line
  bool bar_drawn_ = false;
};

}  // namespace amorsize::app
