"""What the stats tests share: stream clients on raw sockets that count
every byte and every part they read, the sink's figures read three ways
(the get-stats action signal, /stats as JSON, /metrics as Prometheus text)
and a Server-Sent Events reader. Standard library and PyGObject only.

A client counts what the sink counts: every byte after the HTTP response
head (multipart framing included) and every whole part.
"""

import json
import queue
import re
import socket
import sys
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import Failure, check, log  # noqa: E402

SKIP = 77


def request_head(port, path):
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "User-Agent: mjpeghttp-stats-test\r\n\r\n").encode()


def read_head(sock, what):
    """(status, {lowercase name: value}, bytes read past the head)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        check(chunk, f"{what}: the connection closed before the response "
              f"head ended: {data[:200]!r}")
        data += chunk
        check(len(data) < 65536, f"{what}: no end of the response head")
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    check(lines[0].startswith("HTTP/1."), f"{what}: status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, rest


def status_of(port, path, source="127.0.0.1"):
    """The status code of a GET, from the response head alone."""
    with socket.create_connection(("127.0.0.1", port), timeout=5,
                                  source_address=(source, 0)) as s:
        s.sendall(request_head(port, path))
        return read_head(s, f"GET {path} from {source}")[0]


class PartCounter:
    """Parses multipart/x-mixed-replace as the bytes come, split anywhere;
    counts whole parts and keeps the newest X-Frame-Number."""

    def __init__(self, boundary):
        self.delimiter = b"--" + boundary.encode()
        self.buf = bytearray()
        self.parts = 0
        self.last_number = None
        self.error = None

    def feed(self, data):
        self.buf += data
        while self._one():
            pass

    def _one(self):
        start = self.buf.find(self.delimiter)
        if start < 0:
            return False
        head_end = self.buf.find(b"\r\n\r\n", start)
        if head_end < 0:
            return False
        lines = bytes(self.buf[start:head_end]).decode("latin-1").split("\r\n")
        if lines[0] != self.delimiter.decode("latin-1"):
            # the close delimiter, or junk: the stream ended
            self.error = f"after part {self.parts}: {lines[0]!r}"
            del self.buf[:head_end + 4]
            return True
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "-1"))
        if length < 0:
            self.error = f"a part without Content-Length: {headers}"
            del self.buf[:head_end + 4]
            return True
        end = head_end + 4 + length
        if len(self.buf) < end:
            return False
        if length:
            self.parts += 1
            if "x-frame-number" in headers:
                self.last_number = int(headers["x-frame-number"])
        del self.buf[:end]
        return True


class CountingStream:
    """A stream client on a raw socket, from loopback address @source, read
    on a thread of its own as fast as the sink sends; counts bytes after the
    response head and whole parts."""

    def __init__(self, port, path="/stream", source="127.0.0.1"):
        self.path = path
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                             source_address=(source, 0))
        self.address, self.port = self.sock.getsockname()[:2]
        self.sock.sendall(request_head(port, path))
        status, headers, rest = read_head(self.sock, f"GET {path}")
        check(status == 200, f"GET {path} from {source}: {status}, "
              "expected 200")
        match = re.search(r'boundary="?([^";]+)"?',
                          headers.get("content-type", ""))
        check(match, f"GET {path}: Content-Type "
              f"{headers.get('content-type')!r}")
        self.counter = PartCounter(match.group(1))
        self.lock = threading.Lock()
        self.bytes = 0
        self.last_read = time.monotonic()
        self.closed = False
        self._count(rest)
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _count(self, data):
        with self.lock:
            self.bytes += len(data)
            self.counter.feed(data)
            if data:
                self.last_read = time.monotonic()

    def _run(self):
        while not self.stopping.is_set():
            try:
                data = self.sock.recv(262144)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            self._count(data)
        with self.lock:
            self.closed = True

    def figures(self):
        """(bytes, parts, newest frame number, seconds since the last
        byte)."""
        with self.lock:
            return (self.bytes, self.counter.parts, self.counter.last_number,
                    time.monotonic() - self.last_read)

    def close(self):
        self.stopping.set()
        self.thread.join(2)
        self.sock.close()


def wait_quiet(streams, quiet=0.7, timeout=10):
    """Waits until no stream has read a byte for @quiet seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if all(s.figures()[3] >= quiet for s in streams):
            return
        check(time.monotonic() < deadline,
              f"the streams still read after {timeout} s with no new frame")
        time.sleep(0.1)


# ---- the sink's figures -------------------------------------------------

def structure_to_dict(s):
    """A GstStructure as a dict, nested structures and GstValueArrays of
    them too (PyGObject without gst-python reads arrays with get_array)."""
    out = {}
    for i in range(s.n_fields()):
        name = s.nth_field_name(i)
        try:
            value = s.get_value(name)
        except TypeError:
            ok, arr = s.get_array(name)
            check(ok, f"field {name} of {s.get_name()} is neither a plain "
                  "value nor a GstValueArray")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                value = [arr.get_nth(j) for j in range(arr.n_values)]
            value = [structure_to_dict(v) if hasattr(v, "n_fields") else v
                     for v in value]
        if hasattr(value, "n_fields"):
            value = structure_to_dict(value)
        out[name] = value
    return out


def get_stats(sink):
    """The get-stats action signal's answer as a dict."""
    s = sink.emit("get-stats")
    check(s is not None, "get-stats returned NULL")
    check(s.get_name() == "mjpeghttpsink-stats",
          f"get-stats returned a structure named {s.get_name()!r}, "
          "expected mjpeghttpsink-stats")
    return structure_to_dict(s)


