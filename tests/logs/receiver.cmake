# Log receiver tests: codec (pure) and servers (real sockets on 127.0.0.1 and a temp Unix path).
sidecar_test(logs_receiver_test
  SRCS ${CMAKE_CURRENT_LIST_DIR}/forward_decoder_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/partial_reassembler_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/line_framer_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/forward_server_test.cc
       ${CMAKE_CURRENT_LIST_DIR}/line_server_test.cc
  DEPS sidecar_logs_io nlohmann_json::nlohmann_json ZLIB::ZLIB PkgConfig::ZSTD)
# Client wire captures live in the shared folder beside the repository (../shared/testdata).
target_compile_definitions(logs_receiver_test PRIVATE
  SIDECAR_SHARED_TESTDATA="${CMAKE_SOURCE_DIR}/../shared/testdata")
