#!/usr/bin/python3
"""What docs/embedding.md tells an application that embeds mjpeghttpsink,
checked against the built plugin with PyGObject:

- null-only: address, port, listen-backlog, the paths, auth-*, tls-*,
  allowed-hosts and allow-origin set in READY or PLAYING are refused with a
  warning on the bus naming the property, keep their value and change
  nothing the server does; set in NULL they are taken silently and apply at
  the next start.
- live: the limits and the idle settings set while PLAYING post no warning,
  read back the new value and act at once (header-timeout, max-clients,
  request-rate, idle-timeout, idle-state); stats counts what happened.
- signals: client-added and client-removed run on the sink's server thread
  (named "mjpeghttpsink"), not the application's; GLib.idle_add from a
  handler runs its callback on the thread of the main loop; client-removed
  with status "stopped" comes from the thread that set the pipeline to NULL.
- messages: mjpeghttpsink-listening, -idle and -wake and their fields.
- sync: with a live source frames go out as they reach the sink, under
  5 ms, with sync=true as with sync=false (they used to wait for the
  pipeline's latency); with a clock-paced source sync=false removes the
  pacing.

    test_embedding.py [null-only|live|signals|sync]    (default: all)

Run with GST_PLUGIN_PATH pointing at the build (meson test sets it up):

    GST_PLUGIN_PATH=build/gst /usr/bin/python3 tests/pipelines/test_embedding.py
"""

import base64
import http.client
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import Stream, check, get, log, run  # noqa: E402

LIVE_SOURCE = ("videotestsrc is-live=true ! video/x-raw,width=160,height=120,"
               "framerate=30/1 ! jpegenc")

# property -> a value other than its default
NULL_ONLY = {
    "address": "0.0.0.0",
    "port": 12345,
    "listen-backlog": 5,
    "viewer-path": "/v",
    "stream-path": "/s",
    "snapshot-path": "/p",
    "stats-path": "/st",
    "metrics-path": "/m",
    "events-path": "/e",
    "serve-stats": False,
    "auth-user": "user",
    "auth-password": "secret",
    "auth-file": "users.htpasswd",
    "auth-realm": "camera",
    "tls-certificate": "camera.pem",
    "tls-key": "camera.key",
    "allowed-hosts": "camera.example",
    "allow-origin": "*",
}

LIVE = {
    "max-clients": 3,
    "max-clients-per-address": 2,
    "timeout": 2 * Gst.SECOND,
    "header-timeout": 2,
    "max-pending-connections": 7,
    "request-rate": 4,
    "request-burst": 5,
    "idle-timeout": 30,
    "idle-state": "ready",
    "snapshot-timeout": 500,
    "max-fps": 5.0,
}


class App:
    """A pipeline with a sink named "sink" on a free port."""

    def __init__(self, source=LIVE_SOURCE, props=""):
        self.pipeline = Gst.parse_launch(
            f"{source} ! mjpeghttpsink name=sink port=0 {props}")
        self.sink = self.pipeline.get_by_name("sink")
        self.bus = self.pipeline.get_bus()

    def start(self, state=Gst.State.PLAYING):
        ret = self.pipeline.set_state(state)
        check(ret != Gst.StateChangeReturn.FAILURE, f"could not go to {state}")
        self.pipeline.get_state(5 * Gst.SECOND)
        self.port = self.sink.get_property("current-port")
        check(self.port > 0, "current-port is 0 once started")
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)

    def warning(self, timeout=1.0):
        """The text of the next warning on the bus, or None."""
        msg = self.bus.timed_pop_filtered(int(timeout * Gst.SECOND),
                                          Gst.MessageType.WARNING)
        if not msg:
            return None
        err, _ = msg.parse_warning()
        return err.message


def set_prop(element, name, value):
    if isinstance(value, str):
        # enums by nick, as gst-launch-1.0 does
        Gst.util_set_object_arg(element, name, value)
    else:
        element.set_property(name, value)


def read_prop(element, name):
    value = element.get_property(name)
    return value.value_nick if hasattr(value, "value_nick") else value


