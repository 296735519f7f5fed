#!/usr/bin/python3
"""stats-agree: what the sink reports through get-stats, /stats and
/metrics is what the test's own clients counted.

    test_stats_agree.py

A pipeline in this process (PyGObject): a live 160x120 30 fps source, a
valve that can stop its frames, and mjpeghttpsink with max-clients=3.
Stream clients on raw sockets, each from its own loopback address, count
every byte after the response head and every whole part:

- A watches for a second; the frames stop (the valve drops them) and once
  A has read everything, get-stats' entry for A has A's frames and bytes;
  A leaves and the sink removes it ("closed") without another frame.
- Frames again; B, C and D (D asks for /stream?fps=100) watch; two more
  viewers get 503 (refused-too-many-clients). While frames flow each
  client's fps and the source's fps are about 30, fps-limit is D's 100.
- The frames stop; once every client has read everything and 3.5 s more
  have passed (fps over the last ~2 s falls to 0), get-stats is checked
  against the counts: per client address, port, path, fps-limit,
  frames-sent, bytes-sent, connect-time and last-activity-time; totals
  bytes-served and frames-served (A's included), clients 3, two refusals
  and their sum, one removal; the source's size, frame-number (the newest
  part's X-Frame-Number) and frame-time; the bytes-served and
  frames-served properties; every field has the spec's GType (uint,
  int, uint64, double, boolean: what gst_structure_get_*() needs).
- /stats (application/json, Cache-Control: no-store) is the same
  structure with the same values, and /metrics (Prometheus text 0.0.4)
  has the same totals, one series per refusal and removal reason, and the
  source's figures.
- Last, in gst-launch-1.0: with serve-stats=false /stats, /metrics and
  /events are 404.
"""

import sys
import time
import warnings
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from mjpegtest import Program, check, log, run  # noqa: E402
from statslib import (CountingStream, fetch_json, fetch_metrics,  # noqa: E402
                      get_stats, metric, status_of, wait_quiet)

FPS = 30
WIDTH, HEIGHT = 160, 120
PIPELINE = (f"videotestsrc is-live=true ! video/x-raw,width={WIDTH},"
            f"height={HEIGHT},framerate={FPS}/1 ! jpegenc ! valve name=valve "
            "drop=false ! mjpeghttpsink name=sink port=0 max-clients=3 "
            "idle-timeout=0")

CLIENT_FIELDS = {"address": str, "port": int, "path": str,
                 "fps-limit": float, "connect-time": int, "frames-sent": int,
                 "frames-skipped": int, "bytes-sent": int, "fps": float,
                 "last-activity-time": int}
SOURCE_FIELDS = {"fps": float, "width": int, "height": int,
                 "frame-number": int, "frame-time": int, "idle": bool}
TOTALS_FIELDS = ("clients", "pending-connections", "bytes-served",
                 "frames-served", "clients-refused")


# the GType of each field of get-stats, as the spec gives them: what a C
# application's gst_structure_get_<type>() needs
GTYPES = {
    "client": {"address": "string", "port": "uint", "path": "string",
               "fps-limit": "double", "connect-time": "uint64",
               "frames-sent": "uint64", "frames-skipped": "uint64",
               "bytes-sent": "uint64", "fps": "double",
               "last-activity-time": "uint64"},
    "totals": {"clients": "uint", "pending-connections": "uint",
               "bytes-served": "uint64", "frames-served": "uint64",
               "clients-refused": "uint64"},
    "source": {"fps": "double", "width": "int", "height": "int",
               "frame-number": "uint64", "frame-time": "uint64",
               "idle": "boolean"},
}


def has_gtype(s, name, kind):
    if kind == "string":
        return s.get_string(name) is not None
    return getattr(s, "get_" + kind)(name)[0]


