#include "amorsize/workload.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "amorsize/error.hpp"

namespace {

using amorsize::parse_workload;
using amorsize::WorkloadSpec;
using Distribution = WorkloadSpec::Distribution;

// Enough draws that the sample mean of every test distribution is well inside its tolerance:
// the worst (pareto, alpha 3, cv 0.58) has a relative standard error of about 0.13%.
constexpr std::int64_t kDraws = 200000;

double sample_mean(const WorkloadSpec& w, std::int64_t draws = kDraws) {
  double sum = 0;
  for (std::int64_t i = 0; i < draws; ++i) sum += w.item_seconds(i);
  return sum / static_cast<double>(draws);
}

void expect_sample_mean_near(const std::string& spec, double relative_tolerance) {
  const WorkloadSpec w = parse_workload(spec);
  const double expected = w.expected_mean_seconds();
  ASSERT_GT(expected, 0) << spec;
  EXPECT_NEAR(sample_mean(w), expected, relative_tolerance * expected) << spec;
}

// Expects parse_workload(spec) to throw invalid_argument whose message holds `token`.
void expect_rejected(const std::string& spec, const std::string& token) {
  try {
    parse_workload(spec);
    ADD_FAILURE() << "accepted \"" << spec << "\"";
  } catch (const amorsize::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(token), std::string::npos)
        << "message for \"" << spec << "\" lacks \"" << token << "\": " << e.what();
  }
}

// --- parsing and derived parameters ------------------------------------------------------

TEST(Workload, ConstantEveryItemTakesMean) {
  const auto w = parse_workload("const:mean=1.5ms");
  EXPECT_EQ(w.distribution, Distribution::constant);
  EXPECT_DOUBLE_EQ(w.mean_seconds, 1.5e-3);
  EXPECT_DOUBLE_EQ(w.min_seconds, 1.5e-3);
  EXPECT_DOUBLE_EQ(w.max_seconds, 1.5e-3);
  for (std::int64_t i : {0, 1, 17, 123456}) EXPECT_DOUBLE_EQ(w.item_seconds(i), 1.5e-3);
  EXPECT_DOUBLE_EQ(w.expected_mean_seconds(), 1.5e-3);
}

TEST(Workload, TextKeepsTheSpecificationAsGiven) {
  const std::string spec = "exp:mean=200us,n=50000,seed=7";
  EXPECT_EQ(parse_workload(spec).text, spec);
}

TEST(Workload, HeaderExampleParses) {
  const auto w = parse_workload("exp:mean=200us,n=50000,seed=7");
  EXPECT_EQ(w.distribution, Distribution::exponential);
  EXPECT_DOUBLE_EQ(w.mean_seconds, 200e-6);
  ASSERT_TRUE(w.items.has_value());
  EXPECT_EQ(*w.items, 50000);
  EXPECT_EQ(w.seed, 7u);
}

TEST(Workload, DefaultsApplyWhenKeysAreAbsent) {
  const auto w = parse_workload("exp:mean=1ms");
  EXPECT_FALSE(w.items.has_value());  // unbounded
  EXPECT_EQ(w.seed, WorkloadSpec{}.seed);
  EXPECT_DOUBLE_EQ(w.out_bytes, 8);
  EXPECT_DOUBLE_EQ(w.mem_bytes, 0);
}

TEST(Workload, ItemCountAcceptsExactExponentForms) {
  EXPECT_EQ(*parse_workload("const:mean=1ms,n=50000").items, 50000);
  EXPECT_EQ(*parse_workload("const:mean=1ms,n=1e6").items, 1000000);
  EXPECT_EQ(*parse_workload("const:mean=1ms,n=2.5e3").items, 2500);
  EXPECT_EQ(*parse_workload("const:mean=1ms,n=1").items, 1);
}

TEST(Workload, OutAndMemTakeByteSuffixes) {
  const auto w = parse_workload("const:mean=1ms,out=64k,mem=1.5G");
  EXPECT_DOUBLE_EQ(w.out_bytes, 64.0 * 1024);
  EXPECT_DOUBLE_EQ(w.mem_bytes, 1.5 * 1024 * 1024 * 1024);
}

TEST(Workload, SeedTakesTheFullUnsignedRange) {
  EXPECT_EQ(parse_workload("exp:mean=1ms,seed=0").seed, 0u);
  EXPECT_EQ(parse_workload("exp:mean=1ms,seed=18446744073709551615").seed, 18446744073709551615ULL);
}

