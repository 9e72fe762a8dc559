// PNG pictures drawn with cairo: heat maps with color bars, confusion matrices, line charts.
#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "report/plot.hpp"
#include "report/plot_internal.hpp"

namespace hp {

namespace {

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

// One white canvas of width x height pixels; draw(cr) paints it; the PNG goes to path atomically.
template <typename Draw>
void write_png(const std::filesystem::path& path, int width, int height, Draw draw)
{
    if (width <= 0 || height <= 0 || width > 20000 || height > 20000)
        throw Error(path, "picture size " + std::to_string(width) + "x" + std::to_string(height) + " out of range");
    SurfacePtr surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height), cairo_surface_destroy);
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS)
        throw Error(path, std::string("cannot create picture: ") + cairo_status_to_string(cairo_surface_status(surface.get())));
    {
        ContextPtr cr(cairo_create(surface.get()), cairo_destroy);
        cairo_set_source_rgb(cr.get(), 1, 1, 1);
        cairo_paint(cr.get());
        cairo_select_font_face(cr.get(), "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
        draw(cr.get());
        if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS)
            throw Error(path, std::string("cannot draw: ") + cairo_status_to_string(cairo_status(cr.get())));
    }
    cairo_surface_flush(surface.get());
    write_atomically(path, [&](const std::filesystem::path& tmp) {
        cairo_status_t status = cairo_surface_write_to_png(surface.get(), tmp.c_str());
        if (status != CAIRO_STATUS_SUCCESS) throw Error(path, std::string("cannot write PNG: ") + cairo_status_to_string(status));
    });
}

void set_color(cairo_t* cr, const plot::Rgb& c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

double text_width(cairo_t* cr, const std::string& s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s.c_str(), &e);
    return e.x_advance;
}

// Draws s with its anchor point at (x, y): align 0 = left, 0.5 = centered, 1 = right; y is the middle of the text.
void draw_text(cairo_t* cr, const std::string& s, double x, double y, double align = 0)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s.c_str(), &e);
    cairo_move_to(cr, x - align * e.x_advance, y - (e.y_bearing + e.height / 2));
    cairo_show_text(cr, s.c_str());
}

std::string format_number(double v)
{
    char buf[64];
    double a = std::fabs(v);
    if (a != 0 && (a >= 1e5 || a < 1e-3))
        std::snprintf(buf, sizeof buf, "%.2g", v);
    else
        std::snprintf(buf, sizeof buf, "%.6g", std::round(v * 1e6) / 1e6);
    return buf;
}

constexpr int kCell = 40, kMargin = 20, kTitle = 30, kBarGap = 10, kBarWidth = 14, kBarLabels = 64;
constexpr int kLegendStep = 20, kInvalidRow = 28;

// Height of a grid's block: its cells, or its legend of codes when that is taller.
int block_height(const Grid& g)
{
    int legend = g.categorical ? static_cast<int>(grid_categories(g).size()) * kLegendStep : 0;
    return std::max(g.rows * kCell, legend);
}

void draw_swatch(cairo_t* cr, const plot::Rgb& color, double x, double y)
{
    set_color(cr, color);
    cairo_rectangle(cr, x, y, kBarWidth, kBarWidth);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x + 0.5, y + 0.5, kBarWidth - 1, kBarWidth - 1);
    cairo_stroke(cr);
}

void draw_cells(cairo_t* cr, const Grid& g, double x0, double top)
{
    std::vector<std::string> text = plot::format_values(g);
    std::vector<plot::Rgb> colors = plot::cell_colors(g);
    cairo_set_font_size(cr, 10);
    for (int r = 0; r < g.rows; ++r)
        for (int c = 0; c < g.cols; ++c) {
            size_t i = static_cast<size_t>(r) * g.cols + c;
            set_color(cr, colors[i]);
            cairo_rectangle(cr, x0 + c * kCell, top + r * kCell, kCell, kCell);
            cairo_fill(cr);
            double ink = plot::is_light(colors[i]) ? 0 : 1;
            cairo_set_source_rgb(cr, ink, ink, ink);
            draw_text(cr, text[i], x0 + (c + 0.5) * kCell, top + (r + 0.5) * kCell, 0.5);
        }
}

