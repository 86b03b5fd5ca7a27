#include "apm/utf8_repair.h"

#include <cstdint>
#include <cstring>

namespace sidecar::apm::internal {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when the first byte does not start
// one (Go's utf8.DecodeRune returning RuneError with width 1).
size_t ValidSequenceLength(const unsigned char* s, size_t size) {
  const unsigned char b0 = s[0];
  if (b0 < 0x80) {
    return 1;
  }
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xbf) {
    return i < size && s[i] >= lo && s[i] <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    return cont(1) ? 2 : 0;
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const unsigned char lo = b0 == 0xe0 ? 0xa0 : 0x80;
    const unsigned char hi = b0 == 0xed ? 0x9f : 0xbf;  // no UTF-16 surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const unsigned char lo = b0 == 0xf0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xf4 ? 0x8f : 0xbf;  // nothing above U+10FFFF
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Every byte of `text` is below 0x80. Tags, keys and resources nearly always are, and most are
// shorter than 16 bytes: the bytes are OR-ed together word by word with no branch per byte, the
// tail read by one overlapping load (or two 4-byte loads below 8 bytes).
bool IsAscii(std::string_view text) {
  const char* p = text.data();
  const size_t n = text.size();
  if (n >= sizeof(uint64_t)) {
    uint64_t bits = 0;
    uint64_t word = 0;
    const char* last = p + n - sizeof(word);
    for (; p < last; p += sizeof(word)) {
      std::memcpy(&word, p, sizeof(word));
      bits |= word;
    }
    std::memcpy(&word, last, sizeof(word));
    bits |= word;
    return (bits & 0x8080808080808080ULL) == 0;
  }
  if (n >= sizeof(uint32_t)) {
    uint32_t head = 0;
    uint32_t tail = 0;
    std::memcpy(&head, p, sizeof(head));
    std::memcpy(&tail, p + n - sizeof(tail), sizeof(tail));
    return ((head | tail) & 0x80808080U) == 0;
  }
  unsigned bits = 0;
  for (size_t i = 0; i < n; ++i) {
    bits |= static_cast<unsigned char>(p[i]);
  }
  return (bits & 0x80U) == 0;
}

// Index of the first byte that does not start a valid sequence, or `size`.
size_t FirstInvalidUtf8(std::string_view text) {
  if (IsAscii(text)) {
    return text.size();
  }
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    // Tags and resources are nearly always ASCII: test eight bytes per step where they fit.
    uint64_t word = 0;
    if (text.size() - i >= sizeof(word)) {
      std::memcpy(&word, s + i, sizeof(word));
      if ((word & 0x8080808080808080ULL) == 0) {
        i += sizeof(word);
        continue;
      }
    }
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t length = ValidSequenceLength(s + i, text.size() - i);
    if (length == 0) {
      return i;
    }
    i += length;
  }
  return text.size();
}

}  // namespace

bool IsValidUtf8(std::string_view text) { return FirstInvalidUtf8(text) == text.size(); }

void AssignRepairedUtf8(std::string_view text, std::string& out) {
  const size_t first_invalid = FirstInvalidUtf8(text);
  if (first_invalid == text.size()) {
    out.assign(text.data(), text.size());
    return;
  }
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  out.assign(text.data(), first_invalid);
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = first_invalid;
  while (i < text.size()) {
    const size_t length = ValidSequenceLength(s + i, text.size() - i);
    if (length == 0) {
      out.append(kReplacement);
      ++i;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
}

}  // namespace sidecar::apm::internal
