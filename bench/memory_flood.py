#!/usr/bin/env python3
"""Memory-limit flood check (issue #9 item 1: "RSS stays under the limit under any flood"). Runs the
real sidecar with DD_SIDECAR_MEMORY_LIMIT against a fake intake that answers 503 to every request
(so the retry queue fills too), floods every input at once for --seconds:
  DogStatsD  bench/tools/dsd-load --mix --types h,s,ms --unique-values over UDP: every value is new,
             so histogram and set contexts cannot merge samples and each 10 s bucket grows with
             the rate (the worst DogStatsD flood)
  APM        bench/tools/apm-load (v0.4, 10 traces x 20 spans per PUT) against the APM port
  Logs       bench/tools/logs-load (Fluent Forward PackedForward) against the Forward port
and samples the sidecar's VmRSS every 100 ms (its /status every 250 ms, the guard's period).
After the flood it watches the sidecar for --after seconds, sending a trickle of 1000 ordinary
counter lines/s: a sidecar that stays under pressure once the flood is over refuses them too.
Then it reads the drop counters from /status, stops everything and prints: the limit, peak RSS
(the larger of VmHWM and the highest sample), RSS at 5 s intervals, time under memory pressure,
drops by reason per signal, what each input sent and what the sidecar accepted.

Exit status 1 if the peak RSS reached the limit, 2 if the sidecar died during the run, else 0
(always 0 with --limit none, which leaves DD_SIDECAR_MEMORY_LIMIT unset for comparison; a
container cgroup limit, if any, then applies and is reported as the effective limit).

Not part of CI. Usage:
  bench/memory_flood.py [--build build/release] [--limit 80MiB|none] [--seconds 40]
                        [--dsd-rate 2000000] [--contexts 10000] [--tags 5] [--apm-rate 0]
                        [--logs-rate 0] [--connections 4] [--after 15] [--json FILE]
                        [--inputs dogstatsd,apm,logs] [--env NAME=VALUE ...]
Rates of 0 (APM, logs) send as fast as the sidecar answers or reads.
"""
import argparse
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dogstatsd_load import cpu_seconds, free_port, peak_rss_mib  # noqa: E402

MIB = 1024 * 1024
# Counters the status command lists as drops (agent/app/status_table.cc uses the same pattern).
DROP_NAME = re.compile(r"dropped|error|refus|reject|truncat|fail|malformed|pauses")
SIGNAL_OF = (("dogstatsd.", "dogstatsd"), ("aggregator.", "dogstatsd"),
             ("datadog.trace_agent.", "apm"), ("datadog.logs.", "logs"), ("logs.", "logs"),
             ("forwarder.", "forwarder"), ("memory.", "memory"))


def vm_rss_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def signal_of(name):
    for prefix, group in SIGNAL_OF:
        if name.startswith(prefix):
            return group
    return name.split(".", 1)[0]


def label(metric):
    tags = ",".join(f"{k}:{v}" for k, v in sorted(metric["tags"].items()))
    return f"{metric['name']}{{{tags}}}" if tags else metric["name"]


