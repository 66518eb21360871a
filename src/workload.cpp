#include "amorsize/workload.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <locale>
#include <sstream>
#include <string_view>

#include "amorsize/error.hpp"

// Conventions of a parsed WorkloadSpec, the same for every distribution:
//   mean_seconds  the `mean` parameter (given, or derived from min and max). For a Pareto cut
//                 at max it is the mean before the cut; expected_mean_seconds() is the mean of
//                 what item_seconds() draws.
//   min_seconds   the smallest item time (the Pareto scale x_m; 0 for exp).
//   max_seconds   the largest item time; 0 means unbounded (exp, and pareto without max).
//                 For linear, min_seconds is the time of item 0 and max_seconds that of item
//                 n-1, so min_seconds > max_seconds for a falling workload.

namespace amorsize {
namespace {

using Distribution = WorkloadSpec::Distribution;

constexpr std::string_view kDistributionList = "const, uniform, exp, bimodal, pareto or linear";
constexpr std::string_view kExample = "\"exp:mean=200us,n=50000\"";
// From the header: with only `mean`, a bimodal's rare items take ten times the common ones.
constexpr double kBimodalRatio = 10;
// 2^53: the largest count a double (as in "n=1e6") still holds exactly.
constexpr double kMaxExactCount = 9007199254740992.0;

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string format_seconds(double seconds) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << seconds << " s";
  return out.str();
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length of the decimal number at the start of `s` ([+-]digits[.digits][e[+-]digits]), or 0.
// Scanning the shape ourselves keeps "inf", "nan" and hex floats out.
std::size_t scan_number(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const std::size_t exponent_start = j;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j > exponent_start) i = j;  // "2e" is the number 2 followed by junk "e"
  }
  return i;
}

// Converts a string scan_number accepted. A classic-locale stream, because strtod follows
// the process locale (a decimal comma) and from_chars for double is missing from older
// standard libraries. Empty when out of range.
std::optional<double> to_double(std::string_view number) {
  std::istringstream in{std::string(number)};
  in.imbue(std::locale::classic());
  double value = 0;
  in >> value;
  if (in.fail() || !std::isfinite(value)) return std::nullopt;
  return value + 0.0;  // turns -0 into +0
}

// `context` is "" or " for KEY in workload \"TEXT\"", so one parser serves both callers.
double parse_duration_in(std::string_view text, const std::string& context) {
  const auto bad = [&] {
    return invalid_argument("bad duration " + quote(text) + context +
                            ": expected a number with ns, us, ms or s (e.g. 200us; a bare "
                            "number is seconds)");
  };
  const std::string_view t = trim(text);
  const std::size_t length = scan_number(t);
  if (length == 0) throw bad();
  const std::string_view unit = trim(t.substr(length));
  double scale = 0;
  if (unit.empty() || unit == "s") {
    scale = 1;
  } else if (unit == "ms") {
    scale = 1e-3;
  } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {  // micro, mu
    scale = 1e-6;
  } else if (unit == "ns") {
    scale = 1e-9;
  } else {
    throw bad();
  }
  const auto value = to_double(t.substr(0, length));
  if (!value) throw bad();
  if (*value < 0) {
    throw invalid_argument("negative duration " + quote(text) + context +
                           ": expected a duration of at least 0");
  }
  return *value * scale;
}

double parse_bytes_in(std::string_view text, const std::string& context) {
  const auto bad = [&] {
    return invalid_argument("bad byte count " + quote(text) + context +
                            ": expected a number with an optional k, M, G or T suffix "
                            "(powers of 1024, e.g. 4096, 64k, 1.5MiB)");
  };
  const std::string_view t = trim(text);
  const std::size_t length = scan_number(t);
  if (length == 0) throw bad();
  std::string_view suffix = trim(t.substr(length));
  double scale = 1;
  if (!suffix.empty() && suffix != "B") {
    switch (suffix.front()) {
      case 'k':
      case 'K':
        scale = 1024.0;
        break;
      case 'm':
      case 'M':
        scale = 1024.0 * 1024;
        break;
      case 'g':
      case 'G':
        scale = 1024.0 * 1024 * 1024;
        break;
      case 't':
      case 'T':
        scale = 1024.0 * 1024 * 1024 * 1024;
        break;
      default:
        throw bad();
    }
    suffix.remove_prefix(1);
    // "k", "kB" and "KiB" all mean 1024: the header fixes powers of 1024 for every form.
    if (!suffix.empty() && suffix != "B" && suffix != "iB") throw bad();
  }
  const auto value = to_double(t.substr(0, length));
  if (!value) throw bad();
  if (*value < 0) {
    throw invalid_argument("negative byte count " + quote(text) + context +
                           ": expected a byte count of at least 0");
  }
  const double bytes = *value * scale;
  if (!std::isfinite(bytes)) throw bad();
  return bytes;
}