def check_gtypes(sink):
    """Every field of get-stats has the spec's GType (PyGObject turns uint
    and int alike into int: the typed getters tell them apart)."""
    s = sink.emit("get-stats")
    parts = [("totals", s.get_value("totals")),
             ("source", s.get_value("source"))]
    ok, arr = s.get_array("clients")
    check(ok, f"get-stats clients is not a GstValueArray: {s.to_string()}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        parts += [("client", arr.get_nth(i)) for i in range(arr.n_values)]
    for kind, sub in parts:
        check(sub.get_name() == kind, f"get-stats has a {sub.get_name()} "
              f"structure where a {kind} was expected")
        for name, gtype in GTYPES[kind].items():
            check(has_gtype(sub, name, gtype),
                  f"get-stats {kind} field {name} is not a {gtype}: "
                  f"{sub.to_string()}")
        for i in range(sub.n_fields()):
            name = sub.nth_field_name(i)
            if name.startswith(("refused-", "removed-")):
                check(sub.get_uint64(name)[0], f"get-stats {kind} field "
                      f"{name} is not a uint64: {sub.to_string()}")
    log(f"ok: get-stats fields have the spec's types "
        f"({len(parts) - 2} clients)")


def check_fields(what, d, fields):
    for name, kind in fields.items():
        check(name in d, f"{what} has no field {name}: {d}")
        value = d[name]
        ok = (isinstance(value, kind) if kind is not int
              else isinstance(value, int) and not isinstance(value, bool))
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value,
                                                                    bool)
        check(ok, f"{what} field {name} is {value!r}, expected a "
              f"{kind.__name__}")


def entry_of(stats, stream, what):
    entries = [c for c in stats["clients"]
               if c.get("address") == stream.address
               and c.get("port") == stream.port]
    check(len(entries) == 1, f"{what}: {len(entries)} entries for "
          f"{stream.address}:{stream.port} in {stats['clients']}")
    return entries[0]


def check_client(entry, stream, fps_limit, start_ns, now_ns, what):
    check_fields(what, entry, CLIENT_FIELDS)
    nbytes, parts, _, _ = stream.figures()
    check(entry["path"] == stream.path,
          f"{what}: path {entry['path']!r}, expected {stream.path!r}")
    check(entry["fps-limit"] == fps_limit,
          f"{what}: fps-limit {entry['fps-limit']}, expected {fps_limit}")
    check(entry["frames-sent"] == parts,
          f"{what}: frames-sent {entry['frames-sent']}, the client read "
          f"{parts} whole parts")
    check(entry["bytes-sent"] == nbytes,
          f"{what}: bytes-sent {entry['bytes-sent']}, the client read "
          f"{nbytes} bytes after the response head")
    check(start_ns <= entry["connect-time"] <= now_ns,
          f"{what}: connect-time {entry['connect-time']} is not between the "
          f"test's start {start_ns} and now {now_ns} (ns since the epoch)")
    check(entry["connect-time"] <= entry["last-activity-time"] <= now_ns,
          f"{what}: last-activity-time {entry['last-activity-time']} not "
          f"between connect-time {entry['connect-time']} and now {now_ns}")
    log(f"ok: {what}: {entry}")


def wait_agree(sink, streams, timeout=5):
    """Waits until get-stats has, for every stream, the bytes it read: on a
    busy machine the last bytes may still be on their way when the streams
    have been quiet for a while. What still differs then is checked (and
    fails) by the caller."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = {(c["address"], c["port"]): c["bytes-sent"]
                for c in get_stats(sink)["clients"]}
        if all(sent.get((s.address, s.port)) == s.figures()[0]
               for s in streams):
            return
        time.sleep(0.1)


def wait_removed(sink, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        stats = get_stats(sink)
        if not stats["clients"] and stats["totals"]["clients"] == 0:
            return stats
        check(time.monotonic() < deadline, f"a client that left is still in "
              f"get-stats after {timeout} s: {stats['clients']}")
        time.sleep(0.05)


def differences(a, b, where=""):
    """Where two readings of the stats differ, ignoring fps (over a moving
    window) and last-activity-time by less than 1 ms (the sink derives it
    from the monotonic clock at each reading, so it may move by
    microseconds); everything else is still once the frames stop."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: fields {sorted(set(a) ^ set(b))} in one only"]
        out = []
        for k in a:
            if k == "fps":
                continue
            if k == "last-activity-time" and abs(a[k] - b[k]) < 10**6:
                continue
            out += differences(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} against {len(b)} entries"]
        key = lambda c: c.get("port", 0)  # noqa: E731
        return [d for i, (x, y) in enumerate(zip(sorted(a, key=key),
                                                 sorted(b, key=key)))
                for d in differences(x, y, f"{where}[{i}]")]
    if a != b or type(a) is bool and type(b) is not bool:
        return [f"{where}: {a!r} against {b!r}"]
    return []


