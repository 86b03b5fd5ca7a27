#!/usr/bin/env python3
"""Loads the status page (GET / on the health port) of a running sidecar in headless Chromium and
checks the rendered values against the traffic the test sent.

Starts the fake intake, the fake ECS metadata server (Fargate fixture) and the sidecar, sends
DogStatsD lines over UDP (some malformed, so a parse-error counter moves), waits until /status
shows them, then renders the page with `chromium --dump-dom` and asserts on the DOM.

Exit codes: 0 passed, 1 failed, 77 skipped (Chromium not installed; ctest's SKIP_RETURN_CODE).
Python standard library only.
"""

import argparse
import html.parser
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SKIP = 77
API_KEY = "0123456789abcdef0123456789abcdef"
GOOD_LINES = 40
BAD_LINES = 3
DEADLINE_S = 20


class Failure(Exception):
    pass


def log(message):
    print(message, flush=True)


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def free_port(kind):
    # Below the ephemeral range (32768+), as tests/integration/agent_process.cc does, so outgoing
    # connections of tests running in parallel cannot take the port before the sidecar binds it.
    for _ in range(100):
        port = random.randint(20000, 32000)
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise Failure("no free port")


def wait_for_url(process, name):
    """Reads the tool's first stdout line, 'listening on URL'."""
    line = process.stdout.readline().strip()
    if not line.startswith("listening on "):
        raise Failure(f"{name} did not start: {line!r}")
    return line[len("listening on "):]


def http_get(port, path, timeout=1.0):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as reply:
        return reply.status, reply.headers.get("Content-Type", ""), reply.read().decode()


def wait_for(predicate, what, timeout=DEADLINE_S):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError) as error:
            last_error = error
        time.sleep(0.05)
    raise Failure(f"timed out waiting for {what} (last error: {last_error})")


def counter_sum(status, name):
    return sum(m["value"] for m in status["metrics"] if m["name"] == name)


