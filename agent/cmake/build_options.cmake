# sidecar_build_options: the warnings, defines and sanitizers every project target links.
add_library(sidecar_build_options INTERFACE)
target_compile_features(sidecar_build_options INTERFACE cxx_std_20)
target_compile_options(sidecar_build_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2)
# Asio and Beast are compiled once (agent/common/asio_impl.cc), not in every translation unit.
target_compile_definitions(sidecar_build_options INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED SPDLOG_FMT_EXTERNAL)
# Shared libraries nothing references do not become DT_NEEDED: each one costs mapped pages and
# relocations at exec (see agent/forwarder/curl_api.h for libcurl, which is dlopened instead).
target_link_options(sidecar_build_options INTERFACE -Wl,--as-needed)

# Each function and datum in a section of its own, and the linker drops those nothing references:
# the release binary's code is 12 % smaller, and exec maps (and keeps resident) ~0.35 MiB less of
# it. Sanitizer builds keep every section: their instrumentation adds sections the linker must not
# separate from what they describe.
if(NOT SIDECAR_SANITIZE)
  target_compile_options(sidecar_build_options INTERFACE -ffunction-sections -fdata-sections)
  target_link_options(sidecar_build_options INTERFACE -Wl,--gc-sections)
endif()

if(SIDECAR_SANITIZE)
  set(sanitizer_list ${SIDECAR_SANITIZE})
  list(JOIN sanitizer_list "," sanitizer_flags)
  target_compile_options(sidecar_build_options INTERFACE
    -fsanitize=${sanitizer_flags} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(sidecar_build_options INTERFACE -fsanitize=${sanitizer_flags})
endif()

# Declares a project static library: sidecar_library(NAME SRCS ... DEPS ...).
function(sidecar_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_link_libraries(${name} PUBLIC sidecar_build_options ${ARG_DEPS})
endfunction()