TEST(Workload, WhitespaceAroundTokensIsIgnored) {
  const auto w = parse_workload(" uniform : min = 1ms , max = 3ms ");
  EXPECT_DOUBLE_EQ(w.min_seconds, 1e-3);
  EXPECT_DOUBLE_EQ(w.max_seconds, 3e-3);
}

TEST(Workload, UniformWithOnlyMeanSpansZeroToTwiceMean) {
  const auto w = parse_workload("uniform:mean=2ms");
  EXPECT_EQ(w.distribution, Distribution::uniform);
  EXPECT_DOUBLE_EQ(w.min_seconds, 0);
  EXPECT_DOUBLE_EQ(w.max_seconds, 4e-3);
  EXPECT_DOUBLE_EQ(w.mean_seconds, 2e-3);
  EXPECT_DOUBLE_EQ(w.expected_mean_seconds(), 2e-3);
}

TEST(Workload, UniformItemsStayWithinMinAndMax) {
  const auto w = parse_workload("uniform:min=1ms,max=3ms");
  EXPECT_DOUBLE_EQ(w.mean_seconds, 2e-3);
  double lo = 1, hi = 0;
  for (std::int64_t i = 0; i < 100000; ++i) {
    const double t = w.item_seconds(i);
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  EXPECT_GE(lo, 1e-3);
  EXPECT_LE(hi, 3e-3);
  EXPECT_LT(lo, 1.01e-3);  // and fills the range
  EXPECT_GT(hi, 2.99e-3);
}

TEST(Workload, UniformSampleMeanMatchesSpec) {
  expect_sample_mean_near("uniform:min=1ms,max=3ms,seed=3", 0.02);
  expect_sample_mean_near("uniform:mean=500us,seed=4", 0.02);
}

TEST(Workload, ExponentialSampleMeanMatchesSpec) {
  expect_sample_mean_near("exp:mean=200us,seed=7", 0.02);
  expect_sample_mean_near("exp:mean=3s,seed=8", 0.02);
}

TEST(Workload, ExponentialHasUnboundedRangeAndCvOfOne) {
  const auto w = parse_workload("exp:mean=1ms,seed=11");
  EXPECT_DOUBLE_EQ(w.min_seconds, 0);
  EXPECT_DOUBLE_EQ(w.max_seconds, 0);  // 0 = unbounded
  double sum = 0, sum2 = 0;
  for (std::int64_t i = 0; i < kDraws; ++i) {
    const double t = w.item_seconds(i);
    sum += t;
    sum2 += t * t;
  }
  const double mean = sum / kDraws;
  const double sd = std::sqrt(sum2 / kDraws - mean * mean);
  EXPECT_NEAR(sd / mean, 1.0, 0.03);
}

TEST(Workload, BimodalWithOnlyMeanUsesTenfoldMaxAndKeepsTheMean) {
  const auto w = parse_workload("bimodal:mean=1.9ms");
  EXPECT_EQ(w.distribution, Distribution::bimodal);
  EXPECT_DOUBLE_EQ(w.p, 0.1);
  EXPECT_DOUBLE_EQ(w.min_seconds, 1e-3);  // 1.9ms / (0.9 + 10 * 0.1)
  EXPECT_DOUBLE_EQ(w.max_seconds, 10e-3);
  EXPECT_DOUBLE_EQ(w.expected_mean_seconds(), 1.9e-3);
}

TEST(Workload, BimodalWithMinAndMaxHasWeightedMean) {
  const auto w = parse_workload("bimodal:min=1ms,max=5ms,p=0.25");
  EXPECT_DOUBLE_EQ(w.mean_seconds, 0.75 * 1e-3 + 0.25 * 5e-3);
  EXPECT_DOUBLE_EQ(w.expected_mean_seconds(), w.mean_seconds);
}

TEST(Workload, BimodalHasTwoValuesWithFrequencyP) {
  const auto w = parse_workload("bimodal:min=1ms,max=5ms,p=0.2,seed=5");
  std::set<double> values;
  std::int64_t high = 0;
  for (std::int64_t i = 0; i < kDraws; ++i) {
    const double t = w.item_seconds(i);
    values.insert(t);
    high += t == w.max_seconds;
  }
  EXPECT_EQ(values, (std::set<double>{1e-3, 5e-3}));
  // Binomial standard deviation: sqrt(0.2 * 0.8 / 200000) ~ 0.0009.
  EXPECT_NEAR(static_cast<double>(high) / kDraws, 0.2, 0.005);
}

TEST(Workload, BimodalSampleMeanMatchesSpec) {
  expect_sample_mean_near("bimodal:mean=1ms,seed=9", 0.02);
  expect_sample_mean_near("bimodal:min=1ms,max=4ms,p=0.3,seed=10", 0.02);
}

TEST(Workload, ParetoScaleComesFromMeanAndAlpha) {
  const auto w = parse_workload("pareto:mean=3ms,alpha=3");
  EXPECT_EQ(w.distribution, Distribution::pareto);
  EXPECT_DOUBLE_EQ(w.alpha, 3);
  EXPECT_DOUBLE_EQ(w.min_seconds, 2e-3);  // 3ms * (3-1)/3
  EXPECT_DOUBLE_EQ(w.max_seconds, 0);     // 0 = unbounded
  EXPECT_DOUBLE_EQ(w.expected_mean_seconds(), 3e-3);
}

TEST(Workload, ParetoDefaultAlphaIsTwoAndAHalf) {
  const auto w = parse_workload("pareto:min=3ms");
  EXPECT_DOUBLE_EQ(w.alpha, 2.5);
  EXPECT_DOUBLE_EQ(w.min_seconds, 3e-3);
  EXPECT_DOUBLE_EQ(w.mean_seconds, 5e-3);  // 3ms * 2.5 / 1.5
}

TEST(Workload, ParetoItemsNeverFallBelowScale) {
  const auto w = parse_workload("pareto:min=1ms,alpha=2");
  for (std::int64_t i = 0; i < 100000; ++i) ASSERT_GE(w.item_seconds(i), 1e-3);
}

TEST(Workload, ParetoSampleMeanMatchesSpec) {
  expect_sample_mean_near("pareto:mean=1ms,alpha=3,seed=12", 0.05);
  expect_sample_mean_near("pareto:min=2ms,alpha=3,seed=13", 0.05);
}

TEST(Workload, ParetoCutAtMaxStaysBelowMaxAndMatchesTruncatedMean) {
  const auto w = parse_workload("pareto:mean=1ms,alpha=1.5,max=20ms,seed=14");
  // Truncated mean, computed independently: alpha*xm/(alpha-1) * (1-r^(alpha-1))/(1-r^alpha).
  const double xm = 1e-3 / 3, r = xm / 20e-3;
  const double truncated = 1.5 * xm / 0.5 * (1 - std::pow(r, 0.5)) / (1 - std::pow(r, 1.5));
  EXPECT_NEAR(w.expected_mean_seconds(), truncated, 1e-12);
  EXPECT_LT(w.expected_mean_seconds(), w.mean_seconds);
  for (std::int64_t i = 0; i < 100000; ++i) {
    const double t = w.item_seconds(i);
    ASSERT_GE(t, xm * (1 - 1e-12));
    ASSERT_LE(t, 20e-3);
  }
  expect_sample_mean_near(w.text, 0.05);
}

TEST(Workload, LinearRisesFromMinToMax) {
  const auto w = parse_workload("linear:min=1ms,max=5ms,n=5");
  EXPECT_EQ(w.distribution, Distribution::linear);
  const std::array<double, 5> expected = {1e-3, 2e-3, 3e-3, 4e-3, 5e-3};
  for (std::int64_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(w.item_seconds(i), expected[i]) << i;
}

TEST(Workload, LinearFallsWhenMinIsAboveMax) {
  const auto w = parse_workload("linear:min=4ms,max=0,n=5");
  const std::array<double, 5> expected = {4e-3, 3e-3, 2e-3, 1e-3, 0};
  for (std::int64_t i = 0; i < 5; ++i) EXPECT_DOUBLE_EQ(w.item_seconds(i), expected[i]) << i;
  EXPECT_DOUBLE_EQ(w.expected_mean_seconds(), 2e-3);
}

TEST(Workload, LinearWithOnlyMeanRunsFromZeroToTwiceMean) {
  const auto w = parse_workload("linear:mean=1ms,n=101");
  EXPECT_DOUBLE_EQ(w.item_seconds(0), 0);
  EXPECT_DOUBLE_EQ(w.item_seconds(50), 1e-3);
  EXPECT_DOUBLE_EQ(w.item_seconds(100), 2e-3);
}

TEST(Workload, LinearExpectedMeanIsTheMeanOverTheItems) {
  for (const char* spec :
       {"linear:min=1ms,max=7ms,n=10", "linear:min=9ms,max=2ms,n=1000", "linear:mean=3ms,n=2"}) {
    const auto w = parse_workload(spec);
    EXPECT_NEAR(sample_mean(w, *w.items), w.expected_mean_seconds(), 1e-12) << spec;
  }
}

TEST(Workload, LinearSingleItemTakesTheMidpoint) {
  const auto w = parse_workload("linear:min=2ms,max=4ms,n=1");
  EXPECT_DOUBLE_EQ(w.item_seconds(0), 3e-3);
  EXPECT_DOUBLE_EQ(w.expected_mean_seconds(), 3e-3);
}

TEST(Workload, LinearIndicesOutsideTheRangeTakeTheNearestEnd) {
  const auto w = parse_workload("linear:min=4ms,max=0,n=5");
  EXPECT_DOUBLE_EQ(w.item_seconds(-3), 4e-3);
  EXPECT_DOUBLE_EQ(w.item_seconds(1000), 0);
}

TEST(Workload, ItemTimesAreNeverNegativeOrNan) {
  for (const char* spec :
       {"const:mean=0", "uniform:mean=1ms", "exp:mean=1ms", "exp:mean=0", "bimodal:mean=1ms",
        "pareto:mean=1ms", "pareto:mean=1ms,max=2ms", "linear:min=3ms,max=0,n=7"}) {
    const auto w = parse_workload(spec);
    for (std::int64_t i = -1000; i < 20000; ++i) {
      const double t = w.item_seconds(i);
      ASSERT_FALSE(std::isnan(t)) << spec << " item " << i;
      ASSERT_GE(t, 0) << spec << " item " << i;
    }
  }
}

// --- determinism ------------------------------------------------------------------------

TEST(Workload, SameSpecAndIndexGiveTheSameValue) {
  const auto a = parse_workload("exp:mean=1ms,seed=42");
  const auto b = parse_workload("exp:mean=1ms,seed=42");
  for (std::int64_t i : std::array<std::int64_t, 6>{0, 1, 2, 999, 1234567, INT64_C(1) << 40}) {
    EXPECT_EQ(a.item_seconds(i), b.item_seconds(i)) << i;
    EXPECT_EQ(a.item_seconds(i), a.item_seconds(i)) << i;
  }
}

TEST(Workload, DifferentSeedsGiveDifferentValues) {
  const auto a = parse_workload("exp:mean=1ms,seed=1");
  const auto b = parse_workload("exp:mean=1ms,seed=2");
  int same = 0;
  for (std::int64_t i = 0; i < 1000; ++i) same += a.item_seconds(i) == b.item_seconds(i);
  EXPECT_EQ(same, 0);
}

TEST(Workload, ValuesAreAFixedFunctionOfSeedAndIndex) {
  // Pinned bit patterns: every process, build and platform draws these, and a change to the
  // hash would silently change every recorded benchmark and history.
  EXPECT_EQ(amorsize::uniform01(1, 0), 0x1.4a3db0f870b23p-1);
  EXPECT_EQ(amorsize::uniform01(7, 42), 0x1.901efe1ac55ep-6);
  EXPECT_EQ(amorsize::uniform01(123456789, 1000000, 3), 0x1.0298d75a2e938p-4);
  const auto w = parse_workload("uniform:min=0,max=1,seed=7");
  EXPECT_EQ(w.item_seconds(42), amorsize::uniform01(7, 42));
}

// --- uniform01 ---------------------------------------------------------------------------

TEST(Uniform01, DrawsLieInTheHalfOpenUnitInterval) {
  for (std::uint64_t seed : {0ULL, 1ULL, ~0ULL}) {
    for (std::uint64_t i = 0; i < 100000; ++i) {
      const double u = amorsize::uniform01(seed, i);
      ASSERT_GE(u, 0.0);
      ASSERT_LT(u, 1.0);
    }
  }
}

TEST(Uniform01, MeanIsOneHalfAndDecilesAreEven) {
  constexpr int kN = 1000000;
  std::array<int, 10> deciles{};
  double sum = 0;
  for (std::uint64_t i = 0; i < kN; ++i) {
    const double u = amorsize::uniform01(3, i);
    sum += u;
    ++deciles[std::min<std::size_t>(9, static_cast<std::size_t>(u * 10))];
  }
  EXPECT_NEAR(sum / kN, 0.5, 0.002);  // standard error 0.0003
  double chi2 = 0;
  for (int count : deciles) {
    chi2 += (count - kN / 10.0) * (count - kN / 10.0) / (kN / 10.0);
    EXPECT_NEAR(count, kN / 10, 1500);  // standard deviation 300
  }
  EXPECT_LT(chi2, 27.9);  // chi-square, 9 degrees of freedom, p = 0.001
}

TEST(Uniform01, DrawsCarry53RandomBits) {
  const double scale = 9007199254740992.0;  // 2^53
  bool low_bit_set = false;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const double k = amorsize::uniform01(5, i) * scale;
    ASSERT_EQ(k, std::floor(k));  // a multiple of 2^-53
    low_bit_set = low_bit_set || std::fmod(k, 2.0) == 1.0;
  }
  EXPECT_TRUE(low_bit_set);
}

double correlation(const std::function<double(std::uint64_t)>& x,
                   const std::function<double(std::uint64_t)>& y, std::uint64_t n) {
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const double a = x(i), b = y(i);
    sx += a, sy += b, sxx += a * a, syy += b * b, sxy += a * b;
  }
  const double dn = static_cast<double>(n);
  const double cov = sxy / dn - sx / dn * sy / dn;
  return cov / std::sqrt((sxx / dn - sx * sx / dn / dn) * (syy / dn - sy * sy / dn / dn));
}

