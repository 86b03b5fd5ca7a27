#!/usr/bin/env python3
"""Logs end-to-end load test (issue #7: >= 200 k log lines/s per core). Drives the logs receivers
with bench/tools/logs-load (N TCP connections writing Fluent Forward PackedForward messages of
100-1000 entries of ~150-byte lines, as FireLens does) at increasing line rates, then one run of
raw newline lines through the TCP line port, and reports per rate: lines accepted, lines per
CPU-second, peak RSS and backpressure refusals. Receivers, one after another in the same run, a
fresh process per rate:
  null     build/<dir>/bench/logs-load --null-server: epoll, read 64 KiB, count bytes (the
           physical limit of reading the same bytes from the same sockets)
  sidecar  build/<dir>/agent/sidecar-agent (decode + processing rules + FireLens mapping + JSON
           batching + zstd + upload to a fake intake), lines counted by its own
           logs.records_received counter
Figures are printed as ratios against the null server measured in the same run. TCP is
lossless, so a receiver that cannot keep up shows as an achieved rate below the target (the
writers stall), not as loss.

Usage: bench/logs_load.py [--build build/release] [--seconds 5] [--connections 4]
                          [--rates 50000,100000,200000,400000,0] [--line-rate 200000]
                          [--perf-rate 0 --perf-output perf.data]
A rate of 0 means as fast as the receiver reads.
"""
import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TARGET_PER_CORE = 200_000