def http_get(port, path, source="127.0.0.1"):
    """(status, headers, body) of a GET that ends."""
    with socket.create_connection(("127.0.0.1", port), timeout=5,
                                  source_address=(source, 0)) as s:
        s.sendall(request_head(port, path)[:-2] +
                  b"Connection: close\r\n\r\n")
        status, headers, body = read_head(s, f"GET {path}")
        length = headers.get("content-length")
        while length is None or len(body) < int(length):
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
    return status, headers, body


def fetch_json(port, path="/stats"):
    status, headers, body = http_get(port, path)
    check(status == 200, f"GET {path}: {status}, expected 200: "
          f"{body[:200]!r}")
    ctype = headers.get("content-type", "")
    check(ctype.split(";")[0].strip() == "application/json",
          f"GET {path}: Content-Type {ctype!r}, expected application/json")
    cache = [d.strip() for d in headers.get("cache-control", "").split(",")]
    check("no-store" in cache, f"GET {path}: Cache-Control "
          f"{headers.get('cache-control')!r}, expected no-store")
    try:
        return json.loads(body)
    except ValueError as e:
        raise Failure(f"GET {path}: not JSON ({e}): {body[:300]!r}")


METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)'
                    r'(\s+-?\d+)?$')


def fetch_metrics(port, path="/metrics"):
    """(text, {(name, ((label, value), ...)): float}, {family: type},
    {family: help})."""
    status, headers, body = http_get(port, path)
    check(status == 200, f"GET {path}: {status}, expected 200")
    ctype = headers.get("content-type", "")
    check(ctype.replace(" ", "") == METRICS_TYPE.replace(" ", ""),
          f"GET {path}: Content-Type {ctype!r}, expected {METRICS_TYPE!r}")
    text = body.decode("utf-8")
    samples, types, helps = {}, {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            types[name] = kind
        elif line.startswith("# HELP "):
            _, _, name, *words = line.split(None, 3)
            helps[name] = words[0] if words else ""
        elif line.startswith("#") or not line.strip():
            continue
        else:
            m = SAMPLE.match(line)
            check(m, f"{path}: a line that is no sample: {line!r}")
            labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"',
                                             m.group(3) or "")))
            samples[(m.group(1), labels)] = float(m.group(4))
    return text, samples, types, helps


def metric(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    check(key in samples, f"/metrics has no sample {name}"
          f"{labels if labels else ''}")
    return samples[key]


# ---- Server-Sent Events -------------------------------------------------

class Event:
    def __init__(self, kind, data, received, retry=None):
        self.kind = kind            # "status", "join", ..., or ":" comment
        self.data = data            # text
        self.received = received    # monotonic seconds
        self.retry = retry

    def json(self):
        try:
            return json.loads(self.data)
        except ValueError as e:
            raise Failure(f"event {self.kind}: data is not JSON "
                                 f"({e}): {self.data!r}")

    def __repr__(self):
        return f"<{self.kind} {self.data!r}>"


class EventStream:
    """A /events connection read on a thread of its own: every event,
    comment and retry field goes to a queue with the time it came."""

    def __init__(self, port, path="/events", source="127.0.0.1"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                             source_address=(source, 0))
        self.port = self.sock.getsockname()[1]
        self.connected = time.monotonic()
        self.sock.sendall(request_head(port, path))
        self.status, self.headers, rest = read_head(self.sock, f"GET {path}")
        self.events = queue.Queue()
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(rest,),
                                       daemon=True)
        if self.status == 200:
            self.thread.start()

    def _run(self, data):
        buf = data
        kind, lines, retry = None, [], None
        while not self.stopping.is_set():
            while b"\n" in buf:
                raw, _, buf = buf.partition(b"\n")
                line = raw.rstrip(b"\r").decode("utf-8", "replace")
                now = time.monotonic()
                if line == "":
                    if kind or lines or retry is not None:
                        self.events.put(Event(kind or "message",
                                              "\n".join(lines), now, retry))
                    kind, lines, retry = None, [], None
                elif line.startswith(":"):
                    self.events.put(Event(":", line[1:].strip(), now))
                else:
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "event":
                        kind = value
                    elif name == "data":
                        lines.append(value)
                    elif name == "retry":
                        retry = int(value)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
        self.events.put(None)

    def next(self, timeout):
        """The next event, or None at the end of the stream; fails after
        @timeout seconds."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            raise Failure(f"no event within {timeout} s")

    def wait_for(self, kind, timeout, skip=("status", ":")):
        """The next event of @kind; events of the kinds in @skip before it
        are passed over and returned too."""
        deadline = time.monotonic() + timeout
        passed = []
        while True:
            left = deadline - time.monotonic()
            check(left > 0, f"no {kind} event within {timeout} s "
                  f"(got {passed})")
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            check(ev is not None, f"the events stream ended before a {kind} "
                  "event")
            if ev.kind == kind:
                return ev, passed
            check(ev.kind in skip, f"a {ev.kind} event came while waiting "
                  f"for {kind}: {ev}")
            passed.append(ev)

    def collect(self, seconds):
        """Every event that comes in the next @seconds."""
        end = time.monotonic() + seconds
        got = []
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return got
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                return got
            if ev is None:
                return got
            got.append(ev)

    def close(self):
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(2)
        self.sock.close()


def log_ok(text):
    log("ok: " + text)
