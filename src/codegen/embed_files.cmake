# Writes a C++ source holding the text of files as raw string literals, so the installed CLI can
# write the runtime and the firmware harness without the source tree.
#   cmake -DOUTPUT=<file.cpp> -DROOT=<source dir> -DFILES=runtime/a.c,firmware/b.ld -P embed_files.cmake
set(body "// Generated from the source tree at build time; do not edit.\n#include \"codegen/embedded_files.hpp\"\n\nnamespace hp::codegen {\n\nconst std::vector<EmbeddedFile>& embedded_files()\n{\n    static const std::vector<EmbeddedFile> files = {\n")
string(REPLACE "," ";" FILES "${FILES}")
foreach(file IN LISTS FILES)
  file(READ "${ROOT}/${file}" text)
  string(FIND "${text}" ")hp_embed\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw string delimiter )hp_embed\"")
  endif()
  string(APPEND body "        {\"${file}\", R\"hp_embed(${text})hp_embed\"},\n")
endforeach()
string(APPEND body "    };\n    return files;\n}\n\n}  // namespace hp::codegen\n")
# Rewrite only on change so dependents do not rebuild needlessly.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
  if(old STREQUAL body)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${body}")
