// Pictures for people: terminal renderings (ANSI colors) and PNG images (cairo) of heat maps,
// confusion matrices and training curves. Images are written atomically.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace hp {

// A grid of values shown as colors, e.g. a frame's distance or signal.
struct Grid {
    std::string title;   // e.g. "distance (mm)"
    int rows = 0, cols = 0;
    std::vector<float> values;  // [rows][cols]
    float low = 0, high = 1;    // color scale
};

// Colored terminal heat maps side by side, values printed in each cell (ANSI 256 colors;
// color = false gives plain text for non-terminals).
std::string render_grids_ansi(const std::vector<Grid>& grids, bool color);
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
