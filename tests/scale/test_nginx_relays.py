#!/usr/bin/python3
"""nginx-fanout, nginx-failover: docs/nginx-relays.conf, the file itself, in
a real nginx on 127.0.0.1 in front of two relays of one origin
(tests/scale/scalelib.py sets them up), spreads viewers and survives a
relay that dies.

    test_nginx_relays.py fanout|failover

fanout: 200 viewers through nginx (bench/mjpeg-load, 16 from each of 13
loopback addresses: the example's limit_conn allows 16 per address), one
more straight from the origin for the source's rate. Every viewer gets
200 and whole JPEGs at the origin's rate (within 10 %), none ends early,
both relays hold a share, and frames pass through nginx as they come: the
median delay from X-Timestamp (the origin's, which relay.sh keeps) to the
viewer stays under half a frame interval (buffering holds each frame back
until the next one). The 17th stream from one address gets 503 from
nginx. 20 viewer pages' /events (a relay takes 8 from one address, and
behind nginx that is all of them) get 200 or the relay's 503, and that
503 does not take the relays out of nginx's rotation: 16 more viewers all
get their stream. The delay at each hop is logged (bench/mjpeg-delay on
the origin, a relay and nginx), not judged.

failover: 16 viewers through nginx; one relay dies (SIGKILL: a crash, a
machine gone); the viewers it served see their stream end (the viewer
page reconnects), the others go on; 16 new viewers through nginx all get
the stream at the origin's rate, although least_conn sends the first of
them to the dead relay, which has the fewest connections
(proxy_next_upstream). The relay is started again on its port: once the
example's fail_timeout has passed and a short request (a snapshot) has
ended on it, new viewers reach it again: nginx counts a relay that failed
healthy again only when a request to it has ended, and a stream ends only
when its viewer leaves.

NGINX_RELAYS_CONF=FILE runs FILE instead of the example (how the tests
were checked to fail on broken configurations). Skips (77) when nginx is
not installed.
"""

import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from mjpegtest import check, connect, log, run  # noqa: E402
import scalelib  # noqa: E402
from scalelib import (FPS, Delay, Load, Topology, crowd,  # noqa: E402
                      http_get, stream_clients, summarize)

VIEWERS = 200
PER_ADDRESS = 16
SECONDS = 5
# the example's fail_timeout
FAIL_TIMEOUT = 10


def source_rate(top, seconds):
    """One viewer straight from the origin, running: its fps is the
    source's rate, measured while the others watch."""
    return Load(f"{top.origin_url}/stream", 1, seconds, "127.0.0.1")


def check_rates(what, s, fps):
    check(s["got_200"] == s["clients"] and s["failed"] == 0,
          f"{what}: {s['got_200']} of {s['clients']} got 200, {s['failed']} "
          f"failed or ended early")
    check(s["bad"] == 0 and s["duplicates"] == 0,
          f"{what}: {s['bad']} bad parts, {s['duplicates']} duplicates")
    check(s["fps_min"] >= 0.9 * fps and s["fps_median_max"] <= 1.1 * fps,
          f"{what}: fps from {s['fps_min']:.1f} (min) to "
          f"{s['fps_median_max']:.1f} (highest median), expected the "
          f"origin's {fps:.1f} within 10 %")


def log_summary(what, s):
    log(f"{what}: {s['got_200']}/{s['clients']} got 200, fps min "
        f"{s['fps_min']:.1f}, medians {s['fps_median_min']:.1f}-"
        f"{s['fps_median_max']:.1f}; delay from X-Timestamp "
        f"p50 <= {s['delay_p50_max']:.1f} ms, p99 <= "
        f"{s['delay_p99_max']:.1f} ms; first frame <= "
        f"{s['first_frame_max']:.0f} ms; worst gap {s['gap_max']:.0f} ms; "
        f"skipped {s['skipped']}, ended early {s['closed_early']}")


def check_per_address_limit(top):
    """The 17th stream from one address: 503 from nginx, as the relays'
    own limit would answer."""
    conns = []
    try:
        for _ in range(PER_ADDRESS):
            conn = connect(top.url, source="127.0.2.1")
            conn.request("GET", "/stream")
            resp = conn.getresponse()
            check(resp.status == 200, f"stream {len(conns) + 1} from "
                  f"127.0.2.1: status {resp.status}, expected 200")
            conns.append((conn, resp))
        conn = connect(top.url, source="127.0.2.1")
        conn.request("GET", "/stream")
        resp = conn.getresponse()
        status = resp.status
        conn.close()
        check(status == 503, f"stream {PER_ADDRESS + 1} from one address: "
              f"status {status}, expected 503 (limit_conn)")
        log(f"ok: stream {PER_ADDRESS + 1} from one address gets 503 from "
            "nginx")
    finally:
        for conn, resp in conns:
            resp.close()
            conn.close()


