// A stand-in board for the studio browser test (tests/studio/studio_check.js): ST's demo firmware
// on a pseudo-terminal (fake_board.hpp) streaming the lines of a file at the sensor's rate.
//   studio_fake_board LINES_FILE [REPEATS]
// Prints the port's path, streams the lines REPEATS times (default 10), and exits when its
// standard input closes or it is killed: the board is unplugged.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "fake_board.hpp"

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: studio_fake_board LINES_FILE [REPEATS]\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    std::vector<std::string> file_lines;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) file_lines.push_back(line);
    if (file_lines.empty()) {
        std::fprintf(stderr, "studio_fake_board: %s: no lines\n", argv[1]);
        return 1;
    }
    // The first line (a malformed one) is sent once; the frames repeat.
    std::vector<std::string> lines = {file_lines[0]};
    const int repeats = argc > 2 ? std::stoi(argv[2]) : 10;
    for (int r = 0; r < repeats; r++) lines.insert(lines.end(), file_lines.begin() + 1, file_lines.end());
    hp::test::FakeBoard board(lines, hp::test::FakeBoardOptions{100, false, 0});
    std::printf("%s\n", board.port().c_str());
    std::fflush(stdout);
    while (std::getchar() != EOF) {
    }
    return 0;
}
