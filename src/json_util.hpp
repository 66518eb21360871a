#pragma once
// Helpers shared by the JSON readers: typed access that names the bad key in the error.
#include <string>

#include <nlohmann/json.hpp>

#include "amorsize/error.hpp"

namespace amorsize::detail {

/// Parses text as JSON; throws invalid_argument naming `what` (e.g. "profile") on error.
inline nlohmann::json parse_json(const std::string& text, const std::string& what) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // syntax, and numbers beyond a double
    throw invalid_argument("malformed " + what + " JSON: " + e.what());
  }
}

/// Reads key `key` of object `j` as T, or leaves `out` alone when the key is absent.
template <class T>
void read_key(const nlohmann::json& j, const char* key, T& out, const std::string& what) {
  auto it = j.find(key);
  if (it == j.end()) return;
  try {
    out = it->get<T>();
  } catch (const nlohmann::json::exception&) {
    throw invalid_argument(what + ": key \"" + key + "\" has the wrong type (" +
                           std::string(it->type_name()) + ": " + it->dump() + ")");
  }
}

}  // namespace amorsize::detail
