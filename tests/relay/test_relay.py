#!/usr/bin/python3
"""relay-*: pipelines/relay.sh (mjpeghttpsrc ! mjpeghttpsink) in front of an
origin, each a process of its own on 127.0.0.1.

    test_relay.py identical|restart|idle|errors|stall|hostile

- identical: a client of the origin and one of the relay read at once; every
  frame the relay serves is byte for byte the origin's frame of the same
  X-Frame-Number, with the same X-Timestamp; the relay's rate is the
  origin's.
- restart: the origin is killed (SIGKILL) while a client watches the
  relay; that client stays connected, the relay warns, and once the origin
  is back on its port the same client gets its frames again, with the new
  origin's numbers, within the back-off (retry-delay-max=1000: 3 s).
- idle: nobody watches the relay for IDLE_TIMEOUT: it disconnects from the
  origin (whose /stats then lists no client); a viewer of the relay
  connects it again and gets frames.
- errors: a location answered 404, one that is not a stream (/snapshot),
  and an origin that asks for a password the relay lacks each end the
  relay with a sentence saying what to change; a non-URL is refused by the
  script; with user-id and user-pw the relay of that origin works.
- stall: an origin that sends one frame and then nothing is dropped after
  the source's timeout and connected again (counted by the fake origin).
- hostile: origins that send a part without end, a Content-Length of
  100 GB, a header block without end, or not HTTP at all: the relay drops
  each, connects again, keeps serving its page, and stays under 80 MiB.
"""

import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import (Program, Stream, check, free_port, get,  # noqa: E402
                       log, run)

SOURCE_DIR = Path(os.environ.get("MJPEGHTTP_SOURCE_DIR",
                                 Path(__file__).resolve().parents[2]))
RELAY = SOURCE_DIR / "pipelines" / "relay.sh"
URL_LINE = r"Open (http://\S+)/ in a browser"


def origin(port, extra=()):
    return Program(["gst-launch-1.0", "videotestsrc", "is-live=true", "!",
                    "video/x-raw,width=320,height=240,framerate=30/1", "!",
                    "jpegenc", "!", "mjpeghttpsink", "address=127.0.0.1",
                    f"port={port}", "idle-timeout=0", *extra])


RELAYS = []


def relay(origin_url, port, idle_timeout=0, options=""):
    env = dict(os.environ, PORT=str(port), IDLE_TIMEOUT=str(idle_timeout),
               ORIGIN_OPTIONS=options)
    RELAYS.append(Program([RELAY, origin_url], env=env))
    return RELAYS[-1]


def check_no_criticals():
    """Losing, stopping and reconnecting are a relay's everyday work: none
    of it may make GLib or GStreamer warn of a bug."""
    for program in RELAYS:
        program.stop()
        bad = [line for line in program.output
               if "-CRITICAL **" in line or "-WARNING **" in line]
        check(not bad, f"the relay logged: {bad[:3]}")
    log(f"ok: no GLib or GStreamer warning in {len(RELAYS)} relays' output")


def origin_clients(port):
    status, _, body = get(f"http://127.0.0.1:{port}/stats")
    check(status == 200, f"origin /stats: {status}")
    return len(json.loads(body)["clients"])


def read_parts(url, seconds, into):
    stream = Stream(url)
    try:
        into.extend(stream.read_for(seconds))
    finally:
        stream.close()


def test_identical():
    oport, rport = free_port(), free_port()
    with origin(oport), relay(f"http://127.0.0.1:{oport}/stream",
                              rport) as r:
        r.wait_for_line(URL_LINE, 30, "the relay's URL")
        from_origin, from_relay = [], []
        readers = [threading.Thread(target=read_parts, args=(
            f"http://127.0.0.1:{oport}/stream", 4, from_origin)),
            threading.Thread(target=read_parts, args=(
                f"http://127.0.0.1:{rport}/stream", 3, from_relay))]
        for t in readers:
            t.start()
        for t in readers:
            t.join(30)
        by_number = {p.number: p for p in from_origin}
        both = [p for p in from_relay if p.number in by_number]
        check(len(both) >= 60, f"only {len(both)} of the relay's "
              f"{len(from_relay)} frames were also read from the origin")
        for p in both:
            o = by_number[p.number]
            check(p.body == o.body, f"frame {p.number} differs: "
                  f"{len(p.body)} bytes from the relay, {len(o.body)} from "
                  "the origin")
            check(p.headers["x-timestamp"] == o.headers["x-timestamp"],
                  f"frame {p.number}: X-Timestamp "
                  f"{p.headers['x-timestamp']} from the relay, "
                  f"{o.headers['x-timestamp']} from the origin")
        log(f"ok: {len(both)} frames of the relay are the origin's, byte "
            "for byte, with the same number and timestamp")
        rate = (from_relay[-1].number - from_relay[0].number) / (
            from_relay[-1].received - from_relay[0].received)
        check(abs(rate - 30) < 3, f"the relay gave {rate:.1f} fps, "
              "expected the origin's 30")
        log(f"ok: the relay serves {rate:.1f} fps")


