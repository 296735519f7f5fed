#!/usr/bin/python3
"""stats-events: /events as Server-Sent Events.

    test_events.py

gst-launch-1.0 runs a live camera into mjpeghttpsink (idle-timeout=1) on a
free port of 127.0.0.1; the test reads /events on a raw socket and parses
every event, comment and retry field:

- 200 text/event-stream; first `retry: 2000`, then a `status` event at
  once (within 1 s), whose data is JSON: the source's figures and
  "clients": 0;
- the events connection is not a viewer: the sink idles with it open, and
  /stats lists no client;
- idle, no status event comes for 4 s;
- a viewer of /stream?fps=10 from 127.0.0.3 brings a `join` event with its
  address, port and path; while it watches, status events come at most 4
  per second (at most 13 in 3 s, 5 within any second) and at least 3 in
  3 s, each with "clients": 1 and the source not idle;
- the viewer leaves: a `leave` event with its address, port, path and
  reason "closed";
- idle again: in 16 s no status event, and a `: keep-alive` comment;
- 8 events connections from one address are taken, a 9th is 503.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from mjpegtest import Program, check, log, run  # noqa: E402
from statslib import (CountingStream, EventStream, fetch_json,  # noqa: E402
                      status_of)

LISTENING = r"mjpeghttpsink-listening, .*port=\(int\)(\d+)"
IDLE = r"mjpeghttpsink-idle"
SINK = ["gst-launch-1.0", "-m", "videotestsrc", "is-live=true", "!",
        "video/x-raw,width=320,height=240,framerate=30/1", "!", "jpegenc",
        "!", "mjpeghttpsink", "address=127.0.0.1", "port=0",
        "idle-timeout=1"]
SOURCE_FIELDS = ("fps", "width", "height", "frame-number", "frame-time",
                 "idle")
MAX_STATUS_PER_S = 4
VIEWER_PATH = "/stream?fps=10"


def check_status(ev, clients, what):
    data = ev.json()
    check(isinstance(data, dict) and "source" in data and "clients" in data,
          f"{what}: status data {data}, expected source and clients")
    missing = [f for f in SOURCE_FIELDS if f not in data["source"]]
    check(not missing, f"{what}: status source lacks {missing}: {data}")
    check(data["clients"] == clients, f"{what}: status says clients "
          f"{data['clients']}, expected {clients}")
    return data


def first_events(events):
    """retry: 2000, then a status at once."""
    ev = events.next(2)
    check(ev is not None and ev.retry == 2000,
          f"the first event is {ev} (retry {ev and ev.retry}), expected "
          "retry: 2000")
    if ev.kind != "status":
        # retry in a block of its own
        check(ev.data == "", f"a first event {ev.kind} {ev.data!r}")
        ev = events.next(2)
    check(ev is not None and ev.kind == "status",
          f"after retry: {ev}, expected a status event")
    took = ev.received - events.connected
    check(took < 1.0, f"the first status came after {took:.2f} s")
    data = check_status(ev, 0, "first status")
    log(f"ok: retry: 2000, then status within {took * 1000:.0f} ms: {data}")


def check_no_status(events, seconds, what, want_keepalive=False):
    got = events.collect(seconds)
    statuses = [e for e in got if e.kind == "status"]
    others = [e for e in got if e.kind not in (":", "status")]
    check(not statuses, f"{what}: {len(statuses)} status events in "
          f"{seconds} s, expected none: {statuses[:3]}")
    check(not others, f"{what}: unexpected events {others}")
    comments = [e.data for e in got if e.kind == ":"]
    if want_keepalive:
        check("keep-alive" in comments, f"{what}: no ': keep-alive' comment "
              f"in {seconds} s (comments: {comments})")
    log(f"ok: {what}: no status event in {seconds} s; comments {comments}")


def check_not_viewer(port, what):
    stats = fetch_json(port)
    check(stats["clients"] == [] and stats["totals"]["clients"] == 0,
          f"{what}: /stats lists clients {stats['clients']}, totals "
          f"{stats['totals'].get('clients')}; an events connection is not "
          "a viewer")
    return stats


def watch(port, events):
    viewer = CountingStream(port, VIEWER_PATH, "127.0.0.3")
    join, _ = events.wait_for("join", 2)
    data = join.json()
    want = {"address": "127.0.0.3", "port": viewer.port,
            "path": VIEWER_PATH}
    check(data == want, f"join event data {data}, expected {want}")
    log(f"ok: join {data}")

    seconds = 3.0
    got = events.collect(seconds)
    statuses = [e for e in got if e.kind == "status"]
    check(all(e.kind in ("status", ":") for e in got),
          f"unexpected events while one viewer watched: {got}")
    gaps = [b.received - a.received for a, b in zip(statuses, statuses[1:])]
    log(f"   {len(statuses)} status events in {seconds} s, gaps "
        f"{[round(g, 3) for g in gaps]}")
    check(len(statuses) <= MAX_STATUS_PER_S * seconds + 1,
          f"{len(statuses)} status events in {seconds} s: more than "
          f"{MAX_STATUS_PER_S} per second")
    # in any second, one more than the rate: a late delivery may bring two
    # together (gaps alone would fail a busy machine)
    busiest = max(sum(1 for e in statuses
                      if a.received <= e.received < a.received + 1.0)
                  for a in statuses) if statuses else 0
    check(busiest <= MAX_STATUS_PER_S + 1,
          f"{busiest} status events within one second")
    check(len(statuses) >= 3, f"only {len(statuses)} status events in "
          f"{seconds} s while frames flowed")
    for ev in statuses:
        data = check_status(ev, 1, "status while watched")
        check(data["source"]["idle"] is False,
              f"status while watched says idle: {data}")
    log(f"ok: {len(statuses)} status events in {seconds} s while watched, "
        f"last {statuses[-1].data}")

    viewer.close()
    leave, _ = events.wait_for("leave", 2)
    data = leave.json()
    want["reason"] = "closed"
    check(data == want, f"leave event data {data}, expected {want}")
    log(f"ok: leave {data}")


def check_bound(port):
    held = []
    try:
        for i in range(8):
            ev = EventStream(port, source="127.0.0.7")
            held.append(ev)
            check(ev.status == 200, f"events connection {i + 1} from "
                  f"127.0.0.7: {ev.status}, expected 200")
        status = status_of(port, "/events", "127.0.0.7")
        check(status == 503, f"a 9th events connection from one address: "
              f"{status}, expected 503")
        check_not_viewer(port, "9 events connections")
        log("ok: 8 events connections from one address taken, the 9th 503")
    finally:
        for ev in held:
            ev.close()


def test():
    with Program(SINK) as sink:
        port = int(sink.wait_for_line(LISTENING, 30,
                                      "mjpeghttpsink-listening").group(1))
        events = EventStream(port)
        try:
            ctype = events.headers.get("content-type", "")
            check(events.status == 200 and
                  ctype.split(";")[0].strip() == "text/event-stream",
                  f"GET /events: {events.status} {ctype!r}, expected 200 "
                  "text/event-stream")
            first_events(events)
            sink.wait_for_line(IDLE, 5, "idle message with /events open")
            stats = check_not_viewer(port, "idle")
            check(stats["source"]["idle"] is True,
                  f"/stats while idle: source {stats['source']}")
            log("ok: the sink idled with /events open; /stats lists no "
                "client")
            events.collect(0.3)
            check_no_status(events, 4, "idle")

            watch(port, events)

            sink.wait_for_line(IDLE, 5, "idle message after the viewer left")
            events.collect(0.3)
            check_no_status(events, 16, "idle again", want_keepalive=True)

            check_bound(port)
            check(sink.proc.poll() is None, "gst-launch-1.0 exited")
        finally:
            events.close()


if __name__ == "__main__":
    sys.exit(run(test))
