// The one way project code includes Boost.Asio. Boost 1.74's awaitable.hpp uses std::exchange
// without including <utility>, which GCC 12 in C++20 mode rejects; including it first here fixes
// every user.
#pragma once

// clang-format off
#include <utility>  // IWYU pragma: keep
#include <boost/asio.hpp>  // IWYU pragma: export
// clang-format on