// Color bar of a continuous grid: high at the top, low at the bottom; its ends labelled as the cells
// print them, round numbers between.
void draw_color_bar(cairo_t* cr, const Grid& g, double x, double top)
{
    const double height = g.rows * kCell;
    const bool flat = !(g.high > g.low);  // every valid cell has the middle color
    for (int y = 0; y < static_cast<int>(height); ++y) {
        set_color(cr, plot::heat_color(flat ? 0.5 : 1.0 - (y + 0.5) / height));
        cairo_rectangle(cr, x, top + y, kBarWidth, 1);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x + 0.5, top + 0.5, kBarWidth - 1, height - 1);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 10);
    const bool whole = plot::values_are_whole(g);
    std::vector<double> labels = color_bar_values(g);
    for (size_t k = 0; k < labels.size(); ++k) {
        double y = flat ? top + height / 2 : top + (1 - plot::scale_position(float(labels[k]), g.low, g.high)) * height;
        bool end = k == 0 || k + 1 == labels.size();
        cairo_move_to(cr, x + kBarWidth, std::round(y) + 0.5);
        cairo_line_to(cr, x + kBarWidth + 3, std::round(y) + 0.5);
        cairo_stroke(cr);
        draw_text(cr, end ? plot::format_value(labels[k], whole) : format_number(labels[k]), x + kBarWidth + 5, y);
    }
}

// Legend of a categorical grid: one swatch per code present, in ascending order.
void draw_category_legend(cairo_t* cr, const Grid& g, double x, double top)
{
    std::vector<int> codes = grid_categories(g);
    cairo_set_font_size(cr, 11);
    for (size_t k = 0; k < codes.size(); ++k) {
        double y = top + k * kLegendStep;
        draw_swatch(cr, plot::category_color(k), x, y);
        draw_text(cr, std::to_string(codes[k]), x + kBarWidth + 6, y + kBarWidth / 2.0);
    }
}

}  // namespace

void write_grids_png(const std::filesystem::path& path, const std::vector<Grid>& grids)
{
    if (grids.empty()) throw Error(path, "no grids to draw");
    int width = kMargin, blocks = 0;
    bool any_invalid = false;
    for (const Grid& g : grids) {
        plot::check_grid(g);
        if (g.rows > 256 || g.cols > 256) throw Error(path, "grid '" + g.title + "' is too large to draw");
        width += g.cols * kCell + kBarGap + kBarWidth + kBarLabels + kMargin;
        blocks = std::max(blocks, block_height(g));
        any_invalid = any_invalid || plot::has_invalid_cells(g);
    }
    const int top = kMargin + kTitle;
    const int height = top + blocks + (any_invalid ? kInvalidRow : 0) + kMargin;
    write_png(path, width, height, [&](cairo_t* cr) {
        double x0 = kMargin;
        for (const Grid& g : grids) {
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_set_font_size(cr, 15);
            draw_text(cr, g.title, x0, kMargin + kTitle / 2.0 - 4);
            draw_cells(cr, g, x0, top);
            const double legend_x = x0 + g.cols * kCell + kBarGap;
            if (g.categorical)
                draw_category_legend(cr, g, legend_x, top);
            else
                draw_color_bar(cr, g, legend_x, top);
            x0 += g.cols * kCell + kBarGap + kBarWidth + kBarLabels + kMargin;
        }
        if (any_invalid) {
            const double y = top + blocks + kInvalidRow - kBarWidth;
            draw_swatch(cr, plot::kInvalidColor, kMargin, y);
            cairo_set_font_size(cr, 11);
            draw_text(cr, "- invalid", kMargin + kBarWidth + 6, y + kBarWidth / 2.0);
        }
    });
}

