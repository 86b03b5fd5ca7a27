# Obfuscation (apm.md §5): SQL tokenizer, Redis, memcached, HTTP URL, credit cards, JSON (MongoDB,
# Elasticsearch, OpenSearch), per-span dispatch. Pure code over the span model; no I/O.
sidecar_library(sidecar_apm_obfuscator
  SRCS
    credit_cards.cc
    http_obfuscator.cc
    json_obfuscator.cc
    obfuscator.cc
    redis_obfuscator.cc
    sql_obfuscator.cc
  DEPS sidecar_common sidecar_proto absl::flat_hash_map absl::flat_hash_set
    absl::synchronization)
# The tokenizers read untrusted span text: keep implicit narrowing visible (style.md §2.10).
target_compile_options(sidecar_apm_obfuscator PRIVATE -Wconversion -Wsign-conversion
  -Wold-style-cast)
