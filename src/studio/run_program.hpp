// Running another program and collecting what it prints, for the studio's deploy button (which
// runs `handposture deploy`, so the page writes exactly the package the command line would).
#pragma once

#include <string>
#include <vector>

namespace hp::studio {

struct ProgramOutput {
    int exit_code = -1;  // -1: could not start, or ended by a signal
    std::string output;  // stdout and stderr together
};

// Runs argv[0] (a path) with argv, stdin from /dev/null, and waits for it.
ProgramOutput run_program(const std::vector<std::string>& argv);

}  // namespace hp::studio
