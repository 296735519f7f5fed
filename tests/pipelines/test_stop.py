#!/usr/bin/python3
"""Ctrl+C always ends gst-launch-1.0 within STOP_S seconds with exit status
0: with or without -e, while the sink has idled the pipeline (PAUSED or
READY), also when a viewer comes right after the Ctrl+C, and while a viewer
watches.

    test_stop.py CASE

CASE is [e-]idle-paused[-viewer], [e-]idle-ready[-viewer] or [e-]playing;
"e-" runs gst-launch-1.0 with -e, "-viewer" connects a viewer right after
the Ctrl+C.

gst-launch-1.0 -m reports the sink's messages: the port from
mjpeghttpsink-listening, the idle change from mjpeghttpsink-idle.
"""

import re
import signal
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import Program, check, log, run  # noqa: E402

STOP_S = 3
LISTENING = r"mjpeghttpsink-listening, .*port=\(int\)(?P<port>[0-9]+);"
IDLE = r"mjpeghttpsink-idle, .*state-changed=\(boolean\)true"
# the pipeline's own state change, posted once the idle change is done
STATE = (r'from element "pipeline0" \(state-changed\): .*'
         r"new-state=\(GstState\)(?P<state>[a-z]+), "
         r"pending-state=\(GstState\)void-pending")


class Viewer:
    """A viewer that asks for /stream and reads until the server ends it,
    as a browser does. A late one (after Ctrl+C) may find the port closed
    already."""

    def __init__(self, port, late=False):
        self.received = 0
        self.ended = threading.Event()
        try:
            self.sock = socket.create_connection(("127.0.0.1", port),
                                                 timeout=5)
        except ConnectionRefusedError:
            check(late, f"nothing listens on port {port}")
            log("ok: the port was closed already when the viewer came")
            self.sock = None
            self.ended.set()
            return
        self.sock.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        log("ok: a viewer asked for /stream")

    def _read(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.received += len(data)
        except OSError:
            pass
        self.ended.set()

    def close(self):
        if self.sock:
            self.sock.close()


def start(eos, idle_state):
    argv = ["gst-launch-1.0", "-m"] + (["-e"] if eos else []) + [
        "videotestsrc", "is-live=true", "!",
        "video/x-raw,width=320,height=240,framerate=15/1", "!", "jpegenc",
        "!", "mjpeghttpsink", "address=127.0.0.1", "port=0",
        "idle-timeout=1", f"idle-state={idle_state}"]
    program = Program(argv)
    port = int(program.wait_for_line(LISTENING, 30, "listening message")
               .group("port"))
    return program, port


def wait_idle(program, idle_state):
    program.wait_for_line(IDLE, 10, "idle message")
    want = "paused" if idle_state == "paused" else "ready"
    state = program.wait_for_line(STATE, 10, f"pipeline in {want}")
    check(state.group("state") == want,
          f"the sink set the pipeline to {state.group('state')}, not {want}")
    # a frame on its way reaches the idled sink a moment later (in PAUSED it
    # waits in the sink's preroll, holding the streaming thread)
    time.sleep(0.5)
    log(f"ok: the sink has idled the pipeline ({want})")


def interrupt(program, eos, port=None, come=False):
    """Ctrl+C, optionally followed at once by a viewer; the process must end
    within STOP_S with status 0, with -e after the end of stream went
    through."""
    start_t = time.monotonic()
    program._signal(signal.SIGINT)
    viewer = Viewer(port, late=True) if come else None
    status = program.wait_exit(STOP_S)
    took = time.monotonic() - start_t
    check(status is not None, f"still running {STOP_S} s after Ctrl+C"
          + (" (a viewer came right after it)" if come else ""))
    program.reader.join(5)
    if viewer:
        check(viewer.ended.wait(5), "the viewer's stream did not end")
        viewer.close()
    check(status == 0, f"exit status {status} after Ctrl+C, expected 0")
    log(f"ok: Ctrl+C ended gst-launch-1.0 in {took:.2f} s, status 0")
    lines = "\n".join(program.output)
    check(not re.search(r"\bCRITICAL\b|\bERROR\b", lines),
          "gst-launch-1.0 reported an error or a critical warning")
    if eos:
        check("EOS received - stopping pipeline" in lines,
              "with -e gst-launch-1.0 ended without the end of stream")
        log("ok: the end of stream went through")


def test_idle(eos, idle_state, come):
    program, port = start(eos, idle_state)
    with program:
        wait_idle(program, idle_state)
        interrupt(program, eos, port, come)


def test_playing(eos):
    program, port = start(eos, "paused")
    with program:
        viewer = Viewer(port)
        # longer than idle-timeout: the viewer keeps the pipeline playing
        time.sleep(1.5)
        check(viewer.received > 0, "the viewer got no frame")
        check(not any(re.search(IDLE, line) for line in program.output),
              "the sink idled with a viewer watching")
        interrupt(program, eos)
        check(viewer.ended.wait(5), "the viewer's stream did not end")
        viewer.close()


def main():
    case = sys.argv[1] if len(sys.argv) == 2 else ""
    match = re.fullmatch(r"(e-)?(?:idle-(paused|ready)(-viewer)?|playing)",
                         case)
    if not match:
        sys.exit(f"usage: {sys.argv[0]} [e-]idle-paused[-viewer] | "
                 f"[e-]idle-ready[-viewer] | [e-]playing")
    eos, idle_state, come = (bool(match.group(1)), match.group(2),
                             bool(match.group(3)))
    if idle_state:
        return run(lambda: test_idle(eos, idle_state, come))
    return run(lambda: test_playing(eos))


if __name__ == "__main__":
    sys.exit(main())
