#!/usr/bin/python3
"""How fast mjpeghttpsink wakes up, and how quiet it is while idle.

For each source (a live videotestsrc and a clock-paced folder of JPEGs), a
gst-launch-1.0 pipeline ends in mjpeghttpsink idle-timeout=IDLE. Once the
sink has posted mjpeghttpsink-idle, the process CPU is read from /proc over
--cpu-seconds, then a client connects and we time:
  cached: connect -> first byte of the first frame (the cached frame)
  fresh:  connect -> first byte of the first frame produced after wake-up
Repeated --rounds times. Prints a table; --markdown prints it as markdown.

Usage: bench/idle-wake.py [--build DIR] [--rounds N] [--cpu-seconds S]
Loopback only; every process it starts is stopped on exit.
"""
import argparse
import os
import re
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BOUNDARY = b"--mjpeghttpsink-a7c3f1e9"
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Pipeline:
    def __init__(self, desc, env):
        self.proc = subprocess.Popen(
            ["gst-launch-1.0", "-m"] + desc.split(),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        self.buf = b""

    def wait_message(self, name, timeout):
        end = time.monotonic() + timeout
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                if name.encode() in line:
                    return line.decode(errors="replace")
            left = end - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"no {name} within {timeout} s")
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise RuntimeError("gst-launch-1.0 exited:\n" +
                                       self.buf.decode(errors="replace"))
                self.buf += chunk

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def time_wake(port):
    """Returns (ms to the cached frame, ms to the first fresh frame)."""
    t0 = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = b""
    first_number = None
    cached_ms = None
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                raise RuntimeError("stream ended")
            now = time.monotonic()
            data += chunk
            # parts: BOUNDARY CRLF headers CRLF CRLF body CRLF BOUNDARY ...
            while True:
                m = re.search(rb"X-Frame-Number: (\d+)\r\n\r\n", data)
                if not m:
                    break
                number = int(m.group(1))
                if len(data) == m.end():
                    break          # header complete, body not begun yet
                if first_number is None:
                    first_number = number
                    cached_ms = (now - t0) * 1000
                elif number > first_number:
                    return cached_ms, (now - t0) * 1000
                data = data[m.end():]
    finally:
        s.close()


def run(name, desc, env, rounds, cpu_window):
    port = free_port()
    p = Pipeline(desc.format(port=port), env)
    cpu, cached, fresh = [], [], []
    try:
        for _ in range(rounds):
            p.wait_message("mjpeghttpsink-idle", 30)
            time.sleep(0.5)            # let the state change settle
            c0 = cpu_seconds(p.proc.pid)
            time.sleep(cpu_window)
            cpu.append((cpu_seconds(p.proc.pid) - c0) / cpu_window * 100)
            c, f = time_wake(port)
            cached.append(c)
            fresh.append(f)
            p.wait_message("mjpeghttpsink-wake", 5)
    finally:
        p.stop()
    return name, cpu, cached, fresh


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--build", default=os.path.join(here, "..", "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cpu-seconds", type=float, default=10)
    ap.add_argument("--idle-timeout", type=int, default=1)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()

    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(os.path.abspath(args.build), "gst")
    frames = tempfile.mkdtemp(prefix="mjpeghttp-idle-")
    try:
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "pattern=ball",
                        "num-buffers=60", "!",
                        "video/x-raw,width=640,height=480", "!", "jpegenc",
                        "!", "multifilesink",
                        f"location={frames}/%05d.jpg"], check=True, env=env)
        sink = (f"mjpeghttpsink port={{port}} idle-timeout={args.idle_timeout}")
        cases = [
            ("videotestsrc is-live=true, 640x480@30",
             "videotestsrc is-live=true pattern=ball ! "
             "video/x-raw,width=640,height=480,framerate=30/1 ! jpegenc ! "
             + sink),
            ("multifilesrc, clock-paced 30 fps",
             f"multifilesrc location={frames}/%05d.jpg loop=true "
             "caps=image/jpeg,framerate=30/1 ! jpegdec ! jpegenc ! " + sink),
        ]
        results = [run(n, d, env, args.rounds, args.cpu_seconds)
                   for n, d in cases]
    finally:
        shutil.rmtree(frames, ignore_errors=True)

    head = ("source", "idle CPU % (mean/max)", "cached frame ms (median/max)",
            "fresh frame ms (median/max)")
    rows = []
    for name, cpu, cached, fresh in results:
        rows.append((name,
                     f"{statistics.mean(cpu):.2f} / {max(cpu):.2f}",
                     f"{statistics.median(cached):.1f} / {max(cached):.1f}",
                     f"{statistics.median(fresh):.1f} / {max(fresh):.1f}"))
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * len(head))
        for r in rows:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(x[i]) for x in [head] + rows) for i in range(4)]
        for r in [head] + rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print(f"({args.rounds} rounds each, CPU over {args.cpu_seconds:g} s "
          f"while idle, idle-timeout={args.idle_timeout} s, "
          f"{os.cpu_count()} cores)")


if __name__ == "__main__":
    sys.exit(main())