// Plain digits only, the full range of T.
template <class T>
std::optional<T> parse_digits(std::string_view t) {
  if (t.empty() || !std::all_of(t.begin(), t.end(), is_digit)) return std::nullopt;
  T value = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return value;
}

std::int64_t parse_count_in(std::string_view text, const std::string& context) {
  const auto bad = [&] {
    return invalid_argument("bad item count " + quote(text) + context +
                            ": expected a positive integer such as 50000 or 1e6");
  };
  const std::string_view t = trim(text);
  if (const auto digits = parse_digits<std::int64_t>(t)) {
    if (*digits <= 0) throw bad();
    return *digits;
  }
  // Forms such as 1e6 or 2.5e3, as long as they are exact positive integers.
  if (t.empty() || scan_number(t) != t.size()) throw bad();
  const auto value = to_double(t);
  if (!value || *value < 1 || *value > kMaxExactCount || std::floor(*value) != *value) {
    throw bad();
  }
  return static_cast<std::int64_t>(*value);
}

std::uint64_t parse_seed_in(std::string_view text, const std::string& context) {
  const auto seed = parse_digits<std::uint64_t>(trim(text));
  if (!seed) {
    throw invalid_argument("bad seed " + quote(text) + context +
                           ": expected a non-negative integer below 2^64");
  }
  return *seed;
}

double parse_plain_in(std::string_view text, const std::string& context, std::string_view example) {
  const std::string_view t = trim(text);
  std::optional<double> value;
  if (!t.empty() && scan_number(t) == t.size()) value = to_double(t);
  if (!value) {
    throw invalid_argument("bad number " + quote(text) + context +
                           ": expected a plain number such as " + std::string(example));
  }
  return *value;
}

// Keys of the grammar, in the order the header lists them; a bit each in a KeySet.
enum Key : unsigned { kMean, kMin, kMax, kAlpha, kP, kN, kSeed, kOut, kMem, kKeyCount };
using KeySet = unsigned;
constexpr KeySet bit(Key k) {
  return 1u << k;
}
constexpr std::array<std::string_view, kKeyCount> kKeyNames = {"mean", "min",  "max", "alpha", "p",
                                                               "n",    "seed", "out", "mem"};
constexpr KeySet kCommonKeys = bit(kN) | bit(kSeed) | bit(kOut) | bit(kMem);
constexpr KeySet kRangeKeys = bit(kMean) | bit(kMin) | bit(kMax);

struct DistributionInfo {
  std::string_view name;
  Distribution kind;
  KeySet keys;  // the keys it takes besides kCommonKeys
};

constexpr std::array<DistributionInfo, 6> kDistributions = {{
    {"const", Distribution::constant, bit(kMean)},
    {"uniform", Distribution::uniform, kRangeKeys},
    {"exp", Distribution::exponential, bit(kMean)},
    {"bimodal", Distribution::bimodal, kRangeKeys | bit(kP)},
    {"pareto", Distribution::pareto, kRangeKeys | bit(kAlpha)},
    {"linear", Distribution::linear, kRangeKeys},
}};

// "mean, n, seed, out or mem"
std::string key_list(KeySet keys) {
  std::string out;
  unsigned left = 0;
  for (unsigned k = 0; k < kKeyCount; ++k) left += (keys >> k) & 1u;
  for (unsigned k = 0; k < kKeyCount; ++k) {
    if (!((keys >> k) & 1u)) continue;
    out += kKeyNames[k];
    --left;
    if (left > 1) out += ", ";
    if (left == 1) out += " or ";
  }
  return out;
}

// The key=value pairs of one specification, as given and as parsed.
struct Parameters {
  KeySet given = 0;
  std::array<std::string, kKeyCount> raw;
  std::array<double, kKeyCount> value{};
  std::int64_t items = 0;
  std::uint64_t seed = 0;

  bool has(Key k) const { return (given & bit(k)) != 0; }
};

class WorkloadParser {
 public:
  explicit WorkloadParser(const std::string& text)
      : text_(text), where_(" in workload " + quote(text)) {}