def check_relay_limits_do_not_fail_relays(top):
    """20 viewer pages' /events through nginx, each from its own address:
    a relay takes 8 from one address (nginx's) and answers 503 past them.
    That 503 must reach the page, not take the relay out of nginx's
    rotation: viewers that come next still get their stream."""
    socks, statuses = [], []
    try:
        for i in range(20):
            sock = socket.socket()
            socks.append(sock)
            sock.settimeout(5)
            sock.bind((f"127.0.5.{i + 1}", 0))
            sock.connect(("127.0.0.1", top.nginx_port))
            sock.sendall(b"GET /events HTTP/1.1\r\nHost: camera\r\n\r\n")
            head = sock.recv(200).split(b" ")
            statuses.append(int(head[1]) if len(head) > 1 else 0)
        log(f"20 /events through nginx: statuses {statuses}")
        check(set(statuses) <= {200, 503},
              f"20 /events through nginx: {statuses}, expected 200 and, "
              "past the relays' own bound, their 503")
        s = summarize([Load(f"{top.url}/stream", PER_ADDRESS, 2,
                            "127.0.1.20").result()])
        log_summary(f"{PER_ADDRESS} viewers after the relays said 503", s)
        check(s["got_200"] == s["clients"],
              f"after the relays answered /events with 503, "
              f"{s['clients'] - s['got_200']} of {s['clients']} new viewers "
              "got no stream: nginx took the relays out "
              "(proxy_next_upstream http_503)")
        log("ok: a relay's 503 (its /events bound) does not take it out of "
            "nginx's rotation")
    finally:
        for sock in socks:
            sock.close()


def fanout():
    with Topology() as top:
        reference = source_rate(top, SECONDS)
        pids = [top.origin.proc.pid] + [r.pid() for r in top.relays] + \
            top.nginx_pids()
        loads = crowd(f"{top.url}/stream", VIEWERS, SECONDS, PER_ADDRESS,
                      "127.0.1.1", pids)
        log(f"{VIEWERS} viewers through nginx from {len(loads)} addresses, "
            f"{SECONDS} s")
        # while they watch: the relays' shares, and each hop's delay
        time.sleep(2)
        hops = {name: Delay(url, SECONDS - 2) for name, url in (
            ("origin", top.origin_url), ("relay", top.relays[0].url),
            ("nginx", top.url))}
        shares = [stream_clients(r.url) for r in top.relays]
        results = [load.result() for load in loads]
        ref = reference.result()
        hops = {name: delay.result() for name, delay in hops.items()}
        top.check_alive()

        fps = ref["fast"]["fps_median"]
        log(f"the origin's rate, from a viewer of its own: {fps:.1f} fps")
        check(abs(fps - FPS) <= 0.1 * FPS,
              f"the origin gives {fps:.1f} fps, expected {FPS}")
        s = summarize(results)
        log_summary(f"{VIEWERS} viewers through nginx", s)
        check_rates(f"{VIEWERS} viewers through nginx", s, fps)
        log(f"ok: all {VIEWERS} got 200 and {fps:.1f} fps within 10 %")

        # both relays hold viewers (their shares were read while the load
        # ran)
        log(f"viewers per relay while they watched: {shares}")
        check(min(shares) >= VIEWERS // 4,
              f"viewers per relay {shares}: one relay holds almost all")
        log("ok: both relays hold a share")

        half = 1000 / fps / 2
        check(s["delay_p50_max"] < half,
              f"frames reach the viewers {s['delay_p50_max']:.1f} ms "
              f"(median, worst address) after their X-Timestamp, "
              f"expected under {half:.1f} ms: nginx holds them back "
              "(proxy_buffering)")
        log("ok: frames pass through nginx as they come "
            f"({s['delay_p50_max']:.1f} ms median from X-Timestamp)")

        cpu = results[0].get("server_processes", [])
        if cpu:
            names = ["origin", "relay 1", "relay 2"] + ["nginx"] * (
                len(cpu) - 3)
            log("CPU over the window, % of one core: " + ", ".join(
                f"{n} {p['cpu_percent']:.1f}" for n, p in zip(names, cpu)))
        log("delay from X-Timestamp (bench/mjpeg-delay), one viewer each, "
            "while the others watch: " + ", ".join(
                f"{name} p50 {d['delay_ms_p50']:.1f} / p99 "
                f"{d['delay_ms_p99']:.1f} ms" for name, d in hops.items()))

        check_per_address_limit(top)
        check_relay_limits_do_not_fail_relays(top)
        top.check_alive()


