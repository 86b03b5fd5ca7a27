#!/usr/bin/env python3
"""DogStatsD end-to-end load test: drives a UDP receiver with bench/tools/dsd-load (sendmmsg,
1432-byte datagrams, N contexts x 5 tags) at increasing line rates, and for each receiver reports
lines per CPU-second, the highest lossless rate and peak RSS. Receivers, one after another in the
same run:
  null     build/<preset>/bench/dsd-null-receiver: recvmmsg and count lines (the physical limit)
  sidecar  build/<preset>/agent/sidecar-agent (parse + enrich + aggregate + flush upstream to a
           fake intake), lines counted by its own dogstatsd.lines_received counter. The intake
           runs with --discard-bodies: decoding every payload into JSON took ~0.3 s of CPU per
           10 s flush on the same two cores, which a real (remote) intake does not
Figures are printed as ratios against the null receiver measured in the same run.

Usage: bench/dogstatsd_load.py [--build build/release] [--seconds 3]
                               [--rates 250000,500000,1000000,1500000,2000000,2500000,3000000]
                               [--contexts 10000] [--mix] [--types c,g,h,d] [--tags 5]
                               [--rcvbuf BYTES]
--tags 0 sends plain StatsD lines (no |# section); bench/peers/run uses it for StatsD peers.
--rcvbuf sets SO_RCVBUF for both receivers (DD_DOGSTATSD_SO_RCVBUF for the sidecar); the kernel
caps it at net.core.rmem_max and doubles it. Without it both keep the kernel's default.
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


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_load(build, port, rate, seconds, contexts, mix, tags=5, types=None):
    command = [os.path.join(build, "bench", "dsd-load"), "--port", str(port), "--rate", str(rate),
               "--seconds", str(seconds), "--contexts", str(contexts), "--tags", str(tags)]
    if mix:
        command.append("--mix")
    if types:
        command += ["--types", types]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


class NullReceiver:
    name = "null"

    def __init__(self, build, rcvbuf=0):
        command = [os.path.join(build, "bench", "dsd-null-receiver"), "--port", "0"]
        if rcvbuf:
            command += ["--rcvbuf", str(rcvbuf)]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[-1])
        self.baseline = 0

    def received(self):
        return None  # Known only at exit; see stop().

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out = self.proc.stdout.read()
        self.proc.wait()
        return json.loads(out.strip().splitlines()[-1])["received_lines"]


class Sidecar:
    name = "sidecar"

    def __init__(self, build, extra_env=None, rcvbuf=0):
        self.intake = subprocess.Popen([os.path.join(build, "tests", "fake-intake"), "--port", "0",
                                        "--discard-bodies"],
                                       stdout=subprocess.PIPE, text=True)
        intake_url = self.intake.stdout.readline().split()[-1]
        self.health_port = free_port()
        self.port = free_port(socket.SOCK_DGRAM)
        env = {"PATH": os.environ.get("PATH", ""), "DD_API_KEY": "load" + "0" * 28,
               "DD_DD_URL": intake_url, "DD_HEALTH_PORT": str(self.health_port),
               "DD_DOGSTATSD_PORT": str(self.port), "DD_DOGSTATSD_SOCKET": "", "DD_LOG_LEVEL": "warn"}
        if rcvbuf:
            env["DD_DOGSTATSD_SO_RCVBUF"] = str(rcvbuf)
        env.update(extra_env or {})
        self.proc = subprocess.Popen([os.path.join(build, "agent", "sidecar-agent"), "run"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline and self.lines() is None:
            time.sleep(0.05)
        # Drain the fake intake's request lines in the background.
        self.drain = subprocess.Popen(["cat"], stdin=self.intake.stdout, stdout=subprocess.DEVNULL)

    def lines(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.health_port, timeout=1)
            conn.request("GET", "/status")
            document = json.loads(conn.getresponse().read())
        except (OSError, ValueError):
            return None
        for metric in document["metrics"]:
            if metric["name"] == "dogstatsd.lines_received":
                return metric["value"]
        return 0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.intake.send_signal(signal.SIGTERM)
        self.intake.wait()
        self.drain.wait()


def settle(read, previous=None):
    """Polls a counter until it stops moving (the receiver drained its socket)."""
    value = read()
    for _ in range(50):
        time.sleep(0.1)
        now = read()
        if now == value:
            return now
        value = now
    return value


def measure(kind, args, rate):
    receiver = kind(args.build, rcvbuf=args.rcvbuf)
    pid = receiver.proc.pid
    start_cpu = cpu_seconds(pid)
    load = run_load(args.build, receiver.port, rate, args.seconds, args.contexts, args.mix,
                    args.tags, args.types)
    if kind is Sidecar:
        received = settle(receiver.lines)
        cpu = cpu_seconds(pid) - start_cpu
        rss = peak_rss_mib(pid)
        receiver.stop()
    else:
        time.sleep(0.5)
        cpu = cpu_seconds(pid) - start_cpu
        rss = peak_rss_mib(pid)
        received = receiver.stop()
    sent = load["sent_lines"]
    return {"receiver": kind.name, "target_rate": rate, "sent": sent,
            "sent_rate": load["lines_per_second"], "received": received,
            "loss": 1 - received / sent if sent else 0.0, "cpu_seconds": cpu,
            "lines_per_cpu_second": received / cpu if cpu > 0 else float("inf"), "peak_rss_mib": rss}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build/release")
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rates", default="250000,500000,1000000,1500000,2000000,2500000,3000000")
    parser.add_argument("--contexts", type=int, default=10000)
    parser.add_argument("--mix", action="store_true", help="counters, gauges, histograms, distributions")
    parser.add_argument("--types", default="", help="types --mix cycles over, e.g. c,g,h,ms")
    parser.add_argument("--tags", type=int, default=5, help="tags per line; 0 = plain StatsD")
    parser.add_argument("--rcvbuf", type=int, default=0, help="SO_RCVBUF bytes for both receivers")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]

    rows = []
    for kind in (NullReceiver, Sidecar):
        for rate in rates:
            row = measure(kind, args, rate)
            rows.append(row)
            print(f"{row['receiver']:8} target={rate:>9,} sent={row['sent_rate']:>11,.0f}/s "
                  f"loss={row['loss'] * 100:6.2f}% lines/cpu-s={row['lines_per_cpu_second']:>12,.0f} "
                  f"peak_rss={row['peak_rss_mib']:.1f} MiB", flush=True)

    def summary(name):
        mine = [r for r in rows if r["receiver"] == name]
        lossless = [r["sent_rate"] for r in mine if r["loss"] <= 0.0001]
        # Efficiency at the highest rate both receivers handled without loss, else the lowest rate.
        return {"lossless": max(lossless) if lossless else 0.0,
                "efficiency": max(r["lines_per_cpu_second"] for r in mine if r["cpu_seconds"] > 0.05),
                "rss": max(r["peak_rss_mib"] for r in mine)}

    null, sidecar = summary("null"), summary("sidecar")
    print()
    print(f"contexts={args.contexts} tags={args.tags} mix={args.mix} seconds/step={args.seconds} "
          f"rcvbuf={args.rcvbuf or 'default'}")
    print(f"{'':10}{'lines/cpu-s':>14}{'lossless lines/s':>19}{'peak RSS MiB':>14}")
    for name, s in (("null", null), ("sidecar", sidecar)):
        print(f"{name:10}{s['efficiency']:>14,.0f}{s['lossless']:>19,.0f}{s['rss']:>14.1f}")
    print(f"{'ratio':10}{sidecar['efficiency'] / null['efficiency']:>14.2f}"
          f"{(sidecar['lossless'] / null['lossless'] if null['lossless'] else 0):>19.2f}"
          f"{sidecar['rss'] / null['rss']:>14.2f}")


if __name__ == "__main__":
    sys.exit(main())
