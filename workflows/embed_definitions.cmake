# Writes OUT, a C++ file defining BuiltInDefinitions() from every
# *.textproto in DIR. Run at build time so edits to a definition rebuild it.
file(GLOB files "${DIR}/*.textproto")
list(SORT files)
set(body "")
foreach(f ${files})
  get_filename_component(name ${f} NAME)
  file(READ ${f} text)
  string(APPEND body "      {\"${name}\", R\"grantflow_def(${text})grantflow_def\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from workflows/definitions by embed_definitions.cmake.
#include \"workflows/builtin_definitions.h\"

namespace grantflow::workflows {

const std::vector<std::pair<std::string, std::string>>& BuiltInDefinitions() {
  static const auto* defs = new std::vector<std::pair<std::string, std::string>>{
${body}  };
  return *defs;
}

}  // namespace grantflow::workflows
")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
