// The journal: a text file, one header line then one line per finished task,
//   amorsize-journal 1 FINGERPRINT
//   TASK STATUS OUTPUT_END
// appended as tasks finish and made durable in batches. A crash can tear only the last line.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include "amorsize/error.hpp"
#include "amorsize/tasks.hpp"

namespace amorsize {
namespace {

constexpr const char* kMagic = "amorsize-journal";
constexpr int kVersion = 1;
constexpr long long kMaxTask = 1LL << 62;  // far beyond any task file

[[noreturn]] void damaged(const std::string& path, std::int64_t line, const std::string& what) {
  throw invalid_argument("journal \"" + path + "\" is damaged at line " + std::to_string(line) +
                         ": " + what + " (remove it to start afresh, losing what it recorded)");
}

}  // namespace

Journal::Journal(const std::string& path, const std::string& fingerprint, bool resume)
    : path_(path) {
  std::uint64_t keep = 0;  // bytes of the file that hold complete lines
  bool exists = false;
  if (resume) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      exists = true;
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::int64_t line_no = 0;
      std::size_t at = 0;
      while (at < text.size()) {
        const std::size_t end = text.find('\n', at);
        if (end == std::string::npos) break;  // a torn last line: the crash came mid-write
        const std::string line = text.substr(at, end - at);
        ++line_no;
        if (line_no == 1) {
          std::istringstream h(line);
          std::string magic, print;
          int version = 0;
          if (!(h >> magic >> version >> print) || magic != kMagic)
            damaged(path, 1, "not an amorsize journal");
          if (version != kVersion)
            throw invalid_argument("journal \"" + path + "\" has version " +
                                   std::to_string(version) + ", this amorsize reads version " +
                                   std::to_string(kVersion));
          if (print != fingerprint)
            throw invalid_argument("journal \"" + path +
                                   "\" belongs to another run (different tasks, command or "
                                   "order): resume with the same ones, or remove it");
        } else {
          long long task = 0, bytes = 0;
          int status = 0;
          char extra = 0;
          if (std::sscanf(line.c_str(), "%lld %d %lld %c", &task, &status, &bytes, &extra) != 3 ||
              task < 1 || bytes < 0)
            damaged(path, line_no, "\"" + line + "\" is not TASK STATUS OUTPUT_END");
          if (task >= kMaxTask)  // found by fuzzing: LLONG_MAX + 1 overflowed
            damaged(path, line_no, "task number " + std::to_string(task) + " is out of range");
          if (done(task))
            damaged(path, line_no, "task " + std::to_string(task) + " is recorded twice");
          if (std::uint64_t(bytes) < output_bytes_)
            damaged(path, line_no, "the output position goes backwards");
          mark_done(task);
          output_bytes_ = std::uint64_t(bytes);
          if (status != 0) failed_.push_back({task, status});
        }
        at = end + 1;
        keep = at;
      }
      if (line_no == 0) keep = 0;  // not even a header: start afresh
    }
  }
  if (exists && keep > 0) {
    if (::truncate(path.c_str(), off_t(keep)) != 0)
      throw invalid_argument("cannot truncate journal \"" + path + "\": " + std::strerror(errno));
    file_ = std::fopen(path.c_str(), "ab");
  } else {
    file_ = std::fopen(path.c_str(), "wb");
    if (file_) std::fprintf(file_, "%s %d %s\n", kMagic, kVersion, fingerprint.c_str());
  }
  if (!file_)
    throw invalid_argument("cannot write journal \"" + path + "\": " + std::strerror(errno));
  sync();
}

// Records not yet synced are dropped: the output they describe may not have reached the disk
// (a run that ends on an error does not sync), and the journal must end at output that exists.
Journal::~Journal() {
  if (file_) std::fclose(file_);
}

bool Journal::done(std::int64_t task) const {
  auto it = done_.upper_bound(task);  // the first range starting after `task`
  if (it == done_.begin()) return false;
  --it;
  return task < it->second;
}

void Journal::mark_done(std::int64_t task) {
  ++done_count_;
  auto next = done_.upper_bound(task);
  if (next != done_.begin()) {
    auto prev = std::prev(next);
    if (prev->second == task) {  // extends the range before it
      prev->second = task + 1;
      if (next != done_.end() && next->first == task + 1) {
        prev->second = next->second;
        done_.erase(next);
      }
      return;
    }
  }
  if (next != done_.end() && next->first == task + 1) {  // extends the range after it
    const std::int64_t end = next->second;
    done_.erase(next);
    done_.emplace(task, end);
    return;
  }
  done_.emplace(task, task + 1);
}

void Journal::record(std::int64_t task, int status, std::uint64_t output_end) {
  char line[80];
  const int n =
      std::snprintf(line, sizeof line, "%" PRId64 " %d %" PRIu64 "\n", task, status, output_end);
  pending_.append(line, std::size_t(n));
  if (!done(task)) mark_done(task);
  output_bytes_ = output_end;
}

void Journal::sync() {
  if (!pending_.empty() &&
      std::fwrite(pending_.data(), 1, pending_.size(), file_) != pending_.size())
    throw error("writing journal \"" + path_ + "\" failed: " + std::strerror(errno));
  pending_.clear();
  if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0)
    throw error("writing journal \"" + path_ + "\" failed: " + std::strerror(errno));
}

}  // namespace amorsize
