sidecar_test(apm_obfuscator_test
  SRCS
    credit_cards_test.cc
    http_obfuscator_test.cc
    json_obfuscator_test.cc
    obfuscator_test.cc
    redis_obfuscator_test.cc
    sql_obfuscator_test.cc
  DEPS sidecar_apm_obfuscator)
