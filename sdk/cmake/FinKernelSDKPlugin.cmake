# finkernel_add_plugin() -- build a FinKernel plugin (a MODULE library).
#
#   finkernel_add_plugin(<target>
#     SOURCES <file>...            # required
#     [MANIFEST <manifest.yaml>]   # stage a bundle: <target>.so + manifest + migrations
#     [MIGRATIONS <file.sql>...]   # copied to <bundle>/migrations/
#     [BUNDLE_DIR <dir>]           # default: ${CMAKE_CURRENT_BINARY_DIR}/<target>-bundle
#     [OUTPUT_NAME <name>])        # file name without suffix; default: <target>
#
# The plugin is compiled with -fvisibility=hidden (and, for C++,
# -fvisibility-inlines-hidden) and linked with the SDK's version script, so
# it exports only fk_* symbols (fk_plugin_entry_v1); with --no-undefined, so
# a plugin referencing anything but its own code and its libraries (e.g.
# kernel internals) fails to link; and with -z now / -z relro.
# It links FinKernel::sdk, which provides only include directories.
#
# Works with find_package(FinKernelSDK) and inside the FinKernel source tree.
include_guard(GLOBAL)

set_property(GLOBAL PROPERTY FINKERNEL_SDK_VERSION_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/fk_plugin.map")

function(finkernel_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "MANIFEST;BUNDLE_DIR;OUTPUT_NAME" "SOURCES;MIGRATIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "finkernel_add_plugin(${target}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "finkernel_add_plugin(${target}): SOURCES is required")
  endif()
  if(NOT TARGET FinKernel::sdk)
    message(FATAL_ERROR "finkernel_add_plugin(${target}): FinKernel::sdk is not defined; "
                        "call find_package(FinKernelSDK REQUIRED) first")
  endif()
  if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
    message(FATAL_ERROR "finkernel_add_plugin(${target}): FinKernel plugins are Linux ELF shared objects")
  endif()
  get_property(version_script GLOBAL PROPERTY FINKERNEL_SDK_VERSION_SCRIPT)

  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE FinKernel::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    POSITION_INDEPENDENT_CODE ON
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS "${version_script}")
  if(ARG_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME "${ARG_OUTPUT_NAME}")
  endif()
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANG_AND_ID:C,GNU,Clang>:-fvisibility=hidden>
    $<$<COMPILE_LANG_AND_ID:CXX,GNU,Clang>:-fvisibility=hidden -fvisibility-inlines-hidden>)
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${version_script}"
    "LINKER:--no-undefined"
    "LINKER:-z,now"
    "LINKER:-z,relro")

  if(ARG_MANIFEST OR ARG_MIGRATIONS)
    if(NOT ARG_MANIFEST)
      message(FATAL_ERROR "finkernel_add_plugin(${target}): MIGRATIONS needs MANIFEST")
    endif()
    set(bundle "${ARG_BUNDLE_DIR}")
    if(NOT bundle)
      set(bundle "${CMAKE_CURRENT_BINARY_DIR}/${target}-bundle")
    endif()
    set(copy_migrations)
    foreach(sql IN LISTS ARG_MIGRATIONS)
      get_filename_component(sql "${sql}" ABSOLUTE)
      list(APPEND copy_migrations COMMAND ${CMAKE_COMMAND} -E copy_if_different "${sql}" "${bundle}/migrations/")
    endforeach()
    get_filename_component(manifest "${ARG_MANIFEST}" ABSOLUTE)
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND ${CMAKE_COMMAND} -E make_directory "${bundle}/migrations"
      COMMAND ${CMAKE_COMMAND} -E copy_if_different "$<TARGET_FILE:${target}>" "${bundle}/"
      COMMAND ${CMAKE_COMMAND} -E copy_if_different "${manifest}" "${bundle}/manifest.yaml"
      ${copy_migrations}
      COMMENT "Staging FinKernel plugin bundle ${bundle}"
      VERBATIM)
    set_target_properties(${target} PROPERTIES FINKERNEL_PLUGIN_BUNDLE_DIR "${bundle}")
  endif()
endfunction()
