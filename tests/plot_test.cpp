// Terminal and PNG pictures: the text has each value in its cell, the PNGs decode (with libpng)
// to pictures whose cells carry the colors of their values on a scale fitted to the values shown.
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <unistd.h>

#include "core/error.hpp"
#include "report/plot.hpp"
#include "test_support.hpp"

namespace {

using hp::test::lines_of;

std::vector<std::string> words_of(const std::string& line)
{
    std::vector<std::string> words;
    std::istringstream in(line);
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

std::string strip_ansi(const std::string& s) { return std::regex_replace(s, std::regex("\x1b\\[[0-9;]*m"), ""); }

// The ANSI 256-color background codes of a colored text, in order.
std::vector<int> background_codes(const std::string& text)
{
    std::vector<int> codes;
    std::regex bg("\x1b\\[48;5;([0-9]+)m");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), bg); it != std::sregex_iterator(); ++it)
        codes.push_back(std::stoi((*it)[1]));
    return codes;
}

struct Image {
    int width = 0, height = 0;
    std::vector<uint32_t> pixels;  // 0x00RRGGBB
    double channel(int x, int y, int shift) const { return ((pixels[y * width + x] >> shift) & 0xff) / 255.0; }
    double r(int x, int y) const { return channel(x, y, 16); }
    double g(int x, int y) const { return channel(x, y, 8); }
    double b(int x, int y) const { return channel(x, y, 0); }
};

// Decoded with libpng, not with cairo that wrote the file.
Image read_png(const std::filesystem::path& path)
{
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    Image img;
    if (!png_image_begin_read_from_file(&png, path.c_str())) {
        ADD_FAILURE() << path << ": " << png.message;
        return img;
    }
    png.format = PNG_FORMAT_RGB;
    std::vector<unsigned char> rgb(PNG_IMAGE_SIZE(png));
    if (!png_image_finish_read(&png, nullptr, rgb.data(), 0, nullptr)) {
        ADD_FAILURE() << path << ": " << png.message;
        png_image_free(&png);
        return img;
    }
    img.width = static_cast<int>(png.width);
    img.height = static_cast<int>(png.height);
    for (size_t i = 0; i + 2 < rgb.size(); i += 3)
        img.pixels.push_back(uint32_t(rgb[i]) << 16 | uint32_t(rgb[i + 1]) << 8 | rgb[i + 2]);
    return img;
}

// Pixels within `tolerance` (per channel) of the color (r, g, b).
long count_color(const Image& img, double r, double g, double b, double tolerance = 0.03)
{
    long n = 0;
    for (int y = 0; y < img.height; ++y)
        for (int x = 0; x < img.width; ++x)
            if (std::fabs(img.r(x, y) - r) < tolerance && std::fabs(img.g(x, y) - g) < tolerance &&
                std::fabs(img.b(x, y) - b) < tolerance)
                ++n;
    return n;
}

bool png_signature(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    char sig[8] = {};
    in.read(sig, 8);
    return std::string(sig, 8) == "\x89PNG\r\n\x1a\n";
}

hp::Grid distance_grid()
{
    return {"distance (mm)", 2, 3, {100, 200, 300, 400, 500, 600}, 100, 600};
}

hp::Grid signal_grid()
{
    return {"signal", 3, 2, {0.5f, 1.25f, 2.0f, 3.5f, NAN, 10.0f}, 0, 10};
}

TEST(PlotText, PlainGridsSideBySideWithValuesInTheirCells)
{
    std::string text = hp::render_grids_ansi({distance_grid(), signal_grid()}, false);
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    auto lines = lines_of(text);
    ASSERT_EQ(lines.size(), 4u);  // title + 3 rows (the taller grid)
    EXPECT_EQ(lines[0].find("distance (mm)"), 0u);
    EXPECT_NE(lines[0].find("signal"), std::string::npos);
    EXPECT_EQ(words_of(lines[1]), (std::vector<std::string>{"100", "200", "300", "0.50", "1.25"}));
    EXPECT_EQ(words_of(lines[2]), (std::vector<std::string>{"400", "500", "600", "2.00", "3.50"}));
    EXPECT_EQ(words_of(lines[3]), (std::vector<std::string>{"-", "10.00"}));
    // The second grid starts at the same column on every line.
    size_t column = lines[1].find("0.50");
    EXPECT_EQ(lines[2].find("2.00"), column);
    EXPECT_EQ(lines[0].find("signal"), column - 2);  // "0.50" right-aligned in cells of width 5 + 1
    // Right-aligned cells: values end at the same columns from row to row.
    EXPECT_EQ(lines[1].find("100") + 3, lines[2].find("400") + 3);
    EXPECT_EQ(lines[1].find("300"), lines[2].find("600"));
}