void write_confusion_png(const std::filesystem::path& path, const std::vector<std::vector<long>>& confusion,
                         const std::vector<std::string>& class_names, const std::string& title)
{
    const int n = static_cast<int>(class_names.size());
    if (n == 0 || n > 200) throw Error(path, "confusion matrix needs 1 to 200 classes, got " + std::to_string(n));
    if (confusion.size() != class_names.size()) throw Error(path, "confusion matrix rows do not match the class names");
    for (const auto& row : confusion)
        if (row.size() != class_names.size()) throw Error(path, "confusion matrix is not square");

    // Measure the class names to size the margins.
    double name_width = 0;
    {
        SurfacePtr probe(cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1), cairo_surface_destroy);
        ContextPtr cr(cairo_create(probe.get()), cairo_destroy);
        cairo_select_font_face(cr.get(), "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_size(cr.get(), 12);
        for (const auto& name : class_names) name_width = std::max(name_width, text_width(cr.get(), name));
    }
    const int cell = 56;
    const int left = kMargin + 24 + static_cast<int>(name_width) + 8;
    const int top = kMargin + kTitle + 10;
    const int bottom = static_cast<int>(name_width * 0.75) + 20 + 24 + kMargin;
    const int width = left + n * cell + kMargin + 10;
    const int height = top + n * cell + bottom;
    write_png(path, width, height, [&](cairo_t* cr) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_font_size(cr, 15);
        draw_text(cr, title, width / 2.0, kMargin + kTitle / 2.0, 0.5);
        for (int r = 0; r < n; ++r) {
            long row_sum = 0;
            for (long v : confusion[r]) row_sum += std::max(v, 0L);
            for (int c = 0; c < n; ++c) {
                double fraction = row_sum > 0 ? static_cast<double>(std::max(confusion[r][c], 0L)) / row_sum : 0;
                plot::Rgb color = plot::blues_color(fraction);
                set_color(cr, color);
                cairo_rectangle(cr, left + c * cell, top + r * cell, cell, cell);
                cairo_fill(cr);
                double ink = plot::is_light(color) ? 0 : 1;
                cairo_set_source_rgb(cr, ink, ink, ink);
                cairo_set_font_size(cr, 13);
                draw_text(cr, std::to_string(confusion[r][c]), left + (c + 0.5) * cell, top + (r + 0.5) * cell, 0.5);
            }
        }
        cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, left + 0.5, top + 0.5, n * cell - 1, n * cell - 1);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_font_size(cr, 12);
        for (int i = 0; i < n; ++i) {
            draw_text(cr, class_names[i], left - 6, top + (i + 0.5) * cell, 1);
            // Predicted class names slanted under their column.
            cairo_save(cr);
            cairo_translate(cr, left + (i + 0.5) * cell, top + n * cell + 8);
            cairo_rotate(cr, -M_PI / 4);
            draw_text(cr, class_names[i], 0, 0, 1);
            cairo_restore(cr);
        }
        cairo_set_font_size(cr, 13);
        draw_text(cr, "predicted", left + n * cell / 2.0, height - kMargin - 6, 0.5);
        cairo_save(cr);
        cairo_translate(cr, kMargin + 6, top + n * cell / 2.0);
        cairo_rotate(cr, -M_PI / 2);
        draw_text(cr, "true", 0, 0, 0.5);
        cairo_restore(cr);
    });
}

