#!/usr/bin/python3
"""stats-prometheus: /metrics is what Prometheus takes.

    test_prometheus.py

gst-launch-1.0 runs a live camera into mjpeghttpsink on a free port of
127.0.0.1, and the test holds three stream clients open (raw sockets that
read everything):

- `promtool check metrics` accepts GET /metrics (exit 0, no lint
  problem);
- a real Prometheus server, started by the test on 127.0.0.1 (a free
  port, a scratch storage directory, a configuration scraping the sink
  every second), scrapes the sink (up == 1) and its HTTP API answers
  mjpeghttp_clients == 3; once one client leaves it answers 2, and
  mjpeghttp_sent_frames_total grows between two scrapes.

Prometheus is stopped at the end whatever happens. Skips (77) when
promtool or prometheus is missing (Debian: prometheus; scripts/setup.sh
--tests installs it).
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from mjpegtest import (TOOL_ENV, Failure, Program, check,  # noqa: E402
                       free_port, log, run)
from statslib import SKIP, CountingStream, http_get  # noqa: E402

LISTENING = r"mjpeghttpsink-listening, .*port=\(int\)(\d+)"
SINK = ["gst-launch-1.0", "-m", "videotestsrc", "is-live=true", "!",
        "video/x-raw,width=320,height=240,framerate=30/1", "!", "jpegenc",
        "!", "mjpeghttpsink", "address=127.0.0.1", "port=0",
        "idle-timeout=0"]
CLIENTS = 3
QUERY_TIMEOUT = 30


def promtool_check(port):
    status, headers, body = http_get(port, "/metrics")
    check(status == 200, f"GET /metrics: {status}")
    result = subprocess.run(["promtool", "check", "metrics"], input=body,
                            capture_output=True, timeout=30, env=TOOL_ENV)
    out = (result.stdout + result.stderr).decode("utf-8", "replace").strip()
    check(result.returncode == 0 and not out,
          f"promtool check metrics: exit {result.returncode}: {out}\n"
          f"/metrics was:\n{body.decode('utf-8', 'replace')}")
    log(f"ok: promtool check metrics accepts /metrics ({len(body)} bytes)")


def write_config(tmp, sink_port):
    config = tmp / "prometheus.yml"
    # JSON is YAML
    config.write_text(json.dumps({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                   "evaluation_interval": "1s"},
        "scrape_configs": [{
            "job_name": "mjpeghttp",
            "metrics_path": "/metrics",
            "static_configs": [{"targets": [f"127.0.0.1:{sink_port}"]}],
        }],
    }, indent=2))
    return config


class PrometheusApi:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def query(self, expr):
        """The value of an instant vector query with at most one series,
        or None when it has none."""
        url = (self.base + "/api/v1/query?" +
               urllib.parse.urlencode({"query": expr}))
        with urllib.request.urlopen(url, timeout=5) as resp:
            answer = json.load(resp)
        check(answer.get("status") == "success",
              f"Prometheus query {expr}: {answer}")
        result = answer["data"]["result"]
        check(len(result) <= 1, f"{expr}: {len(result)} series: {result}")
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr, want, timeout=QUERY_TIMEOUT):
        deadline = time.monotonic() + timeout
        got = None
        while time.monotonic() < deadline:
            try:
                got = self.query(expr)
            except OSError:
                got = "no answer"
            if got == want:
                log(f"ok: Prometheus: {expr} = {got:g}")
                return
            time.sleep(0.5)
        raise Failure(f"Prometheus: {expr} is {got}, expected {want} "
                      f"within {timeout} s")


def test():
    with Program(SINK) as sink, \
            tempfile.TemporaryDirectory(prefix="mjpeghttp-prom-") as tmpdir:
        port = int(sink.wait_for_line(LISTENING, 30,
                                      "mjpeghttpsink-listening").group(1))
        streams = [CountingStream(port, "/stream", f"127.0.0.{i + 2}")
                   for i in range(CLIENTS)]
        try:
            promtool_check(port)
            tmp = Path(tmpdir)
            config = write_config(tmp, port)
            prom_port = free_port()
            argv = ["prometheus", f"--config.file={config}",
                    f"--storage.tsdb.path={tmp / 'data'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                    "--log.level=warn"]
            with Program(argv, env=TOOL_ENV) as prom:
                api = PrometheusApi(prom_port)
                api.wait_for('up{job="mjpeghttp"}', 1.0)
                api.wait_for("mjpeghttp_clients", float(CLIENTS))
                first = api.query("mjpeghttp_sent_frames_total")
                streams.pop().close()
                api.wait_for("mjpeghttp_clients", float(CLIENTS - 1))
                later = api.query("mjpeghttp_sent_frames_total")
                check(first is not None and later > first,
                      f"mjpeghttp_sent_frames_total {first} then {later}: "
                      "it did not grow while clients watched")
                log(f"ok: mjpeghttp_sent_frames_total {first:g} -> "
                    f"{later:g}")
                check(prom.proc.poll() is None, "prometheus exited")
            check(sink.proc.poll() is None, "gst-launch-1.0 exited")
        finally:
            for s in streams:
                s.close()


def main():
    for tool in ("promtool", "prometheus"):
        if not shutil.which(tool):
            log(f"SKIP: {tool} is missing: apt-get install prometheus "
                "(scripts/setup.sh --tests installs it)")
            return SKIP
    return run(test)


if __name__ == "__main__":
    sys.exit(main())
