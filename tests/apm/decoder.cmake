# Trace decoders (apm.md §1.2-§2.4, conformance R2-R4, R6, R8, R10, R18-R21) and the msgpack cursor.
sidecar_test(apm_decoder_test
  SRCS
    ${CMAKE_CURRENT_LIST_DIR}/msgpack_reader_test.cc
    ${CMAKE_CURRENT_LIST_DIR}/trace_decoder_test.cc
  DEPS sidecar_apm_decoder msgpackc-cxx nlohmann_json::nlohmann_json)
# Client wire captures live in the shared folder beside the repository (../shared/testdata).
target_compile_definitions(apm_decoder_test PRIVATE
  SIDECAR_SHARED_TESTDATA="${CMAKE_SOURCE_DIR}/../shared/testdata")