TEST(PlotText, ColoredGridsHaveTheSameTextAndColorsFollowValues)
{
    std::vector<hp::Grid> grids = {distance_grid()};
    std::string colored = hp::render_grids_ansi(grids, true);
    EXPECT_EQ(strip_ansi(colored), hp::render_grids_ansi(grids, false));
    // One background color per cell, in cell order.
    std::vector<int> backgrounds = background_codes(colored);
    ASSERT_EQ(backgrounds.size(), 6u);
    EXPECT_NE(backgrounds.front(), backgrounds.back());
    for (int code : backgrounds) EXPECT_TRUE(code >= 16 && code <= 231);
    // Values outside the scale take the end colors.
    hp::Grid clamped = {"t", 1, 3, {-50, 100, 9999}, 100, 600};
    std::vector<int> codes = background_codes(hp::render_grids_ansi({clamped}, true));
    ASSERT_EQ(codes.size(), 3u);
    EXPECT_EQ(codes[0], backgrounds.front());
    EXPECT_EQ(codes[1], backgrounds.front());
    EXPECT_EQ(codes[2], backgrounds.back());
}

TEST(PlotText, GridWithWrongValueCountIsAnError)
{
    hp::Grid bad = {"bad", 2, 2, {1, 2, 3}, 0, 1};
    EXPECT_THROW(hp::render_grids_ansi({bad}, false), hp::Error);
    EXPECT_THROW(hp::write_grids_png(hp::test::ScratchDir() / "x.png", {bad}), hp::Error);
}

TEST(PlotText, ConfusionTableHasLabelsAndCountsInTheirCells)
{
    std::vector<std::vector<long>> m = {{12, 0, 3}, {1, 1234, 0}, {0, 7, 5}};
    std::vector<std::string> names = {"None", "Love", "Thumb_up"};
    auto lines = lines_of(hp::render_confusion_text(m, names));
    ASSERT_EQ(lines.size(), 4u);
    auto header = words_of(lines[0]);
    ASSERT_GE(header.size(), 3u);
    EXPECT_EQ(std::vector<std::string>(header.end() - 3, header.end()), names);
    EXPECT_EQ(words_of(lines[1]), (std::vector<std::string>{"None", "12", "0", "3"}));
    EXPECT_EQ(words_of(lines[2]), (std::vector<std::string>{"Love", "1", "1234", "0"}));
    EXPECT_EQ(words_of(lines[3]), (std::vector<std::string>{"Thumb_up", "0", "7", "5"}));
    // Columns are aligned: each count ends where its class name ends in the header.
    for (size_t c = 0; c < names.size(); ++c) {
        size_t end = lines[0].find(names[c]) + names[c].size();
        for (size_t r = 0; r < 3; ++r) {
            std::string count = std::to_string(m[r][c]);
            EXPECT_EQ(lines[r + 1].substr(end - count.size(), count.size()), count) << r << "," << c;
        }
    }
    std::string colored = hp::render_confusion_text(m, names, true);
    EXPECT_EQ(strip_ansi(colored), hp::render_confusion_text(m, names, false));
    EXPECT_NE(colored.find("\x1b[1;32m  12\x1b[0m"), std::string::npos);
    EXPECT_NE(colored.find("\x1b[1;32m1234\x1b[0m"), std::string::npos);
    EXPECT_THROW(hp::render_confusion_text({{1, 2}}, names), hp::Error);
}