TEST(Uniform01, NeighbouringSeedsAreUncorrelated) {
  constexpr std::uint64_t kN = 200000;  // standard error of a correlation: 1/sqrt(n) ~ 0.0022
  for (std::uint64_t seed : {0ULL, 1ULL, 1000ULL}) {
    const double r =
        correlation([&](std::uint64_t i) { return amorsize::uniform01(seed, i); },
                    [&](std::uint64_t i) { return amorsize::uniform01(seed + 1, i); }, kN);
    EXPECT_LT(std::abs(r), 0.012) << "seed " << seed;
  }
}

TEST(Uniform01, NeighbouringIndicesAreUncorrelated) {
  constexpr std::uint64_t kN = 200000;
  const double r = correlation([](std::uint64_t i) { return amorsize::uniform01(9, i); },
                               [](std::uint64_t i) { return amorsize::uniform01(9, i + 1); }, kN);
  EXPECT_LT(std::abs(r), 0.012);
}

TEST(Uniform01, SeedAndIndexAreNotInterchangeable) {
  const double r = correlation([](std::uint64_t i) { return amorsize::uniform01(i, 4); },
                               [](std::uint64_t i) { return amorsize::uniform01(4, i); }, 200000);
  EXPECT_LT(std::abs(r), 0.012);
  EXPECT_NE(amorsize::uniform01(1, 2), amorsize::uniform01(2, 1));
}