def failover():
    with Topology() as top:
        stopped, other = top.relays
        # old viewers: connected over 0.5 s, watched for 8 s
        old = Load(f"{top.url}/stream", PER_ADDRESS, 8, "127.0.1.1")
        time.sleep(2.5)
        on_stopped = stream_clients(stopped.url)
        on_other = stream_clients(other.url)
        log(f"{PER_ADDRESS} viewers through nginx: {on_stopped} on the relay "
            f"on port {stopped.port}, {on_other} on the one on port "
            f"{other.port}")
        check(on_stopped + on_other == PER_ADDRESS and on_stopped > 0,
              f"viewers per relay {on_stopped} and {on_other}, expected "
              f"{PER_ADDRESS} in all and some on each")

        log(f"killing the relay on port {stopped.port} (SIGKILL)")
        stopped.kill()
        stopped_at = time.monotonic()
        reference = source_rate(top, 3)
        new = Load(f"{top.url}/stream", PER_ADDRESS, 3, "127.0.1.2")
        s_new = summarize([new.result()])
        fps = reference.result()["fast"]["fps_median"]
        old_result = old.result()
        s_old = summarize([old_result])
        top.check_alive()

        log(f"the old viewers: {s_old['closed_early']} saw their stream end "
            f"when the relay stopped, {PER_ADDRESS - s_old['closed_early']} "
            f"went on")
        check(s_old["closed_early"] == on_stopped,
              f"{s_old['closed_early']} old viewers ended early, expected "
              f"the {on_stopped} of the stopped relay")
        # the viewers of the other relay: the whole window at the rate
        went_on = PER_ADDRESS - s_old["closed_early"]
        least = went_on * 0.9 * fps * old_result["window_s"]
        check(s_old["frames"] >= least,
              f"the old viewers got {s_old['frames']} frames, expected the "
              f"{went_on} of the other relay alone to get {least:.0f}: they "
              "did not go on at the origin's rate")
        log(f"ok: the {on_stopped} viewers of the stopped relay saw their "
            "stream end, the others went on")

        log_summary(f"{PER_ADDRESS} new viewers after the stop", s_new)
        check_rates(f"{PER_ADDRESS} new viewers after the stop", s_new, fps)
        log(f"ok: {PER_ADDRESS} new viewers all got the stream at "
            f"{fps:.1f} fps from the relay that is left")

        # The stopped relay again, on its port: nginx left it out when a
        # request failed on it, and tries it again after fail_timeout.
        stopped.start()
        wait = FAIL_TIMEOUT + 1 - (time.monotonic() - stopped_at)
        if wait > 0:
            log(f"the relay is back; {wait:.1f} s more until fail_timeout "
                "has passed")
            time.sleep(wait)
        # nginx sends it one request after fail_timeout and counts it
        # healthy again when that request has ended: a stream ends when
        # its viewer leaves, a snapshot at once (a viewer page's first
        # request is its page, short too)
        for _ in range(3):
            status, _ = http_get(f"{top.url}/snapshot")
            check(status == 200, f"snapshot through nginx: {status}")
        back = Load(f"{top.url}/stream", 8, 2, "127.0.1.3")
        time.sleep(1.5)
        on_back = stream_clients(stopped.url)
        s_back = summarize([back.result()])
        check_rates("8 viewers after the relay came back", s_back, fps)
        log(f"after fail_timeout and 3 snapshots: {on_back} of 8 new viewers "
            "on the relay that came back")
        check(on_back >= 3, "the relay that came back is not used again: "
              f"{on_back} of 8 new viewers went to it, {FAIL_TIMEOUT} s "
              "after it was left out and with short requests done")
        log("ok: after fail_timeout and a request that ended, new viewers "
            "go to the relay that came back again")
        top.check_alive()


def main():
    tests = {"fanout": fanout, "failover": failover}
    if len(sys.argv) != 2 or sys.argv[1] not in tests:
        sys.exit(f"usage: {sys.argv[0]} fanout|failover")
    reason = scalelib.skip_reason()
    if reason:
        print(f"SKIP: {reason}", flush=True)
        return scalelib.SKIP
    return run(tests[sys.argv[1]])


if __name__ == "__main__":
    sys.exit(main())