TEST(PlotPng, GridsDecodeWithLowAndHighCellsInDifferentColors)
{
    hp::test::ScratchDir dir;
    auto path = dir / "sub/grids.png";
    hp::write_grids_png(path, {distance_grid(), signal_grid()});
    ASSERT_TRUE(png_signature(path));
    Image img = read_png(path);
    // Layout of plot_png.cpp: 20 px margin, 30 px title, 40 px cells, then a 10+14+64 px color bar;
    // a 28 px row for the "invalid" legend entry (the signal grid has a NaN).
    EXPECT_EQ(img.width, 20 + (3 * 40 + 88 + 20) + (2 * 40 + 88 + 20));
    EXPECT_EQ(img.height, 20 + 30 + 3 * 40 + 28 + 20);
    auto cell = [](int r, int c) { return std::pair{20 + c * 40 + 4, 50 + r * 40 + 4}; };
    auto [lx, ly] = cell(0, 0);  // 100 = low: dark purple
    auto [hx, hy] = cell(1, 2);  // 600 = high: yellow
    EXPECT_LT(img.r(lx, ly) + img.g(lx, ly), 0.6);
    EXPECT_GT(img.r(hx, hy), 0.8);
    EXPECT_GT(img.g(hx, hy), 0.8);
    EXPECT_LT(img.b(hx, hy), 0.4);
    // Cells between get colors between.
    auto [mx, my] = cell(0, 2);  // 300
    EXPECT_GT(img.g(mx, my), img.g(lx, ly));
    EXPECT_LT(img.g(mx, my), img.g(hx, hy));
    // No temporary file left behind.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "sub"), {}), 1);
}

// A frame as `dataset show` draws it: distances of the valid zones between 2224 and 3015 mm, two
// invalid zones, and the categorical target_status.
hp::Grid far_distances()
{
    hp::Grid g{"distance (mm)", 3, 3, {2224, 2500, NAN, 2700, 3015, 2400, NAN, 2600, 2900}};
    hp::fit_scale_to_values(g);
    return g;
}

hp::Grid status_codes()
{
    hp::Grid g{"target_status", 3, 3, {5, 5, 255, 9, 5, 5, 255, 9, 5}};
    g.categorical = true;
    return g;
}

TEST(PlotScale, FittedToTheValidValues)
{
    hp::Grid g = far_distances();
    EXPECT_EQ(g.low, 2224.0f);
    EXPECT_EQ(g.high, 3015.0f);
    hp::Grid none{"t", 1, 2, {NAN, NAN}, 10, 20};
    hp::fit_scale_to_values(none);
    EXPECT_EQ(none.low, 10.0f);
    EXPECT_EQ(none.high, 20.0f);
    hp::Grid one{"t", 1, 2, {7, NAN}};
    hp::fit_scale_to_values(one);
    EXPECT_EQ(one.low, 7.0f);
    EXPECT_EQ(one.high, 7.0f);
}

TEST(PlotScale, ColorBarIsLabelledAtItsEndsAndRoundNumbersBetween)
{
    // 2224..3015 spans 791: steps of 200 (about four); 3000 is within a tenth of the span of 3015.
    EXPECT_EQ(hp::color_bar_values(far_distances()), (std::vector<double>{2224, 2400, 2600, 2800, 3015}));
    hp::Grid signal{"s", 1, 3, {0.5f, 43.25f, 12}};
    hp::fit_scale_to_values(signal);
    EXPECT_EQ(hp::color_bar_values(signal), (std::vector<double>{0.5, 20, 43.25}));  // 40 is too close to 43.25
    hp::Grid flat{"f", 1, 2, {5, 5}};
    hp::fit_scale_to_values(flat);
    EXPECT_EQ(hp::color_bar_values(flat), (std::vector<double>{5}));
    EXPECT_EQ(hp::grid_categories(status_codes()), (std::vector<int>{5, 9, 255}));
}

