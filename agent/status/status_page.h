// The status page served at GET / on the health/status port: one self-contained HTML document
// (inline CSS and JavaScript, no external asset) that polls /status and renders it.
#pragma once

#include <string>
#include <string_view>

namespace sidecar::status {

// The page as shipped, embedded at build time from agent/status/status_page.html.
std::string_view StatusPageHtml();

// The page with `status_json` (a /status document) inlined as its first snapshot, so it renders
// without waiting for its first poll. `status_json` is escaped for a <script> element; if the page
// lacks the placeholder the page is returned unchanged.
std::string StatusPageWithSnapshot(std::string_view status_json);

}  // namespace sidecar::status
