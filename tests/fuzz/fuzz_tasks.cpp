// Task files and command templates: every line becomes a task, and a command.
#include <sstream>

#include "amorsize/tasks.hpp"
#include "fuzz.hpp"

AMORSIZE_FUZZ_TARGET {
  std::istringstream in(input);
  amorsize::TaskReader reader(in);
  const amorsize::TaskTemplate plain;
  const amorsize::TaskTemplate templated({"./simulate", "--input={}", "{#}", "{}{}"});
  while (auto task = reader.next()) {
    (void)amorsize::needs_shell(task->line);
    try {
      const auto c = plain.command_for(*task);
      if (c.argv.empty() && !task->line.empty()) std::abort();
    } catch (const amorsize::error&) {
    }
    const auto t = templated.command_for(*task);
    if (t.argv.size() != 4) std::abort();
  }
}