TEST(PlotText, LegendsGiveTheScaleTheCodesAndTheInvalidMark)
{
    std::vector<hp::Grid> grids = {far_distances(), status_codes(), distance_grid()};
    auto lines = lines_of(hp::render_legends_ansi(grids, false));
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "distance (mm): 2224 to 3015, - invalid");
    EXPECT_EQ(lines[1], "target_status: codes 5, 9, 255");
    EXPECT_EQ(lines[2], "distance (mm): 100 to 600");

    // In color, each code's swatch has the background of that code's cells, invalid cells a grey of their own.
    std::vector<int> status_cells = background_codes(hp::render_grids_ansi({status_codes()}, true));
    std::vector<int> status_legend = background_codes(hp::render_legends_ansi({status_codes()}, true));
    ASSERT_EQ(status_cells.size(), 9u);
    ASSERT_EQ(status_legend.size(), 3u);
    EXPECT_EQ(status_cells[0], status_legend[0]);  // 5
    EXPECT_EQ(status_cells[3], status_legend[1]);  // 9
    EXPECT_EQ(status_cells[2], status_legend[2]);  // 255
    EXPECT_EQ(std::set<int>(status_legend.begin(), status_legend.end()).size(), 3u);
    std::vector<int> distance_cells = background_codes(hp::render_grids_ansi({far_distances()}, true));
    std::vector<int> distance_legend = background_codes(hp::render_legends_ansi({far_distances()}, true));
    ASSERT_EQ(distance_cells.size(), 9u);
    ASSERT_GE(distance_legend.size(), 3u);
    EXPECT_EQ(distance_cells[0], distance_legend.front());     // 2224: the strip's low end
    EXPECT_EQ(distance_cells[4], distance_legend[distance_legend.size() - 2]);  // 3015: its high end
    EXPECT_EQ(distance_cells[2], distance_legend.back());      // invalid: the grey swatch
    EXPECT_EQ(distance_cells[6], distance_legend.back());
    for (size_t k = 0; k + 1 < distance_legend.size(); ++k) EXPECT_NE(distance_legend[k], distance_legend.back());
    EXPECT_NE(strip_ansi(hp::render_legends_ansi({far_distances()}, true)).find("2224"), std::string::npos);
}

// Squared distance between two pixels' colors.
double color_distance(const Image& img, std::pair<int, int> a, std::pair<int, int> b)
{
    double dr = img.r(a.first, a.second) - img.r(b.first, b.second);
    double dg = img.g(a.first, a.second) - img.g(b.first, b.second);
    double db = img.b(a.first, a.second) - img.b(b.first, b.second);
    return dr * dr + dg * dg + db * db;
}

TEST(PlotPng, CellsTakeTheColorOfTheirValueOnTheBarAndInvalidCellsAreGrey)
{
    hp::test::ScratchDir dir;
    auto path = dir / "frame.png";
    hp::Grid distance = far_distances();
    hp::Grid status = status_codes();
    hp::write_grids_png(path, {distance, status});
    Image img = read_png(path);
    // Two blocks of 3x3 cells with their bar or legend; 3 codes x 20 px fit beside 3 rows of 40 px;
    // the "invalid" row below.
    ASSERT_EQ(img.width, 20 + 2 * (3 * 40 + 88 + 20));
    ASSERT_EQ(img.height, 20 + 30 + 3 * 40 + 28 + 20);
    const int top = 50;
    auto cell = [&](int block_x, int i) { return std::pair{block_x + (i % 3) * 40 + 4, top + (i / 3) * 40 + 4}; };

    // The distance bar runs from 3015 (its first inside row) down to 2224 (its last); each valid cell's
    // color is found on the bar where its value lies.
    const int bar_x = 20 + 3 * 40 + 10 + 7, bar_top = top + 1, bar_bottom = top + 3 * 40 - 2;
    auto nearest_bar_row = [&](std::pair<int, int> p) {
        int best = bar_top;
        for (int y = bar_top; y <= bar_bottom; ++y)
            if (color_distance(img, p, {bar_x, y}) < color_distance(img, p, {bar_x, best})) best = y;
        return best;
    };
    for (int i = 0; i < 9; ++i) {
        float v = distance.values[size_t(i)];
        if (std::isnan(v)) continue;
        double expected = top + (3015.0 - v) / (3015.0 - 2224.0) * 120;
        EXPECT_NEAR(nearest_bar_row(cell(20, i)), expected, 3) << "cell " << i << " = " << v;
    }
    EXPECT_LT(color_distance(img, cell(20, 0), {bar_x, bar_bottom}), 3e-3);  // min cell = the low end
    EXPECT_LT(color_distance(img, cell(20, 4), {bar_x, bar_top}), 3e-3);     // max cell = the high end

    // Invalid cells: the swatch of the "invalid" legend entry, a neutral grey, far from every bar color.
    std::pair<int, int> invalid_swatch = {20 + 7, top + 120 + 28 - 14 + 7};
    for (int i : {2, 6}) {
        auto p = cell(20, i);
        EXPECT_LT(color_distance(img, p, invalid_swatch), 1e-4);
        EXPECT_NEAR(img.r(p.first, p.second), img.g(p.first, p.second), 0.01);
        EXPECT_NEAR(img.g(p.first, p.second), img.b(p.first, p.second), 0.01);
        EXPECT_GT(color_distance(img, p, {bar_x, nearest_bar_row(p)}), 0.01);
    }

    // target_status: one legend swatch per code (5, 9, 255 from the top), each code's cells in its color.
    const int status_x = 20 + 3 * 40 + 88 + 20, legend_x = status_x + 3 * 40 + 10 + 7;
    auto swatch = [&](int k) { return std::pair{legend_x, top + k * 20 + 7}; };
    for (int i = 0; i < 9; ++i) {
        int code = int(status.values[size_t(i)]);
        int k = code == 5 ? 0 : code == 9 ? 1 : 2;
        EXPECT_LT(color_distance(img, cell(status_x, i), swatch(k)), 1e-4) << "cell " << i << " = " << code;
    }
    EXPECT_GT(color_distance(img, swatch(0), swatch(1)), 0.05);
    EXPECT_GT(color_distance(img, swatch(1), swatch(2)), 0.05);
    EXPECT_GT(color_distance(img, swatch(0), swatch(2)), 0.05);
    // No color bar beside the categories: below the third swatch the legend column is white.
    EXPECT_LT(color_distance(img, {legend_x, top + 100}, {0, 0}), 1e-6);
    EXPECT_GT(img.r(0, 0), 0.99);
}

