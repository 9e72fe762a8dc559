// What the terminal and PNG pictures share: a perceptually ordered color map from [0,1] to RGB
// (dark blue -> teal -> yellow, viridis-like), a white -> blue map for confusion matrices, a palette
// of distinct colors for categories and series, the grey of invalid cells, the color of each grid
// cell, round tick values and the way grid values are printed.
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

// Distinct colors for categories and line series (matplotlib's tab10 and tab20 light tones, greys
// left out so that nothing looks like an invalid cell); k wraps around after 14.
inline Rgb category_color(size_t k)
{
    static const Rgb palette[] = {{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                                  {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                                  {0.890, 0.467, 0.761}, {0.737, 0.741, 0.133}, {0.090, 0.745, 0.812},
                                  {0.682, 0.780, 0.910}, {1.000, 0.733, 0.471}, {0.596, 0.875, 0.541},
                                  {1.000, 0.596, 0.588}, {0.773, 0.690, 0.835}};
    return palette[k % (sizeof palette / sizeof palette[0])];
}

// Invalid cells: a neutral grey, which neither the heat map nor the category palette contains.
inline constexpr Rgb kInvalidColor{0.78, 0.78, 0.78};

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

// The color of each cell of g: the invalid grey for NaN, else its category's color (categorical
// grids) or its place on the heat map of the grid's scale.
std::vector<Rgb> cell_colors(const Grid& g);

inline bool has_invalid_cells(const Grid& g)
{
    return std::any_of(g.values.begin(), g.values.end(), [](float v) { return !std::isfinite(v); });
}

// About `count` evenly spaced round numbers (1, 2, 5 x 10^k) covering [low, high].
std::vector<double> nice_ticks(double low, double high, int count);

// A grid's values are printed without decimals when all are whole (distances, counts), else with two.
inline bool values_are_whole(const Grid& g)
{
    return std::all_of(g.values.begin(), g.values.end(),
                       [](float v) { return !std::isfinite(v) || (v == std::floor(v) && std::fabs(v) < 1e9f); });
}

// One value as its grid prints it; "-" for NaN (an invalid cell).
inline std::string format_value(double v, bool whole)
{
    if (!std::isfinite(v)) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, whole ? "%.0f" : "%.2f", v);
    return buf;
}

inline std::vector<std::string> format_values(const Grid& g)
{
    bool whole = values_are_whole(g);
    std::vector<std::string> out;
    for (float v : g.values) out.push_back(format_value(v, whole));
    return out;
}

}  // namespace hp::plot
