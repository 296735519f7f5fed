#!/usr/bin/python3
"""End-to-end tests of the scripts in pipelines/: each one is run as a
person runs it, with its settings in the environment, and watched by HTTP
clients, ours and GStreamer's.

    test_pipeline_scripts.py test-pattern | test-pattern-idle | jpeg-folder
                             | jpeg-folder-demo | camera-mjpeg | camera-raw

The camera scripts run with SOURCE set to videotestsrc: there is no camera
here, and everything after the source is the script's own.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import (Program, Stream, check, check_decodes,  # noqa: E402
                       check_rate, check_snapshot, check_viewer, expect_urls,
                       free_port, log, run)

SOURCE_DIR = Path(os.environ.get("MJPEGHTTP_SOURCE_DIR",
                                 Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("MJPEGHTTP_BUILD_DIR", SOURCE_DIR / "build"))
PIPELINES = SOURCE_DIR / "pipelines"
WIDTH, HEIGHT, FPS = 320, 240, 15


def settings(**extra):
    port = free_port()
    env = dict(os.environ, PORT=str(port), ADDRESS="127.0.0.1",
               WIDTH=str(WIDTH), HEIGHT=str(HEIGHT), FPS=str(FPS))
    env.pop("FRAMES", None)
    env.pop("SOURCE", None)
    env.update(extra)
    return port, env


def serve(name, port, env, seconds=2.0):
    """Runs pipelines/NAME.sh, checks its viewer page, reads its stream for
    the given time, checks the snapshot, has GStreamer decode the stream and
    stops the script with Ctrl+C; the parts read."""
    script = PIPELINES / f"{name}.sh"
    with Program([script], env) as program:
        url, stream_url, snapshot_url = expect_urls(program, port)
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


TESTS = {
    "test-pattern": test_pattern,
    "test-pattern-idle": test_pattern_idle,
    "jpeg-folder": test_jpeg_folder,
    "jpeg-folder-demo": test_jpeg_folder_demo,
    "camera-mjpeg": lambda: test_camera(
        "camera-mjpeg", "videotestsrc is-live=true ! jpegenc"),
    "camera-raw": lambda: test_camera(
        "camera-raw", "videotestsrc is-live=true"),
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        sys.exit(f"usage: {sys.argv[0]} {' | '.join(TESTS)}")
    return run(TESTS[sys.argv[1]])


if __name__ == "__main__":
    sys.exit(main())
