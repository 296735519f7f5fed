#!/usr/bin/python3
"""relay-*: pipelines/relay.sh (mjpeghttpsrc ! mjpeghttpsink) in front of an
origin, each a process of its own on 127.0.0.1.

    test_relay.py identical|restart|idle|idle-paused|errors|stall|hostile|
                  variants

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
- variants: other servers' streams, a boundary parameter that begins with
  "--" and LF line ends without lengths, are relayed byte for byte.
- errors: credentials in the location are refused unprinted; a location
  answered 404, one that is not a stream (/snapshot),
  and an origin that asks for a password the relay lacks each end the
  relay with a sentence saying what to change; a non-URL is refused by the
  script; with user-id and user-pw the relay of that origin works.
- stall: an origin that sends one frame and then nothing is dropped after
  the source's timeout and connected again (counted by the fake origin).
- idle-paused: the same with idle-state=paused: a paused relay lets go of
  its origin too, and gives no frame kept from before the pause.
- hostile: an origin that drips a frame a byte at a time is dropped after
  timeout; origins that send a part without end, a Content-Length of
  100 GB, a header block without end, a body that never breaks a line, or
  not HTTP at all: the relay drops each, connects again, keeps serving its
  page, and stays under 80 MiB
  (not checked under AddressSanitizer, which keeps freed memory aside).
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
ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


def origin(port, extra=()):
    return Program(["gst-launch-1.0", "videotestsrc", "is-live=true", "!",
                    "video/x-raw,width=320,height=240,framerate=30/1", "!",
                    "jpegenc", "!", "mjpeghttpsink", "address=127.0.0.1",
                    f"port={port}", "idle-timeout=0", *extra])


RELAYS = []


def relay(origin_url, port, idle_timeout=0, options="", idle_state="ready"):
    env = dict(os.environ, PORT=str(port), IDLE_TIMEOUT=str(idle_timeout),
               ORIGIN_OPTIONS=options, IDLE_STATE=idle_state)
    RELAYS.append(Program([RELAY, origin_url], env=env))
    return RELAYS[-1]


def check_no_criticals():
    """Losing, stopping and reconnecting are a relay's everyday work: none
    of it may make GLib or GStreamer warn of a bug."""
    for program in RELAYS:
        check(program.stop() is not None, "a relay did not end on Ctrl+C")
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


def test_idle(idle_state="ready"):
    oport, rport = free_port(), free_port()
    log(f"idle-state={idle_state}")
    with origin(oport), relay(f"http://127.0.0.1:{oport}/stream", rport,
                              idle_timeout=1, idle_state=idle_state) as r:
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
        # no frame kept from before the pause: each is at most a few frames
        # old when it comes, and they come at the source's rate, not in a
        # burst. The first is the relay's sink's newest from before it
        # idled, which the sink sends every new viewer at once.
        wall = time.time() - time.monotonic()
        ages = [wall + p.received - float(p.headers["x-timestamp"])
                for p in parts[1:4]]
        check(max(ages) < 0.5, f"the first frames after waking were "
              f"{', '.join(f'{a:.2f}' for a in ages)} s old")
        check(len(parts) < 40, f"{len(parts)} frames in the first second "
              "after waking, from a 30 fps origin")
        log(f"ok: a viewer woke the relay: first frame after "
            f"{parts[0].received - woke:.2f} s and "
            f"the next {ages[0] * 1000:.0f} ms old, {len(parts)} in 1 s")
        viewer.close()


def test_idle_paused():
    """A relay whose pipeline pauses (idle-state=paused) lets go of its
    origin too, and gives no frame kept from before the pause."""
    test_idle("paused")


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
    with relay(f"http://viewer:pw-in-url@127.0.0.1:{oport}/stream",
               free_port()) as r:
        r.wait_for_line(r"has a user name or password in it: give them as "
                        "user-id and user-pw", 20, "an error for "
                        "credentials in the location")
        r.wait_exit(10)
        check(not any("pw-in-url" in line for line in r.output),
              "the password in the location was printed")
        log("ok: credentials in the location are an error, not printed")
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
    FRAME.append(get_frame_from_origin())
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
    # a body that never breaks a line
    "no line end": HEAD,
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


class DripOrigin(HostileOrigin):
    """A part declared 16 MB long, sent a byte every 0.2 s."""

    def _feed(self, conn):
        end = time.monotonic() + 30
        try:
            conn.recv(4096)
            conn.sendall(HEAD + b"--b\r\nContent-Type: image/jpeg\r\n"
                         b"Content-Length: 16000000\r\n\r\n")
            while time.monotonic() < end:
                conn.sendall(b"A")
                time.sleep(0.2)
        except OSError:
            pass
        conn.close()


def test_hostile():
    fake = DripOrigin(b"")
    with relay(f"http://127.0.0.1:{fake.port}/stream", free_port(),
               options="timeout=2 retry-delay=100 retry-delay-max=200") as r:
        r.wait_for_line(URL_LINE, 30, "the relay's URL")
        r.wait_for_line(r"took more than 2 s to send a frame", 10,
                        "the dripping origin dropped")
        log("ok: an origin dripping a frame a byte at a time is dropped "
            "after timeout")
    fake.sock.close()
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
            # AddressSanitizer keeps up to 256 MB of freed memory aside
            check(rss < 80 * 1024 or ASAN, f"{what}: the relay holds {rss} "
                  "KiB")
            status, _, _ = get(f"http://127.0.0.1:{rport}/")
            check(status == 200, f"{what}: the relay's page answers "
                  f"{status}")
            log(f"ok: {what}: the relay dropped the origin "
                f"{fake.connections - 1} times in 4 s and holds "
                f"{rss // 1024} MiB")
        fake.sock.close()


def test_variants():
    """Streams of other servers: a boundary parameter that begins with
    "--" and is written as it is, and LF line ends without lengths."""
    jpeg = get_frame_from_origin()
    variants = {
        "boundary=--myboundary": (
            b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace;"
            b"boundary=--myboundary\r\n\r\n",
            b"--myboundary\r\nContent-Type: image/jpeg\r\n\r\n" + jpeg
            + b"\r\n"),
        "LF only, no length": (
            b"HTTP/1.0 200 OK\nContent-Type: multipart/x-mixed-replace; "
            b"boundary=b\n\n",
            b"--b\nContent-Type: image/jpeg\n\n" + jpeg + b"\n"),
    }
    for what, (head, part) in variants.items():
        fake = RepeatingOrigin(head, part)
        rport = free_port()
        with relay(f"http://127.0.0.1:{fake.port}/stream", rport) as r:
            r.wait_for_line(URL_LINE, 30, "the relay's URL")
            viewer = Stream(f"http://127.0.0.1:{rport}/stream")
            parts = [viewer.read_part() for _ in range(3)]
            check(all(p.body == jpeg for p in parts),
                  f"{what}: the relayed frames differ from the origin's")
            viewer.close()
            log(f"ok: {what}: frames relayed byte for byte")
        fake.sock.close()


class RepeatingOrigin(HostileOrigin):
    """Sends @head, then @part ten times a second."""

    def __init__(self, head, part):
        self.part = part
        super().__init__(head)

    def _feed(self, conn):
        end = time.monotonic() + 30
        try:
            conn.recv(4096)
            conn.sendall(self.start)
            while time.monotonic() < end:
                conn.sendall(self.part)
                time.sleep(0.1)
        except OSError:
            pass
        conn.close()


def get_frame_from_origin():
    port = free_port()
    with origin(port):
        status, _, body = get(f"http://127.0.0.1:{port}/snapshot")
        check(status == 200, f"snapshot: {status}")
    return body


TESTS = {"identical": test_identical, "restart": test_restart,
         "idle": test_idle, "idle-paused": test_idle_paused,
         "errors": test_errors, "stall": test_stall,
         "hostile": test_hostile, "variants": test_variants}


def main():
    TESTS[sys.argv[1]]()
    check_no_criticals()


if __name__ == "__main__":
    sys.exit(run(main))