def status_line(url, timeout=5.0, send=True):
    """The status code of a GET of @url, read from the first line only
    (a 200 stream never ends); with send=False, nothing is sent and the
    connection waits for the server's word."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port),
                                  timeout=timeout) as s:
        if send:
            s.sendall(f"GET {parts.path or '/'} HTTP/1.1\r\n"
                      f"Host: {parts.netloc}\r\n\r\n".encode())
        line = s.makefile("rb").readline()
    check(line.startswith(b"HTTP/1."), f"GET {url}: no status line: {line!r}")
    return int(line.split()[1])


def test_null_only():
    for state in (Gst.State.READY, Gst.State.PLAYING):
        app = App()
        app.start(state)
        for name, value in NULL_ONLY.items():
            before = (read_prop(app.sink, name)
                      if name != "auth-password" else None)
            set_prop(app.sink, name, value)
            text = app.warning()
            check(text and f'"{name}"' in text and "NULL" in text,
                  f"{name} set in {state.value_nick}: warning {text!r}, "
                  "expected one naming the property and NULL")
            if name != "auth-password":     # write-only
                after = read_prop(app.sink, name)
                check(after == before, f"{name} set in {state.value_nick} "
                      f"reads back {after!r}, expected the old {before!r}")
        log(f"ok: in {state.value_nick}, each of {len(NULL_ONLY)} properties "
            "refused with a warning naming it; old values read back")

        # and the server goes on as before
        check(app.sink.get_property("current-port") == app.port,
              "current-port changed")
        status, headers, _ = get(app.base + "/")
        check(status == 200, f"GET / after the refused changes: {status}, "
              "expected 200 (no password asked, old viewer-path)")
        check("Access-Control-Allow-Origin" not in headers,
              "refused allow-origin is sent")
        check(get(app.base + "/v")[0] == 404, "refused viewer-path /v serves")
        log(f"ok: in {state.value_nick}, the server still serves the old "
            "port and paths, with no password and no CORS header")
        app.stop()

    # the READY that idle-state=ready puts the pipeline in still listens
    app = App(props="idle-timeout=1 idle-state=ready")
    app.start()
    state = wait_state(app, Gst.State.READY)
    check(state == Gst.State.READY, f"idle pipeline is {state.value_nick}")
    while app.warning(0.1):
        pass
    app.sink.set_property("port", 12345)
    text = app.warning()
    check(text and '"port"' in text and app.sink.get_property("port") == 0,
          f"port set while idle in READY: warning {text!r}")
    app.stop()
    log("ok: in the READY of idle-state=ready, port is refused too")

    # in NULL: taken without a word, and used by the next start
    app = App()
    for name in ("viewer-path", "allow-origin", "auth-user", "auth-password"):
        set_prop(app.sink, name, NULL_ONLY[name])
    check(app.warning(0.2) is None, "a warning for a change made in NULL")
    check(app.sink.get_property("viewer-path") == "/v", "viewer-path not set")
    app.start()
    status = get(app.base + "/v")[0]
    check(status == 401, f"GET /v after setting viewer-path and a password in "
          f"NULL: {status}, expected 401")
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=5)
    conn.request("GET", "/v", headers={"Authorization": "Basic " + base64.
                                       b64encode(b"user:secret").decode()})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    check(resp.status == 200
          and resp.headers.get("Access-Control-Allow-Origin") == "*",
          f"GET /v with the password: {resp.status}, "
          f"{resp.headers.get('Access-Control-Allow-Origin')!r}, expected "
          "200 with Access-Control-Allow-Origin: *")
    app.stop()
    log("ok: set in NULL, they are taken silently and apply at the next start")


def test_live():
    app = App(props="idle-timeout=0")
    app.start()
    for name, value in LIVE.items():
        set_prop(app.sink, name, value)
        check(read_prop(app.sink, name) == value,
              f"{name} reads back {read_prop(app.sink, name)!r}, not {value!r}")
    check(app.warning(0.5) is None, "a warning for a live property")
    log(f"ok: {len(LIVE)} live properties set while PLAYING, no warning, new "
        "values read back")

    # header-timeout: a connection that sends nothing hears 408 after the
    # new 1 s, not the default 5 s
    app.sink.set_property("header-timeout", 1)
    start = time.monotonic()
    status = status_line(app.base + "/", timeout=10, send=False)
    took = time.monotonic() - start
    check(status == 408 and took < 3,
          f"silent connection: {status} after {took:.1f} s, expected 408 "
          "after about 1 s")
    log(f"ok: header-timeout=1 set while PLAYING: 408 after {took:.1f} s")

    # max-clients: lowered while a viewer watches; the next one gets 503
    app.sink.set_property("max-clients", 1)
    viewer = Stream(app.base + "/stream")
    viewer.read_part()
    status = status_line(app.base + "/stream")
    check(status == 503, f"second viewer with max-clients=1: {status}")
    app.sink.set_property("max-clients", 2)
    status = status_line(app.base + "/stream")
    check(status == 200, f"second viewer with max-clients=2: {status}")
    viewer.close()
    log("ok: max-clients set while PLAYING: 503 at 1, 200 at 2")

    # request-rate: lowered, the page is refused with 429 within a burst
    app.sink.set_property("request-rate", 1)
    app.sink.set_property("request-burst", 1)
    statuses = [status_line(app.base + "/") for _ in range(5)]
    check(429 in statuses, f"5 pages at request-rate=1: {statuses}")
    log(f"ok: request-rate=1 set while PLAYING: {statuses}")

    stats = app.sink.get_property("stats")
    check(stats.get_name() == "mjpeghttpsink-stats", stats.to_string())
    for field in ("refused-header-timeout", "refused-too-many-clients",
                  "refused-rate-limited"):
        ok, count = stats.get_uint64(field)
        check(ok and count >= 1, f"stats {field}: {count}, expected >= 1")
    ok, clients = stats.get_uint("clients")
    check(ok, f"stats has no clients field: {stats.to_string()}")
    log(f"ok: stats counted them: {stats.to_string()}")
    app.stop()
    app.start()
    ok, count = app.sink.get_property("stats").get_uint64(
        "refused-rate-limited")
    check(count == statuses.count(429),
          f"refused-rate-limited after NULL and PLAYING again: {count}")
    log("ok: the counters go on across state changes")
    app.stop()

    # idle-timeout from 0 (never) to 1 while PLAYING: idle within 1 s, and
    # the first client wakes the pipeline
    app = App(props="idle-timeout=0")
    app.start()
    time.sleep(1.5)
    app.sink.set_property("idle-timeout", 1)
    s = wait_message(app, "mjpeghttpsink-idle", 4)
    check(s.get_value("timeout") == 1 and s.get_value("state-changed")
          and s.get_string("idle-state") == "paused",
          f"idle message {s.to_string()}")
    state = wait_state(app, Gst.State.PAUSED)
    check(state == Gst.State.PAUSED, f"idle pipeline is {state.value_nick}")
    log(f"ok: idle-timeout 0 -> 1 while PLAYING: {s.to_string()}")
    viewer = Stream(app.base + "/stream")
    s = wait_message(app, "mjpeghttpsink-wake", 4)
    check(s.get_value("resume") and s.get_string("path") == "/stream"
          and s.get_string("peer") == viewer.local,
          f"wake message {s.to_string()}")
    state = wait_state(app, Gst.State.PLAYING)
    check(state == Gst.State.PLAYING, f"woken pipeline is {state.value_nick}")
    viewer.close()
    log(f"ok: a viewer wakes it: {s.to_string()}")
    app.stop()

    # idle-state to none while PLAYING: only the message
    app = App(props="idle-timeout=0")
    app.start()
    Gst.util_set_object_arg(app.sink, "idle-state", "none")
    app.sink.set_property("idle-timeout", 1)
    s = wait_message(app, "mjpeghttpsink-idle", 4)
    check(s.get_string("idle-state") == "none"
          and not s.get_value("state-changed"), f"idle {s.to_string()}")
    _, state, _ = app.pipeline.get_state(Gst.SECOND)
    check(state == Gst.State.PLAYING, f"pipeline is {state.value_nick}")
    log(f"ok: idle-state=none set while PLAYING: {s.to_string()}, "
        "pipeline still PLAYING")
    app.stop()


def wait_state(app, want, timeout=5):
    """The pipeline's state once it is @want, or after @timeout s: the sink
    changes it from GStreamer's thread pool after its message."""
    end = time.monotonic() + timeout
    while True:
        _, state, _ = app.pipeline.get_state(100 * Gst.MSECOND)
        if state == want or time.monotonic() > end:
            return state
        time.sleep(0.05)


