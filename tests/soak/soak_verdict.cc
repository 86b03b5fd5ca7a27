#include "tests/soak/soak_verdict.h"

#include <algorithm>
#include <cmath>

#include "fmt/format.h"
#include "tests/soak/soak_load.h"

namespace sidecar::soak {
namespace {

using Json = nlohmann::json;
using TagFilter = std::vector<std::pair<std::string, std::string>>;

// RSS may grow by this factor (plus the slack) from the first to the last third of the run.
constexpr double kRssGrowthFactor = 1.25;
constexpr double kRssSlackMib = 8;
// How many lost ids the report quotes as evidence.
constexpr size_t kEvidenceIds = 8;

struct IdAccounting {
  uint64_t sent = 0;  // Sent at least once (accepted or not).
  uint64_t acked = 0;
  uint64_t acked_delivered = 0;
  uint64_t acked_rejected_413 = 0;
  uint64_t missing = 0;  // Acked, never delivered, not in a 413-answered request.
  uint64_t delivered_unacked = 0;
  uint64_t delivered_total = 0;
  uint64_t duplicated_ids = 0;    // Delivered in two or more 2xx-answered requests.
  uint64_t duplicate_copies = 0;  // Extra copies beyond the first.
  std::vector<std::pair<size_t, float>> missing_examples;
  std::map<int, uint64_t> missing_by_10s;  // Start second of the window the id was sent in.
};

IdAccounting Account(const IdOutcome& outcome, const IdTally& tally) {
  IdAccounting out;
  const size_t used = std::min({outcome.used, outcome.client_state.size(), tally.delivered.size()});
  for (size_t i = 0; i < used; ++i) {
    const uint8_t state = outcome.client_state[i];
    const uint8_t delivered = tally.delivered[i];
    if (state == kUnsent) {
      continue;
    }
    ++out.sent;
    if (delivered > 0) {
      ++out.delivered_total;
    }
    if (delivered > 1) {
      ++out.duplicated_ids;
      out.duplicate_copies += delivered - 1u;
    }
    if (state != kAcked) {
      out.delivered_unacked += delivered > 0 ? 1 : 0;
      continue;
    }
    ++out.acked;
    if (delivered > 0) {
      ++out.acked_delivered;
    } else if (tally.rejected_413[i] > 0) {
      ++out.acked_rejected_413;
    } else {
      ++out.missing;
      if (out.missing_examples.size() < kEvidenceIds) {
        out.missing_examples.emplace_back(i, outcome.sent_at[i]);
      }
      ++out.missing_by_10s[static_cast<int>(outcome.sent_at[i] / 10) * 10];
    }
  }
  return out;
}

const Json& LastMetrics(const SoakRun& run) {
  static const Json kEmpty = Json::array();
  return run.statuses.empty() ? kEmpty : run.statuses.back().metrics;
}

Json IdJson(const IdAccounting& a, const RouteTally& route, double counted_drops,
            const std::string& drop_sources) {
  Json missing_windows = Json::object();
  for (const auto& [second, count] : a.missing_by_10s) {
    missing_windows[std::to_string(second)] = count;
  }
  Json examples = Json::array();
  for (const auto& [index, sent_at] : a.missing_examples) {
    examples.push_back({{"index", index}, {"sent_at_s", sent_at}});
  }
  return {{"sent", a.sent},
          {"accepted", a.acked},
          {"received_upstream", a.delivered_total},
          {"accepted_and_received", a.acked_delivered},
          {"dropped",
           {{"intake_413", a.acked_rejected_413},
            {"sidecar_counted", counted_drops},
            {"sidecar_counters", drop_sources}}},
          {"missing", a.missing},
          {"missing_by_send_window_s", missing_windows},
          {"missing_examples", examples},
          {"received_without_ack", a.delivered_unacked},
          {"duplicated_ids", a.duplicated_ids},
          {"duplicate_copies", a.duplicate_copies},
          {"items_in_unanswered_requests", route.items_reset_or_stall},
          {"requests",
           {{"2xx", route.requests_2xx},
            {"413", route.requests_413},
            {"other_error", route.requests_other_error},
            {"reset_or_stall", route.requests_reset_or_stall},
            {"decode_errors", route.decode_errors}}}};
}

void CheckIds(const std::string& signal, const IdAccounting& a, const RouteTally& route,
              double counted_drops, const std::string& drop_sources, std::vector<Check>& checks) {
  checks.push_back(
      {signal + "_flowed", a.acked > 0 && a.acked_delivered > 0,
       fmt::format("{} accepted, {} of them received upstream", a.acked, a.acked_delivered)});
  std::string evidence;
  for (const auto& [index, sent_at] : a.missing_examples) {
    evidence += fmt::format(" #{}@{:.1f}s", index, sent_at);
  }
  for (const auto& [second, count] : a.missing_by_10s) {
    evidence += fmt::format(" [{}s..+10s: {}]", second, count);
  }
  checks.push_back(
      {signal + "_no_accepted_loss", static_cast<double>(a.missing) <= counted_drops,
       fmt::format("{} accepted but never received (413-dropped excluded: {}); sidecar drop "
                   "counters account for {:.0f} ({}){}{}",
                   a.missing, a.acked_rejected_413, counted_drops,
                   drop_sources.empty() ? "none" : drop_sources,
                   evidence.empty() ? "" : "; lost ids (index@sent):", evidence)});
  checks.push_back(
      {signal + "_duplicates_bounded", a.duplicate_copies <= route.items_reset_or_stall,
       fmt::format("{} duplicate copies ({} ids); bound = {} items in requests the intake reset or "
                   "stalled",
                   a.duplicate_copies, a.duplicated_ids, route.items_reset_or_stall)});
}

// The named drop counters of one signal (every reason except 413, which the fake counts itself).
double CountedDrops(const Json& metrics,
                    const std::vector<std::pair<std::string, TagFilter>>& names, double divisor,
                    std::string& sources) {
  double total = 0;
  for (const auto& [name, with] : names) {
    const double value = SumMetric(metrics, name, with, {{"reason", "413"}});
    if (value > 0) {
      sources += fmt::format("{}{}={:.0f}", sources.empty() ? "" : ", ", name, value);
      total += value;
    }
  }
  return total / divisor;
}

double Median(std::vector<double> values) {
  if (values.empty()) {
    return 0;
  }
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

bool Verdict::passed() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.passed; });
}

