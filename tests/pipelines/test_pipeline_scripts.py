#!/usr/bin/python3
"""End-to-end tests of the scripts in pipelines/: each one is run as a
person runs it, with its settings in the environment, and watched by HTTP
clients, ours and GStreamer's.

    test_pipeline_scripts.py test-pattern | test-pattern-idle | jpeg-folder
                             | jpeg-folder-demo | camera-mjpeg | camera-raw
                             | listening | port-taken

The camera scripts run with SOURCE set to videotestsrc: there is no camera
here, and everything after the source is the script's own.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import (URL_LINE, Failure, Program, Stream,  # noqa: E402
                       check, check_decodes, check_rate, check_snapshot,
                       check_viewer, expect_urls, free_port, jpeg_size, log,
                       run)

SOURCE_DIR = Path(os.environ.get("MJPEGHTTP_SOURCE_DIR",
                                 Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("MJPEGHTTP_BUILD_DIR", SOURCE_DIR / "build"))
PIPELINES = SOURCE_DIR / "pipelines"
LOOPBACK_LINE = (r"^Only this machine can open it: other machines cannot "
                 r"reach a loopback address\. ADDRESS=0\.0\.0\.0 serves the "
                 r"whole network\.$")
WIDTH, HEIGHT, FPS = 320, 240, 15


def settings(**extra):
    port = free_port()
    env = dict(os.environ, PORT=str(port), ADDRESS="127.0.0.1",
               WIDTH=str(WIDTH), HEIGHT=str(HEIGHT), FPS=str(FPS))
    env.pop("FRAMES", None)
    env.pop("SOURCE", None)
    env.update(extra)
    return port, env


def check_listening(url, connect_to=None):
    """A GET of the snapshot URL a script has just printed, on a single
    attempt: the URL is printed once the port listens, so nothing may be
    refused. connect_to is (host, port) when the URL's host is a name."""
    parts = urllib.parse.urlsplit(url)
    host, port = connect_to or (parts.hostname, parts.port)
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError:
            raise Failure(f"{url} was printed, but nothing listens at "
                          f"{host}:{port} yet") from None
        conn.request("GET", parts.path)
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    check(resp.status == 200 and resp.headers["Content-Type"] == "image/jpeg",
          f"GET {url} right after it was printed: status {resp.status}, "
          f"Content-Type {resp.headers['Content-Type']}")
    size = jpeg_size(body)
    log(f"ok: {url} answered at once, as soon as it was printed, with a "
        f"{size[0]}x{size[1]} JPEG")


def check_gone(program, port):
    """Nothing of the script is left: no process in its process group and
    nobody on its port."""
    deadline = time.monotonic() + 5
    while True:
        try:
            os.killpg(program.proc.pid, 0)
        except ProcessLookupError:
            break
        check(time.monotonic() < deadline,
              "processes of the script are left: " + subprocess.run(
                  ["ps", "-o", "pid,args", "-g", str(program.proc.pid)],
                  capture_output=True, text=True).stdout)
        time.sleep(0.1)
    # SO_REUSEADDR: only a listener, not a closed connection, holds it.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as e:
            raise Failure(f"port {port} still taken: {e}") from None
    log(f"ok: no process of the script left, port {port} free")


def serve(name, port, env, seconds=2.0):
    """Runs pipelines/NAME.sh, checks that its snapshot answers as soon as
    its URL is printed and its viewer page, reads its stream for the given
    time, checks the snapshot, has GStreamer decode the stream and stops the
    script with Ctrl+C; the parts read."""
    script = PIPELINES / f"{name}.sh"
    with Program([script], env) as program:
        url, stream_url, snapshot_url = expect_urls(program, port)
        check_listening(snapshot_url)
        check_viewer(url)
        stream = Stream(stream_url)
        parts = stream.read_for(seconds)
        stream.close()
        log(f"ok: read {len(parts)} parts, frames {parts[0].number} to "
            f"{parts[-1].number}, each a complete JPEG")
        check_snapshot(snapshot_url)
        check_decodes(stream_url)
        status = program.stop()
    check(status == 0, f"{script.name} exited with {status} after Ctrl+C, "
          "expected 0")
    log(f"ok: {script.name} stopped cleanly on Ctrl+C")
    return parts


