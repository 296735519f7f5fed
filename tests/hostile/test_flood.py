#!/usr/bin/python3
"""hostile-flood: a flood of short requests must not slow the stream down.

    test_flood.py [--no-gate-properties]

A viewer from 127.0.0.3 watches /stream. After it has watched for 2 s,
127.0.0.1 floods the server for 10 s with wrk (200 connections asking for
/snapshot, and one more asking for / over and over). Meanwhile the viewer
must keep at least 90 % of the frame rate it had before and never wait more
than 0.5 s for a part, and a new viewer from 127.0.0.4, 3 s into the flood,
must get its first frame within 1 s.

It runs twice: with the sink's default request-rate, so that most of the
flood is answered 429 by the gate, and with request-rate=0, so that every
request is served and what is tested is the scheduling alone (frames are
written above request handling), which is the main point. The figures are
printed either way, before the checks.

With --no-gate-properties (for a plugin older than the gate, see
hostile.py) only the run without a rate limit is made, with no property set.
"""

import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import (FPS, Recorder, first_frame_time,  # noqa: E402
                     old_plugin, require, sink, wait_port)
from mjpegtest import Failure, Program, check, log, run  # noqa: E402

BEFORE_S = 2.0
FLOOD_S = 10
NEW_VIEWER_AFTER_S = 3.0
MIN_RATE_KEPT = 0.9
MAX_GAP_S = 0.5
MAX_FIRST_FRAME_S = 1.0


def wrk(port, path, threads, connections):
    return Program(["wrk", f"-t{threads}", f"-c{connections}",
                    f"-d{FLOOD_S}s", f"http://127.0.0.1:{port}{path}"])


def wrk_figures(program):
    """(requests, requests per second, answers other than 2xx and 3xx)
    from what wrk printed."""
    text = "\n".join(program.output)
    total = re.search(r"(\d+) requests in", text)
    rate = re.search(r"Requests/sec:\s*([\d.]+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    check(total and rate, "wrk printed no summary")
    return (int(total.group(1)), float(rate.group(1)),
            int(non2xx.group(1)) if non2xx else 0)


def new_viewer_time(port):
    """First-frame time of a viewer from 127.0.0.4, or None with the reason
    logged: the figures are printed before anything fails."""
    try:
        return first_frame_time(port, "127.0.0.4")
    except (Failure, OSError) as e:
        log(f"! the viewer from 127.0.0.4 got no frame: {e}")
        return None


def flood(label, props, rate_limited):
    log(f"== {label}")
    with Program(sink(*props)) as server:
        port = wait_port(server)
        viewer = Recorder(port, "127.0.0.3")
        try:
            # half a second to settle, then the rate before the flood
            time.sleep(0.5 + BEFORE_S)
            start = time.monotonic()
            with wrk(port, "/snapshot", 2, 200) as snapshots, \
                    wrk(port, "/", 1, 1) as pages:
                time.sleep(NEW_VIEWER_AFTER_S)
                first = new_viewer_time(port)
                check(snapshots.wait_exit(FLOOD_S + 10) == 0 and
                      pages.wait_exit(10) == 0, "wrk failed")
            end = start + FLOOD_S
        finally:
            viewer.stop()
        check(server.proc.poll() is None, "gst-launch-1.0 died in the flood")

    before = viewer.rate(start - BEFORE_S, start)
    during = viewer.rate(start, end)
    gap = viewer.worst_gap(start, end)
    total, per_s, non2xx = wrk_figures(snapshots)
    page_total, page_per_s, page_non2xx = wrk_figures(pages)
    log(f"figures ({label}): viewer {before:.1f} fps before, {during:.1f} "
        f"fps during the flood ({during / before * 100:.0f} %), worst gap "
        f"{gap * 1000:.0f} ms; new viewer's first frame "
        + (f"{first * 1000:.0f} ms" if first is not None else "never")
        + f"; wrk /snapshot {total} requests, {per_s:.0f}/s, {non2xx} not "
        f"2xx; wrk / {page_total} requests, {page_per_s:.0f}/s, "
        f"{page_non2xx} not 2xx")

    viewer.check_ok()
    check(before >= 0.8 * FPS, f"the viewer got {before:.1f} fps before the "
          f"flood, expected about {FPS}: the machine is too busy to tell")
    check(during >= MIN_RATE_KEPT * before,
          f"the viewer's frame rate fell from {before:.1f} to {during:.1f} "
          f"fps during the flood (expected at least {MIN_RATE_KEPT:.0%})")
    check(gap <= MAX_GAP_S, f"the viewer waited {gap * 1000:.0f} ms for a "
          f"part during the flood (at most {MAX_GAP_S * 1000:.0f} ms)")
    check(first is not None and first <= MAX_FIRST_FRAME_S,
          "a new viewer during the flood got its first frame "
          + (f"after {first * 1000:.0f} ms" if first is not None else "never")
          + f" (at most {MAX_FIRST_FRAME_S * 1000:.0f} ms)")
    if rate_limited:
        # the flood's own address is past its rate: 429 for most of it
        check(non2xx > total / 2, f"only {non2xx} of {total} flood "
              "requests refused with the default request-rate")
    else:
        # else a server refusing everything would pass without effort
        check(non2xx < total / 10 and per_s >= 100,
              f"{total - non2xx} of {total} snapshots answered, {per_s:.0f} "
              "requests/s: the flood was not served")
    log(f"ok: {label}: the stream kept its pace through the flood")


def test(old):
    require("wrk", "wrk")
    if old:
        flood("no rate limit (the plugin has none)", [], False)
        return
    flood("default request-rate", [], True)
    flood("request-rate=0", ["request-rate=0"], False)


if __name__ == "__main__":
    old = old_plugin(sys.argv)
    sys.exit(run(lambda: test(old)))