  WorkloadSpec parse() {
    const std::string_view spec = trim(text_);
    if (spec.empty()) {
      throw invalid_argument("empty workload specification: expected DIST:key=value,... such as " +
                             std::string(kExample));
    }
    const std::size_t colon = spec.find(':');
    const std::string_view name = trim(spec.substr(0, colon));
    if (name.empty() || (colon == std::string_view::npos && name.find('=') != name.npos)) {
      throw invalid_argument("missing distribution" + where_ +
                             ": expected DIST:key=value,... with DIST one of " +
                             std::string(kDistributionList));
    }
    const auto info = std::find_if(kDistributions.begin(), kDistributions.end(),
                                   [&](const DistributionInfo& d) { return d.name == name; });
    if (info == kDistributions.end()) {
      throw invalid_argument("unknown distribution " + quote(name) + where_ + ": expected " +
                             std::string(kDistributionList));
    }
    info_ = &*info;
    // A bare "exp" has no parameters; it fails below, naming the key it is missing.
    if (colon != std::string_view::npos) read_parameters(spec.substr(colon + 1));
    return build();
  }

 private:
  void read_parameters(std::string_view list) {
    if (trim(list).empty()) return;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = list.find(',', start);
      read_parameter(trim(list.substr(start, comma - start)));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }

