// Pictures for people: terminal renderings (ANSI colors) and PNG images (cairo) of heat maps,
// confusion matrices and training curves. Images are written atomically.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace hp {

// A grid of values shown as colors, e.g. a frame's distance or signal. A NaN value is an invalid
// cell (e.g. a zone without a valid target): printed "-", drawn in a neutral grey that no scale uses.
struct Grid {
    std::string title;   // e.g. "distance (mm)"
    int rows = 0, cols = 0;
    std::vector<float> values;  // [rows][cols]
    float low = 0, high = 1;    // color scale of a continuous grid (values outside take the end colors)
    bool categorical = false;   // values are integer codes (e.g. target_status): one color per code
                                // present, a legend of the codes instead of a color bar
};

// Sets g's scale to the smallest and largest valid value it holds, so that the colors span exactly
// what is shown; a grid without valid values keeps its scale.
void fit_scale_to_values(Grid& g);

// The codes a categorical grid holds (its valid values rounded), ascending: its legend, in order.
std::vector<int> grid_categories(const Grid& g);

// The values labelled on a continuous grid's color bar, ascending: the scale's two ends and the round
// numbers (1, 2, 5 x 10^k) between them that are not too close to an end to be read.
std::vector<double> color_bar_values(const Grid& g);

// Colored terminal heat maps side by side, values printed in each cell (ANSI 256 colors;
// color = false gives plain text for non-terminals).
std::string render_grids_ansi(const std::vector<Grid>& grids, bool color);
// One line per grid saying how to read its colors: a continuous grid's scale ends (with a strip of
// the colors between them when color = true), a categorical grid's codes, and the invalid cells' mark.
std::string render_legends_ansi(const std::vector<Grid>& grids, bool color);
// The grids side by side, each with its color bar (continuous) or legend of codes (categorical);
// a legend entry "invalid" under the grids when a cell is invalid.
void write_grids_png(const std::filesystem::path& path, const std::vector<Grid>& grids);

// Confusion matrix [label][predicted] as a text table / as an image with counts and row-normalized colors.
// The text table has the true class down the side and the predicted class across the top; color = true
// highlights the diagonal (correct predictions) with ANSI colors.
std::string render_confusion_text(const std::vector<std::vector<long>>& confusion,
                                  const std::vector<std::string>& class_names, bool color = false);
void write_confusion_png(const std::filesystem::path& path, const std::vector<std::vector<long>>& confusion,
                         const std::vector<std::string>& class_names, const std::string& title);

// Line chart of named series over a shared x axis (e.g. loss and val_loss per epoch).
struct Series {
    std::string name;
    std::vector<double> y;
};
void write_curves_png(const std::filesystem::path& path, const std::string& title, const std::string& x_label,
                      const std::vector<double>& x, const std::vector<Series>& series);

}  // namespace hp
