#!/usr/bin/python3
"""hostile-trickle: request heads sent a byte a segment must not slow the
stream down.

    test_trickle.py

A viewer from 127.0.0.3 watches /stream. After 2 s, 32 connections from
127.0.0.48 start sending request heads one byte per TCP segment
(TCP_NODELAY), one every millisecond, a head that would grow to 16 KiB
and never ends; a connection the server closes (408 at header-timeout, 5 s
by default: 5000 segments by then) is opened again. For 12 s the viewer
must keep at least 90 % of its frame rate and never wait more than 0.5 s
for a part.

Reading such a head costs the server what arrived since its last look; a
server that peeks at the whole head on each wake-up walks every queued
segment each time, and falls behind (30 -> 12 fps, a gap of 1.4 s, seen
with the gate that peeked).
"""

import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import Recorder, sink, wait_port  # noqa: E402
from mjpegtest import Program, check, log, run  # noqa: E402

BEFORE_S = 2.0
ATTACK_S = 12.0
CONNECTIONS = 32
ATTACKER = "127.0.0.48"
HEAD = (b"GET /snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
        b"".join(b"X-Filler-%05d: %0100d\r\n" % (i, i) for i in range(130)))
MIN_RATE_KEPT = 0.9
MAX_GAP_S = 0.5


class Trickler:
    """One connection that sends HEAD a byte at a time, and reconnects
    when the server closes it."""

    def __init__(self, port):
        self.port = port
        self.sock = None
        self.offset = 0
        self.closed_by_server = 0

    def open(self):
        s = socket.socket()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.bind((ATTACKER, 0))
        s.connect(("127.0.0.1", self.port))
        s.setblocking(False)
        self.sock, self.offset = s, 0

    def step(self):
        if self.sock is None:
            self.open()
            return
        try:
            if self.offset < len(HEAD):
                self.offset += self.sock.send(HEAD[self.offset:self.offset + 1])
            # whatever the server answers: it closes after it
            if self.sock.recv(4096, socket.MSG_DONTWAIT) == b"":
                raise ConnectionResetError
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            self.sock.close()
            self.sock = None
            self.closed_by_server += 1


def attack(port, seconds):
    """Every connection sends one byte every millisecond, for seconds."""
    trick = [Trickler(port) for _ in range(CONNECTIONS)]
    end = time.monotonic() + seconds
    sent = 0
    while time.monotonic() < end:
        for t in trick:
            t.step()
        sent += CONNECTIONS
        time.sleep(0.001)
    for t in trick:
        if t.sock:
            t.sock.close()
    return sent, sum(t.closed_by_server for t in trick)


def test():
    with Program(sink()) as server:
        port = wait_port(server)
        viewer = Recorder(port, "127.0.0.3")
        time.sleep(BEFORE_S)
        start = time.monotonic()
        sent, closed = attack(port, ATTACK_S)
        end = time.monotonic()
        viewer.stop()
        viewer.check_ok()
        before = viewer.rate(start - BEFORE_S + 0.5, start)
        during = viewer.rate(start, end)
        gap = viewer.worst_gap(start, end)
        log(f"# {CONNECTIONS} connections trickled about {sent} bytes a byte "
            f"a segment; the server closed them {closed} times")
        log(f"# viewer: {before:.1f} fps before, {during:.1f} fps during, "
            f"worst gap {gap * 1000:.0f} ms")
        check(during >= MIN_RATE_KEPT * before,
              f"the viewer fell from {before:.1f} to {during:.1f} fps")
        check(gap <= MAX_GAP_S, f"the viewer waited {gap:.2f} s for a part")
        check(server.proc.poll() is None, "gst-launch-1.0 died")
        log("ok: heads trickled a byte a segment did not slow the stream")


if __name__ == "__main__":
    if len(sys.argv) != 1:
        sys.exit(f"usage: {sys.argv[0]}")
    sys.exit(run(test))
