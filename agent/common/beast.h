// The one way project code includes Boost.Beast (see asio.h for why Asio comes first).
#pragma once

// clang-format off
#include "agent/common/asio.h"  // IWYU pragma: export
#include <boost/beast/core.hpp>  // IWYU pragma: export
#include <boost/beast/http.hpp>  // IWYU pragma: export
// clang-format on