void write_curves_png(const std::filesystem::path& path, const std::string& title, const std::string& x_label,
                      const std::vector<double>& x, const std::vector<Series>& series)
{
    if (x.empty()) throw Error(path, "line chart without x values");
    if (series.empty()) throw Error(path, "line chart without series");
    for (const Series& s : series)
        if (s.y.size() != x.size())
            throw Error(path, "series '" + s.name + "' has " + std::to_string(s.y.size()) + " values for " +
                                  std::to_string(x.size()) + " x values");
    double x_low = std::numeric_limits<double>::infinity(), x_high = -x_low, y_low = x_low, y_high = -x_low;
    for (size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i])) continue;
        x_low = std::min(x_low, x[i]);
        x_high = std::max(x_high, x[i]);
        for (const Series& s : series)
            if (std::isfinite(s.y[i])) {
                y_low = std::min(y_low, s.y[i]);
                y_high = std::max(y_high, s.y[i]);
            }
    }
    if (!std::isfinite(x_low)) x_low = 0, x_high = 1;
    if (!std::isfinite(y_low)) y_low = 0, y_high = 1;
    if (x_high - x_low < 1e-12) x_low -= 0.5, x_high += 0.5;
    double pad = (y_high - y_low) * 0.05;
    if (pad < 1e-12) pad = std::max(std::fabs(y_high) * 0.05, 0.5);
    y_low -= pad, y_high += pad;

    const int width = 820, height = 500, left = 80, right = 190, top = kMargin + kTitle, bottom = 64;
    const double plot_w = width - left - right, plot_h = height - top - bottom;
    auto px = [&](double v) { return left + (v - x_low) / (x_high - x_low) * plot_w; };
    auto py = [&](double v) { return top + (1 - (v - y_low) / (y_high - y_low)) * plot_h; };
    write_png(path, width, height, [&](cairo_t* cr) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_font_size(cr, 15);
        draw_text(cr, title, left + plot_w / 2, kMargin + kTitle / 2.0 - 4, 0.5);
        cairo_set_font_size(cr, 11);
        cairo_set_line_width(cr, 1);
        for (double t : plot::nice_ticks(y_low, y_high, 6)) {
            cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
            cairo_move_to(cr, left, std::round(py(t)) + 0.5);
            cairo_line_to(cr, left + plot_w, std::round(py(t)) + 0.5);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            draw_text(cr, format_number(t), left - 8, py(t), 1);
        }
        for (double t : plot::nice_ticks(x_low, x_high, 8)) {
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_move_to(cr, std::round(px(t)) + 0.5, top + plot_h);
            cairo_line_to(cr, std::round(px(t)) + 0.5, top + plot_h + 5);
            cairo_stroke(cr);
            draw_text(cr, format_number(t), px(t), top + plot_h + 16, 0.5);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_rectangle(cr, left + 0.5, top + 0.5, plot_w, plot_h);
        cairo_stroke(cr);
        cairo_set_font_size(cr, 13);
        draw_text(cr, x_label, left + plot_w / 2, height - 20, 0.5);

        cairo_save(cr);
        cairo_rectangle(cr, left, top, plot_w, plot_h);
        cairo_clip(cr);
        cairo_set_line_width(cr, 2);
        for (size_t k = 0; k < series.size(); ++k) {
            set_color(cr, plot::category_color(k));
            bool pen_down = false;
            for (size_t i = 0; i < x.size(); ++i) {
                if (!std::isfinite(x[i]) || !std::isfinite(series[k].y[i])) {
                    pen_down = false;  // gaps stay gaps
                    continue;
                }
                if (pen_down)
                    cairo_line_to(cr, px(x[i]), py(series[k].y[i]));
                else
                    cairo_move_to(cr, px(x[i]), py(series[k].y[i]));
                pen_down = true;
            }
            if (x.size() == 1) cairo_arc(cr, px(x[0]), py(series[k].y[0]), 3, 0, 2 * M_PI);
            cairo_stroke(cr);
        }
        cairo_restore(cr);

        cairo_set_font_size(cr, 12);
        for (size_t k = 0; k < series.size(); ++k) {
            double y = top + 12 + k * 20.0;
            set_color(cr, plot::category_color(k));
            cairo_set_line_width(cr, 3);
            cairo_move_to(cr, left + plot_w + 14, y);
            cairo_line_to(cr, left + plot_w + 38, y);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            draw_text(cr, series[k].name, left + plot_w + 44, y);
        }
    });
}

}  // namespace hp

// cairo's text goes through fontconfig, which keeps its configuration in process-wide caches
// for the life of the process; LeakSanitizer would report them at exit in sanitizer builds.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