TEST(Uniform01, StreamsAreIndependent) {
  const double r =
      correlation([](std::uint64_t i) { return amorsize::uniform01(9, i, 0); },
                  [](std::uint64_t i) { return amorsize::uniform01(9, i, 1); }, 200000);
  EXPECT_LT(std::abs(r), 0.012);
  EXPECT_EQ(amorsize::uniform01(9, 5), amorsize::uniform01(9, 5, 0));  // stream defaults to 0
}

// --- rejected specifications ---------------------------------------------------------------

TEST(WorkloadErrors, ErrorsAreInvalidArgumentDerivedFromError) {
  EXPECT_THROW(parse_workload("gauss:mean=1ms"), amorsize::invalid_argument);
  EXPECT_THROW(parse_workload("gauss:mean=1ms"), amorsize::error);
}

TEST(WorkloadErrors, UnknownDistributionNamesItAndTheChoices) {
  try {
    parse_workload("gauss:mean=1ms");
    FAIL() << "accepted gauss";
  } catch (const amorsize::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "unknown distribution \"gauss\" in workload \"gauss:mean=1ms\": expected const, "
                 "uniform, exp, bimodal, pareto or linear");
  }
  expect_rejected("Exp:mean=1ms", "Exp");
  expect_rejected("gauss", "gauss");
}

