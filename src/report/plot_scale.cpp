// How grid values become colors, shared by the terminal and the PNG pictures: scales fitted to the
// values shown, the codes of categorical grids, color bar labels and the color of each cell.
#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "report/plot.hpp"
#include "report/plot_internal.hpp"

namespace hp {

namespace {

int category_code(float v) { return static_cast<int>(std::lround(std::clamp(v, -1e9f, 1e9f))); }

}  // namespace

void fit_scale_to_values(Grid& g)
{
    auto valid = [](float v) { return std::isfinite(v); };
    if (std::none_of(g.values.begin(), g.values.end(), valid)) return;
    g.low = INFINITY;
    g.high = -INFINITY;
    for (float v : g.values)
        if (valid(v)) {
            g.low = std::min(g.low, v);
            g.high = std::max(g.high, v);
        }
}

std::vector<int> grid_categories(const Grid& g)
{
    std::set<int> codes;
    for (float v : g.values)
        if (std::isfinite(v)) codes.insert(category_code(v));
    return {codes.begin(), codes.end()};
}

std::vector<double> color_bar_values(const Grid& g)
{
    const double low = g.low, high = g.high;
    if (!(high > low)) return {low};
    // A round number closer than a tenth of the bar to an end would print over the end's label.
    const double min_gap = 0.1 * (high - low);
    std::vector<double> values = {low};
    for (double t : plot::nice_ticks(low, high, 4))
        if (t - low >= min_gap && high - t >= min_gap) values.push_back(t);
    values.push_back(high);
    return values;
}

namespace plot {

std::vector<Rgb> cell_colors(const Grid& g)
{
    std::vector<int> codes = g.categorical ? grid_categories(g) : std::vector<int>{};
    std::vector<Rgb> colors;
    colors.reserve(g.values.size());
    for (float v : g.values) {
        if (!std::isfinite(v))
            colors.push_back(kInvalidColor);
        else if (g.categorical) {
            auto rank = std::lower_bound(codes.begin(), codes.end(), category_code(v)) - codes.begin();
            colors.push_back(category_color(static_cast<size_t>(rank)));
        } else
            colors.push_back(heat_color(scale_position(v, g.low, g.high)));
    }
    return colors;
}

std::vector<double> nice_ticks(double low, double high, int count)
{
    double raw = (high - low) / std::max(count, 1);
    if (!(raw > 0) || !std::isfinite(raw)) return {low};
    double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * magnitude >= raw) {
            step = m * magnitude;
            break;
        }
    std::vector<double> ticks;
    const double first = std::ceil(low / step);
    for (double k = 0, t = first * step; t <= high + step * 1e-9; ++k, t = (first + k) * step)
        ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
    return ticks;
}

}  // namespace plot

}  // namespace hp