  void read_parameter(std::string_view pair) {
    if (pair.empty()) {
      throw invalid_argument("empty parameter" + where_ + ": expected key=value between commas");
    }
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      throw invalid_argument("parameter " + quote(pair) + " has no value" + where_ +
                             ": expected key=value");
    }
    const std::string_view key = trim(pair.substr(0, eq));
    const std::string_view value = trim(pair.substr(eq + 1));
    const auto found = std::find(kKeyNames.begin(), kKeyNames.end(), key);
    if (found == kKeyNames.end()) {
      throw invalid_argument("unknown key " + quote(key) + where_ + ": expected " +
                             key_list(info_->keys | kCommonKeys));
    }
    const auto k = static_cast<Key>(found - kKeyNames.begin());
    if (params_.has(k)) {
      throw invalid_argument("duplicate key " + quote(key) + where_ + ": give each key once");
    }
    if (!((info_->keys | kCommonKeys) & bit(k))) {
      throw invalid_argument("key " + quote(key) + " is not used by " + std::string(info_->name) +
                             where_ + ": " + std::string(info_->name) + " takes " +
                             key_list(info_->keys | kCommonKeys));
    }
    params_.given |= bit(k);
    params_.raw[k] = std::string(value);
    const std::string context = " for " + std::string(key) + where_;
    switch (k) {
      case kMean:
      case kMin:
      case kMax:
        params_.value[k] = parse_duration_in(value, context);
        break;
      case kAlpha:
        params_.value[k] = parse_plain_in(value, context, "2.5");
        if (!(params_.value[k] > 1)) {
          throw invalid_argument("alpha " + quote(value) + " out of range" + where_ +
                                 ": expected alpha > 1 (a Pareto with alpha <= 1 has an "
                                 "infinite mean)");
        }
        break;
      case kP:
        params_.value[k] = parse_plain_in(value, context, "0.1");
        if (!(params_.value[k] > 0 && params_.value[k] < 1)) {
          throw invalid_argument("p " + quote(value) + " out of range" + where_ +
                                 ": expected 0 < p < 1");
        }
        break;
      case kN:
        params_.items = parse_count_in(value, context);
        break;
      case kSeed:
        params_.seed = parse_seed_in(value, context);
        break;
      case kOut:
      case kMem:
        params_.value[k] = parse_bytes_in(value, context);
        break;
      case kKeyCount:
        break;
    }
  }

  [[noreturn]] void missing(std::string_view key, std::string_view needs) const {
    throw invalid_argument("missing " + std::string(key) + where_ + ": " +
                           std::string(info_->name) + " needs " + std::string(needs));
  }

  // For uniform, bimodal and linear: either `mean` alone or both `min` and `max`.
  // Returns true for `mean` alone.
  bool mean_or_range() const {
    const std::string name(info_->name);
    if (params_.has(kMean) && (params_.has(kMin) || params_.has(kMax))) {
      throw invalid_argument("conflicting keys mean and " +
                             std::string(params_.has(kMin) ? "min" : "max") + where_ + ": " + name +
                             " takes mean alone, or min and max");
    }
    if (params_.has(kMean)) return true;
    if (params_.has(kMin) && !params_.has(kMax)) missing("max", "max together with min");
    if (params_.has(kMax) && !params_.has(kMin)) missing("min", "min together with max");
    if (!params_.has(kMin)) missing("mean", "mean, or min and max");
    return false;
  }

  void require_ordered_range() const {
    if (params_.value[kMin] > params_.value[kMax]) {
      throw invalid_argument("min " + quote(params_.raw[kMin]) + " is above max " +
                             quote(params_.raw[kMax]) + where_ + ": " + std::string(info_->name) +
                             " needs min <= max");
    }
  }

  WorkloadSpec build() const {
    WorkloadSpec w;
    w.distribution = info_->kind;
    w.text = text_;
    if (params_.has(kN)) w.items = params_.items;
    if (params_.has(kSeed)) w.seed = params_.seed;
    if (params_.has(kOut)) w.out_bytes = params_.value[kOut];
    if (params_.has(kMem)) w.mem_bytes = params_.value[kMem];
    const auto& v = params_.value;
    switch (info_->kind) {
      case Distribution::constant:
        if (!params_.has(kMean)) missing("mean", "mean");
        w.mean_seconds = w.min_seconds = w.max_seconds = v[kMean];
        break;
      case Distribution::exponential:
        if (!params_.has(kMean)) missing("mean", "mean");
        w.mean_seconds = v[kMean];
        w.min_seconds = 0;
        w.max_seconds = 0;  // unbounded
        break;
      case Distribution::uniform:
        if (mean_or_range()) {
          w.mean_seconds = v[kMean];
          w.min_seconds = 0;
          w.max_seconds = 2 * v[kMean];
        } else {
          require_ordered_range();
          w.min_seconds = v[kMin];
          w.max_seconds = v[kMax];
          w.mean_seconds = (w.min_seconds + w.max_seconds) / 2;
        }
        break;
      case Distribution::bimodal:
        w.p = params_.has(kP) ? v[kP] : WorkloadSpec{}.p;
        if (mean_or_range()) {
          // (1-p)*min + p*(ratio*min) = mean
          w.mean_seconds = v[kMean];
          w.min_seconds = v[kMean] / ((1 - w.p) + kBimodalRatio * w.p);
          w.max_seconds = kBimodalRatio * w.min_seconds;
        } else {
          require_ordered_range();
          w.min_seconds = v[kMin];
          w.max_seconds = v[kMax];
          w.mean_seconds = (1 - w.p) * w.min_seconds + w.p * w.max_seconds;
        }
        break;
      case Distribution::pareto:
        w.alpha = params_.has(kAlpha) ? v[kAlpha] : WorkloadSpec{}.alpha;
        if (params_.has(kMean) && params_.has(kMin)) {
          throw invalid_argument("conflicting keys mean and min" + where_ +
                                 ": pareto takes mean or its scale min, not both");
        }
        if (params_.has(kMean)) {
          w.mean_seconds = v[kMean];
          w.min_seconds = v[kMean] * (w.alpha - 1) / w.alpha;
        } else if (params_.has(kMin)) {
          w.min_seconds = v[kMin];
          w.mean_seconds = v[kMin] * w.alpha / (w.alpha - 1);
        } else {
          missing("mean", "mean or min");
        }
        w.max_seconds = 0;  // unbounded
        if (params_.has(kMax)) {
          if (v[kMax] < w.min_seconds) {
            throw invalid_argument("max " + quote(params_.raw[kMax]) +
                                   " is below the Pareto scale " + format_seconds(w.min_seconds) +
                                   where_ + ": expected max >= min (= mean*(alpha-1)/alpha)");
          }
          w.max_seconds = v[kMax];
        }
        break;
      case Distribution::linear:
        if (mean_or_range()) {
          w.min_seconds = 0;
          w.max_seconds = 2 * v[kMean];
        } else {
          w.min_seconds = v[kMin];  // item 0; above max for a falling workload
          w.max_seconds = v[kMax];  // item n-1
        }
        w.mean_seconds = (w.min_seconds + w.max_seconds) / 2;
        if (!params_.has(kN)) missing("n", "n, the number of items it runs over");
        break;
    }
    return w;
  }

  const std::string& text_;
  const std::string where_;
  const DistributionInfo* info_ = nullptr;
  Parameters params_;
};

// splitmix64's finalizer (Steele, Lea and Flood, 2014): a bijection on 64 bits in which
// every input bit flips each output bit with probability close to 1/2.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// splitmix64's increment (2^64 / golden ratio, odd) and a second odd constant for streams.
constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t kStreamGamma = 0xD1B54A32D192ED03ULL;

}  // namespace

WorkloadSpec parse_workload(const std::string& text) {
  return WorkloadParser(text).parse();
}

double parse_duration(const std::string& text) {
  return parse_duration_in(text, "");
}

double parse_bytes(const std::string& text) {
  return parse_bytes_in(text, "");
}