def test_restart():
    oport, rport = free_port(), free_port()
    url = f"http://127.0.0.1:{oport}/stream"
    o = origin(oport)
    try:
        with relay(url, rport,
                   options="retry-delay=200 retry-delay-max=1000") as r:
            r.wait_for_line(URL_LINE, 30, "the relay's URL")
            viewer = Stream(f"http://127.0.0.1:{rport}/stream")
            before = viewer.read_for(1)
            log(f"ok: frames {before[0].number}..{before[-1].number} "
                "before the origin dies")
            os.killpg(o.proc.pid, signal.SIGKILL)
            o.wait_exit(10)
            r.wait_for_line(r"Lost the stream from " + url, 10,
                            "a warning that the origin is gone")
            time.sleep(3)
            o = origin(oport)
            restarted = time.monotonic()
            first = viewer.read_part()
            gap = first.received - before[-1].received
            after = viewer.read_for(1)
            # the new origin counts from 1, 30 a second
            newest = 30 * (first.received - restarted) + 15
            check(first.number <= newest,
                  f"after the restart frame {first.number} came, expected "
                  f"the new origin's numbers (at most {newest:.0f})")
            check(first.received - restarted < 3, "the relay took "
                  f"{first.received - restarted:.1f} s to come back after "
                  "the origin did, with retry-delay-max=1000")
            log(f"ok: the same viewer got frame {first.number} "
                f"{first.received - restarted:.1f} s after the origin came "
                f"back ({gap:.1f} s without frames), then {len(after)} "
                "frames in 1 s")
            viewer.close()
    finally:
        o.stop()


def test_idle():
    oport, rport = free_port(), free_port()
    with origin(oport), relay(f"http://127.0.0.1:{oport}/stream", rport,
                              idle_timeout=1) as r:
        r.wait_for_line(URL_LINE, 30, "the relay's URL")
        viewer = Stream(f"http://127.0.0.1:{rport}/stream")
        viewer.read_for(1)
        check(origin_clients(oport) == 1, "the relay is not a client of "
              "the origin while it has a viewer")
        viewer.close()
        deadline = time.monotonic() + 6
        while origin_clients(oport) != 0:
            check(time.monotonic() < deadline, "the idle relay is still "
                  "connected to the origin 6 s after its last viewer left")
            time.sleep(0.2)
        log("ok: the idle relay let go of the origin")
        time.sleep(1)
        check(origin_clients(oport) == 0, "the idle relay came back")
        woke = time.monotonic()
        viewer = Stream(f"http://127.0.0.1:{rport}/stream")
        parts = viewer.read_for(1)
        check(parts[0].received - woke < 3,
              f"the first frame after waking took "
              f"{parts[0].received - woke:.1f} s")
        check(origin_clients(oport) == 1, "the woken relay is not a client "
              "of the origin")
        log(f"ok: a viewer woke the relay: first frame after "
            f"{parts[0].received - woke:.2f} s, {len(parts)} in 1 s")
        viewer.close()


def expect_error(argv_or_relay, pattern, what):
    with argv_or_relay as r:
        r.wait_for_line(pattern, 20, what)
        status = r.wait_exit(10)
        check(status not in (0, None), f"exit status {status} after {what}")
        log(f"ok: {what}, exit status {status}")


def test_errors():
    oport = free_port()
    with origin(oport, ["auth-user=viewer", "auth-password=secret-pw",
                        "auth-realm=cam"]) as o:
        # the origin listens once it answers
        get(f"http://127.0.0.1:{oport}/")
        base = f"http://127.0.0.1:{oport}"
        expect_error(relay(base + "/nothing-here", free_port()),
                     r"Could not read the stream at .*: the origin "
                     r"(answered 404|refused access \(401)",
                     "an error for a wrong path")
        expect_error(relay(base + "/stream", free_port()),
                     r"the origin refused access \(401 .*\): set user-id "
                     "and user-pw", "an error for missing credentials")
        expect_error(relay(base + "/stream", free_port(),
                           options="user-id=viewer user-pw=wrong"),
                     r"the origin refused access \(401", "an error for a "
                     "wrong password")
        rport = free_port()
        with relay(base + "/stream", rport,
                   options="user-id=viewer user-pw=secret-pw") as r:
            r.wait_for_line(URL_LINE, 30, "the relay's URL")
            Stream(f"http://127.0.0.1:{rport}/stream").read_for(0.5)
            log("ok: with user-id and user-pw the relay serves the "
                "origin's stream")
        o.stop()
    oport = free_port()
    with origin(oport):
        get(f"http://127.0.0.1:{oport}/")
        expect_error(relay(f"http://127.0.0.1:{oport}/snapshot",
                           free_port()),
                     r"not a stream of JPEGs \(Content-Type image/jpeg\)",
                     "an error for a snapshot URL")
    expect_error(relay("camera:8080/stream", free_port()),
                 r"ORIGIN must be an http:// or https:// URL",
                 "the script refusing a non-URL")