def check_sizes(parts, size):
    sizes = {part.size for part in parts}
    check(sizes == {size}, f"frame sizes {sizes}, expected {size}")
    log(f"ok: every frame is {size[0]}x{size[1]}")


def make_jpeg(path, width, height):
    subprocess.run(
        ["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=1", "!",
         f"video/x-raw,width={width},height={height}", "!", "jpegenc", "!",
         "filesink", f"location={path}"], check=True, timeout=30)


def test_pattern():
    # As on a machine where the plugin is built but not installed: the
    # script has to find it in the build tree by itself.
    build_gst = os.path.realpath(BUILD_DIR / "gst")
    paths = [p for p in os.environ.get("GST_PLUGIN_PATH_1_0", "").split(":")
             if p and os.path.realpath(p) != build_gst]
    with tempfile.TemporaryDirectory() as tmp:
        port, env = settings(
            GST_PLUGIN_PATH_1_0=":".join(paths),
            GST_REGISTRY=os.path.join(tmp, "registry.bin"),
            MJPEGHTTP_BUILD_DIR=str(BUILD_DIR))
        parts = serve("test-pattern", port, env)
    check_sizes(parts, (WIDTH, HEIGHT))
    check_rate(parts, FPS)
    distinct = len({part.body for part in parts})
    check(distinct > len(parts) // 2,
          f"only {distinct} different pictures in {len(parts)} frames: "
          "the pattern does not move")
    log(f"ok: {distinct} different pictures in {len(parts)} frames")


def test_pattern_idle():
    """Nobody watches: the sink pauses the pipeline; Ctrl+C still ends the
    script at once, and a viewer arriving first wakes it up."""
    port, env = settings(IDLE_TIMEOUT="1")
    script = PIPELINES / "test-pattern.sh"
    with Program([script], env) as program:
        _, stream_url, _ = expect_urls(program, port)
        time.sleep(2.5)
        stream = Stream(stream_url)
        parts = stream.read_for(1.0)
        stream.close()
        check(len(parts) >= 5, f"after the idle pause a viewer got only "
              f"{len(parts)} frames in 1 s")
        log(f"ok: woken from idle, {len(parts)} frames in 1 s")
        time.sleep(2.5)
        start = time.monotonic()
        status = program.stop()
    check(status == 0, f"Ctrl+C while idle: exit status {status}, "
          "expected 0")
    log(f"ok: Ctrl+C while idle ended the script in "
        f"{time.monotonic() - start:.1f} s")