def wait_message(app, name, timeout):
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        check(left > 0, f"no {name} message within {timeout} s")
        msg = app.bus.timed_pop_filtered(int(left * Gst.SECOND),
                                         Gst.MessageType.ELEMENT)
        if msg and msg.get_structure().get_name() == name:
            return msg.get_structure()


def thread_name():
    tid = threading.get_native_id()
    return Path(f"/proc/self/task/{tid}/comm").read_text().strip()


def test_signals():
    main_tid = threading.get_native_id()
    loop = GLib.MainLoop()
    seen = []           # (what, peer, thread id, thread name)
    lock = threading.Lock()

    def record(what, peer):
        with lock:
            seen.append((what, peer, threading.get_native_id(),
                         thread_name()))

    def in_main_loop(what, peer):
        record("main loop after " + what, peer)
        with lock:
            if sum(1 for w in seen if w[0].startswith("main loop")) == 2:
                loop.quit()
        return GLib.SOURCE_REMOVE

    def on_added(sink, peer):
        record("client-added", peer)
        GLib.idle_add(in_main_loop, "client-added", peer)

    def on_removed(sink, peer, status):
        record("client-removed " + status.value_nick, peer)
        GLib.idle_add(in_main_loop, "client-removed", peer)

    app = App()
    app.sink.connect("client-added", on_added)
    app.sink.connect("client-removed", on_removed)
    app.pipeline.set_state(Gst.State.READY)
    s = wait_message(app, "mjpeghttpsink-listening", 5)
    port = app.sink.get_property("current-port")
    check(s.get_value("port") == port
          and s.get_string("url") == f"http://127.0.0.1:{port}/"
          and s.get_string("stream-url") == f"http://127.0.0.1:{port}/stream"
          and s.get_string("snapshot-url")
          == f"http://127.0.0.1:{port}/snapshot"
          and s.get_string("address") == "127.0.0.1",
          f"listening message {s.to_string()}")
    log(f"ok: at READY: {s.to_string()}")
    app.start()

    def client():
        viewer = Stream(app.base + "/stream")
        viewer.read_part()
        viewer.close()
    worker = threading.Thread(target=client)
    worker.start()
    # the application's main loop, on the main thread, until both hops came
    timeout = GLib.timeout_add_seconds(10, loop.quit)
    loop.run()
    GLib.source_remove(timeout)
    worker.join()
    with lock:
        got = list(seen)
    for what, peer, tid, name in got:
        log(f"   {what} ({peer}) on thread {tid} '{name}'")
    handlers = [w for w in got if w[0].startswith("client-")]
    hops = [w for w in got if w[0].startswith("main loop")]
    check(len(handlers) == 2 and len(hops) == 2, f"seen {got}")
    check(all(w[2] != main_tid and w[3] == "mjpeghttpsink" for w in handlers),
          "a handler did not run on the server thread 'mjpeghttpsink'")
    check(all(w[2] == main_tid for w in hops),
          "GLib.idle_add from a handler did not run on the main thread")
    log("ok: handlers on the server thread, GLib.idle_add callbacks on the "
        "main loop's thread")

    # a viewer still there when the application stops the pipeline
    with lock:
        seen.clear()
    viewer = Stream(app.base + "/stream")
    viewer.read_part()
    time.sleep(0.2)
    app.stop()
    with lock:
        stopped = [w for w in seen if w[0] == "client-removed stopped"]
    check(len(stopped) == 1 and stopped[0][2] == main_tid,
          f"client-removed stopped: {stopped}, expected one on the thread "
          "that set NULL")
    log("ok: client-removed 'stopped' came on the thread that set NULL")
    viewer.close()


