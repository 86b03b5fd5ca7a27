// Compiles Asio and Beast once for the whole program (BOOST_*_SEPARATE_COMPILATION is set on every
// target), which keeps each translation unit that includes them small.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>

#include "agent/common/beast.h"