TEST(WorkloadErrors, EmptySpecificationIsRejected) {
  expect_rejected("", "empty workload");
  expect_rejected("   ", "empty workload");
}

TEST(WorkloadErrors, MissingDistributionIsRejected) {
  expect_rejected(":mean=1ms", "missing distribution");
  expect_rejected("mean=1ms", "missing distribution");
}

TEST(WorkloadErrors, BareDistributionNamesTheMissingKey) {
  expect_rejected("exp", "missing mean");
  expect_rejected("const", "missing mean");
  expect_rejected("exp:", "missing mean");
  expect_rejected("pareto", "missing mean");
}

TEST(WorkloadErrors, BadDurationNamesTheValueAndTheKey) {
  expect_rejected("exp:mean=12parsecs", "bad duration \"12parsecs\" for mean");
  expect_rejected("exp:mean=12parsecs", "expected a number with ns, us, ms or s");
  expect_rejected("exp:mean=", "bad duration \"\"");
  expect_rejected("exp:mean=ms", "\"ms\"");
  expect_rejected("exp:mean=nan", "\"nan\"");
  expect_rejected("exp:mean=inf", "\"inf\"");
  expect_rejected("uniform:min=1ms,max=1e999", "\"1e999\"");
}

TEST(WorkloadErrors, NegativeDurationIsRejected) {
  expect_rejected("exp:mean=-1ms", "negative duration \"-1ms\" for mean");
  expect_rejected("uniform:min=-1ms,max=1ms", "\"-1ms\"");
}

