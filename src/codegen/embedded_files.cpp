#include "codegen/embedded_files.hpp"

#include "core/error.hpp"

namespace hp::codegen {

std::string_view embedded_file(std::string_view path)
{
    for (const EmbeddedFile& f : embedded_files())
        if (f.path == path) return f.text;
    throw Error(std::string(path) + ": not among the files built into this handposture binary");
}

std::vector<EmbeddedFile> embedded_folder(std::string_view folder)
{
    std::vector<EmbeddedFile> out;
    for (const EmbeddedFile& f : embedded_files())
        if (f.path.size() > folder.size() && f.path.substr(0, folder.size()) == folder && f.path[folder.size()] == '/')
            out.push_back(f);
    return out;
}

}  // namespace hp::codegen
