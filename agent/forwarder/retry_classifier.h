// What to do with a finished request: one table per intake, because the Agent's three senders
// disagree (dogstatsd.md §10, apm.md §7, ecs-logs.md §B5.2). Only the forwarder acts on the
// outcome; encoders never see HTTP statuses.
#pragma once

#include <string_view>

#include "agent/forwarder/http_client.h"
#include "agent/forwarder/payload.h"

namespace sidecar::forwarder {

enum class Outcome { kSuccess, kDrop, kRetry };
std::string_view OutcomeName(Outcome outcome);

Outcome Classify(Intake intake, const HttpResult& result);

// The likely misconfiguration behind a rejected (or endlessly retried) status, for the log line
// an operator reads: "API key invalid: check DD_API_KEY / the secret" for 403.
std::string_view DropHint(int status);

}  // namespace sidecar::forwarder
