#pragma once
/// \file error.hpp
/// The one exception type amorsize throws. Messages name the bad value and what was expected,
/// so the command line can print them as they are (exit status 2).
#include <stdexcept>
#include <string>

namespace amorsize {

/// Every error amorsize raises derives from this.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Bad input from a user: an option, a file, a specification.
class invalid_argument : public error {
 public:
  using error::error;
};

}  // namespace amorsize
