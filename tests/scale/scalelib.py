"""What the scale tests share: an origin, relays of it and a real nginx
running docs/nginx-relays.conf in front of them, all on 127.0.0.1, and
bench/mjpeg-load as the crowd of viewers.

- The origin: videotestsrc ! jpegenc ! mjpeghttpsink, 320x240 at 30 fps,
  never idle.
- A relay: pipelines/relay.sh (mjpeghttpsrc) when both exist, else
  gst-launch-1.0 souphttpsrc ! multipartdemux ! mjpeghttpsink; either way
  with the sink options docs/nginx-relays.conf asks for behind nginx.
- nginx: the example rewritten line by line (its listen port and the two
  relays' ports, each substitution matching exactly once, so that a
  changed example fails here rather than being tested half) inside a main
  configuration whose files all stay in a temporary folder.

NGINX_RELAYS_CONF names another file to run instead of the example: how
the tests are checked to fail on a broken configuration.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from mjpegtest import TOOL_ENV, Program, check, free_port, log

SOURCE_DIR = Path(os.environ.get("MJPEGHTTP_SOURCE_DIR",
                                 Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("MJPEGHTTP_BUILD_DIR", SOURCE_DIR / "build"))
EXAMPLE = Path(os.environ.get("NGINX_RELAYS_CONF",
                              SOURCE_DIR / "docs" / "nginx-relays.conf"))
RELAY_SCRIPT = SOURCE_DIR / "pipelines" / "relay.sh"
MJPEG_LOAD = BUILD_DIR / "bench" / "mjpeg-load"
MJPEG_DELAY = BUILD_DIR / "bench" / "mjpeg-delay"
# nginx lives in /usr/sbin, which a user's PATH may lack
SBIN_PATH = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"
SKIP = 77

FPS = 30
WIDTH, HEIGHT = 320, 240
LISTENING = r"mjpeghttpsink-listening, .*port=\(int\)(\d+)"
# behind nginx every viewer comes from nginx's address
# (docs/nginx-relays.conf); max-clients=0: 200 viewers on two relays
RELAY_SINK_OPTIONS = ["max-clients=0", "max-clients-per-address=0",
                      "request-rate=0"]


def nginx_path():
    return shutil.which("nginx", path=SBIN_PATH)


def skip_reason():
    """Why the scale tests cannot run here, or None."""
    if not nginx_path():
        return ("nginx is not installed (apt-get install nginx-light); "
                "these tests run docs/nginx-relays.conf in a real nginx")
    return None


def origin_argv():
    """The camera: a live test pattern, never idle, so that every relay
    finds frames at once."""
    return ["gst-launch-1.0", "-m", "videotestsrc", "is-live=true",
            "pattern=ball", "!",
            f"video/x-raw,width={WIDTH},height={HEIGHT},framerate={FPS}/1",
            "!", "jpegenc", "!", "mjpeghttpsink", "address=127.0.0.1",
            "port=0", "idle-timeout=0"]


def relay_kind():
    """'relay.sh' once pipelines/relay.sh and mjpeghttpsrc exist, else
    'souphttpsrc'."""
    if RELAY_SCRIPT.exists():
        result = subprocess.run(["gst-inspect-1.0", "mjpeghttpsrc"],
                                capture_output=True)
        if result.returncode == 0:
            return "relay.sh"
    return "souphttpsrc"


class Relay:
    """One relay of the origin's stream on a port of its own; start() and
    stop() as often as needed (same port)."""

    def __init__(self, origin_url, kind, port=None):
        self.origin_url = origin_url
        self.kind = kind
        self.port = port or free_port()
        self.program = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        if self.kind == "relay.sh":
            env = dict(os.environ, PORT=str(self.port),
                       SINK_OPTIONS=" ".join(RELAY_SINK_OPTIONS))
            self.program = Program([RELAY_SCRIPT, f"{self.origin_url}/stream"],
                                   env=env)
            self.program.wait_for_line(
                rf"Open http://127\.0\.0\.1:{self.port}/ ", 30,
                "the relay's line with its URL")
        else:
            self.program = Program(
                ["gst-launch-1.0", "-m", "souphttpsrc",
                 f"location={self.origin_url}/stream", "is-live=true", "!",
                 "multipartdemux", "!", f"image/jpeg,framerate={FPS}/1", "!",
                 "mjpeghttpsink", "address=127.0.0.1", f"port={self.port}",
                 "idle-timeout=0", *RELAY_SINK_OPTIONS])
            self.program.wait_for_line(LISTENING, 30,
                                       "the relay's mjpeghttpsink-listening")
        wait_snapshot(self.url, 15, f"relay on port {self.port}")
        return self

    def stop(self):
        if self.program:
            self.program.stop()
            self.program = None

    def kill(self):
        """Dies at once, as in a crash or a power cut: SIGKILL to its
        process group; the kernel closes its connections."""
        if self.program:
            self.program._signal(signal.SIGKILL)
            self.program.proc.wait()
            self.program.reader.join(5)
            self.program = None

    def pid(self):
        """The process that does the relaying (gst-launch-1.0 under
        relay.sh's shell)."""
        pid = self.program.proc.pid
        if self.kind == "relay.sh":
            for child in children(pid):
                if Path(f"/proc/{child}/comm").read_text().strip() == \
                        "gst-launch-1.0":
                    return child
        return pid


def children(pid):
    """The pids of pid's children."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


# no proxy from the environment: everything here is on loopback
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url, timeout=5):
    """(status, body) of a GET; status 0 when nothing answered."""
    try:
        with _opener.open(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def wait_snapshot(base, timeout, what):
    """Waits until base/snapshot is a JPEG: the server listens and has had
    a frame."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = http_get(f"{base}/snapshot")
        if status == 200 and body[:2] == b"\xff\xd8":
            return
        check(time.monotonic() < deadline,
              f"{what}: no snapshot within {timeout} s (last status "
              f"{status})")
        time.sleep(0.2)


def stream_clients(base):
    """How many stream viewers the server at base has now (its /stats)."""
    status, body = http_get(f"{base}/stats")
    check(status == 200, f"{base}/stats: status {status}")
    return json.loads(body)["totals"]["clients"]


def rewrite(example, listen_port, relay_ports):
    """The example with its ports replaced, line by line."""
    substitutions = [
        # port 80 needs root and may be taken; loopback only, so that the
        # test opens nothing to the network
        (r"^(\s*)listen 80((?: [^;]*)?);", lambda m: f"{m.group(1)}listen "
         f"127.0.0.1:{listen_port}{m.group(2)};"),
    ]
    # the relays took free ports, not 8081 and 8082
    for example_port, port in zip((8081, 8082), relay_ports):
        substitutions.append(
            (rf"^(\s*server )127\.0\.0\.1:{example_port}( .*;)$",
             lambda m, port=port: f"{m.group(1)}127.0.0.1:{port}"
             f"{m.group(2)}"))
    text = example
    for pattern, line in substitutions:
        text, n = re.subn(pattern, line, text, flags=re.MULTILINE)
        check(n == 1, f"{EXAMPLE}: {n} lines match {pattern!r}, expected "
              "exactly one (the test rewrites it)")
    return text


def main_config(tmp, server):
    """nginx.conf around the example, as Debian's includes sites-enabled/*
    inside http {}; every file nginx writes is in tmp. Two workers, as
    least_conn across workers is what the example's zone is for; 1024
    connections per worker: 200 viewers hold 400."""
    # as root, nginx would run its workers as nobody, who cannot read tmp
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}pid {tmp}/nginx.pid;
error_log stderr notice;
worker_processes 2;
worker_rlimit_nofile 4096;
events {{
    worker_connections 1024;
}}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # The sink's "X-Accel-Buffering: no" turns buffering off for the stream
    # by itself: ignored here, so that what is tested is the example's own
    # proxy_buffering, which must not depend on the upstream's headers.
    proxy_ignore_headers X-Accel-Buffering;

