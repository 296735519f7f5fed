#!/usr/bin/python3
"""delay-sink: mjpeg-delay against a real mjpeghttpsink fed by
videotestsrc ! jpegenc at 30 fps (320x240), on 127.0.0.1.

- /stream for 3 s: about 30 fps, frames numbered in order with at most a
  few skipped (a viewer on loopback keeps up), no duplicate or
  out-of-order part; one clock on both ends, so every delay is
  non-negative, and small (the sink stamps a frame when it gets it and
  sends it at once); the --per-frame lines agree with the report and
  their timestamps fall within the run.
- /stream?fps=5 for 3 s: about 5 fps, and about 5 of every 6 source
  frames counted as skipped, each gap in the --per-frame lines to the
  frame: the skipped count follows what the sink really leaves out.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from delaylib import Sink, run_tool  # noqa: E402
from mjpegtest import check, log, run  # noqa: E402

FPS = 30
SECONDS = 3


def check_frames(res, report, started, ended):
    frames = res.frames()
    check(len(frames) == report["frames"],
          f"{len(frames)} --per-frame lines for {report['frames']} frames")
    for a, b in zip(frames, frames[1:]):
        check(b["frame"] == a["frame"] + 1 + b["skipped_before"],
              f"frame {b['frame']} after {a['frame']} with skipped_before "
              f"{b['skipped_before']}")
    check(sum(f["skipped_before"] for f in frames) == report["skipped"],
          "the --per-frame gaps do not add up to the report's skipped")
    for f in frames:
        check(started - 1 <= f["timestamp"] <= f["arrival"] <= ended + 1,
              f"frame {f['frame']}: timestamp {f['timestamp']}, arrival "
              f"{f['arrival']}, outside the run {started}..{ended}")
    log(f"ok: {len(frames)} --per-frame lines, in order, within the run")


def full_rate(sink):
    started = time.time()
    res = run_tool("--seconds", SECONDS, "--per-frame", "--json",
                   "--timeout", 5, sink.base + "/stream")
    ended = time.time()
    check(res.status == 0, f"exit status {res.status}")
    report = res.report()
    log(f"   {report['frames']} frames, {report['fps']} fps, skipped "
        f"{report['skipped']}, delay ms min {report['delay_ms_min']} p50 "
        f"{report['delay_ms_p50']} p99 {report['delay_ms_p99']} max "
        f"{report['delay_ms_max']}, first frame "
        f"{report['first_frame_delay_ms']}")
    check(report["frames"] >= FPS * SECONDS * 2 // 3,
          f"{report['frames']} frames in {SECONDS} s at {FPS} fps")
    check(abs(report["fps"] - FPS) <= 0.25 * FPS,
          f"{report['fps']} fps, expected {FPS} within 25 %")
    check(report["skipped"] <= report["frames"] // 10,
          f"{report['skipped']} of {report['frames']} frames skipped by a "
          "viewer on loopback")
    check(report["duplicates"] == 0 and report["out_of_order"] == 0,
          f"duplicates {report['duplicates']}, out of order "
          f"{report['out_of_order']}")
    check(report["delay_ms_min"] >= 0 and report["negative_delays"] == 0
          and not report["clocks_disagree"],
          f"negative delays ({report['negative_delays']}, min "
          f"{report['delay_ms_min']}) with one clock on both ends")
    check(report["delay_ms_p50"] < 50 and report["delay_ms_max"] < 1000,
          f"delays p50 {report['delay_ms_p50']}, max "
          f"{report['delay_ms_max']} ms from a sink on loopback")
    check(report["first_frame_delay_ms"] >= 0,
          f"first frame delay {report['first_frame_delay_ms']}")
    log(f"ok: /stream: {report['frames']} frames, {report['fps']:.1f} fps, "
        f"skipped {report['skipped']}, delays {report['delay_ms_min']:.2f} "
        f"to {report['delay_ms_max']:.2f} ms")
    check_frames(res, report, started, ended)


def capped(sink):
    cap = 5
    started = time.time()
    res = run_tool("--seconds", SECONDS, "--per-frame", "--json",
                   "--timeout", 5, f"{sink.base}/stream?fps={cap}")
    ended = time.time()
    check(res.status == 0, f"exit status {res.status}")
    report = res.report()
    # every gap counted, each one right
    check_frames(res, report, started, ended)
    check(abs(report["fps"] - cap) <= 0.25 * cap,
          f"?fps={cap}: {report['fps']} fps")
    # every source number from the first frame to the last is either
    # received or skipped
    received = report["frames"] - 1
    share = report["skipped"] / (report["skipped"] + received)
    want = 1 - cap / FPS
    check(abs(share - want) <= 0.1,
          f"?fps={cap}: {report['skipped']} skipped against {received} "
          f"received after the first, a share of {share:.2f}, expected "
          f"about {want:.2f}")
    check(report["delay_ms_min"] >= 0 and report["delay_ms_p50"] < 50,
          f"?fps={cap}: delays min {report['delay_ms_min']}, p50 "
          f"{report['delay_ms_p50']}")
    log(f"ok: ?fps={cap}: {report['fps']:.1f} fps, skipped "
        f"{report['skipped']} ({share:.2f} of the source's frames), delay "
        f"p50 {report['delay_ms_p50']:.2f} ms")


def test():
    with Sink("idle-timeout=0") as sink:
        full_rate(sink)
        capped(sink)


if __name__ == "__main__":
    sys.exit(run(test))
