#!/usr/bin/python3
"""hostile-emfile: out of file descriptors, the server warns once, rests,
and serves again once descriptors are free.

    test_emfile.py [--no-gate-properties]

gst-launch-1.0 runs under prlimit --nofile=64:64, and 127.0.0.5 opens 80
connections that each send half a request head and wait (header-timeout=30,
so the server does not close them while the test runs): the server runs out
of descriptors with connections still in its listen backlog, which stays
readable. Then:
 - gst-launch-1.0 prints the sink's warning about file descriptors;
 - over 3 s the server thread uses under 5 % of a core, and the whole
   process at most 5 % of a core more than it did before the connections
   (the encoder keeps running: idle-timeout=0), where accepting in a loop
   would spin at 100 %;
 - once the 80 connections close, GET /snapshot from 127.0.0.6 is answered
   200 within 3 s.

With --no-gate-properties (for a plugin older than the gate, see
hostile.py) header-timeout is not set; that plugin has no head deadline.
"""

import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import (WARNING_LINE, cpu_percent, old_plugin,  # noqa: E402
                     request, require, sink, thread_id, wait_port)
from mjpegtest import (Failure, Program, check, jpeg_size, log,  # noqa: E402
                       run)

NOFILE = 64
CONNECTIONS = 80
CPU_SECONDS = 3
MAX_CPU_PERCENT = 5
MAX_RECOVERY_S = 3
# the name of the sink's server thread (g_thread_try_new), in /proc
SERVER_THREAD = "mjpeghttpsink"


def hold_connections(port):
    """CONNECTIONS connections from 127.0.0.5, each with a request head
    that never ends; the kernel completes the handshakes itself, accepted
    or not."""
    conns = []
    for _ in range(CONNECTIONS):
        s = socket.socket()
        s.settimeout(5)
        s.bind(("127.0.0.5", 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /snapshot HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        conns.append(s)
    return conns


def warning_text(server):
    """The sink's warning as gst-launch-1.0 printed it, or None (logged):
    the figures are taken either way."""
    try:
        text = server.wait_for_line(WARNING_LINE, 5,
                                    "warning from mjpeghttpsink0").group(1)
    except Failure as e:
        log(f"! {e}")
        return None
    log(f"ok: gst-launch-1.0 printed the warning: {text}")
    return text


def test(old):
    require("prlimit", "util-linux")
    props = [] if old else ["header-timeout=30"]
    argv = ["prlimit", f"--nofile={NOFILE}:{NOFILE}"] + sink(*props)
    conns = []
    with Program(argv) as server:
        # prlimit executes gst-launch-1.0 in its own process: same pid
        pid = server.proc.pid
        port = wait_port(server)
        # the rate of frames has settled once a snapshot is served
        status, _, body = request(port, "/snapshot", "127.0.0.6")
        check(status == 200, f"GET /snapshot before the test: {status}")
        jpeg_size(body)
        tid = thread_id(pid, SERVER_THREAD)
        baseline = cpu_percent(pid, CPU_SECONDS)
        log(f"ok: before: the process uses {baseline:.1f} % of a core "
            "(encoding 30 fps)")

        try:
            conns = hold_connections(port)
            log(f"ok: {CONNECTIONS} connections from 127.0.0.5 hold half a "
                "request each")
            text = warning_text(server)
            # the warning is posted as accepting fails: let a spin show
            time.sleep(0.5)
            fds = len(os.listdir(f"/proc/{pid}/fd"))
            log(f"figures: the process has {fds} descriptors open (limit "
                f"{NOFILE})")
            thread_cpu = cpu_percent(pid, CPU_SECONDS, tid)
            process_cpu = cpu_percent(pid, CPU_SECONDS)
            log(f"figures: out of descriptors, the server thread used "
                f"{thread_cpu:.1f} % of a core over {CPU_SECONDS} s; the "
                f"process {process_cpu:.1f} % (before: {baseline:.1f} %)")
        finally:
            for s in conns:
                s.close()
        log(f"ok: closed the {len(conns)} connections")

        start = time.monotonic()
        try:
            status, _, body = request(port, "/snapshot", "127.0.0.6",
                                      timeout=MAX_RECOVERY_S)
        except OSError as e:
            status, body = f"no answer ({e})", b""
        took = time.monotonic() - start
        log(f"figures: GET /snapshot after closing: {status} in "
            f"{took * 1000:.0f} ms")
        check(server.proc.poll() is None, "gst-launch-1.0 died")

    check(thread_cpu < MAX_CPU_PERCENT, f"out of descriptors, the server "
          f"thread used {thread_cpu:.1f} % of a core (expected under "
          f"{MAX_CPU_PERCENT} %): it spins")
    check(process_cpu - baseline < MAX_CPU_PERCENT,
          f"out of descriptors, the process used {process_cpu:.1f} % of a "
          f"core, {process_cpu - baseline:.1f} more than before (expected "
          f"under {MAX_CPU_PERCENT} more)")
    check(text is not None, "gst-launch-1.0 printed no warning from "
          "mjpeghttpsink0")
    check("descriptors" in text, f"the warning '{text}' does not say that "
          "file descriptors ran out")
    check(status == 200 and took <= MAX_RECOVERY_S,
          f"GET /snapshot after the connections closed: {status} in "
          f"{took:.1f} s, expected 200 within {MAX_RECOVERY_S} s")
    jpeg_size(body)
    log("ok: served again once descriptors were free")


if __name__ == "__main__":
    old = old_plugin(sys.argv)
    sys.exit(run(lambda: test(old)))
