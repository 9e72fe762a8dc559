// Files of the source tree compiled into the CLI: the C99 runtime (copied verbatim into every
// generated package), the firmware harness (used by `bench` and the emulator tests) and the
// studio's page (web/studio/, served by `handposture studio`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hp::codegen {

struct EmbeddedFile {
    std::string_view path;  // relative to the source root, e.g. "runtime/hp_preprocess.c"
    std::string_view text;
};

// Every embedded file (runtime/*.c, runtime/*.h, firmware/*, st_app/*, web/studio/*), in path order.
const std::vector<EmbeddedFile>& embedded_files();

// The text of one embedded file; throws hp::Error if it is not embedded.
std::string_view embedded_file(std::string_view path);

// Embedded files under `folder` ("runtime" or "firmware").
std::vector<EmbeddedFile> embedded_folder(std::string_view folder);

}  // namespace hp::codegen
