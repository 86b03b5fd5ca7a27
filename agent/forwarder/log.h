// The forwarder folder's spdlog logger ("forwarder"). Tests register their own logger under that
// name before constructing a component to capture its output.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>

namespace sidecar::forwarder {

std::shared_ptr<spdlog::logger> ForwarderLogger();

}  // namespace sidecar::forwarder
