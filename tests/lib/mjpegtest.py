"""What the end-to-end tests share: a program run in a process group of its
own and always stopped, and an HTTP client that checks every MJPEG part it
reads. Standard library only.

Each program's output is echoed with a "| " prefix as it comes, so a failed
test's log shows what the program said.
"""

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse


class Failure(Exception):
    """A check that failed; the message says what was expected."""


_log_lock = threading.Lock()


def log(text):
    """One line of the test's log; whole, also from several threads."""
    with _log_lock:
        print(text, flush=True)


def check(condition, message):
    if not condition:
        raise Failure(message)


def free_port():
    """A port nobody listens on now; the program under test binds it soon
    after, which is as close as a script that takes PORT can get."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The environment for tools the tests drive (curl, nginx, openssl, a
# browser): without the ASan runtime the asan test setup preloads for our
# own code, which these programs were not built for (nginx hangs with it).
TOOL_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}


class Program:
    """Runs argv with stdout and stderr merged into lines the test can wait
    for. Used as a context manager so that it is stopped whatever happens."""

    def __init__(self, argv, env=None, stdin=False):
        self.argv = [str(a) for a in argv]
        log("$ " + " ".join(self.argv))
        self.lines = queue.Queue()
        self.output = []
        # A group of its own: Ctrl+C from a terminal reaches the whole
        # group, and so does stop().
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            log("| " + line)
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_for_line(self, pattern, timeout, what):
        """The match of the first line, from now on, that matches."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            remaining = deadline - time.monotonic()
            check(remaining > 0, f"no {what} within {timeout} s")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise Failure(f"the program exited with status "
                              f"{self.wait_exit(5)} before {what}")
            match = regex.search(line)
            if match:
                return match

    def send(self, line):
        """Writes one line to the program's stdin (stdin=True)."""
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Ctrl+C, then SIGKILL if that was not enough; the exit status of
        the Ctrl+C, or None if it had to be killed."""
        if self.proc.poll() is None:
            self._signal(signal.SIGINT)
            if self.wait_exit(10) is None:
                log("! no exit 10 s after SIGINT: killing the process group")
                self._signal(signal.SIGKILL)
                self.proc.wait()
                self.reader.join(5)
                return None
        self.reader.join(5)
        return self.proc.returncode

    def _signal(self, signum):
        try:
            os.killpg(self.proc.pid, signum)
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


URL_LINE = (r"Open (?P<url>http://\S+) in a browser "
            r"\(stream: (?P<stream>http://\S+), "
            r"snapshot: (?P<snapshot>http://[^\s)]+)\)")


def expect_urls(program, port, timeout=30):
    """Waits for the line with the URL to open; its three URLs."""
    match = program.wait_for_line(URL_LINE, timeout, "line with the URL")
    base = f"http://127.0.0.1:{port}"
    urls = match.group("url", "stream", "snapshot")
    check(urls == (base + "/", base + "/stream", base + "/snapshot"),
          f"printed URLs {urls}, expected {base}/, /stream and /snapshot")
    log(f"ok: printed {urls[0]}")
    return urls


def jpeg_size(data):
    """(width, height) of a complete baseline or progressive JPEG; fails
    on anything else."""
    check(data[:2] == b"\xff\xd8", f"no JPEG SOI marker: {data[:8]!r}")
    check(data[-2:] == b"\xff\xd9",
          f"no JPEG EOI marker at the end: {data[-8:]!r}")
    pos = 2
    while pos + 9 < len(data):
        check(data[pos] == 0xFF, f"bad JPEG marker at byte {pos}")
        marker = data[pos + 1]
        length = int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3):
            height = int.from_bytes(data[pos + 5:pos + 7], "big")
            width = int.from_bytes(data[pos + 7:pos + 9], "big")
            return width, height
        pos += 2 + length
    raise Failure("no JPEG frame header (SOF)")


def connect(url, timeout=10, source=None):
    """An HTTP connection to url's host, from the loopback address source
    (default: any); retried while nobody listens yet, for programs that do
    not say when they listen."""
    parts = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        conn = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=5,
            source_address=(source, 0) if source else None)
        try:
            conn.connect()
            return conn
        except ConnectionRefusedError:
            conn.close()
            check(time.monotonic() < deadline,
                  f"nothing listens at {url} after {timeout} s")
            time.sleep(0.1)


def get(url, timeout=10):
    """(status, headers, body) of a GET."""
    conn = connect(url, timeout)
    try:
        conn.request("GET", urllib.parse.urlsplit(url).path or "/")
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def check_viewer(url):
    status, headers, body = get(url)
    ctype = headers.get("Content-Type", "")
    check(status == 200 and ctype.startswith("text/html"),
          f"GET {url}: status {status}, Content-Type '{ctype}', expected 200 "
          "and a page")
    log(f"ok: {url} is a page of {len(body)} bytes")


def check_snapshot(url):
    status, headers, body = get(url)
    check(status == 200, f"GET {url}: status {status}, expected 200")
    check(headers.get("Content-Type") == "image/jpeg",
          f"GET {url}: Content-Type {headers.get('Content-Type')}")
    size = jpeg_size(body)
    log(f"ok: {url} is a {size[0]}x{size[1]} JPEG of {len(body)} bytes")
    return size


class Part:
    def __init__(self, headers, body, received):
        self.headers = headers
        self.body = body
        self.received = received
        self.number = int(headers["x-frame-number"])
        self.size = jpeg_size(body)


class Stream:
    """A client of the MJPEG stream that checks the response and each part,
    from the loopback address source (default: any): the sink's limits are
    per address, so that is how a test plays several peers."""

    def __init__(self, url, source=None):
        self.url = url
        self.conn = connect(url, source=source)
        # http.client lets go of the socket once the response is read to
        # its end: kept to shut it from another thread
        self.sock = self.conn.sock
        self.local = "%s:%d" % self.conn.sock.getsockname()[:2]
        self.conn.request("GET", urllib.parse.urlsplit(url).path)
        self.resp = self.conn.getresponse()
        check(self.resp.status == 200,
              f"GET {url}: status {self.resp.status}, expected 200")
        ctype = self.resp.headers.get("Content-Type", "")
        match = re.fullmatch(
            r'multipart/x-mixed-replace\s*;\s*boundary="?([^";]+)"?', ctype)
        check(match, f"GET {url}: Content-Type '{ctype}', expected "
              "multipart/x-mixed-replace with a boundary")
        self.delimiter = b"--" + match.group(1).encode()
        self.last = None
        log(f"ok: {url} answers 200 {ctype}")

    def read_part(self):
        while True:
            line = self.resp.readline()
            check(line, f"the stream ended after frame {self.last}")
            line = line.rstrip(b"\r\n")
            if line == self.delimiter:
                break
            check(line != self.delimiter + b"--",
                  f"the server ended the stream after frame {self.last}")
            check(line.strip() == b"", f"junk between parts: {line[:60]!r}")
        headers = {}
        while True:
            line = self.resp.readline().rstrip(b"\r\n")
            if not line:
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        # How the server ends a stream at EOS: an empty part, then the
        # close delimiter.
        check(headers != {"content-length": "0"},
              f"the server ended the stream after frame {self.last}")
        check(headers.get("content-type") == "image/jpeg",
              f"part Content-Type {headers.get('content-type')}")
        check("content-length" in headers and "x-frame-number" in headers,
              f"part without Content-Length or X-Frame-Number: {headers}")
        body = self.resp.read(int(headers["content-length"]))
        part = Part(headers, body, time.monotonic())
        self.last = part.number
        return part

    def read_for(self, seconds):
        """Every part read in the given time, checked and in order."""
        parts = [self.read_part()]
        while parts[-1].received - parts[0].received < seconds:
            part = self.read_part()
            check(part.number > parts[-1].number,
                  f"frame {part.number} came after {parts[-1].number}")
            parts.append(part)
        return parts

    def close(self):
        # The response holds the socket open on its own.
        self.resp.close()
        self.conn.close()


def check_rate(parts, fps):
    """The frame rate by X-Frame-Number, within 25 % of fps."""
    frames = parts[-1].number - parts[0].number
    seconds = parts[-1].received - parts[0].received
    rate = frames / seconds
    check(abs(rate - fps) <= 0.25 * fps,
          f"{frames} frames in {seconds:.2f} s: {rate:.1f} fps, "
          f"expected {fps} within 25 %")
    log(f"ok: {frames} frames in {seconds:.2f} s, {rate:.1f} fps "
        f"(expected {fps})")


def check_decodes(stream_url, frames=5):
    """A client we did not write decodes the stream."""
    argv = ["gst-launch-1.0", "souphttpsrc", f"location={stream_url}",
            "!", "multipartdemux", "!", "image/jpeg", "!", "jpegdec",
            "!", "identity", f"eos-after={frames}", "!", "fakesink"]
    with Program(argv) as decoder:
        status = decoder.wait_exit(30)
    check(status == 0, f"souphttpsrc ! multipartdemux ! jpegdec did not "
          f"decode {frames} frames (exit status {status})")
    log(f"ok: souphttpsrc ! multipartdemux ! jpegdec decoded {frames} frames")


def run(test):
    """Runs test() and turns its outcome into an exit status and a last
    line that says what happened."""
    name = os.path.basename(sys.argv[0])
    try:
        test()
    except Failure as failure:
        log(f"FAIL: {failure}")
        return 1
    log(f"PASS: {name} {' '.join(sys.argv[1:])}")
    return 0
