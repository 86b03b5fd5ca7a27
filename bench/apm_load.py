#!/usr/bin/env python3
"""APM end-to-end load test: drives a trace receiver with bench/tools/apm-load (keep-alive HTTP/1.1
PUTs of one pre-encoded v0.4 msgpack body, 10 traces x 20 spans of a Node.js web service by
default, from N connections) at increasing span rates, and for each receiver reports accepted
spans/s, spans per CPU-second, peak RSS and refused payloads. Receivers, one after another in the
same run, a fresh process per rate:
  null     build/<dir>/bench/apm-load --null-server: reads each request and answers 200 (the
           HTTP floor on this machine); with --null-decode it also walks every msgpack object
           of each body (the decode-only floor)
  sidecar  build/<dir>/agent/sidecar-agent (decode + normalize + obfuscate + stats + sample +
           AgentPayload/zstd to a fake intake), spans counted by its own
           datadog.trace_agent.receiver.spans_received, refusals by ...receiver.payload_refused
Figures are printed as ratios against the null receiver measured in the same run.

Usage: bench/apm_load.py [--build build/release] [--seconds 3] [--connections 4]
                         [--rates 25000,50000,100000,200000,300000,400000,0]   (0 = unpaced)
                         [--traces 10 --spans 20 | --recorded] [--env NAME=VALUE ...]
                         [--null-decode]
"""
import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RECORDED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "testdata",
                        "clients", "apm", "dd-trace-js-v0.4-traces.msgpack")
# What the recorded dd-trace-js body holds (its headers say X-Datadog-Trace-Count: 2).
RECORDED_TRACES, RECORDED_SPANS = 2, 6


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_load(args, port, rate):
    command = [os.path.join(args.build, "bench", "apm-load"), "--port", str(port), "--rate", str(rate),
               "--seconds", str(args.seconds), "--connections", str(args.connections)]
    if args.recorded:
        command += ["--body", RECORDED, "--body-spans", str(RECORDED_SPANS),
                    "--body-traces", str(RECORDED_TRACES)]
    else:
        command += ["--traces", str(args.traces), "--spans", str(args.spans)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def settle(read, pid):
    """Waits until a counter and the process's CPU time stop moving (its backlog is done)."""
    value, cpu = read(), cpu_seconds(pid)
    for _ in range(50):
        time.sleep(0.2)
        now, now_cpu = read(), cpu_seconds(pid)
        if now == value and now_cpu - cpu < 0.01:
            return now
        value, cpu = now, now_cpu
    return value


class NullReceiver:
    name = "null"

    def __init__(self, args):
        command = [os.path.join(args.build, "bench", "apm-load"), "--null-server", "--port", "0"]
        if getattr(args, "null_decode", False):
            command.append("--decode")
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[-1])

    def counters(self):
        return None  # Known only at exit; see stop().

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out = self.proc.stdout.read()
        self.proc.wait()
        return json.loads(out.strip().splitlines()[-1])["received_requests"]