# ---- {EXAMPLE}, rewritten ----
{server}
# ---- end of {EXAMPLE} ----
}}
"""


class Topology:
    """Origin, two relays and nginx, started in that order and stopped
    whatever happens: `with Topology() as top:`."""

    def __init__(self):
        self.tmp = None
        self.origin = None
        self.relays = []
        self.nginx = None
        self.nginx_port = None
        self.kind = relay_kind()

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mjpeghttp-scale-"))
        self.origin = Program(origin_argv())
        port = int(self.origin.wait_for_line(
            LISTENING, 30, "the origin's mjpeghttpsink-listening").group(1))
        self.origin_url = f"http://127.0.0.1:{port}"
        log(f"ok: the origin listens at {self.origin_url}")

        log(f"relays: {self.kind}" + (
            "" if self.kind == "relay.sh" else
            " (pipelines/relay.sh or mjpeghttpsrc is not there yet)"))
        for _ in range(2):
            self.relays.append(Relay(self.origin_url, self.kind).start())
        log("ok: relays at " + ", ".join(r.url for r in self.relays))

        self.nginx_port = free_port()
        conf = self.tmp / "nginx.conf"
        conf.write_text(main_config(self.tmp, rewrite(
            EXAMPLE.read_text(), self.nginx_port,
            [r.port for r in self.relays])))
        nginx = [nginx_path(), "-p", f"{self.tmp}/", "-c", str(conf),
                 "-e", "stderr"]
        result = subprocess.run(nginx + ["-t"], capture_output=True,
                                text=True, env=TOOL_ENV)
        for line in result.stderr.splitlines():
            log("| " + line)
        check(result.returncode == 0, f"nginx -t rejects {conf}")
        log(f"ok: nginx -t accepts {EXAMPLE.name}")
        self.nginx = Program(nginx + ["-g", "daemon off;"], env=TOOL_ENV)
        wait_snapshot(self.url, 10, "nginx")
        log(f"ok: nginx answers at {self.url}")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.nginx_port}"

    def nginx_pids(self):
        """nginx's master and workers."""
        master = self.nginx.proc.pid
        return [master] + children(master)

    def check_alive(self):
        check(self.origin.proc.poll() is None, "the origin died")
        check(self.nginx.proc.poll() is None, "nginx died")
        for relay in self.relays:
            check(relay.program is None or relay.program.proc.poll() is None,
                  f"the relay on port {relay.port} died")

    def __exit__(self, *exc):
        if self.nginx:
            self.nginx.stop()
            access = self.tmp / "access.log"
            if access.exists():
                lines = access.read_text().splitlines()
                log(f"access.log: {len(lines)} requests; the last ones:")
                for line in lines[-5:]:
                    log("access.log| " + line)
        for relay in self.relays:
            relay.stop()
        if self.origin:
            self.origin.stop()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


