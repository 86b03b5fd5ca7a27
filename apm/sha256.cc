#include "apm/sha256.h"

#include <array>
#include <cmath>
#include <cstdint>

namespace sidecar::apm {
namespace {

constexpr std::array<uint32_t, 64> kFirstPrimes = {
    2,   3,   5,   7,   11,  13,  17,  19,  23,  29,  31,  37,  41,  43,  47,  53,
    59,  61,  67,  71,  73,  79,  83,  89,  97,  101, 103, 107, 109, 113, 127, 131,
    137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223,
    227, 229, 233, 239, 241, 251, 257, 263, 269, 271, 277, 281, 283, 293, 307, 311};

// The standard defines the constants as the first 32 fractional bits of square roots (initial
// state) and cube roots (round constants) of the first primes; deriving them here avoids a table
// of magic numbers, and the test vectors pin the result.
uint32_t FractionBits(long double root) {
  const long double fraction = root - std::floor(root);
  return static_cast<uint32_t>(fraction * 4294967296.0L);
}

struct Constants {
  std::array<uint32_t, 8> initial{};
  std::array<uint32_t, 64> rounds{};
};

const Constants& GetConstants() {
  static const Constants constants = [] {
    Constants c;
    for (size_t i = 0; i < 8; ++i) {
      c.initial[i] = FractionBits(std::sqrt(static_cast<long double>(kFirstPrimes[i])));
    }
    for (size_t i = 0; i < 64; ++i) {
      c.rounds[i] = FractionBits(std::cbrt(static_cast<long double>(kFirstPrimes[i])));
    }
    return c;
  }();
  return constants;
}

constexpr uint32_t RotateRight(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void Compress(std::array<uint32_t, 8>& state, const unsigned char* block,
              const std::array<uint32_t, 64>& k) {
  std::array<uint32_t, 64> w{};
  for (size_t i = 0; i < 16; ++i) {
    w[i] = (uint32_t{block[4 * i]} << 24) | (uint32_t{block[4 * i + 1]} << 16) |
           (uint32_t{block[4 * i + 2]} << 8) | uint32_t{block[4 * i + 3]};
  }
  for (size_t i = 16; i < 64; ++i) {
    const uint32_t s0 = RotateRight(w[i - 15], 7) ^ RotateRight(w[i - 15], 18) ^ (w[i - 15] >> 3);
    const uint32_t s1 = RotateRight(w[i - 2], 17) ^ RotateRight(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
  uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
  for (size_t i = 0; i < 64; ++i) {
    const uint32_t s1 = RotateRight(e, 6) ^ RotateRight(e, 11) ^ RotateRight(e, 25);
    const uint32_t choice = (e & f) ^ (~e & g);
    const uint32_t t1 = h + s1 + choice + k[i] + w[i];
    const uint32_t s0 = RotateRight(a, 2) ^ RotateRight(a, 13) ^ RotateRight(a, 22);
    const uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    const uint32_t t2 = s0 + majority;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  state[0] += a;
  state[1] += b;
  state[2] += c;
  state[3] += d;
  state[4] += e;
  state[5] += f;
  state[6] += g;
  state[7] += h;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  const Constants& constants = GetConstants();
  std::array<uint32_t, 8> state = constants.initial;
  std::string padded(data);
  const uint64_t bit_length = static_cast<uint64_t>(data.size()) * 8;
  padded.push_back(static_cast<char>(0x80));
  while (padded.size() % 64 != 56) {
    padded.push_back('\0');
  }
  for (int shift = 56; shift >= 0; shift -= 8) {
    padded.push_back(static_cast<char>((bit_length >> shift) & 0xff));
  }
  for (size_t offset = 0; offset < padded.size(); offset += 64) {
    Compress(state, reinterpret_cast<const unsigned char*>(padded.data() + offset),
             constants.rounds);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (uint32_t word : state) {
    for (int shift = 28; shift >= 0; shift -= 4) {
      hex.push_back(kHex[(word >> shift) & 0xf]);
    }
  }
  return hex;
}

}  // namespace sidecar::apm