class Sidecar:
    name = "sidecar"

    def __init__(self, args):
        self.intake = subprocess.Popen([os.path.join(args.build, "tests", "fake-intake"), "--port", "0"],
                                       stdout=subprocess.PIPE, text=True)
        intake_url = self.intake.stdout.readline().split()[-1]
        self.health_port = free_port()
        self.port = free_port()
        env = {"PATH": os.environ.get("PATH", ""), "DD_API_KEY": "load" + "0" * 28,
               "DD_DD_URL": intake_url, "DD_APM_DD_URL": intake_url,
               "DD_HEALTH_PORT": str(self.health_port), "DD_APM_RECEIVER_PORT": str(self.port),
               "DD_DOGSTATSD_PORT": "0", "DD_DOGSTATSD_SOCKET": "", "DD_LOG_LEVEL": "warn"}
        env.update(item.split("=", 1) for item in args.env)
        self.proc = subprocess.Popen([os.path.join(args.build, "agent", "sidecar-agent"), "run"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline and not (self.counters() and self.listening()):
            time.sleep(0.05)
        # The fake intake's decoding is not what we measure; drain its stdout in the background.
        self.drain = subprocess.Popen(["cat"], stdin=self.intake.stdout, stdout=subprocess.DEVNULL)

    def listening(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def counters(self):
        """(spans_received, payload_refused), or None while the status server is not up."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.health_port, timeout=2)
            conn.request("GET", "/status")
            document = json.loads(conn.getresponse().read())
        except (OSError, ValueError):
            return None
        values = {"datadog.trace_agent.receiver.spans_received": 0,
                  "datadog.trace_agent.receiver.payload_refused": 0}
        for metric in document.get("metrics", []):
            if metric["name"] in values:
                values[metric["name"]] += metric["value"]
        return tuple(values.values())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.intake.send_signal(signal.SIGTERM)
        self.intake.wait()
        self.drain.wait()


def measure(kind, args, rate):
    receiver = kind(args)
    pid = receiver.proc.pid
    before = receiver.counters() or (0, 0)
    start_cpu = cpu_seconds(pid)
    load = run_load(args, receiver.port, rate)
    if kind is Sidecar:
        after = settle(receiver.counters, pid) or before
        cpu = cpu_seconds(pid) - start_cpu
        rss = peak_rss_mib(pid)
        receiver.stop()
        accepted, refused = after[0] - before[0], after[1] - before[1]
    else:
        settle(lambda: None, pid)
        cpu = cpu_seconds(pid) - start_cpu
        rss = peak_rss_mib(pid)
        accepted, refused = receiver.stop() * load["spans_per_request"], 0
    return {"receiver": kind.name, "target_rate": rate, "sent_rate": load["spans_per_second"],
            "accepted": accepted, "accepted_rate": accepted / load["seconds"], "refused": refused,
            "http_429": load["status_429"], "errors": load["errors"], "cpu_seconds": cpu,
            "spans_per_cpu_second": accepted / cpu if cpu > 0 else float("inf"),
            "peak_rss_mib": rss, "p99_ms": load["latency_p99_ms"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build/release")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rates", default="25000,50000,100000,200000,300000,400000,0",
                        help="spans/s over all connections; 0 = as fast as answered")
    parser.add_argument("--traces", type=int, default=10)
    parser.add_argument("--spans", type=int, default=20, help="spans per trace")
    parser.add_argument("--receivers", default="null,sidecar",
                        help="which receivers to run; ratios need both")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra sidecar environment, e.g. DD_APM_DECODERS=2 (repeatable)")
    parser.add_argument("--null-decode", action="store_true",
                        help="the null receiver also decodes each body (decode-only floor)")
    parser.add_argument("--recorded", action="store_true",
                        help="replay shared/testdata/clients/apm/dd-trace-js-v0.4-traces.msgpack")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]

    rows = []
    kinds = {"null": NullReceiver, "sidecar": Sidecar}
    for kind in (kinds[name] for name in args.receivers.split(",")):
        for rate in rates:
            row = measure(kind, args, rate)
            rows.append(row)
            target = f"{rate:,}" if rate else "unpaced"
            print(f"{row['receiver']:8} target={target:>9} sent={row['sent_rate']:>11,.0f}/s "
                  f"accepted={row['accepted_rate']:>11,.0f}/s refused={row['refused']:>4} "
                  f"429={row['http_429']:>4} spans/cpu-s={row['spans_per_cpu_second']:>12,.0f} "
                  f"p99={row['p99_ms']:7.2f} ms peak_rss={row['peak_rss_mib']:.1f} MiB", flush=True)

    def sustained(row):
        """Every span accepted, none refused, and the target rate actually reached (3% slack)."""
        return (row["refused"] == 0 and row["http_429"] == 0 and row["errors"] == 0
                and row["accepted"] > 0 and row["accepted_rate"] >= 0.97 * row["target_rate"])

    def summary(name):
        mine = [r for r in rows if r["receiver"] == name]
        if not mine:
            return {"sustained": 0.0, "max": 0.0, "efficiency": 0.0, "refused": 0, "rss": 0.0}
        paced = [r["target_rate"] for r in mine if r["target_rate"] > 0 and sustained(r)]
        busy = max(mine, key=lambda r: r["accepted_rate"])
        return {"sustained": max(paced) if paced else 0.0, "max": busy["accepted_rate"],
                # Efficiency at the busiest step: idle CPU (timers, flushes) is amortized best.
                "efficiency": busy["spans_per_cpu_second"],
                "refused": sum(r["refused"] + r["http_429"] for r in mine),
                "rss": max(r["peak_rss_mib"] for r in mine)}

    null, sidecar = summary("null"), summary("sidecar")
    body = "recorded dd-trace-js v0.4" if args.recorded else f"{args.traces}x{args.spans} spans"
    print()
    print(f"body={body} connections={args.connections} seconds/step={args.seconds} "
          f"cpus={os.cpu_count()} env={' '.join(args.env) or '-'}")
    print(f"{'':10}{'spans/cpu-s':>14}{'max spans/s':>14}{'sustained target':>18}{'refused':>9}"
          f"{'peak RSS MiB':>14}")
    for name, s in (("null", null), ("sidecar", sidecar)):
        print(f"{name:10}{s['efficiency']:>14,.0f}{s['max']:>14,.0f}{s['sustained']:>18,.0f}"
              f"{s['refused']:>9}{s['rss']:>14.1f}")

    def ratio(a, b):
        return a / b if b else 0.0

    print(f"{'ratio':10}{ratio(sidecar['efficiency'], null['efficiency']):>14.3f}"
          f"{ratio(sidecar['max'], null['max']):>14.3f}"
          f"{ratio(sidecar['sustained'], null['sustained']):>18.3f}{'':>9}"
          f"{ratio(sidecar['rss'], null['rss']):>14.2f}")
    print("sustained target: the highest paced rate fully accepted with no refused payloads")


if __name__ == "__main__":
    sys.exit(main())
