# libFuzzer builds (preset `fuzz`, clang only): every project target gets coverage instrumentation;
# the fuzzer binaries themselves link -fsanitize=fuzzer (tests/fuzz/CMakeLists.txt).
if(SIDECAR_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SIDECAR_BUILD_FUZZERS needs clang (libFuzzer); use -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  target_compile_options(sidecar_build_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