class Sidecar:
    """The fake intake (failing every request) and the sidecar with every input on."""

    def __init__(self, build, limit, extra_env):
        self.stopped = False
        self.intake = subprocess.Popen(
            [os.path.join(build, "tests", "fake-intake"), "--port", "0",
             # 1000000 is the most fake-intake accepts: more than the sidecar sends in any run.
             "--fail-status", "503", "--fail-count", "1000000"],
            stdout=subprocess.PIPE, text=True)
        intake_url = self.intake.stdout.readline().split()[-1]
        # The fake intake prints every request; drain it so it never blocks.
        self.drain = subprocess.Popen(["cat"], stdin=self.intake.stdout, stdout=subprocess.DEVNULL)
        self.health_port = free_port()
        self.dsd_port = free_port(socket.SOCK_DGRAM)
        self.apm_port = free_port()
        self.forward_port = free_port()
        env = {"PATH": os.environ.get("PATH", ""), "DD_API_KEY": "load" + "0" * 28,
               "DD_DD_URL": intake_url, "DD_APM_DD_URL": intake_url,
               "DD_LOGS_CONFIG_LOGS_DD_URL": intake_url, "DD_LOGS_ENABLED": "true",
               "DD_LOGS_FORWARD_PORT": str(self.forward_port), "DD_LOGS_FORWARD_SOCKET": "",
               "DD_LOGS_TCP_PORT": "0", "DD_HEALTH_PORT": str(self.health_port),
               "DD_DOGSTATSD_PORT": str(self.dsd_port), "DD_DOGSTATSD_SOCKET": "",
               "DD_APM_RECEIVER_PORT": str(self.apm_port), "DD_APM_RECEIVER_SOCKET": "",
               # Nothing can be delivered (503): do not wait 25 s for it at the end.
               "DD_SIDECAR_SHUTDOWN_TIMEOUT": "2", "DD_LOG_LEVEL": "warn"}
        if limit != "none":
            env["DD_SIDECAR_MEMORY_LIMIT"] = limit
        env.update(item.split("=", 1) for item in extra_env)
        # A file, not a pipe: every failed upstream request logs a warning, and a full pipe would
        # block the sidecar.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([os.path.join(build, "agent", "sidecar-agent"), "run"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 10
        while not (self.status() and self.listening(self.apm_port)
                   and self.listening(self.forward_port)):
            if self.proc.poll() is not None:
                self.stop()
                self.log.seek(0)
                raise RuntimeError(f"sidecar-agent exited with {self.proc.returncode}: "
                                   f"{self.log.read().strip()[-2000:]}")
            if time.time() > deadline:
                self.stop()
                raise RuntimeError("sidecar-agent did not come up within 10 s")
            time.sleep(0.05)

    @staticmethod
    def listening(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def status(self, timeout=2):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.health_port, timeout=timeout)
            conn.request("GET", "/status")
            return json.loads(conn.getresponse().read())
        except (OSError, ValueError):
            return None

    def stop(self):
        self.stopped = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.intake.send_signal(signal.SIGTERM)
        self.intake.wait()
        self.drain.wait()
        return self.proc.returncode


class Sampler:
    """VmRSS every 100 ms from /proc, and the memory guard's view from /status every 250 ms."""

    def __init__(self, sidecar, t0):
        self.sidecar, self.t0 = sidecar, t0
        self.rss = []     # (seconds since t0, bytes)
        self.status = []  # (seconds since t0, {gauge: value})
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.sample_rss, daemon=True),
                        threading.Thread(target=self.sample_status, daemon=True)]
        for thread in self.threads:
            thread.start()

    def sample_rss(self):
        pid = self.sidecar.proc.pid
        while not self.done.wait(0.1):
            try:
                self.rss.append((time.time() - self.t0, vm_rss_bytes(pid)))
            except OSError:
                return

    def sample_status(self):
        wanted = ("memory.under_pressure", "memory.rss_bytes", "forwarder.retry_queue_bytes",
                  "forwarder.in_flight", "aggregator.dogstatsd_contexts",
                  "dogstatsd.lines_received", "datadog.trace_agent.receiver.spans_received",
                  "logs.records_received", "memory.pool.used_bytes")
        while not self.done.wait(0.25):
            document = self.sidecar.status(timeout=1)
            if document is None:
                continue
            gauges = {}
            for metric in document["metrics"]:
                if metric["name"] in wanted:
                    gauges[metric["name"]] = gauges.get(metric["name"], 0) + metric["value"]
                elif metric["name"] == "memory.pool.share_bytes":
                    # What each buffer holds of the memory pool (agent/runtime/memory_account.h).
                    gauges[f"pool.{metric['tags'].get('share', '?')}.bytes"] = metric["value"]
            self.status.append((time.time() - self.t0, gauges))

    def stop(self):
        self.done.set()
        for thread in self.threads:
            thread.join()


def start_loads(args, sidecar):
    bench = os.path.join(args.build, "bench")
    seconds = str(args.seconds)
    commands = {
        "dogstatsd": [os.path.join(bench, "dsd-load"), "--port", str(sidecar.dsd_port),
                      "--rate", str(args.dsd_rate), "--seconds", seconds,
                      "--contexts", str(args.contexts), "--tags", str(args.tags),
                      "--mix", "--types", "h,s,ms",
                      "--unique-values"],
        "apm": [os.path.join(bench, "apm-load"), "--port", str(sidecar.apm_port),
                "--rate", str(args.apm_rate), "--seconds", seconds,
                "--connections", str(args.connections)],
        "logs": [os.path.join(bench, "logs-load"), "--port", str(sidecar.forward_port),
                 "--rate", str(args.logs_rate), "--seconds", seconds,
                 "--connections", str(args.connections), "--mode", "forward"],
    }
    return {name: subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
            for name, command in commands.items() if name in args.inputs.split(",")}