class StallingOrigin:
    """Answers each connection with the stream's head and one frame, then
    sends nothing more; counts the connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        jpeg = get_frame()
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append((time.monotonic(), conn))
            conn.recv(4096)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;"
                b"boundary=b\r\n\r\n--b\r\nContent-Type: image/jpeg\r\n"
                b"Content-Length: %d\r\nX-Frame-Number: 7\r\n"
                b"X-Timestamp: 1700000000.000001\r\n\r\n" % len(jpeg) + jpeg
                + b"\r\n--b\r\n")


FRAME = []


def get_frame():
    return FRAME[0]


def test_stall():
    port = free_port()
    with origin(port):
        status, _, body = get(f"http://127.0.0.1:{port}/snapshot")
        check(status == 200, f"snapshot: {status}")
        FRAME.append(body)
    fake = StallingOrigin()
    rport = free_port()
    with relay(f"http://127.0.0.1:{fake.port}/stream", rport,
               options="timeout=2 retry-delay=100") as r:
        r.wait_for_line(URL_LINE, 30, "the relay's URL")
        viewer = Stream(f"http://127.0.0.1:{rport}/stream")
        part = viewer.read_part()
        check(part.number == 7 and
              part.headers["x-timestamp"] == "1700000000.000001",
              f"the relayed frame is {part.number} at "
              f"{part.headers['x-timestamp']}, expected the origin's 7 at "
              "1700000000.000001")
        time.sleep(5.5)
        times = [t for t, _ in fake.connections]
        check(2 <= len(times) <= 4, f"{len(times)} connections in 5.5 s "
              "with timeout=2, expected 2 to 4")
        gaps = [b - a for a, b in zip(times, times[1:])]
        check(all(1.5 < g < 3.5 for g in gaps),
              f"reconnected after {gaps} s, expected about 2 s")
        log(f"ok: a stalled origin was dropped and connected again after "
            f"{', '.join(f'{g:.1f}' for g in gaps)} s")
        viewer.close()


HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;"
        b"boundary=b\r\n\r\n")
HOSTILE = {
    # a part with no length and no end
    "endless part": HEAD + b"--b\r\nContent-Type: image/jpeg\r\n\r\n",
    # a length the relay must not allocate
    "huge length": HEAD + b"--b\r\nContent-Type: image/jpeg\r\n"
    b"Content-Length: 99999999999\r\n\r\n",
    # a header block with no end
    "endless head": HEAD + b"--b\r\nX-Junk: ",
    "not HTTP": b"SSH-2.0-OpenSSH_9.2\r\n",
}


class HostileOrigin:
    """Answers every connection with @start, then sends filler bytes
    (0x41, which is neither CR nor LF) as fast as they are taken, for at
    most 30 s; counts the connections."""

    def __init__(self, start):
        self.start = start
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._feed, args=(conn,),
                             daemon=True).start()

    def _feed(self, conn):
        filler = b"A" * 65536
        end = time.monotonic() + 30
        try:
            conn.recv(4096)
            conn.sendall(self.start)
            while time.monotonic() < end:
                conn.sendall(filler)
        except OSError:
            pass
        conn.close()


def rss_kib(pid):
    """The resident size of gst-launch-1.0, a child of the script."""
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        if Path(f"/proc/{child}/comm").read_text().strip() != "gst-launch-1.0":
            continue
        status = Path(f"/proc/{child}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no gst-launch-1.0 under the relay script")


def test_hostile():
    for what, start in HOSTILE.items():
        fake = HostileOrigin(start)
        rport = free_port()
        with relay(f"http://127.0.0.1:{fake.port}/stream", rport,
                   options="timeout=2 retry-delay=100 retry-delay-max=200 "
                   "max-frame-size=4194304") as r:
            r.wait_for_line(URL_LINE, 30, "the relay's URL")
            time.sleep(4)
            check(r.proc.poll() is None,
                  f"{what}: the relay ended (status {r.proc.poll()})")
            check(fake.connections >= 2, f"{what}: {fake.connections} "
                  "connection in 4 s: the relay did not drop the origin")
            rss = rss_kib(r.proc.pid)
            check(rss < 80 * 1024, f"{what}: the relay holds {rss} KiB")
            status, _, _ = get(f"http://127.0.0.1:{rport}/")
            check(status == 200, f"{what}: the relay's page answers "
                  f"{status}")
            log(f"ok: {what}: the relay dropped the origin "
                f"{fake.connections - 1} times in 4 s and holds "
                f"{rss // 1024} MiB")
        fake.sock.close()


TESTS = {"identical": test_identical, "restart": test_restart,
         "idle": test_idle, "errors": test_errors, "stall": test_stall,
         "hostile": test_hostile}


def main():
    TESTS[sys.argv[1]]()
    check_no_criticals()


if __name__ == "__main__":
    sys.exit(run(main))
