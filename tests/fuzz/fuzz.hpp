#pragma once
// A fuzz target is one function, `LLVMFuzzerTestOneInput`, built two ways: with libFuzzer
// (clang, tests/fuzz/run.sh) to search for crashes, and with replay_main.cpp (any compiler,
// ctest) to run the saved corpus and every crash found so far as regression tests.
//
// A parser may reject input only with amorsize::error (invalid_argument included), whose
// message names the problem; any other exception escapes and counts as a crash, as does a
// sanitizer report.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "amorsize/error.hpp"

#define AMORSIZE_FUZZ_TARGET                                                          \
  static void fuzz_one(const std::string& input);                                     \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    try {                                                                             \
      fuzz_one(std::string(reinterpret_cast<const char*>(data), size));               \
    } catch (const amorsize::error&) {                                                \
    }                                                                                 \
    return 0;                                                                         \
  }                                                                                   \
  static void fuzz_one(const std::string& input)

/// The input written to a fresh temporary file (for readers that take a path), removed after.
class TempFile {
 public:
  explicit TempFile(const std::string& data) {
    const int fd = mkstemp(path_);
    if (fd < 0) return;
    ok_ = write(fd, data.data(), data.size()) == ssize_t(data.size());
    close(fd);
  }
  ~TempFile() { std::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  bool ok() const { return ok_; }
  const char* path() const { return path_; }

 private:
  char path_[32] = "/tmp/amorsize-fuzz-XXXXXX";
  bool ok_ = false;
};