def finish_loads(loads):
    results = {}
    for name, proc in loads.items():
        out, err = proc.communicate()
        lines = out.strip().splitlines()
        try:
            results[name] = json.loads(lines[-1])
        except (IndexError, ValueError):
            results[name] = {"error": f"exit {proc.returncode}: {err.strip()[-300:]}"}
    return results


def recovery_probe(args, sidecar):
    """Waits 1 s, sends 1000 counter lines/s until 1 s before the end of --after, waits 1 s, and
    returns (lines sent, lines the sidecar accepted meanwhile); None when --after < 3."""
    if args.after < 3:
        time.sleep(args.after)
        return None
    time.sleep(1)
    before = sidecar.status(timeout=10)
    command = [os.path.join(args.build, "bench", "dsd-load"), "--port", str(sidecar.dsd_port),
               "--rate", "1000", "--seconds", str(args.after - 2), "--contexts", "10"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    time.sleep(1)
    after = sidecar.status(timeout=10)
    if before is None or after is None:
        return None
    name = "dogstatsd.lines_received"
    accepted = counter_totals(after).get(name, 0) - counter_totals(before).get(name, 0)
    return json.loads(out.strip().splitlines()[-1])["sent_lines"], accepted


def counter_totals(document):
    totals = {}
    for metric in document["metrics"]:
        totals[metric["name"]] = totals.get(metric["name"], 0) + metric["value"]
    return totals


def drops_by_signal(document):
    drops = {}
    for metric in document["metrics"]:
        if metric["kind"] == "counter" and metric["value"] > 0 and DROP_NAME.search(metric["name"]):
            drops.setdefault(signal_of(metric["name"]), {})[label(metric)] = metric["value"]
    return drops


def pressure_seconds(samples):
    """Time the guard's flag was up: each status sample's flag held until the next sample."""
    total = 0.0
    for (t, gauges), (t_next, _) in zip(samples, samples[1:]):
        if gauges.get("memory.under_pressure", 0) >= 1:
            total += t_next - t
    return total


def rss_every(samples, step, end):
    """VmRSS at each multiple of `step` seconds (the last sample at or before it)."""
    points, i, mark = [], 0, 0.0
    while mark <= end + 1e-9:
        while i + 1 < len(samples) and samples[i + 1][0] <= mark:
            i += 1
        if samples and samples[i][0] <= mark + 0.15:
            points.append((mark, samples[i][1]))
        mark += step
    return points


def run(args):
    sidecar = Sidecar(args.build, args.limit, args.env)
    try:
        return measure(args, sidecar)
    finally:
        if not sidecar.stopped:  # measure() failed before stopping it.
            sidecar.stop()


def measure(args, sidecar):
    pid = sidecar.proc.pid
    document = sidecar.status()
    limit_bytes = int(counter_totals(document).get("memory.limit_bytes", 0))
    idle_rss = vm_rss_bytes(pid)
    cpu_before = cpu_seconds(pid)

    t0 = time.time()
    sampler = Sampler(sidecar, t0)
    loads = start_loads(args, sidecar)
    sent = finish_loads(loads)
    flood_seconds = time.time() - t0
    # Kept running a little after the flood: does the resident size come back down, and does the
    # sidecar take a trickle of ordinary DogStatsD counters again (or stay under pressure)?
    probe = recovery_probe(args, sidecar)
    sampler.stop()
    final = sidecar.status(timeout=10) or {"metrics": []}
    # A sidecar that died during the run has no VmHWM left to read: the run proves nothing.
    died = sidecar.proc.poll()
    vm_hwm = peak_rss_mib(pid) * MIB if died is None else 0
    cpu = cpu_seconds(pid) - cpu_before
    exit_code = sidecar.stop()

    totals = counter_totals(final)
    max_rss = max(sampler.rss, key=lambda s: s[1], default=(0.0, 0))
    under = [s for s in sampler.status if s[1].get("memory.under_pressure", 0) >= 1]
    gauge_peaks = {}
    for _, gauges in sampler.status:
        for name, value in gauges.items():
            if not name.endswith("_received"):
                gauge_peaks[name] = max(gauge_peaks.get(name, 0), value)
    return {
        "limit": args.limit,
        "limit_bytes": limit_bytes,
        "soft_mark_bytes": limit_bytes // 10 * 8,
        "seconds": args.seconds,
        "flood_seconds": round(flood_seconds, 2),
        "after_seconds": args.after,
        "inputs": args.inputs,
        "rates": {"dogstatsd_lines": args.dsd_rate, "apm_spans": args.apm_rate,
                  "logs_lines": args.logs_rate, "contexts": args.contexts,
                  "connections": args.connections},
        "idle_rss_bytes": idle_rss,
        # VmHWM catches spikes between samples; a sample can still top it by the kernel's
        # per-CPU counter slack, so the peak is the larger of the two.
        "peak_rss_bytes": max(int(vm_hwm), max_rss[1]) if died is None else 0,
        "vm_hwm_bytes": int(vm_hwm),
        "max_sampled_rss_bytes": max_rss[1],
        "max_sampled_rss_at": round(max_rss[0], 2),
        "rss_every_5s": [{"t": t, "rss_bytes": v}
                         for t, v in rss_every(sampler.rss, 5.0, flood_seconds + args.after)],
        "rss_samples": [{"t": round(t, 2), "rss_bytes": v} for t, v in sampler.rss],
        "status_timeline": [{"t": round(t, 2), **values} for t, values in sampler.status],
        "under_pressure_seconds": round(pressure_seconds(sampler.status), 2),
        "first_pressure_at": round(under[0][0], 2) if under else None,
        "status_samples": len(sampler.status),
        "pressure_episodes": totals.get("memory.pressure_episodes", 0),
        "gauge_peaks": gauge_peaks,
        "sent": sent,
        "accepted": {
            "dogstatsd_lines": totals.get("dogstatsd.lines_received", 0),
            "dogstatsd_udp_packets_ok": sum(
                m["value"] for m in final["metrics"]
                if m["name"] == "dogstatsd.udp_packets" and m["tags"].get("state") == "ok"),
            "apm_spans": totals.get("datadog.trace_agent.receiver.spans_received", 0),
            "apm_payloads": totals.get("datadog.trace_agent.receiver.payload_accepted", 0),
            "logs_records": totals.get("logs.records_received", 0),
        },
        "drops": drops_by_signal(final),
        "recovery_probe": ({"sent_lines": probe[0], "accepted_lines": probe[1]}
                           if probe else None),
        "under_pressure_at_end": bool(totals.get("memory.under_pressure", 0)),
        "sidecar_cpu_seconds": round(cpu, 2),
        "sidecar_exit_code": exit_code,
        "sidecar_died_during_run": died is not None,
    }


def mib(value):
    return f"{value / MIB:.1f} MiB"


def print_report(r):
    limit = mib(r["limit_bytes"]) if r["limit_bytes"] else "none"
    rates = r["rates"]
    soft = f", soft mark {mib(r['soft_mark_bytes'])}" if r["limit_bytes"] else ""
    print(f"memory flood: limit {r['limit']} (effective {limit}{soft}), {r['seconds']} s flood of "
          f"{r['inputs']} + {r['after_seconds']} s after; intake answers 503")
    print(f"  load: dsd {rates['dogstatsd_lines']:,} lines/s h,s,ms with unique values over "
          f"{rates['contexts']:,} contexts; apm {rates['apm_spans'] or 'unpaced'}, logs "
          f"{rates['logs_lines'] or 'unpaced'}, {rates['connections']} connections each")
    ratio = f" = {r['peak_rss_bytes'] / r['limit_bytes']:.2f} x limit" if r["limit_bytes"] else ""
    print(f"  idle RSS            {mib(r['idle_rss_bytes'])}")
    print(f"  peak RSS            {mib(r['peak_rss_bytes'])}{ratio} "
          f"(VmHWM {mib(r['vm_hwm_bytes'])})")
    print(f"  max sampled VmRSS   {mib(r['max_sampled_rss_bytes'])} "
          f"at t={r['max_sampled_rss_at']} s")
    print("  RSS every 5 s       " + "  ".join(f"{p['t']:.0f}s:{p['rss_bytes'] / MIB:.0f}"
                                                for p in r["rss_every_5s"]) + " (MiB)")
    print(f"  under pressure      {r['under_pressure_seconds']} s of {r['flood_seconds']} + "
          f"{r['after_seconds']} s (first at t={r['first_pressure_at']} s), "
          f"{r['pressure_episodes']:.0f} episodes, {r['status_samples']} status samples")
    peaks = [f"{k}={mib(v)}" if k.endswith("bytes") else f"{k}={v:,.0f}"
             for k, v in r["gauge_peaks"].items()]
    print("  gauge peaks         " + ", ".join(peaks))
    if r["status_timeline"]:
        last = r["status_timeline"][-1]
        held = [f"{k}={mib(v)}" for k, v in last.items() if k.startswith(("pool.", "memory.pool"))]
        print(f"  pool at t={last['t']:.1f} s  " + ", ".join(held))

    def failed(sent):
        return f"  [{sent['error']}]" if "error" in sent else ""

    dsd, apm, logs = (r["sent"].get(k, {}) for k in ("dogstatsd", "apm", "logs"))
    acc = r["accepted"]
    print("  sent / accepted")
    print(f"    dogstatsd  sent {dsd.get('sent_lines', 0):,} lines "
          f"({dsd.get('lines_per_second', 0):,.0f}/s); {acc['dogstatsd_udp_packets_ok']:,.0f} "
          f"packets read, {acc['dogstatsd_lines']:,.0f} lines taken in{failed(dsd)}")
    print(f"    apm        sent {apm.get('sent_spans', 0):,} spans in "
          f"{apm.get('sent_requests', 0):,} requests (200: {apm.get('status_200', 0):,}, "
          f"429: {apm.get('status_429', 0):,}, other: {apm.get('status_other', 0):,}, "
          f"errors: {apm.get('errors', 0):,}), accepted {acc['apm_spans']:,.0f} spans in "
          f"{acc['apm_payloads']:,.0f} payloads{failed(apm)}")
    print(f"    logs       sent {logs.get('sent_lines', 0):,} records (writers stalled "
          f"{logs.get('stall_seconds', 0):.1f} s in all), accepted "
          f"{acc['logs_records']:,.0f}{failed(logs)}")
    print("  drops by reason (nonzero)")
    for group in sorted(r["drops"]):
        print(f"    {group}")
        for name, value in sorted(r["drops"][group].items()):
            print(f"      {name:<70} {value:>14,.0f}")
    probe = r["recovery_probe"]
    if probe:
        print(f"  after the flood     {probe['accepted_lines']:,.0f} of {probe['sent_lines']:,} "
              f"trickle counter lines (1000/s) accepted; under pressure at the end: "
              f"{'yes' if r['under_pressure_at_end'] else 'no'}")
    print(f"  sidecar CPU {r['sidecar_cpu_seconds']} s, exit code {r['sidecar_exit_code']}")
    if r["sidecar_died_during_run"]:
        print("  verdict: the sidecar exited during the run (see its exit code); no peak measured")
    elif r["limit_bytes"]:
        verdict = "UNDER" if r["peak_rss_bytes"] < r["limit_bytes"] else "OVER"
        print(f"  verdict: peak RSS {mib(r['peak_rss_bytes'])} {verdict} the limit {limit}")
    else:
        print("  verdict: no limit, nothing to check")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", default="build/release")
    parser.add_argument("--limit", default="80MiB",
                        help="DD_SIDECAR_MEMORY_LIMIT, at least 80MiB; 'none' leaves it unset")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--dsd-rate", type=int, default=2_000_000, help="DogStatsD lines/s")
    parser.add_argument("--contexts", type=int, default=10000)
    parser.add_argument("--tags", type=int, default=5,
                        help="tags per line; dsd-load's tag sets repeat every 10,000 contexts, so "
                             "more contexts need --tags 0 (the context number is then in the name)")
    parser.add_argument("--apm-rate", type=int, default=0, help="spans/s; 0 = unpaced")
    parser.add_argument("--logs-rate", type=int, default=0, help="lines/s; 0 = unpaced")
    parser.add_argument("--connections", type=int, default=4, help="per APM and logs loader")
    parser.add_argument("--after", type=float, default=15,
                        help="seconds the sidecar is watched after the flood")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra sidecar environment (repeatable), e.g. GLIBC_TUNABLES=...")
    parser.add_argument("--inputs", default="dogstatsd,apm,logs",
                        help="which inputs to flood (a subset tells which one grows)")
    parser.add_argument("--json", default="", help="also write the report here as JSON")
    args = parser.parse_args()

    report = run(args)
    print_report(report)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)
    if report["sidecar_died_during_run"]:
        return 2
    if report["limit_bytes"] and report["peak_rss_bytes"] >= report["limit_bytes"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