Verdict Judge(const SoakRun& run, const SoakLedger& ledger) {
  Verdict verdict;
  std::vector<Check>& checks = verdict.checks;
  Json& report = verdict.report;
  const Json& metrics = LastMetrics(run);
  const auto routes = ledger.Routes();
  const auto route = [&routes](const std::string& path) {
    const auto it = routes.find(path);
    return it == routes.end() ? RouteTally{} : it->second;
  };

  report["mode"] = run.smoke ? "smoke" : "full";
  report["duration_s"] = run.duration_s;
  report["rates_per_s"] = run.rates;

  // --- Traces ---
  {
    const IdAccounting a = Account(run.traces, ledger.Traces());
    std::string sources;
    const double forwarder = CountedDrops(
        metrics, {{"forwarder.items_dropped", {{"kind", "traces"}}}}, run.spans_per_trace, sources);
    const double pipeline = CountedDrops(metrics,
                                         {{"datadog.trace_agent.processor.traces_dropped", {}},
                                          {"datadog.trace_agent.receiver.traces_dropped", {}}},
                                         1, sources);
    const RouteTally r = route("/api/v0.2/traces");
    CheckIds("traces", a, r, forwarder + pipeline, sources, checks);
    report["traces"] = IdJson(a, r, forwarder + pipeline, sources);
    Json by_status = Json::object();
    for (const auto& [status, count] : run.trace_requests_by_status) {
      by_status[status == 0 ? "transport_error" : std::to_string(status)] = count;
    }
    report["traces"]["client_requests_by_status"] = by_status;
    report["traces"]["spans_per_trace"] = run.spans_per_trace;
  }

  // --- Logs ---
  {
    const IdAccounting a = Account(run.logs, ledger.Logs());
    std::string sources;
    const double dropped = CountedDrops(
        metrics, {{"forwarder.items_dropped", {{"kind", "logs"}}}, {"logs.records_dropped", {}}}, 1,
        sources);
    const RouteTally r = route("/api/v2/logs");
    CheckIds("logs", a, r, dropped, sources, checks);
    report["logs"] = IdJson(a, r, dropped, sources);
    report["logs"]["forward_messages_acked"] = run.forward_acked_messages;
    report["logs"]["forward_ack_timeouts"] = run.forward_ack_timeouts;
  }

  // --- DogStatsD ---
  {
    std::string sources;
    const double series_drops = CountedDrops(
        metrics,
        {{"forwarder.items_dropped", {{"kind", "series"}}}, {"dogstatsd.samples_dropped", {}}}, 1,
        sources);
    const CounterTally uds = ledger.Counter(kUdsMetric);
    const CounterTally udp = ledger.Counter(kUdpMetric);
    const double uds_sent = static_cast<double>(run.uds.value);
    const double uds_deficit = uds_sent - uds.value_2xx - uds.value_413;
    const double uds_window = static_cast<double>(run.uds.value_after_sigterm);
    // Every datagram the generator sends carries the same counter total (see DogstatsdSender).
    const double uds_datagram_value =
        run.uds.datagrams > 0 ? uds_sent / static_cast<double>(run.uds.datagrams) : 0;
    const double uds_dropped_datagrams =
        SumMetric(metrics, "dogstatsd.packets_dropped", {{"transport", "uds"}});
    const double uds_counted = uds_dropped_datagrams * uds_datagram_value +
                               (uds_deficit > 0 && series_drops > 0 ? uds_deficit : 0);
    // Two checks, so a loss in the shutdown window (datagrams the kernel queued after SIGTERM
    // that the sidecar never read nor counted) is told apart from a loss while running.
    checks.push_back(
        {"dogstatsd_uds_exact_while_running",
         uds.value_2xx > 0 && uds_deficit > -0.5 && uds_deficit <= uds_counted + uds_window + 0.5,
         fmt::format("UDS counter total sent {:.0f}, upstream {:.0f} + 413-dropped {:.0f} "
                     "(difference {:+.0f}); counted drops {:.0f} datagrams = {:.0f} "
                     "(dogstatsd.packets_dropped{{transport:uds}}); {:.0f} was sent after SIGTERM; "
                     "series drop counters: {}",
                     uds_sent, uds.value_2xx, uds.value_413, -uds_deficit, uds_dropped_datagrams,
                     uds_counted, uds_window, sources.empty() ? "none" : sources)});
    const double uncounted = std::max(0.0, uds_deficit - uds_counted);
    const bool drained = uncounted < 0.5;
    // The smoke run proves the runner; this property of the sidecar is judged by the full soak.
    checks.push_back(
        {"dogstatsd_uds_drained_at_sigterm", drained || run.smoke,
         fmt::format("{:.0f} of the counter total lost without a drop counter ({} datagrams / {} "
                     "lines were accepted by the kernel after SIGTERM){}",
                     uncounted,
                     run.uds.lines_after_sigterm /
                         static_cast<uint64_t>(std::max(1, run.dsd_lines_per_datagram)),
                     run.uds.lines_after_sigterm,
                     drained || !run.smoke ? "" : " (reported, not judged in smoke mode)")});
    const double udp_sent = static_cast<double>(run.udp.value);
    const double udp_loss = udp_sent - udp.value_2xx - udp.value_413;
    const double sidecar_udp_drops =
        SumMetric(metrics, "dogstatsd.packets_dropped", {{"transport", "udp"}}) +
        SumMetric(metrics, "dogstatsd.packets_truncated", {{"transport", "udp"}});
    const double per_datagram_max =
        static_cast<double>(run.dsd_lines_per_datagram * run.dsd_max_increment);
    const double udp_allowed =
        (static_cast<double>(run.udp_socket.drops) + sidecar_udp_drops) * per_datagram_max +
        static_cast<double>(run.udp.value_after_sigterm) + series_drops;
    checks.push_back(
        {"dogstatsd_udp_within_counted_drops",
         udp.value_2xx > 0 && udp_loss > -0.5 && udp_loss <= udp_allowed + 0.5,
         fmt::format("UDP counter total sent {:.0f}, upstream {:.0f} + 413-dropped {:.0f}; lost "
                     "{:.0f}, allowed {:.0f} (kernel drops {} datagrams, sidecar drops {:.0f}, "
                     "{} lines sent in the SIGTERM window)",
                     udp_sent, udp.value_2xx, udp.value_413, udp_loss, udp_allowed,
                     run.udp_socket.drops, sidecar_udp_drops, run.udp.lines_after_sigterm)});
    const RouteTally r = route("/api/v2/series");
    const uint64_t duplicates = uds.duplicate_points + udp.duplicate_points;
    checks.push_back(
        {"dogstatsd_duplicates_bounded", duplicates <= r.items_reset_or_stall,
         fmt::format("{} duplicate points (same context and timestamp twice); bound = {} points "
                     "in requests the intake reset or stalled",
                     duplicates, r.items_reset_or_stall)});
    report["dogstatsd"] = {{"uds",
                            {{"lines_sent", run.uds.lines},
                             {"datagrams_sent", run.uds.datagrams},
                             {"send_failures", run.uds.failures},
                             {"value_sent", uds_sent},
                             {"value_received_upstream", uds.value_2xx},
                             {"value_dropped_413", uds.value_413},
                             {"value_lost", uds_deficit},
                             {"sidecar_packet_drops", uds_dropped_datagrams},
                             {"value_lost_uncounted", uncounted},
                             {"lines_sent_after_sigterm", run.uds.lines_after_sigterm},
                             {"value_sent_after_sigterm", run.uds.value_after_sigterm},
                             {"points_received", uds.points_2xx},
                             {"duplicate_points", uds.duplicate_points}}},
                           {"udp",
                            {{"lines_sent", run.udp.lines},
                             {"datagrams_sent", run.udp.datagrams},
                             {"value_sent", udp_sent},
                             {"value_received_upstream", udp.value_2xx},
                             {"value_dropped_413", udp.value_413},
                             {"value_lost", udp_loss},
                             {"kernel_drops_datagrams", run.udp_socket.drops},
                             {"sidecar_packet_drops", sidecar_udp_drops},
                             {"lines_sent_in_sigterm_window", run.udp.lines_after_sigterm},
                             {"duplicate_points", udp.duplicate_points}}},
                           {"series_requests",
                            {{"2xx", r.requests_2xx},
                             {"413", r.requests_413},
                             {"other_error", r.requests_other_error},
                             {"reset_or_stall", r.requests_reset_or_stall}}},
                           {"sidecar_drop_counters", sources}};
  }

  // --- Footprint ---
  {
    const double end = run.sigterm_s > 0 ? run.sigterm_s : run.duration_s;
    double first_max = 0;
    double last_max = 0;
    double peak = 0;
    std::vector<double> all;
    Json series = Json::array();
    std::map<int, std::vector<double>> windows;
    for (const ProcessSample& s : run.processes) {
      const double mib = static_cast<double>(s.rss_kib) / 1024.0;
      peak = std::max(peak, mib);
      all.push_back(mib);
      windows[static_cast<int>(s.t / 10) * 10].push_back(mib);
      if (s.t < end / 3) {
        first_max = std::max(first_max, mib);
      } else if (s.t >= end * 2 / 3 && s.t <= end) {
        last_max = std::max(last_max, mib);
      }
    }
    for (const auto& [second, values] : windows) {
      series.push_back({{"t", second},
                        {"min", *std::min_element(values.begin(), values.end())},
                        {"median", Median(values)},
                        {"max", *std::max_element(values.begin(), values.end())}});
    }
    const double limit = first_max * kRssGrowthFactor + kRssSlackMib;
    const bool flat = first_max > 0 && last_max <= limit;
    // A 20 s smoke run is all warm-up; its RSS is reported, not judged.
    checks.push_back({"rss_flat", run.smoke ? first_max > 0 : flat,
                      fmt::format("max RSS first third {:.1f} MiB, last third {:.1f} MiB (limit "
                                  "{:.1f} MiB{}), peak {:.1f} MiB",
                                  first_max, last_max, limit,
                                  run.smoke ? ", not judged in smoke mode" : "", peak)});
    const double cpu = run.processes.empty() ? 0 : run.processes.back().cpu_s;
    const double units = static_cast<double>(run.uds.lines + run.udp.lines) +
                         report["traces"].value("accepted", 0.0) * run.spans_per_trace +
                         report["logs"].value("accepted", 0.0);
    report["footprint"] = {{"rss_mib",
                            {{"min", all.empty() ? 0 : *std::min_element(all.begin(), all.end())},
                             {"median", Median(all)},
                             {"max", peak},
                             {"first_third_max", first_max},
                             {"last_third_max", last_max}}},
                           {"rss_per_10s", series},
                           {"cpu_seconds", cpu},
                           {"accepted_units_per_cpu_second", cpu > 0 ? units / cpu : 0}};
  }

  // --- Shutdown ---
  checks.push_back({"clean_exit_after_sigterm", run.exit_code.has_value() && *run.exit_code == 0,
                    run.exit_code.has_value()
                        ? fmt::format("exit code {} {:.1f} s after SIGTERM", *run.exit_code,
                                      run.exit_s - run.sigterm_s)
                        : std::string("did not exit within the stop timeout (killed)")});

  Json faults = Json::array();
  for (const FaultRecord& f : run.faults) {
    faults.push_back({{"t_s", f.t}, {"fault", f.name}, {"detail", f.detail}});
  }
  report["faults"] = faults;
  report["sigterm_s"] = run.sigterm_s;
  Json all_losses = Json::object();
  for (const auto& [label, value] : LossCounters(metrics)) {
    all_losses[label] = value;
  }
  report["sidecar_loss_counters_last_status"] = all_losses;
  report["foreign_items_upstream"] = ledger.foreign_items();
  Json status_series = Json::array();
  for (const StatusSample& s : run.statuses) {
    status_series.push_back(
        {{"t", std::round(s.t)},
         {"dsd_lines", SumMetric(s.metrics, "dogstatsd.lines_received")},
         {"spans", SumMetric(s.metrics, "datadog.trace_agent.receiver.spans_received")},
         {"log_records", SumMetric(s.metrics, "logs.records_received")},
         {"dsd_packets_dropped", SumMetric(s.metrics, "dogstatsd.packets_dropped")},
         {"retry_queue_bytes", SumMetric(s.metrics, "forwarder.retry_queue_bytes")}});
  }
  report["status_every_10s"] = status_series;
  Json check_json = Json::array();
  for (const Check& c : checks) {
    check_json.push_back({{"name", c.name}, {"passed", c.passed}, {"message", c.message}});
  }
  report["checks"] = check_json;
  report["passed"] = verdict.passed();
  return verdict;
}

