// What the terminal and PNG pictures share: a perceptually ordered color map from [0,1] to RGB
// (dark blue -> teal -> yellow, viridis-like), a white -> blue map for confusion matrices, and
// the way grid values are printed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "report/plot.hpp"

namespace hp::plot {

struct Rgb {
    double r, g, b;  // each in [0,1]
};

// Piecewise-linear through a few anchor colors; t outside [0,1] (or NaN) is clamped.
inline Rgb interpolate(const Rgb* anchors, int count, double t)
{
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    double x = t * (count - 1);
    int i = std::min(static_cast<int>(x), count - 2);
    double f = x - i;
    const Rgb& a = anchors[i];
    const Rgb& b = anchors[i + 1];
    return {a.r + f * (b.r - a.r), a.g + f * (b.g - a.g), a.b + f * (b.b - a.b)};
}

inline Rgb heat_color(double t)
{
    static const Rgb anchors[] = {{0.267, 0.005, 0.329}, {0.230, 0.322, 0.546}, {0.128, 0.567, 0.551},
                                  {0.369, 0.789, 0.383}, {0.993, 0.906, 0.144}};
    return interpolate(anchors, 5, t);
}

inline Rgb blues_color(double t)
{
    static const Rgb anchors[] = {{0.969, 0.984, 1.000}, {0.620, 0.792, 0.882}, {0.031, 0.188, 0.420}};
    return interpolate(anchors, 3, t);
}

// Position of v on the scale [low, high], in [0,1].
inline double scale_position(float v, float low, float high)
{
    if (!std::isfinite(v)) return 0;
    if (!(high > low)) return 0.5;
    return std::clamp((static_cast<double>(v) - low) / (static_cast<double>(high) - low), 0.0, 1.0);
}

// Dark text on light colors, light text on dark ones.
inline bool is_light(const Rgb& c) { return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b > 0.55; }

inline void check_grid(const Grid& g)
{
    if (g.rows <= 0 || g.cols <= 0 || g.values.size() != static_cast<size_t>(g.rows) * g.cols)
        throw Error("plot grid '" + g.title + "'", "has " + std::to_string(g.values.size()) + " values for " +
                                                       std::to_string(g.rows) + "x" + std::to_string(g.cols));
}

// Whole numbers are printed without decimals (distances, counts), others with two; "-" for NaN.
inline std::vector<std::string> format_values(const Grid& g)
{
    bool whole = std::all_of(g.values.begin(), g.values.end(),
                             [](float v) { return !std::isfinite(v) || (v == std::floor(v) && std::fabs(v) < 1e9f); });
    std::vector<std::string> out;
    char buf[64];
    for (float v : g.values) {
        if (!std::isfinite(v))
            out.emplace_back("-");
        else {
            std::snprintf(buf, sizeof buf, whole ? "%.0f" : "%.2f", static_cast<double>(v));
            out.emplace_back(buf);
        }
    }
    return out;
}

}  // namespace hp::plot
