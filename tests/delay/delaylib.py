"""What the delay tests share: the tool of the build tree run to its end,
a fake stream server on 127.0.0.1 whose parts carry chosen X-Timestamp and
X-Frame-Number values, and a real mjpeghttpsink. Standard library only.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import Failure, Program, TOOL_ENV, check, log  # noqa: E402

SOURCE_DIR = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("MJPEGHTTP_BUILD_DIR", SOURCE_DIR / "build"))
# MJPEG_DELAY: another build of the tool (a deliberately broken one, to
# see that the tests notice)
TOOL = Path(os.environ.get("MJPEG_DELAY", BUILD_DIR / "bench" / "mjpeg-delay"))

BOUNDARY = "fakeboundary"
# a body the tool counts as a picture; it never decodes one
JPEG = b"\xff\xd8" + bytes(range(256)) * 8 + b"\xff\xd9"
LISTENING = r"mjpeghttpsink-listening, .*port=\(int\)(\d+)"


class Result:
    def __init__(self, argv, proc):
        self.status = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")
        log("$ " + " ".join(argv) + f"  -> exit {self.status}")
        for line in self.stdout.splitlines()[-8:]:
            log("| " + line)
        for line in self.stderr.splitlines():
            log("! " + line)

    def report(self):
        """The last line of --json's output: the report."""
        lines = self.stdout.strip().splitlines()
        check(lines, "no output on stdout")
        try:
            return json.loads(lines[-1])
        except ValueError:
            raise Failure(f"the last line is not JSON: {lines[-1]!r}")

    def frames(self):
        """--per-frame --json's lines, the report left out."""
        return [json.loads(line) for line in self.stdout.splitlines()
                if line.startswith('{"frame"')]


def run_tool(*args, timeout=30):
    check(TOOL.exists(), f"{TOOL} is not built: ninja -C {BUILD_DIR}")
    argv = [str(TOOL)] + [str(a) for a in args]
    proc = subprocess.run(argv, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout,
                          env=TOOL_ENV)
    return Result(argv, proc)


def expect_error(result, *words, status=1):
    """The run failed with a sentence on stderr holding every word."""
    check(result.status == status,
          f"exit status {result.status}, expected {status}")
    missing = [w for w in words if w not in result.stderr]
    check(not missing, f"stderr lacks {missing}: {result.stderr!r}")
    log(f"ok: exit {status}, {result.stderr.strip()}")


def stream_head(extra=""):
    return ("HTTP/1.1 200 OK\r\n"
            f"Content-Type: multipart/x-mixed-replace;boundary={BOUNDARY}\r\n"
            f"Cache-Control: no-store\r\n{extra}Connection: close\r\n\r\n"
            ).encode()


def part(number=None, timestamp=None, body=JPEG):
    """One part as the sink lays it out: header block, JPEG, then the
    boundary that closes it."""
    head = f"Content-Type: image/jpeg\r\nContent-Length: {len(body)}\r\n"
    if timestamp is not None:
        head += f"X-Timestamp: {timestamp:.6f}\r\n"
    if number is not None:
        head += f"X-Frame-Number: {number}\r\n"
    return head.encode() + b"\r\n", body + f"\r\n--{BOUNDARY}\r\n".encode()


class FakeServer:
    """Listens on 127.0.0.1 and runs handler(sock, request) for each
    connection, on a thread of its own; the sockets are closed at exit."""

    def __init__(self, handler):
        self.handler = handler
        self.requests = []
        self.errors = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/stream"
        self.socks = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.socks.append(sock)
            threading.Thread(target=self._serve, args=(sock,),
                             daemon=True).start()

    def _serve(self, sock):
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(4096)
                if not chunk:
                    return
                data += chunk
            request = data.decode("latin-1")
            self.requests.append(request)
            self.handler(sock, request)
        except OSError as e:
            # the tool hangs up once it has its frames
            self.errors.append(e)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.listener.close()
        for sock in self.socks:
            try:
                sock.close()
            except OSError:
                pass


def serve_frames(numbers, offset=-0.150, interval=0.02, extra_head="",
                 split=0.0, hold=5.0):
    """A handler that sends one part per entry of numbers (None: no
    X-Frame-Number), each stamped offset seconds from the moment its header
    goes out; split > 0 sends the first half of each body, waits split
    seconds, then the rest. Then it keeps the connection open for hold
    seconds (the tool stops at its --frames)."""
    def handler(sock, request):
        sock.sendall(stream_head(extra_head) + f"--{BOUNDARY}\r\n".encode())
        for n in numbers:
            head, rest = part(n, time.time() + offset)
            if split:
                half = len(JPEG) // 2
                sock.sendall(head + rest[:half])
                time.sleep(split)
                sock.sendall(rest[half:])
            else:
                sock.sendall(head + rest)
            time.sleep(interval)
        time.sleep(hold)
    return handler


def answer(status_line, headers="", body=b""):
    """A handler that sends one complete answer and closes."""
    def handler(sock, request):
        sock.sendall(f"HTTP/1.1 {status_line}\r\n{headers}"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n"
                     "\r\n".encode() + body)
        sock.shutdown(socket.SHUT_WR)
    return handler


class Sink:
    """gst-launch-1.0 with a live 320x240 30 fps test pattern through
    jpegenc into mjpeghttpsink on a free port of 127.0.0.1."""

    def __init__(self, *properties):
        argv = ["gst-launch-1.0", "-m", "videotestsrc", "is-live=true", "!",
                "video/x-raw,width=320,height=240,framerate=30/1", "!",
                "jpegenc", "!", "mjpeghttpsink", "address=127.0.0.1",
                "port=0", *properties]
        self.program = Program(argv)
        port = self.program.wait_for_line(LISTENING, 30, "listening message")
        self.port = int(port.group(1))
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.program.stop()