def thread_cpu_seconds(pid):
    """CPU seconds per live thread, keyed "tid name". schedstat has nanosecond resolution (stat's
    utime+stime counts 10 ms ticks, too coarse for the null server); stat is the fallback."""
    threads = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as stat:
                text = stat.read()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as schedstat:
                nanoseconds = int(schedstat.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        ticks = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        threads[f"{tid} {name}"] = nanoseconds / 1e9 if nanoseconds > 0 else ticks
    return threads


def cpu_seconds(pid):
    return sum(thread_cpu_seconds(pid).values())


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


def run_load(args, port, rate, mode):
    command = [os.path.join(args.build, "bench", "logs-load"), "--port", str(port),
               "--rate", str(rate), "--seconds", str(args.seconds),
               "--connections", str(args.connections), "--mode", mode,
               "--line-bytes", str(args.line_bytes)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


class NullServer:
    name = "null"

    def __init__(self, args, mode):
        self.proc = subprocess.Popen([os.path.join(args.build, "bench", "logs-load"),
                                      "--null-server", "--port", "0"],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[-1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out = self.proc.stdout.read()
        self.proc.wait()
        return json.loads(out.strip().splitlines()[-1])


class Sidecar:
    name = "sidecar"

    def __init__(self, args, mode):
        self.intake = subprocess.Popen([os.path.join(args.build, "tests", "fake-intake"),
                                        "--port", "0"], stdout=subprocess.PIPE, text=True)
        intake_url = self.intake.stdout.readline().split()[-1]
        # The fake intake prints every payload it decodes; drain it so it never blocks.
        self.drain = subprocess.Popen(["cat"], stdin=self.intake.stdout,
                                      stdout=subprocess.DEVNULL)
        self.health_port = free_port()
        forward_port, line_port = free_port(), free_port()
        self.port = forward_port if mode == "forward" else line_port
        env = {"PATH": os.environ.get("PATH", ""), "DD_API_KEY": "load" + "0" * 28,
               "DD_DD_URL": intake_url, "DD_LOGS_CONFIG_LOGS_DD_URL": intake_url,
               "DD_LOGS_ENABLED": "true", "DD_LOGS_FORWARD_PORT": str(forward_port),
               "DD_LOGS_FORWARD_SOCKET": "", "DD_LOGS_TCP_PORT": str(line_port),
               "DD_HEALTH_PORT": str(self.health_port), "DD_DOGSTATSD_PORT": "0",
               "DD_DOGSTATSD_SOCKET": "", "DD_APM_RECEIVER_PORT": "0", "DD_LOG_LEVEL": "warn"}
        self.proc = subprocess.Popen([os.path.join(args.build, "agent", "sidecar-agent"), "run"],
                                     env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline and not self.listening():
            if self.proc.poll() is not None:
                raise RuntimeError(f"sidecar-agent exited with {self.proc.returncode}")
            time.sleep(0.05)

    def listening(self):
        if self.metrics() is None:
            return False
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def metrics(self):
        """The counters of /status as {name: value} (tagged series summed), None if down."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.health_port, timeout=2)
            conn.request("GET", "/status")
            document = json.loads(conn.getresponse().read())
        except (OSError, ValueError):
            return None
        values = {}
        for metric in document.get("metrics", []):
            values[metric["name"]] = values.get(metric["name"], 0) + metric["value"]
        return values

    def counters(self):
        m = self.metrics() or {}
        return (m.get("logs.records_received", 0), m.get("logs.records_batched", 0),
                m.get("logs.backpressure_refusals", 0))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.intake.send_signal(signal.SIGTERM)
        self.intake.wait()
        self.drain.wait()


class QueueWatch:
    """Samples the sidecar's forwarder retry queue while the load runs: past half of it the logs
    pipeline refuses records (intake congestion), which tells that cause of refusals apart from
    the pipeline's own pending-bytes budget."""

    def __init__(self, sidecar):
        self.peak = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, args=(sidecar,), daemon=True)
        self.thread.start()

    def run(self, sidecar):
        while not self.done.wait(0.2):
            metrics = sidecar.metrics() or {}
            self.peak = max(self.peak, metrics.get("forwarder.retry_queue_bytes", 0))

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.peak


def settle(read, quiet=0.5, limit=30.0):
    """Polls until read() stops changing for `quiet` seconds; returns (value, seconds taken)."""
    start = time.time()
    value, since = read(), time.time()
    while time.time() - start < limit:
        time.sleep(0.1)
        now = read()
        if now != value:
            value, since = now, time.time()
        elif time.time() - since >= quiet:
            break
    return value, since - start


def start_perf(args, pid):
    return subprocess.Popen(["perf", "record", "-g", "-o", args.perf_output, "-p", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(kind, args, rate, mode):
    receiver = kind(args, mode)
    pid = receiver.proc.pid
    start_cpu = cpu_seconds(pid)
    start_threads = thread_cpu_seconds(pid)
    perf = None
    if kind is Sidecar and args.perf_output and rate == args.perf_rate and mode == "forward":
        perf = start_perf(args, pid)
        time.sleep(0.5)
    watch = QueueWatch(receiver) if kind is Sidecar else None
    load = run_load(args, receiver.port, rate, mode)
    sent, sent_bytes = load["sent_lines"], load["sent_bytes"]
    row = {"receiver": kind.name, "mode": mode, "target_rate": rate, "sent": sent,
           "sent_rate": load["lines_per_second"], "stall_seconds": load["stall_seconds"]}
    if kind is Sidecar:
        (received, batched, refusals), drain = settle(receiver.counters)
        cpu = cpu_seconds(pid) - start_cpu
        threads = {name: value - start_threads.get(name, 0.0)
                   for name, value in thread_cpu_seconds(pid).items()}
        row["threads"] = {k: round(v, 2) for k, v in sorted(threads.items()) if v >= 0.01}
        row["intake_cpu_seconds"] = cpu_seconds(receiver.intake.pid)
        final = receiver.metrics() or {}
        row["retry_queue_peak_kib"] = watch.stop() / 1024
        row["retried"] = final.get("forwarder.transactions_retried", 0)
        rss = peak_rss_mib(pid)
        if perf is not None:
            perf.send_signal(signal.SIGINT)
            perf.wait()
        receiver.stop()
    else:
        time.sleep(0.5)
        cpu = cpu_seconds(pid) - start_cpu
        rss = peak_rss_mib(pid)
        counts = receiver.stop()
        got = counts["received_bytes"]
        if mode == "lines":
            received = counts["received_newlines"]
        else:  # Whole messages only: the unfinished last one does not count.
            received = sent if got >= sent_bytes else int(sent * got / max(sent_bytes, 1))
        batched, refusals, drain = received, 0, 0.0
    row.update({"received": received, "batched": batched, "refusals": refusals,
                "loss": 1 - received / sent if sent else 0.0, "cpu_seconds": cpu,
                "lines_per_second": received / (load["seconds"] + drain),
                "lines_per_cpu_second": received / cpu if cpu > 0 else float("inf"),
                "peak_rss_mib": rss})
    return row


def print_row(row):
    target = "max" if row["target_rate"] == 0 else f"{row['target_rate']:,}"
    extra = ""
    if row["receiver"] == "sidecar":
        extra = (f" batched={row['batched']:,} refusals={row['refusals']:,}"
                 f" retry_queue_peak={row['retry_queue_peak_kib']:,.0f} KiB"
                 f" retried={row['retried']:,}"
                 f" intake_cpu={row['intake_cpu_seconds']:.1f}s threads={row['threads']}")
    print(f"{row['receiver']:8} {row['mode']:7} target={target:>9} "
          f"sent={row['sent_rate']:>10,.0f}/s accepted={row['received']:>10,} "
          f"({row['lines_per_second']:>10,.0f}/s) stalled={row['stall_seconds']:5.2f}s "
          f"cpu={row['cpu_seconds']:5.2f}s lines/cpu-s={row['lines_per_cpu_second']:>11,.0f} "
          f"peak_rss={row['peak_rss_mib']:6.1f} MiB{extra}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build/release")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--line-bytes", type=int, default=150)
    parser.add_argument("--rates", default="50000,100000,200000,400000,0")
    parser.add_argument("--line-rate", type=int, default=200000,
                        help="rate of the one raw-line run through DD_LOGS_TCP_PORT")
    parser.add_argument("--perf-rate", type=int, default=0,
                        help="forward rate at which the sidecar is profiled (with --perf-output)")
    parser.add_argument("--perf-output", default="",
                        help="perf record -g output file; empty = no profile")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]

    rows = []
    for kind in (NullServer, Sidecar):
        for mode, mode_rates in (("forward", rates), ("lines", [args.line_rate])):
            for rate in mode_rates:
                row = measure(kind, args, rate, mode)
                rows.append(row)
                print_row(row)

    print()
    print("per rate, sidecar / null:")
    for row in rows:
        if row["receiver"] != "sidecar":
            continue
        null = next(r for r in rows if r["receiver"] == "null" and r["mode"] == row["mode"]
                    and r["target_rate"] == row["target_rate"])
        target = "max" if row["target_rate"] == 0 else f"{row['target_rate']:,}"
        print(f"  {row['mode']:7} target={target:>9}  lines/cpu-s "
              f"{row['lines_per_cpu_second'] / null['lines_per_cpu_second']:.3f}  "
              f"accepted lines/s {row['lines_per_second'] / null['lines_per_second']:.3f}  "
              f"peak RSS {row['peak_rss_mib'] / null['peak_rss_mib']:.2f}")

    def summary(name, mode):
        mine = [r for r in rows if r["receiver"] == name and r["mode"] == mode]
        measured = [r for r in mine if r["cpu_seconds"] > 0.05] or mine
        return {"efficiency": max(r["lines_per_cpu_second"] for r in measured),
                "throughput": max(r["lines_per_second"] for r in mine),
                "rss": max(r["peak_rss_mib"] for r in mine),
                "refusals": sum(r["refusals"] for r in mine)}

    print()
    print(f"connections={args.connections} line_bytes={args.line_bytes} "
          f"seconds/step={args.seconds} entries/message=100..1000")
    print(f"{'':18}{'lines/cpu-s':>14}{'max lines/s':>14}{'peak RSS MiB':>14}{'refusals':>10}")
    for mode in ("forward", "lines"):
        null, sidecar = summary("null", mode), summary("sidecar", mode)
        for name, s in (("null", null), ("sidecar", sidecar)):
            print(f"{name + ' ' + mode:18}{s['efficiency']:>14,.0f}{s['throughput']:>14,.0f}"
                  f"{s['rss']:>14.1f}{s['refusals']:>10,}")
        print(f"{'ratio ' + mode:18}{sidecar['efficiency'] / null['efficiency']:>14.3f}"
              f"{sidecar['throughput'] / null['throughput']:>14.3f}"
              f"{sidecar['rss'] / null['rss']:>14.2f}")
        verdict = "meets" if sidecar["efficiency"] >= TARGET_PER_CORE else "misses"
        print(f"  sidecar {mode}: {sidecar['efficiency']:,.0f} lines per CPU-second {verdict} "
              f"the {TARGET_PER_CORE:,}/s per core target")


if __name__ == "__main__":
    sys.exit(main())