def frame_delays(sync):
    """Median ms from a frame reaching the sink's pad to its X-Timestamp
    (taken in render), with a live source."""
    app = App(props=f"sync={'true' if sync else 'false'} idle-timeout=0")
    arrivals = {}
    count = [0]

    def probe(pad, info):
        count[0] += 1
        arrivals[count[0]] = time.time()
        return Gst.PadProbeReturn.OK
    app.sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, probe)
    app.start()
    viewer = Stream(app.base + "/stream")
    delays = []
    for _ in range(60):
        part = viewer.read_part()
        if part.number in arrivals:
            delays.append(
                (float(part.headers["x-timestamp"]) - arrivals[part.number])
                * 1000)
    viewer.close()
    query = Gst.Query.new_latency()
    app.pipeline.query(query)
    latency = query.parse_latency()[1] / Gst.MSECOND
    app.stop()
    return statistics.median(delays), latency


def frame_rate(sync):
    """Frames rendered per second with a clock-paced (not live) source."""
    app = App(source="videotestsrc ! video/x-raw,width=160,height=120,"
              "framerate=30/1 ! jpegenc",
              props=f"sync={'true' if sync else 'false'} idle-timeout=0")
    app.start()
    viewer = Stream(app.base + "/stream")
    parts = viewer.read_for(2)
    viewer.close()
    app.stop()
    return ((parts[-1].number - parts[0].number)
            / (parts[-1].received - parts[0].received))


def test_sync():
    with_sync, latency = frame_delays(True)
    without, _ = frame_delays(False)
    log(f"   live source, pipeline latency {latency:.1f} ms: pad to render "
        f"{with_sync:.1f} ms with sync=true, {without:.1f} ms with sync=false")
    check(without < 5 and with_sync < 5,
          "with a live source, a frame waits at the sink's pad")
    log("ok: with a live source, frames go out as they come, synced or not")

    paced, free = frame_rate(True), frame_rate(False)
    log(f"   clock-paced 30 fps source: {paced:.1f} fps with sync=true, "
        f"{free:.1f} with sync=false")
    check(25 < paced < 35 and free > 60,
          "sync=true does not pace a clock-paced source, or sync=false does")
    log("ok: a clock-paced source needs sync=true (the default)")


TESTS = {"null-only": test_null_only, "live": test_live,
         "signals": test_signals, "sync": test_sync}


def main():
    Gst.init(None)
    names = sys.argv[1:] or list(TESTS)
    return run(lambda: [TESTS[name]() for name in names])


if __name__ == "__main__":
    sys.exit(main())
