#!/usr/bin/python3
"""Ctrl+C always ends gst-launch-1.0, with or without -e, also while the
sink has paused the pipeline for lack of viewers, and also when a viewer
comes right after it: within STOP_S seconds, with exit status 0.

    test_stop.py e-idle | e-idle-viewer | idle | e-playing

gst-launch-1.0 -m reports the sink's messages: the port from
mjpeghttpsink-listening, the idle pause from mjpeghttpsink-idle.
"""

import re
import signal
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import Program, check, log, run  # noqa: E402

STOP_S = 3
LISTENING = r"mjpeghttpsink-listening, .*port=\(int\)(?P<port>[0-9]+);"
IDLE = r"mjpeghttpsink-idle, .*state-changed=\(boolean\)true"


def start(eos, idle_state="paused"):
    argv = ["gst-launch-1.0", "-m"] + (["-e"] if eos else []) + [
        "videotestsrc", "is-live=true", "!",
        "video/x-raw,width=320,height=240,framerate=15/1", "!", "jpegenc",
        "!", "mjpeghttpsink", "port=0", "idle-timeout=1",
        f"idle-state={idle_state}"]
    program = Program(argv)
    port = int(program.wait_for_line(LISTENING, 30, "listening message")
               .group("port"))
    return program, port


def wait_idle(program):
    program.wait_for_line(IDLE, 10, "idle message")
    # the pause itself runs on GStreamer's thread pool, and a frame on its
    # way reaches the paused sink a moment later
    time.sleep(1.0)
    log("ok: the sink has paused the pipeline")


def viewer(port, late=False):
    """A viewer that asks for the stream and stays; the socket. A late one
    (after Ctrl+C) may find the port closed already: None."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except ConnectionRefusedError:
        check(late, f"nothing listens on port {port}")
        log("ok: the port was closed already when the viewer came")
        return None
    sock.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    log("ok: a viewer asked for /stream")
    return sock


def interrupt(program, port=None, come=False):
    """Ctrl+C, optionally followed at once by a viewer; the process must end
    within STOP_S."""
    start_t = time.monotonic()
    program._signal(signal.SIGINT)
    sock = viewer(port, late=True) if come else None
    status = program.wait_exit(STOP_S)
    took = time.monotonic() - start_t
    if sock:
        sock.close()
    check(status is not None, f"still running {STOP_S} s after Ctrl+C"
          + (" (a viewer came right after it)" if come else ""))
    check(status == 0, f"exit status {status} after Ctrl+C, expected 0")
    log(f"ok: Ctrl+C ended gst-launch-1.0 in {took:.1f} s, status 0")
    lines = "\n".join(program.output)
    check(not re.search(r"\bCRITICAL\b|\bERROR\b", lines),
          "gst-launch-1.0 reported an error or a critical warning")


def test_e_idle():
    program, port = start(eos=True)
    with program:
        wait_idle(program)
        interrupt(program)
        check(any("EOS received" in line or "Got EOS" in line
                  for line in program.output),
              "with -e the end of stream never reached the sink")
        log("ok: the end of stream went through")


def test_e_idle_viewer():
    program, port = start(eos=True)
    with program:
        wait_idle(program)
        interrupt(program, port, come=True)


def test_idle():
    program, port = start(eos=False)
    with program:
        wait_idle(program)
        interrupt(program, port, come=True)


def test_e_playing():
    program, port = start(eos=True)
    with program:
        sock = viewer(port)
        time.sleep(1.5)
        interrupt(program)
        sock.close()


TESTS = {
    "e-idle": test_e_idle,
    "e-idle-viewer": test_e_idle_viewer,
    "idle": test_idle,
    "e-playing": test_e_playing,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        sys.exit(f"usage: {sys.argv[0]} {' | '.join(TESTS)}")
    return run(TESTS[sys.argv[1]])


if __name__ == "__main__":
    sys.exit(main())