class Dom(html.parser.HTMLParser):
    """Collects every element's attributes and text (own and descendants')."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "polyline"}

    def __init__(self):
        super().__init__()
        self.elements = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.elements.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs), "text": ""})

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index]["tag"] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data):
        for element in self.stack:
            element["text"] += data

    def find(self, **attrs):
        return [e for e in self.elements
                if all(e["attrs"].get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def one(self, **attrs):
        found = self.find(**attrs)
        if len(found) != 1:
            raise Failure(f"expected one element with {attrs}, found {len(found)}")
        return found[0]


def check(condition, message):
    if not condition:
        raise Failure(message)
    log(f"ok: {message}")


def run(args, work, processes):
    chromium = find_chromium()
    if chromium is None:
        log("SKIPPED: chromium not installed (scripts/bootstrap installs it; "
            "or apt-get install chromium)")
        return SKIP

    def start(name, command, env=None, capture=True):
        output = subprocess.PIPE if capture else open(os.path.join(work, name + ".log"), "w")
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   env=env, text=True)
        processes.append(process)
        return process

    intake = start("fake-intake", [args.fake_intake, "--port", "0"])
    metadata = start("fake-ecs-metadata", [args.fake_ecs_metadata, "--port", "0", "--fixtures",
                                           args.fixtures, "--flavor", "fargate"])
    intake_url = wait_for_url(intake, "fake-intake")
    metadata_url = wait_for_url(metadata, "fake-ecs-metadata")
    # Nobody reads the tools' output past the first line: drain it so a full pipe never blocks.
    for process in (intake, metadata):
        threading.Thread(target=process.stdout.read, daemon=True).start()
    with open(os.path.join(args.fixtures, "fargate_task.json")) as fixture:
        task_arn = json.load(fixture)["TaskARN"]

    health_port = free_port(socket.SOCK_STREAM)
    dogstatsd_port = free_port(socket.SOCK_DGRAM)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DD_API_KEY": API_KEY,
        "DD_DD_URL": intake_url,
        "DD_APM_DD_URL": intake_url,
        "DD_LOGS_CONFIG_LOGS_DD_URL": intake_url,
        "DD_HEALTH_PORT": str(health_port),
        "DD_DOGSTATSD_PORT": str(dogstatsd_port),
        "DD_DOGSTATSD_SOCKET": "",
        "DD_APM_RECEIVER_PORT": "0",
        "DD_APM_RECEIVER_SOCKET": "",
        "DD_LOGS_ENABLED": "false",
        "DD_ENV": "browser-test",
        "DD_SERVICE": "status-page",
        "ECS_CONTAINER_METADATA_URI_V4": metadata_url,
    }
    for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if key in os.environ:
            env[key] = os.environ[key]
    agent = start("sidecar", [args.agent, "run"], env=env, capture=False)

    def healthy():
        if agent.poll() is not None:
            raise Failure(f"the sidecar exited with {agent.returncode}")
        return http_get(health_port, "/health")[0] == 200
    wait_for(healthy, "/health to answer 200")

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for i in range(GOOD_LINES):
            udp.sendto(f"browser.test.hits:{i}|c|#route:/r{i % 4}".encode(),
                       ("127.0.0.1", dogstatsd_port))
        for _ in range(BAD_LINES):
            udp.sendto(b"browser.test.broken:notanumber|c", ("127.0.0.1", dogstatsd_port))

    def snapshot_ready():
        status = json.loads(http_get(health_port, "/status")[2])
        lines = counter_sum(status, "dogstatsd.lines_received")
        errors = counter_sum(status, "dogstatsd.parse_errors")
        task = status.get("details", {}).get("task") or {}
        if lines >= GOOD_LINES + BAD_LINES and errors >= BAD_LINES and task.get("task_arn"):
            return status
        return None
    status = wait_for(snapshot_ready, "/status to count the lines and show the task")
    lines = counter_sum(status, "dogstatsd.lines_received")
    log(f"/status: lines_received={lines} parse_errors="
        f"{counter_sum(status, 'dogstatsd.parse_errors')}")

    code, content_type, _ = http_get(health_port, "/")
    check(code == 200 and content_type.startswith("text/html"), "GET / serves HTML")

    profile = os.path.join(work, "chromium-profile")
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
               "--virtual-time-budget=5000", "--dump-dom", f"http://127.0.0.1:{health_port}/"]
    started = time.monotonic()
    try:
        browser = subprocess.run(command, capture_output=True, text=True, timeout=45)
    except subprocess.TimeoutExpired:
        raise Failure("chromium --dump-dom did not finish in 45 s")
    log(f"chromium rendered the page in {time.monotonic() - started:.1f} s")
    if browser.returncode != 0 or "<html" not in browser.stdout:
        raise Failure(f"chromium failed ({browser.returncode}): {browser.stderr[-2000:]}")
    with open(os.path.join(work, "dom.html"), "w") as dump:
        dump.write(browser.stdout)

    dom = Dom()
    dom.feed(browser.stdout)

    check(dom.one(id="health")["text"].strip() == "healthy", "the header says healthy")
    check(dom.one(id="version")["text"].strip() == status["version"], "the header shows the version")
    total = dom.one(id="total-dogstatsd")
    check(int(total["attrs"].get("data-value", "-1")) >= lines,
          f"DogStatsD lines total is at least {lines} (page: {total['attrs'].get('data-value')})")
    check(dom.one(id="rate-dogstatsd")["text"].strip() not in ("", "-"),
          "DogStatsD lines/s is rendered")

    parse_rows = [e for e in dom.find(data_metric="dogstatsd.parse_errors") if e["tag"] == "td"]
    check(bool(parse_rows), "a dogstatsd.parse_errors drop row exists")
    check(all(r["attrs"].get("data-tags", "").startswith("reason=") for r in parse_rows),
          "parse-error rows carry their reason tag")
    check(sum(int(r["text"]) for r in parse_rows) == BAD_LINES,
          f"parse-error drops add up to the {BAD_LINES} malformed lines")

    check(dom.one(id="task-arn")["text"].strip() == task_arn, "the task ARN from the fixture shows")
    check(dom.one(id="task-launch-type")["text"].strip() not in ("", "-"), "the launch type shows")
    check(len(dom.find(**{"class": "tag"})) > 0, "task tags show")

    endpoint = dom.find(data_endpoint="127.0.0.1")
    check(len(endpoint) == 1 and endpoint[0]["tag"] == "tr",
          "the upstream row for 127.0.0.1 exists")
    check(endpoint[0]["attrs"].get("data-state") in ("ok", "idle", "degraded"),
          "the upstream row has a state")

    chart = dom.one(id="chart-dogstatsd")
    check(chart["tag"] == "svg" and int(chart["attrs"].get("data-points", "0")) >= 1,
          "the DogStatsD sparkline has points")
    polyline = [e for e in dom.elements if e["tag"] == "polyline" and e["attrs"].get("points")]
    check(len(polyline) >= 1, "a sparkline polyline is drawn")
    check(dom.one(id="retry-queue-bytes")["attrs"].get("data-value") is not None,
          "the retry queue bytes show")
    components = [e for e in dom.elements if e["tag"] == "tr" and "data-component" in e["attrs"]]
    check(len(components) == len(status["components"]) and components,
          f"the component table has one row per component ({len(components)})")
    polls = int(dom.one(id="poll-count")["text"] or 0)
    check(polls >= 1, f"the page polled /status live under virtual time ({polls} polls)")
    check(dom.one(id="error")["text"].strip() == "", "the page shows no fetch error")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--fake-intake", required=True)
    parser.add_argument("--fake-ecs-metadata", required=True)
    parser.add_argument("--fixtures", required=True)
    parser.add_argument("--keep", action="store_true", help="keep the work dir (DOM, logs)")
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="status-page-test-")
    processes = []
    code = 1
    try:
        code = run(args, work, processes)
    except Failure as failure:
        log(f"FAILED: {failure}")
        sidecar_log = os.path.join(work, "sidecar.log")
        if os.path.exists(sidecar_log):
            with open(sidecar_log) as f:
                log("sidecar log (last lines):\n" + "".join(f.readlines()[-20:]))
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if args.keep:
            log(f"work dir kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if code == 0:
        log("PASSED")
    return code


if __name__ == "__main__":
    sys.exit(main())
