"""What the hostile-client tests share: the camera pipeline run by
gst-launch-1.0, clients bound to a loopback address of their choice (the
sink's limits are per address, so that is how a test plays several peers at
once), a viewer that records when each part arrives, and CPU time from /proc.
Standard library only.

Every 127.x.y.z address is the loopback interface on Linux: binding the
client socket to 127.0.0.3 before connecting makes the server see a peer
at 127.0.0.3, with no set-up.
"""

import http.client
import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import Failure, Stream, check, log  # noqa: E402

# The camera of every hostile test: live, 640x480 at 30 fps, encoded here,
# as a real camera pipeline with jpegenc is.
FPS = 30
SOURCE = ["videotestsrc", "is-live=true", "!",
          f"video/x-raw,width=640,height=480,framerate={FPS}/1", "!",
          "jpegenc", "!"]
LISTENING = r"mjpeghttpsink-listening, .*port=\(int\)(\d+)"
# gst-launch-1.0 prints every warning message of the bus in this form
WARNING_LINE = r"^WARNING: from element \S*mjpeghttpsink0: (.*)$"

OLD_PLUGIN_OPTION = "--no-gate-properties"
OLD_PLUGIN_HELP = (
    f"{OLD_PLUGIN_OPTION}: the plugin in GST_PLUGIN_PATH predates the gate "
    "(commit e721ab6 and older) and has none of its properties "
    "(request-rate, header-timeout, ...): they are not set and what needs "
    "them is left out, so that the same test shows what the old code does.")


def old_plugin(argv):
    """Whether the test was told that the plugin predates the gate; any
    other argument is a mistake."""
    args = argv[1:]
    for arg in args:
        if arg != OLD_PLUGIN_OPTION:
            sys.exit(f"usage: {argv[0]} [{OLD_PLUGIN_OPTION}]\n"
                     f"{OLD_PLUGIN_HELP}")
    return bool(args)


def require(tool, package):
    """Like the browser tests, never skip: a missing tool is a failure that
    says what to install."""
    check(shutil.which(tool), f"{tool} is missing: apt-get install {package}")


def sink(*props):
    """gst-launch-1.0 -m with the camera and mjpeghttpsink on a free port
    of 127.0.0.1; -m prints the listening message, which has the port."""
    return (["gst-launch-1.0", "-m"] + SOURCE +
            ["mjpeghttpsink", "address=127.0.0.1", "port=0",
             "idle-timeout=0"] + list(props))


def wait_port(program):
    port = int(program.wait_for_line(LISTENING, 30,
                                     "mjpeghttpsink-listening").group(1))
    log(f"ok: listening on port {port}")
    return port


def connection(port, source, timeout=5):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0))


def request(port, path, source, timeout=5):
    """(status, headers, body) of one GET from the given source address."""
    conn = connection(port, source, timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def open_stream(port, source):
    """mjpegtest's Stream (every part parsed and checked) of /stream, from
    the given source address."""
    return Stream(f"http://127.0.0.1:{port}/stream", source=source)


class Recorder:
    """A viewer on a thread of its own that keeps the arrival time of every
    part until stopped: the test measures rates and gaps afterwards, over
    whatever windows it likes. A failure of the stream is kept for the
    test to check (after it printed its figures), rather than failing a
    thread."""

    def __init__(self, port, source):
        self.stream = open_stream(port, source)
        self.source = source
        self.arrivals = []
        self.error = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            last = None
            while not self.stopping.is_set():
                part = self.stream.read_part()
                check(last is None or part.number > last,
                      f"frame {part.number} came after {last}")
                last = part.number
                self.arrivals.append(part.received)
        except Exception as e:  # noqa: BLE001 (any of it: check_ok says it)
            if not self.stopping.is_set():
                self.error = e

    def stop(self):
        self.stopping.set()
        # ends a read that is waiting, which close() alone does not
        try:
            self.stream.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(5)
        self.stream.close()

    def check_ok(self):
        check(self.error is None,
              f"the viewer from {self.source} failed: {self.error}")

    def rate(self, start, end):
        """Parts received per second in [start, end)."""
        return sum(start <= t < end for t in self.arrivals) / (end - start)

    def worst_gap(self, start, end):
        """The longest wait for a part within [start, end), counting the
        edges, so that a stream that stopped shows as one long gap."""
        times = [start] + [t for t in self.arrivals if start < t < end] + [end]
        return max(b - a for a, b in zip(times, times[1:]))


def first_frame_time(port, source):
    """Seconds from the connect of a new viewer to its first whole part."""
    start = time.monotonic()
    stream = open_stream(port, source)
    try:
        stream.read_part()
        return time.monotonic() - start
    finally:
        stream.close()


def cpu_ticks(pid, tid=None):
    """utime + stime (clock ticks) of a process (all its threads) or of
    one thread."""
    path = f"/proc/{pid}/stat" if tid is None else \
        f"/proc/{pid}/task/{tid}/stat"
    with open(path) as f:
        stat = f.read()
    # the command name may hold spaces and parentheses: skip to its end
    fields = stat[stat.rindex(")") + 2:].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return int(fields[11]) + int(fields[12])


def thread_id(pid, name):
    """The id of the process's thread called name (its comm)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() == name:
                    return tid
        except FileNotFoundError:
            pass
    raise Failure(f"process {pid} has no thread called {name}")


def cpu_percent(pid, seconds, tid=None):
    """CPU use over the next seconds, in % of one core."""
    hz = os.sysconf("SC_CLK_TCK")
    before = cpu_ticks(pid, tid)
    start = time.monotonic()
    time.sleep(seconds)
    used = cpu_ticks(pid, tid) - before
    return used / hz / (time.monotonic() - start) * 100

