// Terminal and PNG pictures: the text has each value in its cell, the PNGs decode (with cairo's
// own reader) to pictures whose cells carry the colors of their values.
#include <cairo.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <regex>
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

struct Image {
    int width = 0, height = 0;
    std::vector<uint32_t> pixels;  // 0x00RRGGBB
    double channel(int x, int y, int shift) const { return ((pixels[y * width + x] >> shift) & 0xff) / 255.0; }
    double r(int x, int y) const { return channel(x, y, 16); }
    double g(int x, int y) const { return channel(x, y, 8); }
    double b(int x, int y) const { return channel(x, y, 0); }
};

Image read_png(const std::filesystem::path& path)
{
    cairo_surface_t* s = cairo_image_surface_create_from_png(path.c_str());
    EXPECT_EQ(cairo_surface_status(s), CAIRO_STATUS_SUCCESS) << path;
    Image img;
    if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(s);
        img.width = cairo_image_surface_get_width(s);
        img.height = cairo_image_surface_get_height(s);
        int stride = cairo_image_surface_get_stride(s);
        const unsigned char* data = cairo_image_surface_get_data(s);
        for (int y = 0; y < img.height; ++y)
            for (int x = 0; x < img.width; ++x)
                img.pixels.push_back(reinterpret_cast<const uint32_t*>(data + y * stride)[x] & 0xffffff);
    }
    cairo_surface_destroy(s);
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
    std::vector<int> backgrounds;
    std::regex bg("\x1b\\[48;5;([0-9]+)m");
    for (auto it = std::sregex_iterator(colored.begin(), colored.end(), bg); it != std::sregex_iterator(); ++it)
        backgrounds.push_back(std::stoi((*it)[1]));
    ASSERT_EQ(backgrounds.size(), 6u);
    EXPECT_NE(backgrounds.front(), backgrounds.back());
    for (int code : backgrounds) EXPECT_TRUE(code >= 16 && code <= 231);
    // Values outside the scale take the end colors.
    hp::Grid clamped = {"t", 1, 3, {-50, 100, 9999}, 100, 600};
    std::string c = hp::render_grids_ansi({clamped}, true);
    std::vector<int> codes;
    for (auto it = std::sregex_iterator(c.begin(), c.end(), bg); it != std::sregex_iterator(); ++it)
        codes.push_back(std::stoi((*it)[1]));
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
    // Layout of plot_png.cpp: 20 px margin, 30 px title, 40 px cells, then a 10+14+64 px color bar.
    EXPECT_EQ(img.width, 20 + (3 * 40 + 88 + 20) + (2 * 40 + 88 + 20));
    EXPECT_EQ(img.height, 20 + 30 + 3 * 40 + 20);
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
