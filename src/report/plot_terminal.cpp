// Terminal pictures: heat maps with ANSI 256-color backgrounds and confusion tables.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "report/plot.hpp"
#include "report/plot_internal.hpp"

namespace hp {

namespace {

// Nearest entry of the 6x6x6 color cube of 256-color terminals.
int ansi256(const plot::Rgb& c)
{
    auto level = [](double v) { return static_cast<int>(std::lround(std::clamp(v, 0.0, 1.0) * 5)); };
    return 16 + 36 * level(c.r) + 6 * level(c.g) + level(c.b);
}

std::string ansi_cell(const std::string& text, const plot::Rgb& background)
{
    int fg = plot::is_light(background) ? 16 : 231;
    return "\x1b[48;5;" + std::to_string(ansi256(background)) + "m\x1b[38;5;" + std::to_string(fg) + "m" + text +
           "\x1b[0m";
}

std::string pad_left(const std::string& s, size_t width) { return std::string(width - std::min(width, s.size()), ' ') + s; }
std::string pad_right(const std::string& s, size_t width) { return s + std::string(width - std::min(width, s.size()), ' '); }

}  // namespace

std::string render_grids_ansi(const std::vector<Grid>& grids, bool color)
{
    // Each grid becomes a block of lines (title + rows) of known visible width; blocks are joined side by side.
    struct Block {
        std::vector<std::string> lines;
        size_t width;
    };
    std::vector<Block> blocks;
    size_t height = 0;
    for (const Grid& g : grids) {
        plot::check_grid(g);
        std::vector<std::string> text = plot::format_values(g);
        std::vector<plot::Rgb> colors = plot::cell_colors(g);
        size_t cell = 0;
        for (const auto& t : text) cell = std::max(cell, t.size());
        cell += 1;
        Block b{{}, std::max(cell * g.cols, g.title.size())};
        b.lines.push_back(pad_right(g.title, b.width));
        for (int r = 0; r < g.rows; ++r) {
            std::string line;
            for (int c = 0; c < g.cols; ++c) {
                size_t i = static_cast<size_t>(r) * g.cols + c;
                std::string t = pad_left(text[i], cell);
                line += color ? ansi_cell(t, colors[i]) : t;
            }
            line += std::string(b.width - cell * g.cols, ' ');
            b.lines.push_back(line);
        }
        height = std::max(height, b.lines.size());
        blocks.push_back(std::move(b));
    }
    std::string out;
    for (size_t row = 0; row < height; ++row) {
        std::string line;
        for (size_t k = 0; k < blocks.size(); ++k) {
            if (k) line += "   ";
            line += row < blocks[k].lines.size() ? blocks[k].lines[row] : std::string(blocks[k].width, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

namespace {

// " codes 5, 9, 255", each code on its color when color = true.
std::string codes_legend(const Grid& g, bool color)
{
    std::string out = " codes";
    std::vector<int> codes = grid_categories(g);
    for (size_t k = 0; k < codes.size(); ++k) {
        std::string code = std::to_string(codes[k]);
        out += color || k == 0 ? " " : ", ";
        out += color ? ansi_cell(" " + code + " ", plot::category_color(k)) : code;
    }
    return out;
}

// " 2224 to 3015": the scale's ends as the cells print them; in color, a strip of the colors between them.
std::string scale_legend(const Grid& g, bool color)
{
    const bool whole = plot::values_are_whole(g);
    std::string out = " ";
    out += plot::format_value(g.low, whole);
    if (color) {
        out += " ";
        const int steps = 8;
        for (int k = 0; k < steps; ++k) out += ansi_cell("  ", plot::heat_color(k / double(steps - 1)));
        out += " ";
    } else
        out += " to ";
    out += plot::format_value(g.high, whole);
    return out;
}

}  // namespace

std::string render_legends_ansi(const std::vector<Grid>& grids, bool color)
{
    std::string out;
    for (const Grid& g : grids) {
        plot::check_grid(g);
        out += g.title + ":";
        out += g.categorical ? codes_legend(g, color) : scale_legend(g, color);
        if (plot::has_invalid_cells(g)) {
            out += color ? "   " : ", ";
            out += color ? ansi_cell(" - ", plot::kInvalidColor) : "-";
            out += " invalid";
        }
        out += "\n";
    }
    return out;
}

std::string render_confusion_text(const std::vector<std::vector<long>>& confusion,
                                  const std::vector<std::string>& class_names, bool color)
{
    const size_t n = class_names.size();
    if (confusion.size() != n)
        throw Error("confusion matrix", std::to_string(confusion.size()) + " rows for " + std::to_string(n) + " classes");
    for (const auto& row : confusion)
        if (row.size() != n)
            throw Error("confusion matrix", "a row has " + std::to_string(row.size()) + " columns for " +
                                                std::to_string(n) + " classes");
    const std::string corner = "true \\ predicted";
    size_t label_width = corner.size();
    for (const auto& name : class_names) label_width = std::max(label_width, name.size());
    std::vector<size_t> widths(n);
    for (size_t c = 0; c < n; ++c) {
        widths[c] = class_names[c].size();
        for (size_t r = 0; r < n; ++r) widths[c] = std::max(widths[c], std::to_string(confusion[r][c]).size());
    }
    std::string out = pad_right(corner, label_width);
    for (size_t c = 0; c < n; ++c) out += "  " + pad_left(class_names[c], widths[c]);
    out += "\n";
    for (size_t r = 0; r < n; ++r) {
        out += pad_right(class_names[r], label_width);
        for (size_t c = 0; c < n; ++c) {
            std::string cell = pad_left(std::to_string(confusion[r][c]), widths[c]);
            // Bold green for correct predictions, dim for empty cells.
            if (color && r == c)
                cell = "\x1b[1;32m" + cell + "\x1b[0m";
            else if (color && confusion[r][c] == 0)
                cell = "\x1b[2m" + cell + "\x1b[0m";
            out += "  " + cell;
        }
        out += "\n";
    }
    return out;
}

}  // namespace hp