def check_metrics(port, stats):
    text, samples, types, helps = fetch_metrics(port)
    totals, source = stats["totals"], stats["source"]
    expected_types = {
        "mjpeghttp_clients": "gauge",
        "mjpeghttp_pending_connections": "gauge",
        "mjpeghttp_sent_bytes_total": "counter",
        "mjpeghttp_sent_frames_total": "counter",
        "mjpeghttp_refused_connections_total": "counter",
        "mjpeghttp_removed_clients_total": "counter",
        "mjpeghttp_source_frames_per_second": "gauge",
        "mjpeghttp_source_width_pixels": "gauge",
        "mjpeghttp_source_height_pixels": "gauge",
        "mjpeghttp_source_frames_total": "counter",
        "mjpeghttp_source_last_frame_timestamp_seconds": "gauge",
        "mjpeghttp_idle": "gauge",
    }
    for family, kind in expected_types.items():
        check(types.get(family) == kind,
              f"/metrics: # TYPE {family} is {types.get(family)!r}, "
              f"expected {kind}")
        check(helps.get(family), f"/metrics: no # HELP for {family}")
    for name, labels in samples:
        check(name in types, f"/metrics: sample {name} has no # TYPE")
        check(all(k == "reason" for k, _ in labels),
              f"/metrics: {name}{dict(labels)} has a label other than "
              "reason (per-client series are not wanted)")
    want = {
        ("mjpeghttp_clients", ()): totals["clients"],
        ("mjpeghttp_pending_connections", ()): totals["pending-connections"],
        ("mjpeghttp_sent_bytes_total", ()): totals["bytes-served"],
        ("mjpeghttp_sent_frames_total", ()): totals["frames-served"],
        ("mjpeghttp_source_frames_per_second", ()): source["fps"],
        ("mjpeghttp_source_width_pixels", ()): source["width"],
        ("mjpeghttp_source_height_pixels", ()): source["height"],
        ("mjpeghttp_source_frames_total", ()): source["frame-number"],
        ("mjpeghttp_idle", ()): 1 if source["idle"] else 0,
    }
    for field, value in totals.items():
        for prefix, family in (("refused-", "refused_connections"),
                               ("removed-", "removed_clients")):
            if field.startswith(prefix):
                want[(f"mjpeghttp_{family}_total",
                      (("reason", field[len(prefix):]),))] = value
    for (name, labels), value in want.items():
        got = metric(samples, name, **dict(labels))
        check(got == value, f"/metrics: {name}{dict(labels) or ''} is "
              f"{got!r}, get-stats says {value!r}")
    stamp = metric(samples, "mjpeghttp_source_last_frame_timestamp_seconds")
    check(abs(stamp - source["frame-time"] / 1e9) < 0.001,
          f"/metrics: last frame timestamp {stamp}, get-stats' frame-time "
          f"is {source['frame-time']} ns")
    log(f"ok: /metrics agrees with get-stats ({len(samples)} samples, "
        f"{len(types)} families, each with # HELP and # TYPE)")