TEST(WorkloadErrors, UnknownKeyIsRejected) {
  expect_rejected("exp:mean=1ms,foo=3", "unknown key \"foo\"");
  expect_rejected("linear:min=1ms,max=2ms,n=10,dir=down", "unknown key \"dir\"");
}

TEST(WorkloadErrors, DuplicateKeyIsRejected) {
  expect_rejected("exp:mean=1ms,mean=2ms", "duplicate key \"mean\"");
}

TEST(WorkloadErrors, KeyTheDistributionDoesNotUseIsRejected) {
  expect_rejected("exp:mean=1ms,alpha=2", "\"alpha\" is not used by exp");
  expect_rejected("exp:mean=1ms,max=2ms", "\"max\" is not used by exp");
  expect_rejected("const:mean=1ms,p=0.5", "\"p\" is not used by const");
  expect_rejected("uniform:mean=1ms,alpha=3", "\"alpha\"");
  expect_rejected("pareto:mean=1ms,p=0.2", "\"p\"");
  expect_rejected("linear:mean=1ms,n=4,alpha=3", "\"alpha\"");
}

TEST(WorkloadErrors, MalformedParameterIsRejected) {
  expect_rejected("exp:mean", "\"mean\" has no value");
  expect_rejected("exp:mean=1ms,,n=3", "empty parameter");
  expect_rejected("exp:mean=1ms,", "empty parameter");
}

TEST(WorkloadErrors, POutsideOpenUnitIntervalIsRejected) {
  for (const char* p : {"0", "1", "1.5", "-0.1"}) {
    expect_rejected(std::string("bimodal:mean=1ms,p=") + p, std::string("p \"") + p + "\"");
  }
  expect_rejected("bimodal:mean=1ms,p=half", "\"half\"");
}

TEST(WorkloadErrors, ParetoAlphaAtMostOneIsRejected) {
  expect_rejected("pareto:mean=1ms,alpha=1", "alpha \"1\"");
  expect_rejected("pareto:mean=1ms,alpha=0.5", "alpha \"0.5\"");
  expect_rejected("pareto:mean=1ms,alpha=1", "infinite");
}

TEST(WorkloadErrors, MinAboveMaxIsRejectedForUniformAndBimodal) {
  expect_rejected("uniform:min=5ms,max=1ms", "min \"5ms\" is above max \"1ms\"");
  expect_rejected("bimodal:min=5ms,max=1ms", "min \"5ms\" is above max \"1ms\"");
}

TEST(WorkloadErrors, ParetoCutBelowScaleIsRejected) {
  expect_rejected("pareto:min=2ms,max=1ms", "max \"1ms\"");
}

TEST(WorkloadErrors, MissingParametersAreNamed) {
  expect_rejected("const:n=10", "missing mean");
  expect_rejected("uniform:n=10", "missing mean");
  expect_rejected("uniform:min=1ms", "missing max");
  expect_rejected("uniform:max=1ms", "missing min");
  expect_rejected("exp:seed=3", "missing mean");
  expect_rejected("bimodal:p=0.2", "missing mean");
  expect_rejected("bimodal:min=1ms", "missing max");
  expect_rejected("pareto:alpha=3", "missing mean");
  expect_rejected("pareto:max=3ms", "missing mean");
  expect_rejected("linear:mean=1ms", "missing n");
  expect_rejected("linear:min=1ms,max=2ms", "missing n");
  expect_rejected("linear:n=10", "missing mean");
}