class Load:
    """bench/mjpeg-load with n viewers of url from the loopback address
    bind, running in the background; result() waits for its JSON."""

    def __init__(self, url, n, seconds, bind, server_pids=(), ready_ms=3000):
        check(MJPEG_LOAD.exists(), f"{MJPEG_LOAD} is not built: "
              "ninja -C build")
        self.n = n
        self.bind = bind
        argv = [MJPEG_LOAD, "--url", url, "-n", str(n), "--seconds",
                str(seconds), "--bind", bind, "--ready-wait-ms",
                str(ready_ms), "--json"]
        if server_pids:
            argv += ["--server-pid", ",".join(map(str, server_pids))]
        self.proc = subprocess.Popen([str(a) for a in argv],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=TOOL_ENV, start_new_session=True)

    def result(self, timeout=60):
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            out, err = self.proc.communicate()
            raise
        lines = [line for line in out.splitlines() if line.startswith("{")]
        check(lines, f"mjpeg-load --bind {self.bind} gave no result "
              f"(status {self.proc.returncode}): {err.strip()[-500:]}")
        return json.loads(lines[-1])

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


class Delay:
    """bench/mjpeg-delay on base/stream for seconds, running in the
    background; result() waits for its JSON report."""

    def __init__(self, base, seconds):
        check(MJPEG_DELAY.exists(), f"{MJPEG_DELAY} is not built: "
              "ninja -C build")
        self.proc = subprocess.Popen(
            [str(MJPEG_DELAY), "--seconds", str(seconds), "--json",
             f"{base}/stream"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=TOOL_ENV,
            start_new_session=True)

    def result(self, timeout=60):
        out, err = self.proc.communicate(timeout=timeout)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        check(lines, f"mjpeg-delay gave no report (status "
              f"{self.proc.returncode}): {err.strip()[-500:]}")
        return json.loads(lines[-1])


def crowd(url, n, seconds, per_address, first_address, server_pids=()):
    """n viewers of url from as many loopback addresses as per_address
    viewers each needs (nginx's limit_conn), starting at first_address
    (a.b.c.d, d counting up); the Loads, running."""
    prefix, _, last = first_address.rpartition(".")
    loads = []
    for i, start in enumerate(range(0, n, per_address)):
        loads.append(Load(url, min(per_address, n - start), seconds,
                          f"{prefix}.{int(last) + i}",
                          server_pids if i == 0 else ()))
    return loads


def summarize(results):
    """The fast-class figures of several mjpeg-load results, together."""
    fast = [r["fast"] for r in results]

    def worst(key, pick):
        values = [f[key] for f in fast if f[key] is not None]
        return pick(values) if values else None

    return {
        "clients": sum(f["clients"] for f in fast),
        "got_200": sum(f["got_200"] for f in fast),
        "failed": sum(f["failed"] for f in fast),
        "closed_early": sum(f["closed_early"] for f in fast),
        "frames": sum(f["frames"] for f in fast),
        "duplicates": sum(f["duplicates"] for f in fast),
        "skipped": sum(f["skipped"] or 0 for f in fast),
        "bad": sum(f["bad_frames"] + f["protocol_errors"] for f in fast),
        "fps_min": worst("fps_min", min),
        "fps_median_min": worst("fps_median", min),
        "fps_median_max": worst("fps_median", max),
        "delay_p50_max": worst("delay_ms_p50", max),
        "delay_p99_max": worst("delay_ms_p99", max),
        "first_frame_max": worst("first_frame_ms_max", max),
        "gap_max": worst("gap_ms_max", max),
    }
