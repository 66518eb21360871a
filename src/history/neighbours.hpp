#pragma once
// Nearest-neighbour regression for the models (task_model.cpp, model.cpp): the k nearest
// points by scaled Euclidean distance, and a weighted linear fit through them (locally
// weighted linear regression, as LOESS does), which follows a trend across a neighbourhood
// where an average of the neighbours would bend towards the denser side; an inverse-distance
// weighted mean where the fit is not determined (too few points, or collinear ones).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>
#include <vector>

namespace amorsize::detail {

/// Per feature, 1 / its spread over the points `xs` (standard deviation); 0 for a feature that
/// does not vary (a spread within 1e-12 of its mean's size), which then counts for nothing.
inline std::vector<double> feature_scales(const std::vector<std::vector<double>>& xs) {
  const std::size_t d = xs.empty() ? 0 : xs.front().size();
  std::vector<double> scale(d, 0.0);
  for (std::size_t k = 0; k < d; ++k) {
    double mean = 0, ss = 0;
    for (const auto& x : xs) mean += x[k];
    mean /= double(xs.size());
    for (const auto& x : xs) ss += (x[k] - mean) * (x[k] - mean);
    const double sd = std::sqrt(ss / double(xs.size()));
    scale[k] = sd > 1e-12 * std::max(1.0, std::fabs(mean)) ? 1 / sd : 0;
  }
  return scale;
}

/// Features that vary (a scale above 0).
inline std::size_t varying_features(const std::vector<double>& scale) {
  return std::size_t(std::count_if(scale.begin(), scale.end(), [](double v) { return v > 0; }));
}

struct Neighbourhood {
  std::vector<std::pair<double, std::size_t>> nearest;  // (distance, point), nearest first
};

/// The k nearest of `xs` to `x` (`scale`d per feature), leaving out point `leave_out`.
inline Neighbourhood nearest_points(const std::vector<std::vector<double>>& xs,
                                    const std::vector<double>& scale, const std::vector<double>& x,
                                    std::size_t k, std::size_t leave_out) {
  Neighbourhood n;
  n.nearest.reserve(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (i == leave_out) continue;
    double d2 = 0;
    for (std::size_t j = 0; j < scale.size(); ++j) {
      const double diff = (x[j] - xs[i][j]) * scale[j];
      d2 += diff * diff;
    }
    n.nearest.emplace_back(std::sqrt(d2), i);
  }
  k = std::min(k, n.nearest.size());
  std::partial_sort(n.nearest.begin(), n.nearest.begin() + std::ptrdiff_t(k), n.nearest.end());
  n.nearest.resize(k);
  return n;
}

/// The value at `x` from its neighbourhood: an exact match's value; else a linear fit
/// (weights 1 / (distance + median distance)) when it is determined, else the inverse-distance
/// weighted mean. `ys` are the points' values.
inline double neighbourhood_value(const Neighbourhood& n,
                                  const std::vector<std::vector<double>>& xs,
                                  const std::vector<double>& ys, const std::vector<double>& scale,
                                  const std::vector<double>& x) {
  if (n.nearest.empty()) return 0;
  if (n.nearest.front().first < 1e-12) return ys[n.nearest.front().second];
  double idw = 0, weights = 0;
  for (const auto& [distance, i] : n.nearest) {
    idw += ys[i] / distance;
    weights += 1 / distance;
  }
  idw /= weights;
  std::vector<std::size_t> dims;  // features that vary
  for (std::size_t j = 0; j < scale.size(); ++j)
    if (scale[j] > 0) dims.push_back(j);
  const std::size_t m = dims.size() + 1;
  if (n.nearest.size() < m + 1) return idw;
  const double h = n.nearest[n.nearest.size() / 2].first;
  // Normal equations (A b = c) of the weighted fit y ~ b0 + sum b_j (x_j - x0_j).
  std::vector<double> a(m * m, 0.0), c(m, 0.0), row(m);
  for (const auto& [distance, i] : n.nearest) {
    const double w = 1 / (distance + h);
    row[0] = 1;
    for (std::size_t j = 0; j < dims.size(); ++j)
      row[j + 1] = (xs[i][dims[j]] - x[dims[j]]) * scale[dims[j]];
    for (std::size_t r = 0; r < m; ++r) {
      c[r] += w * row[r] * ys[i];
      for (std::size_t q = 0; q < m; ++q) a[r * m + q] += w * row[r] * row[q];
    }
  }
  // Gaussian elimination with partial pivoting; a vanishing pivot: not determined.
  double largest = 0;
  for (double v : a) largest = std::max(largest, std::fabs(v));
  for (std::size_t col = 0; col < m; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < m; ++r)
      if (std::fabs(a[r * m + col]) > std::fabs(a[pivot * m + col])) pivot = r;
    if (std::fabs(a[pivot * m + col]) < 1e-9 * largest) return idw;
    if (pivot != col) {
      for (std::size_t q = 0; q < m; ++q) std::swap(a[col * m + q], a[pivot * m + q]);
      std::swap(c[col], c[pivot]);
    }
    for (std::size_t r = col + 1; r < m; ++r) {
      const double f = a[r * m + col] / a[col * m + col];
      for (std::size_t q = col; q < m; ++q) a[r * m + q] -= f * a[col * m + q];
      c[r] -= f * c[col];
    }
  }
  std::vector<double> b(m);
  for (std::size_t r = m; r-- > 0;) {
    double v = c[r];
    for (std::size_t q = r + 1; q < m; ++q) v -= a[r * m + q] * b[q];
    b[r] = v / a[r * m + r];
  }
  return std::isfinite(b[0]) ? b[0] : idw;  // the fit at x itself
}

}  // namespace amorsize::detail