std::string RenderText(const Verdict& verdict) {
  const Json& r = verdict.report;
  std::string out;
  out += fmt::format("sidecar soak report ({} mode, {:.0f} s of load, SIGTERM at {:.1f} s)\n",
                     r.value("mode", ""), r.value("duration_s", 0.0), r.value("sigterm_s", 0.0));
  out += fmt::format("target rates/s: {}\n\n", r["rates_per_s"].dump());
  out +=
      fmt::format("{:<10} {:>10} {:>10} {:>10} {:>8} {:>9} {:>8} {:>6} {:>9}\n", "signal", "sent",
                  "accepted", "received", "413-drop", "counted", "missing", "dups", "no-ack-rx");
  for (const char* signal : {"traces", "logs"}) {
    const Json& s = r[signal];
    out += fmt::format("{:<10} {:>10} {:>10} {:>10} {:>8} {:>9} {:>8} {:>6} {:>9}\n", signal,
                       s.value("sent", 0), s.value("accepted", 0), s.value("received_upstream", 0),
                       s["dropped"].value("intake_413", 0),
                       s["dropped"].value("sidecar_counted", 0.0), s.value("missing", 0),
                       s.value("duplicate_copies", 0), s.value("received_without_ack", 0));
  }
  for (const char* transport : {"uds", "udp"}) {
    const Json& d = r["dogstatsd"][transport];
    out += fmt::format("dsd-{:<6} {:>10} {:>10} {:>10.0f} {:>8.0f} {:>9} {:>8} {:>6} {:>9}\n",
                       transport, d.value("lines_sent", 0), "(value)",
                       d.value("value_received_upstream", 0.0), d.value("value_dropped_413", 0.0),
                       "-", fmt::format("{:.0f}", d.value("value_lost", 0.0)),
                       d.value("duplicate_points", 0), "-");
  }
  out += fmt::format(
      "  (dsd rows: lines sent; received/413 are counter sums = value*interval; UDS "
      "value sent {:.0f}, UDP value sent {:.0f})\n",
      r["dogstatsd"]["uds"].value("value_sent", 0.0),
      r["dogstatsd"]["udp"].value("value_sent", 0.0));
  out += "\nfaults:\n";
  for (const Json& f : r["faults"]) {
    out += fmt::format("  {:>7.1f}s  {:<24} {}\n", f.value("t_s", 0.0), f.value("fault", ""),
                       f.value("detail", ""));
  }
  out += "\nsidecar loss counters (last /status, read during shutdown):\n";
  for (const auto& [label, value] : r["sidecar_loss_counters_last_status"].items()) {
    out += fmt::format("  {} = {}\n", label, value.dump());
  }
  const Json& fp = r["footprint"];
  out += fmt::format(
      "\nRSS MiB min/median/max: {:.1f}/{:.1f}/{:.1f}; CPU {:.1f} s; {:.0f} accepted "
      "units per CPU-second\nRSS per 10 s (max):",
      fp["rss_mib"].value("min", 0.0), fp["rss_mib"].value("median", 0.0),
      fp["rss_mib"].value("max", 0.0), fp.value("cpu_seconds", 0.0),
      fp.value("accepted_units_per_cpu_second", 0.0));
  for (const Json& w : fp["rss_per_10s"]) {
    out += fmt::format(" {:.0f}", w.value("max", 0.0));
  }
  out += "\n\nchecks:\n";
  for (const Check& c : verdict.checks) {
    out += fmt::format("  [{}] {}: {}\n", c.passed ? "PASS" : "FAIL", c.name, c.message);
  }
  out += fmt::format("\nRESULT: {}\n", verdict.passed() ? "PASS" : "FAIL");
  return out;
}

}  // namespace sidecar::soak