double uniform01(std::uint64_t seed, std::uint64_t index, std::uint64_t stream) {
  // (seed, stream) picks a well-mixed starting point; the index then walks splitmix64's
  // sequence from there, so consecutive indices are consecutive splitmix64 outputs (which
  // pass BigCrush) and nearby seeds start at unrelated points. The last mix decorrelates
  // sequences whose starting points happen to lie close together.
  const std::uint64_t key = mix64(mix64(seed + kGolden) ^ mix64(stream * kStreamGamma + kGolden));
  const std::uint64_t bits = mix64(mix64(key + index * kGolden) ^ key);
  // The top 53 bits, scaled by 2^-53: every double of the form k/2^53 in [0, 1).
  return static_cast<double>(bits >> 11) * (1.0 / 9007199254740992.0);
}

double WorkloadSpec::item_seconds(std::int64_t index) const {
  switch (distribution) {
    case Distribution::constant:
      return mean_seconds;
    case Distribution::linear: {
      // Indices outside [0, n) take the nearest end, so the time never leaves [min, max].
      const std::int64_t n = items.value_or(1);
      if (n <= 1) return (min_seconds + max_seconds) / 2;  // one item: the midpoint
      const std::int64_t i = std::clamp<std::int64_t>(index, 0, n - 1);
      const double t = static_cast<double>(i) / static_cast<double>(n - 1);
      return (1 - t) * min_seconds + t * max_seconds;  // exact and >= 0 at both ends
    }
    default:
      break;
  }
  const double u = uniform01(seed, static_cast<std::uint64_t>(index));
  switch (distribution) {
    case Distribution::uniform:
      return (1 - u) * min_seconds + u * max_seconds;
    case Distribution::exponential:
      // u < 1, so log1p(-u) is finite (>= -53 ln 2) and the time is >= 0.
      return std::max(0.0, -mean_seconds * std::log1p(-u));
    case Distribution::bimodal:
      return u < p ? max_seconds : min_seconds;
    case Distribution::pareto: {
      const double xm = min_seconds;
      if (xm <= 0) return 0;
      // Inverse CDF of the Pareto truncated to [xm, max]: u is scaled into [0, F(max)), so a
      // cut workload has no pile of items at max, and one draw per item suffices.
      const bool cut = max_seconds > 0;
      if (cut && max_seconds <= xm) return xm;
      const double mass = cut ? -std::expm1(alpha * std::log(xm / max_seconds)) : 1.0;
      const double x = xm * std::pow(1 - u * mass, -1 / alpha);
      return cut ? std::min(x, max_seconds) : x;
    }
    default:
      return mean_seconds;
  }
}

double WorkloadSpec::expected_mean_seconds() const {
  switch (distribution) {
    case Distribution::constant:
    case Distribution::exponential:
      return mean_seconds;
    case Distribution::uniform:
      return (min_seconds + max_seconds) / 2;
    case Distribution::bimodal:
      return (1 - p) * min_seconds + p * max_seconds;
    case Distribution::linear:
      // The item times are symmetric about the midpoint, so their mean over the n items is
      // exactly (min + max) / 2 (and n = 1 gives the midpoint itself).
      return (min_seconds + max_seconds) / 2;
    case Distribution::pareto: {
      const double xm = min_seconds;
      const double uncut = xm * alpha / (alpha - 1);
      if (xm <= 0 || max_seconds <= 0) return uncut;
      if (max_seconds <= xm) return xm;
      // Mean of the Pareto truncated to [xm, H], r = xm/H:
      //   alpha*xm/(alpha-1) * (1 - r^(alpha-1)) / (1 - r^alpha)
      const double log_r = std::log(xm / max_seconds);
      return uncut * std::expm1((alpha - 1) * log_r) / std::expm1(alpha * log_r);
    }
  }
  return mean_seconds;
}

void busy_wait(double seconds) {
  if (!(seconds > 0)) return;  // also NaN
  // Compare in double seconds rather than computing a deadline, which cannot overflow the
  // clock's integer ticks for huge requests.
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() <
         seconds) {
  }
}

namespace {
std::uint64_t cpu_chain(std::uint64_t units, std::uint64_t x) {
  for (std::uint64_t i = 0; i < units; ++i) {  // xorshift64: each step needs the last
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}
volatile std::uint64_t g_cpu_sink = 0;  // keeps the chain from being optimized away

double thread_cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
}  // namespace

void cpu_work(std::uint64_t units) {
  g_cpu_sink = cpu_chain(units, g_cpu_sink | 1);
}

double cpu_work_rate(double seconds) {
  constexpr std::uint64_t kStep = 1 << 16;
  std::uint64_t done = 0;
  const double start = thread_cpu_now();
  double spent = 0;
  do {
    cpu_work(kStep);
    done += kStep;
    spent = thread_cpu_now() - start;
  } while (spent < seconds);
  return double(done) / spent;
}

}  // namespace amorsize