def check_not_served():
    """serve-stats=false: the three paths are 404. In gst-launch-1.0
    (--no-fault: a crash ends it at once), so that a crash is a failure
    that says so."""
    argv = ["gst-launch-1.0", "-m", "--no-fault", "videotestsrc", "is-live=true", "!",
            "jpegenc", "!", "mjpeghttpsink", "address=127.0.0.1", "port=0",
            "serve-stats=false"]
    with Program(argv) as launch:
        port = int(launch.wait_for_line(
            r"mjpeghttpsink-listening, .*port=\(int\)(\d+)", 30,
            "mjpeghttpsink-listening with serve-stats=false").group(1))
        statuses = {path: status_of(port, path)
                    for path in ("/stats", "/metrics", "/events")}
        check(set(statuses.values()) == {404},
              f"with serve-stats=false: {statuses}, expected 404 each")
        check(launch.proc.poll() is None, "gst-launch-1.0 exited")
    log(f"ok: serve-stats=false: {statuses}")


def test():
    Gst.init(None)
    start_ns = time.time_ns()
    pipeline = Gst.parse_launch(PIPELINE)
    sink = pipeline.get_by_name("sink")
    valve = pipeline.get_by_name("valve")
    check(pipeline.set_state(Gst.State.PLAYING)
          != Gst.StateChangeReturn.FAILURE, "the pipeline does not start")
    pipeline.get_state(5 * Gst.SECOND)
    port = sink.get_property("current-port")
    streams = []
    try:
        # A alone, then the frames stop and A's figures are final
        a = CountingStream(port, "/stream", "127.0.0.2")
        streams.append(a)
        time.sleep(1.0)
        valve.set_property("drop", True)
        wait_quiet([a])
        wait_agree(sink, [a])
        now_ns = time.time_ns()
        stats = get_stats(sink)
        check_client(entry_of(stats, a, "A"), a, 0.0, start_ns, now_ns, "A")
        a_bytes, a_parts, _, _ = a.figures()
        check(a_parts >= FPS / 2, f"A got {a_parts} frames in a second")
        a.close()
        streams.remove(a)
        stats = wait_removed(sink)
        check(stats["totals"].get("removed-closed") == 1,
              f"A left; totals {stats['totals']}, expected removed-closed 1")
        log(f"ok: A read {a_parts} parts, {a_bytes} bytes, as get-stats "
            "says; once it closed it was removed as closed")

        # B, C, D and two refused
        valve.set_property("drop", False)
        b = CountingStream(port, "/stream", "127.0.0.3")
        c = CountingStream(port, "/stream", "127.0.0.4")
        d = CountingStream(port, "/stream?fps=100", "127.0.0.5")
        streams += [b, c, d]
        limits = {b: 0.0, c: 0.0, d: 100.0}
        for _ in range(2):
            status = status_of(port, "/stream", "127.0.0.6")
            check(status == 503, f"a 4th viewer with max-clients=3: {status}, "
                  "expected 503")
        log("ok: two more viewers refused with 503")
        time.sleep(2.5)
        stats = get_stats(sink)
        for s, name in ((b, "B"), (c, "C"), (d, "D")):
            entry = entry_of(stats, s, name)
            check(abs(entry["fps"] - FPS) <= 0.25 * FPS,
                  f"{name}: fps {entry['fps']} while frames flow, expected "
                  f"about {FPS}")
            check(entry["fps-limit"] == limits[s],
                  f"{name}: fps-limit {entry['fps-limit']}, expected "
                  f"{limits[s]}")
        check_fields("source", stats["source"], SOURCE_FIELDS)
        check(abs(stats["source"]["fps"] - FPS) <= 0.25 * FPS
              and not stats["source"]["idle"],
              f"source while frames flow: {stats['source']}")
        log(f"ok: while frames flow: client fps "
            f"{[c['fps'] for c in stats['clients']]}, {stats['source']}")

        # frames stop; once read and the fps windows are past, all is still
        valve.set_property("drop", True)
        stopped_ns = time.time_ns()
        wait_quiet(streams)
        wait_agree(sink, streams)
        time.sleep(3.5)
        now_ns = time.time_ns()
        stats = get_stats(sink)
        log(f"   get-stats: {stats}")
        check(len(stats["clients"]) == 3, f"{len(stats['clients'])} clients "
              f"in get-stats, expected 3: {stats['clients']}")
        for s, name in ((b, "B"), (c, "C"), (d, "D")):
            entry = entry_of(stats, s, name)
            check_client(entry, s, limits[s], start_ns, now_ns, name)
            check(entry["fps"] == 0, f"{name}: fps {entry['fps']} 3.5 s "
                  "after the last frame, expected 0")

        totals = stats["totals"]
        for field in TOTALS_FIELDS:
            check(isinstance(totals.get(field), int),
                  f"totals has no whole number {field}: {totals}")
        figures = [s.figures() for s in streams]
        want_bytes = a_bytes + sum(f[0] for f in figures)
        want_frames = a_parts + sum(f[1] for f in figures)
        refusals = {k: v for k, v in totals.items()
                    if k.startswith("refused-") and v}
        removals = {k: v for k, v in totals.items()
                    if k.startswith("removed-") and v}
        check(totals["bytes-served"] == want_bytes,
              f"totals bytes-served {totals['bytes-served']}, the clients "
              f"read {want_bytes} (A {a_bytes} and "
              f"{[f[0] for f in figures]})")
        check(totals["frames-served"] == want_frames,
              f"totals frames-served {totals['frames-served']}, the clients "
              f"read {want_frames} parts")
        check(totals["clients"] == 3 and totals["pending-connections"] == 0,
              f"totals clients {totals['clients']}, pending "
              f"{totals['pending-connections']}, expected 3 and 0")
        check(refusals == {"refused-too-many-clients": 2}
              and totals["clients-refused"] == 2,
              f"refusals {refusals}, clients-refused "
              f"{totals['clients-refused']}; expected 2 too-many-clients")
        check(removals == {"removed-closed": 1},
              f"removals {removals}, expected one closed (A)")
        for prop in ("bytes-served", "frames-served"):
            check(sink.find_property(prop) is not None,
                  f"mjpeghttpsink has no {prop} property")
            value = sink.get_property(prop)
            check(value == totals[prop], f"property {prop} is {value}, "
                  f"get-stats says {totals[prop]}")
        log(f"ok: totals: {want_bytes} bytes, {want_frames} frames (A "
            f"included), 3 clients, {refusals}, {removals}; the properties "
            "agree")

        source = stats["source"]
        newest = max(f[2] for f in figures)
        check(source["width"] == WIDTH and source["height"] == HEIGHT,
              f"source {source['width']}x{source['height']}, expected "
              f"{WIDTH}x{HEIGHT}")
        check(source["frame-number"] == newest,
              f"source frame-number {source['frame-number']}, the newest "
              f"part the clients read was X-Frame-Number {newest}")
        check(start_ns < source["frame-time"] <= stopped_ns + 10**8,
              f"source frame-time {source['frame-time']} not between the "
              f"start {start_ns} and when the frames stopped {stopped_ns}")
        check(source["fps"] == 0 and source["idle"] is False,
              f"source 3.5 s after the last frame (idle-timeout=0): "
              f"{source}, expected fps 0 and not idle")
        log(f"ok: source {source}")

        # /stats: the same, by the same names
        as_json = fetch_json(port)
        diff = differences(as_json, stats)
        check(not diff, f"/stats differs from get-stats: {diff}\n"
              f"  /stats    {as_json}\n  get-stats {stats}")
        check(all(c["fps"] == 0 for c in as_json["clients"])
              and as_json["source"]["fps"] == 0,
              f"/stats fps not 0: {as_json}")
        log("ok: /stats is get-stats as JSON")

        check_gtypes(sink)
        check_metrics(port, stats)
        diff = differences(get_stats(sink), stats)
        check(not diff, f"get-stats changed while nothing happened: {diff}")
    finally:
        for s in streams:
            s.close()
        pipeline.set_state(Gst.State.NULL)
    check_not_served()


if __name__ == "__main__":
    sys.exit(run(test))