def test_jpeg_folder():
    fps = 10
    # The widths tell the frames apart; their names sort wrongly as plain
    # strings (f10 before f2), and the .txt file is not a frame.
    widths = {"f1.jpg": 64, "f2.jpg": 80, "f10.jpg": 96, "f11.jpeg": 112}
    order = [64, 80, 96, 112]
    with tempfile.TemporaryDirectory() as tmp:
        frames = Path(tmp, "frames")
        frames.mkdir()
        for name, width in widths.items():
            make_jpeg(frames / name, width, 48)
        (frames / "notes.txt").write_text("not a frame\n")
        work = Path(tmp, "tmp")
        work.mkdir()
        port, env = settings(FRAMES=str(frames), FPS=str(fps),
                             TMPDIR=str(work))
        parts = serve("jpeg-folder", port, env, seconds=2.5)

        sizes = [part.size for part in parts]
        check(all(height == 48 for _, height in sizes),
              f"frame sizes {sizes}, all of height 48 expected")
        for prev, part in zip(parts, parts[1:]):
            step = part.number - prev.number
            expected = order[(order.index(prev.size[0]) + step) % len(order)]
            check(part.size[0] == expected,
                  f"frame {part.number} is {part.size[0]} wide, expected "
                  f"{expected}: not the files in name order, looped; widths "
                  f"seen: {[s[0] for s in sizes]}")
        span = parts[-1].number - parts[0].number
        check(span >= 2 * len(order),
              f"only {span + 1} frames: the folder of {len(order)} did not "
              "loop twice")
        log(f"ok: {span + 1} frames loop over the {len(order)} files in "
            "natural name order")
        check_rate(parts, fps)

        # The script's folder of links goes once gst-launch-1.0 is gone.
        deadline = time.monotonic() + 5
        while any(work.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [p.name for p in work.iterdir()]
        check(not left, f"jpeg-folder.sh left {left} in TMPDIR")
        log("ok: the script's temporary folder is gone")


def test_jpeg_folder_demo():
    fps = 10
    demo_frames = 3 * fps
    port, env = settings(FPS=str(fps))
    parts = serve("jpeg-folder", port, env, seconds=demo_frames / fps + 0.6)
    check_sizes(parts, (WIDTH, HEIGHT))
    check_rate(parts, fps)
    by_number = {part.number: part.body for part in parts}
    looped = [n for n in by_number if n + demo_frames in by_number]
    check(looped, f"frames {parts[0].number} to {parts[-1].number} hold no "
          f"pair {demo_frames} apart")
    for n in looped:
        check(by_number[n] == by_number[n + demo_frames],
              f"frames {n} and {n + demo_frames} differ: the demo folder of "
              f"{demo_frames} frames did not loop")
    log(f"ok: frames {demo_frames} apart are the same picture "
        f"({len(looped)} pairs): the demo folder loops")


def test_camera(name, source):
    port, env = settings(SOURCE=source)
    parts = serve(name, port, env)
    check_sizes(parts, (WIDTH, HEIGHT))
    check_rate(parts, FPS)

    # Without SOURCE the script wants the camera, and says when it is not
    # there instead of starting a pipeline that cannot work.
    port, env = settings(DEVICE="/nonexistent/video9")
    with Program([PIPELINES / f"{name}.sh"], env) as program:
        status = program.wait_exit(30)
    output = "\n".join(program.output)
    check(status == 1 and "no camera at /nonexistent/video9" in output,
          f"with no camera: exit status {status}, output {output!r}; "
          "expected 1 and 'no camera at /nonexistent/video9'")
    log("ok: without a camera the script says so and exits 1")


def test_listening():
    """The URL line comes once the port listens, also with the port the
    sink got for PORT=0; the reports of gst-launch-1.0 -m stay out of sight;
    Ctrl+C, or TERM sent to the script alone, leaves nothing behind."""
    script = PIPELINES / "test-pattern.sh"
    port, env = settings()
    with Program([script], env) as program:
        _, _, snapshot_url = expect_urls(program, port)
        program.wait_for_line(LOOPBACK_LINE, 5, "line about loopback")
        log("ok: a line says that other machines cannot reach it")
        check_listening(snapshot_url)
        status = program.stop()
    check(status == 0, f"Ctrl+C: exit status {status}, expected 0")
    reports = [line for line in program.output
               if "Got message #" in line or "mjpeghttpsink-" in line]
    check(not reports, f"the reports of gst-launch-1.0 -m are shown: "
          f"{reports[:3]}")
    progress = [line for line in program.output
                if line.startswith("Setting pipeline to ")]
    check(len(progress) >= 2,
          f"gst-launch-1.0's own lines are not shown: {program.output}")
    log("ok: gst-launch-1.0's own lines shown, its reports of messages not")
    check_gone(program, port)

    _, env = settings(PORT="0")
    with Program([script], env) as program:
        match = program.wait_for_line(URL_LINE, 30, "line with the URL")
        urls = match.group("url", "stream", "snapshot")
        port = urllib.parse.urlsplit(urls[0]).port
        base = f"http://127.0.0.1:{port}"
        check(port and urls == (base + "/", base + "/stream",
                                base + "/snapshot"),
              f"with PORT=0: printed URLs {urls}, expected a port that is "
              "not 0")
        check_listening(urls[2])
        log(f"ok: PORT=0 printed the port the sink got, {port}")
        status = program.stop()
    check(status == 0, f"Ctrl+C: exit status {status}, expected 0")
    check_gone(program, port)

    # 0.0.0.0 is printed as the host's name, as before, then one URL per
    # IPv4 address of the machine; the port listens on 127.0.0.1 too.
    port, env = settings(ADDRESS="0.0.0.0")
    hostname = subprocess.run(["hostname"], capture_output=True, text=True,
                              check=True).stdout.strip()
    with Program([script], env) as program:
        match = program.wait_for_line(URL_LINE, 30, "line with the URL")
        base = f"http://{hostname}:{port}"
        check(match.group("snapshot") == base + "/snapshot",
              f"ADDRESS=0.0.0.0: printed {match.group('snapshot')}, "
              f"expected {base}/snapshot")
        check_listening(match.group("snapshot"), ("127.0.0.1", port))
        check_machine_urls(program, port)
        # TERM to the script alone, as `kill PID` does: it ends
        # gst-launch-1.0 too.
        os.kill(program.proc.pid, signal.SIGTERM)
        status = program.wait_exit(10)
    check(status is not None, "the script did not end on TERM")
    log(f"ok: TERM to the script alone ended it (exit status {status})")
    check_gone(program, port)


def machine_ipv4():
    """The IPv4 addresses of this machine's interfaces that are up, but
    loopback ones (iproute2's JSON)."""
    out = subprocess.run(["ip", "-j", "-4", "addr", "show", "up"],
                         capture_output=True, text=True, check=True).stdout
    return {a["local"] for link in json.loads(out)
            for a in link.get("addr_info", [])
            if not a["local"].startswith("127.")}


def check_machine_urls(program, port):
    """After the line to open: a line that says anyone on the networks can
    watch, then one URL per IPv4 address of the machine, each answering."""
    expected = {f"http://{ip}:{port}/" for ip in machine_ipv4()}
    if not expected:
        program.wait_for_line(r"no network address but loopback", 5,
                              "line about no network address")
        log("ok: no address but loopback here, and the script says so")
        return
    program.wait_for_line(r"^Anyone on this machine's networks can watch",
                          5, "line that anyone on the networks can watch")
    printed = set()
    while printed != expected:
        match = program.wait_for_line(r"^  (http://\S+)$", 5,
                                      f"URLs {sorted(expected - printed)}")
        url = match.group(1)
        check(url in expected, f"printed {url}, not an IPv4 address of "
              f"this machine: expected {sorted(expected)}")
        printed.add(url)
        check_listening(url + "snapshot")
    log(f"ok: printed one URL per address of the machine: {sorted(printed)}")


def test_port_taken():
    """Another program has the port: the script exits non-zero, after
    GStreamer's error, with the setting to change; an error that is not
    about the port gets no such sentence."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _, env = settings(PORT=str(port))
        with Program([PIPELINES / "test-pattern.sh"], env) as program:
            status = program.wait_exit(30)
    output = program.output
    check(status not in (0, None),
          f"with port {port} taken: exit status {status}, expected an error")
    sentence = (f"Port {port} is taken: run with PORT={port + 1} (or PORT=0 "
                "for any free port).")
    error = [i for i, line in enumerate(output)
             if f"port {port} is in use" in line]
    check(error, f"no error of the sink about port {port}: {output}")
    check(sentence in output and output.index(sentence) > error[0],
          f"no line {sentence!r} after GStreamer's error: {output}")
    check(not any(re.search(URL_LINE, line) for line in output),
          "the URL was printed although nothing listens there")
    log(f"ok: port {port} taken: exit status {status}, then {sentence!r}")

    # 192.0.2.1 (TEST-NET-1) is nobody's address here: the sink cannot
    # listen, for another reason than a taken port.
    port, env = settings(ADDRESS="192.0.2.1")
    with Program([PIPELINES / "test-pattern.sh"], env) as program:
        status = program.wait_exit(30)
    output = program.output
    check(status not in (0, None),
          f"ADDRESS=192.0.2.1: exit status {status}, expected an error")
    check(not any("PORT=" in line for line in output),
          f"ADDRESS=192.0.2.1: a sentence about PORT: {output}")
    log(f"ok: another error (exit status {status}) names no PORT")


TESTS = {
    "test-pattern": test_pattern,
    "test-pattern-idle": test_pattern_idle,
    "jpeg-folder": test_jpeg_folder,
    "jpeg-folder-demo": test_jpeg_folder_demo,
    "camera-mjpeg": lambda: test_camera(
        "camera-mjpeg", "videotestsrc is-live=true ! jpegenc"),
    "camera-raw": lambda: test_camera(
        "camera-raw", "videotestsrc is-live=true"),
    "listening": test_listening,
    "port-taken": test_port_taken,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        sys.exit(f"usage: {sys.argv[0]} {' | '.join(TESTS)}")
    return run(TESTS[sys.argv[1]])


if __name__ == "__main__":
    sys.exit(main())