TEST(WorkloadErrors, MeanTogetherWithMinOrMaxIsRejected) {
  expect_rejected("uniform:mean=1ms,min=0", "conflicting keys mean and min");
  expect_rejected("bimodal:mean=1ms,max=3ms", "conflicting keys mean and max");
  expect_rejected("linear:mean=1ms,min=0,max=2ms,n=3", "conflicting keys mean and min");
  expect_rejected("pareto:mean=1ms,min=1ms", "conflicting keys mean and min");
}

TEST(WorkloadErrors, BadItemCountIsRejected) {
  for (const char* n : {"0", "-5", "2.5", "abc", "1e30", ""}) {
    expect_rejected(std::string("exp:mean=1ms,n=") + n,
                    std::string("bad item count \"") + n + "\"");
  }
}

TEST(WorkloadErrors, BadSeedIsRejected) {
  for (const char* seed : {"-1", "1.5", "x", "18446744073709551616"}) {
    expect_rejected(std::string("exp:mean=1ms,seed=") + seed,
                    std::string("bad seed \"") + seed + "\"");
  }
}

TEST(WorkloadErrors, BadByteCountIsRejected) {
  expect_rejected("exp:mean=1ms,mem=12Q", "bad byte count \"12Q\" for mem");
  expect_rejected("exp:mean=1ms,out=-4k", "negative byte count \"-4k\" for out");
}

// --- parse_duration, parse_bytes ---------------------------------------------------------------

TEST(ParseDuration, UnitsScaleToSeconds) {
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("200us"), 200e-6);
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("200\xC2\xB5s"), 200e-6);  // micro sign
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("200\xCE\xBCs"), 200e-6);  // Greek mu
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("1.5ms"), 1.5e-3);
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("2s"), 2);
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("750ns"), 750e-9);
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("0.001"), 1e-3);
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("1e-3"), 1e-3);
  EXPECT_DOUBLE_EQ(amorsize::parse_duration(".5ms"), 0.5e-3);
  EXPECT_DOUBLE_EQ(amorsize::parse_duration("0"), 0);
  EXPECT_DOUBLE_EQ(amorsize::parse_duration(" 3 ms "), 3e-3);
}

TEST(ParseDuration, MalformedDurationsAreRejectedWithTheValue) {
  for (const char* text :
       {"", "ms", "12parsecs", "1 parsec", "1e", "1.2.3s", "nan", "inf", "0x10", "5MS", "1e999"}) {
    try {
      amorsize::parse_duration(text);
      ADD_FAILURE() << "accepted \"" << text << "\"";
    } catch (const amorsize::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("\"") + text + "\""), std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(amorsize::parse_duration("-1ms"), amorsize::invalid_argument);
}

TEST(ParseBytes, SuffixesArePowersOf1024) {
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("4096"), 4096);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("4096B"), 4096);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("64k"), 65536);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("64K"), 65536);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("64kB"), 65536);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("64KiB"), 65536);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("1.5M"), 1.5 * 1048576);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("2G"), 2.0 * 1073741824);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("1TiB"), 1099511627776.0);
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes("0"), 0);
}

TEST(ParseBytes, MalformedByteCountsAreRejected) {
  for (const char* text : {"", "k", "12Q", "64KB2", "64kBB", "1x", "-1k", "nan", "inf"}) {
    EXPECT_THROW(amorsize::parse_bytes(text), amorsize::invalid_argument) << text;
  }
  EXPECT_DOUBLE_EQ(amorsize::parse_bytes(" 64KiB "), 65536);
}

// --- busy_wait ---------------------------------------------------------------------------

TEST(BusyWait, LastsAtLeastTheRequestedTime) {
  const auto start = std::chrono::steady_clock::now();
  amorsize::busy_wait(2e-3);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(elapsed, 2e-3);
  EXPECT_LT(elapsed, 50e-3);
}

TEST(BusyWait, ZeroOrNegativeReturnsAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  amorsize::busy_wait(0);
  amorsize::busy_wait(-1);
  amorsize::busy_wait(std::nan(""));
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(elapsed, 50e-3);
}

}  // namespace
