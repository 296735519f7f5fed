#!/usr/bin/python3
"""delay-fake: mjpeg-delay against a fake stream server on 127.0.0.1 that
stamps each part with a chosen X-Timestamp and X-Frame-Number, so that the
delay and the skipped count it must report are known:

- parts stamped 150 ms before they go out, numbers with three gaps (13
  numbers jumped over): every delay between 150 ms and 150 ms plus a
  tolerance, skipped exactly 13, no duplicate or out-of-order part; the
  --per-frame lines list each frame with its number, timestamp, arrival,
  delay (arrival minus timestamp) and the gap before it; the text report
  says the same;
- a repeated number and a step back: one duplicate, one out of order;
- a body sent in two halves 300 ms apart: the delay runs to the second
  half (the whole part), not to the header;
- parts stamped 500 ms in the future (a clock ahead of ours): negative
  delays, and the report says the clocks disagree;
- parts without X-Frame-Number: skipped unknown, not 0;
- the stream in chunked transfer coding, as nginx relays it to an
  HTTP/1.1 client, cut at odd places;
- --seconds 1 on an endless 50 fps stream: about 50 frames in about 1 s.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from delaylib import (BOUNDARY, FakeServer, part, run_tool,  # noqa: E402
                      serve_frames, stream_head)
from mjpegtest import check, log, run  # noqa: E402

OFFSET_MS = 150
# a busy shared machine: the tool may read a part this late
TOLERANCE_MS = 100


def check_delays(report, low, high, what):
    for key in ("delay_ms_min", "delay_ms_p50", "delay_ms_p99",
                "delay_ms_max", "first_frame_delay_ms"):
        value = report[key]
        check(value is not None and low <= value <= high,
              f"{what}: {key} {value}, expected {low} to {high}")
    log(f"ok: {what}: delays {report['delay_ms_min']:.1f} / "
        f"{report['delay_ms_p50']:.1f} / {report['delay_ms_max']:.1f} ms "
        f"(min / p50 / max) within {low}..{high}")


def gaps():
    # 102 -> 105 jumps 2, 107 -> 110 jumps 2, 120 -> 130 jumps 9
    numbers = [100, 101, 102, 105, 106, 107, 110] + list(range(111, 121)) \
        + [130, 131]
    want_skipped = 13
    before = {105: 2, 110: 2, 130: 9}
    with FakeServer(serve_frames(numbers, offset=-OFFSET_MS / 1000)) as srv:
        res = run_tool("--frames", len(numbers), "--per-frame", "--json",
                       "--timeout", 5, srv.url)
        check(res.status == 0, f"exit status {res.status}, expected 0")
        report = res.report()
        check(report["frames"] == len(numbers),
              f"frames {report['frames']}, expected {len(numbers)}")
        check(report["skipped"] == want_skipped,
              f"skipped {report['skipped']}, expected {want_skipped}")
        check(report["duplicates"] == 0 and report["out_of_order"] == 0,
              f"duplicates {report['duplicates']}, out of order "
              f"{report['out_of_order']}, expected 0 and 0")
        check(report["first_frame_number"] == 100,
              f"first frame {report['first_frame_number']}, expected 100")
        check(report["delay_frames"] == len(numbers) - 1,
              f"delay over {report['delay_frames']} frames, expected all "
              "but the first")
        check(report["clocks_disagree"] is False and report["error"] is None,
              f"clocks_disagree {report['clocks_disagree']}, error "
              f"{report['error']}")
        check_delays(report, OFFSET_MS, OFFSET_MS + TOLERANCE_MS,
                     "150 ms before sending")
        log(f"ok: {report['frames']} frames, skipped {report['skipped']}")

        frames = res.frames()
        check([f["frame"] for f in frames] == numbers,
              f"--per-frame numbers {[f['frame'] for f in frames]}, "
              f"expected {numbers}")
        for f in frames:
            want = before.get(f["frame"], 0)
            check(f["skipped_before"] == want,
                  f"frame {f['frame']}: skipped_before "
                  f"{f['skipped_before']}, expected {want}")
            delay = (f["arrival"] - f["timestamp"]) * 1000
            check(abs(delay - f["delay_ms"]) < 0.01,
                  f"frame {f['frame']}: delay_ms {f['delay_ms']}, but "
                  f"arrival - timestamp is {delay:.3f} ms")
            check(OFFSET_MS <= f["delay_ms"] <= OFFSET_MS + TOLERANCE_MS,
                  f"frame {f['frame']}: delay {f['delay_ms']} ms")
            check(abs(f["arrival"] - time.time()) < 30,
                  f"frame {f['frame']}: arrival {f['arrival']} is not "
                  "the wall-clock time")
        log("ok: --per-frame: number, timestamp, arrival, delay and gap "
            "of each frame")

        res = run_tool("--frames", len(numbers), "--timeout", 5, srv.url)
        check(res.status == 0, f"text report: exit status {res.status}")
        for words in (f"{len(numbers)} frames", "p50", "p99", "max", "min",
                      "frames skipped 13", "duplicates 0",
                      "out of order 0", "first frame 100"):
            check(words in res.stdout, f"the text report lacks '{words}'")
        check("clocks disagree" not in res.stdout,
              "the text report says the clocks disagree")
        log("ok: the text report says the same")


def duplicates():
    numbers = [1, 2, 2, 3, 4, 2, 3, 4, 5]
    with FakeServer(serve_frames(numbers)) as srv:
        report = run_tool("--frames", len(numbers), "--json", "--timeout", 5,
                          srv.url).report()
    got = (report["skipped"], report["duplicates"], report["out_of_order"])
    check(got == (0, 1, 1), f"numbers {numbers}: skipped, duplicates, out "
          f"of order {got}, expected (0, 1, 1)")
    log(f"ok: numbers {numbers}: one duplicate, one out of order, none "
        "skipped")


def whole_part():
    split = 0.3
    with FakeServer(serve_frames([1, 2, 3], offset=0, split=split)) as srv:
        res = run_tool("--frames", 3, "--per-frame", "--json", "--timeout", 5,
                       srv.url)
    check(res.status == 0, f"exit status {res.status}")
    low = split * 1000
    for f in res.frames():
        check(low <= f["delay_ms"] <= low + TOLERANCE_MS,
              f"frame {f['frame']}: delay {f['delay_ms']} ms, but its "
              f"second half came {low:.0f} ms after its header")
    log(f"ok: a body in halves {low:.0f} ms apart: delays "
        f"{[round(f['delay_ms'], 1) for f in res.frames()]} ms")


def clock_ahead():
    with FakeServer(serve_frames(range(1, 6), offset=0.5)) as srv:
        res = run_tool("--frames", 5, "--timeout", 5, srv.url)
        check(res.status == 0, f"exit status {res.status}: negative delays "
              "are a finding, not an error")
        check("clocks disagree" in res.stdout and "behind" in res.stdout,
              "the text report does not say the clocks disagree")
        report = run_tool("--frames", 5, "--json", "--timeout", 5,
                          srv.url).report()
    check(report["clocks_disagree"] is True and report["negative_delays"] == 5,
          f"clocks_disagree {report['clocks_disagree']}, negative_delays "
          f"{report['negative_delays']}, expected true and 5")
    check_delays(report, -500, -500 + TOLERANCE_MS, "500 ms in the future")


def no_numbers():
    with FakeServer(serve_frames([None] * 4)) as srv:
        res = run_tool("--frames", 4, "--timeout", 5, srv.url)
        check(res.status == 0, f"exit status {res.status}")
        check("skipped: unknown" in res.stdout,
              "the text report does not say skips are unknown")
        report = run_tool("--frames", 4, "--json", "--timeout", 5,
                          srv.url).report()
    check(report["skipped"] is None and report["frame_numbers"] is False,
          f"without X-Frame-Number: skipped {report['skipped']}, "
          f"frame_numbers {report['frame_numbers']}, expected null, false")
    check(report["frames"] == 4, f"frames {report['frames']}, expected 4")
    log("ok: without X-Frame-Number, skipped is unknown (null)")


def chunked_handler(sock, request):
    body = f"--{BOUNDARY}\r\n".encode()
    for n in (7, 8, 10):
        head, rest = part(n, time.time() - OFFSET_MS / 1000)
        body += head + rest
    sock.sendall(stream_head("Transfer-Encoding: chunked\r\n"))
    # chunk edges inside header lines, the body and the boundary
    for i in range(0, len(body), 777):
        piece = body[i:i + 777]
        sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
    time.sleep(5)


def chunked():
    with FakeServer(chunked_handler) as srv:
        report = run_tool("--frames", 3, "--json", "--timeout", 5,
                          srv.url).report()
    check(report["frames"] == 3 and report["skipped"] == 1,
          f"chunked: frames {report['frames']}, skipped {report['skipped']},"
          " expected 3 and 1")
    check_delays(report, OFFSET_MS, OFFSET_MS + TOLERANCE_MS, "chunked")


def seconds():
    numbers = range(1, 1000)
    with FakeServer(serve_frames(numbers, interval=0.02, hold=0)) as srv:
        res = run_tool("--seconds", 1, "--json", srv.url)
    check(res.status == 0, f"exit status {res.status}")
    report = res.report()
    check(0.9 <= report["seconds"] <= 1.5,
          f"--seconds 1 ran {report['seconds']} s")
    check(30 <= report["frames"] <= 60 and 35 <= report["fps"] <= 55,
          f"--seconds 1 at about 50 fps: {report['frames']} frames, "
          f"{report['fps']} fps")
    check(report["skipped"] == 0, f"skipped {report['skipped']}")
    log(f"ok: --seconds 1: {report['frames']} frames in "
        f"{report['seconds']:.2f} s, {report['fps']:.1f} fps")


def test():
    gaps()
    duplicates()
    whole_part()
    clock_ahead()
    no_numbers()
    chunked()
    seconds()


if __name__ == "__main__":
    sys.exit(run(test))
