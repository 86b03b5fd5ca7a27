# APM normalization (apm.md §3): string normalizers, span/chunk normalization and truncation, root
# selection, chunk attributes and top-level marking.
sidecar_library(sidecar_apm_normalizer
  SRCS
    normalize_tag.cc
    normalizer.cc
    top_level.cc
  DEPS sidecar_proto sidecar_common absl::flat_hash_map absl::flat_hash_set)
# Normalizers read untrusted strings: keep implicit narrowing visible (style.md §2.10).
target_compile_options(sidecar_apm_normalizer PRIVATE -Wconversion -Wsign-conversion -Wold-style-cast)