TEST(PlotPng, ConfusionColorsAreRowNormalized)
{
    hp::test::ScratchDir dir;
    auto path = dir / "confusion.png";
    // Row 0 is 90%/10%; row 1 is 0%/100% although its counts are ten times smaller than row 0's 900.
    hp::write_confusion_png(path, {{900, 100}, {0, 10}}, {"None", "Flat_Hand"}, "test set");
    Image img = read_png(path);
    ASSERT_GT(img.width, 2 * 56);
    ASSERT_GT(img.height, 2 * 56);
    // A cell is 56x56 px; the 100% cell is the darkest blue, the 0% cell white-ish blue.
    EXPECT_GT(count_color(img, 0.031, 0.188, 0.420), 2000);
    EXPECT_GT(count_color(img, 0.969, 0.984, 1.000), 2000);
}

TEST(PlotPng, CurvesHaveOneColorPerSeries)
{
    hp::test::ScratchDir dir;
    auto path = dir / "curves.png";
    std::vector<double> x = {1, 2, 3, 4, 5};
    hp::write_curves_png(path, "loss", "epoch", x, {{"loss", {1.0, 0.6, 0.4, 0.3, 0.25}}, {"val_loss", {1.1, 0.8, 0.7, NAN, 0.6}}});
    Image img = read_png(path);
    EXPECT_EQ(img.width, 820);
    EXPECT_EQ(img.height, 500);
    EXPECT_GT(count_color(img, 0.122, 0.467, 0.706, 0.05), 200);  // first series
    EXPECT_GT(count_color(img, 1.000, 0.498, 0.055, 0.05), 200);  // second series
    EXPECT_THROW(hp::write_curves_png(path, "t", "x", x, {{"short", {1, 2}}}), hp::Error);
}

TEST(PlotPng, UnwritablePathIsAnError)
{
    hp::test::ScratchDir dir;
    std::ofstream(dir / "file") << "x";
    auto under_a_file = dir / "file/out.png";
    EXPECT_THROW(hp::write_grids_png(under_a_file, {distance_grid()}), hp::Error);
    EXPECT_THROW(hp::write_confusion_png(under_a_file, {{1}}, {"None"}, "t"), hp::Error);
    EXPECT_THROW(hp::write_curves_png(under_a_file, "t", "x", {1}, {{"a", {1}}}), hp::Error);
    std::filesystem::create_directories(dir / "ro");
    std::filesystem::permissions(dir / "ro", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    if (::geteuid() != 0) {
        EXPECT_THROW(hp::write_grids_png(dir / "ro/out.png", {distance_grid()}), hp::Error);
    }
    std::filesystem::permissions(dir / "ro", std::filesystem::perms::owner_all);
}

}  // namespace
