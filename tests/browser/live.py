#!/usr/bin/python3
"""Browser test: the live viewer page in headless Chromium — figures from
/events, the snapshot button, full screen, reconnection, the CSP.

    push_server.py --pattern ball: videotestsrc is-live=true pattern=ball
      ! 320x240 at 15 fps ! jpegenc ! mjpeghttpsink address=127.0.0.1 port=0

 1. live figures: the page shows "live", 320x240, about 15 fps, a delay in
    ms, 1 viewer (its own <img>; the events connection is not a viewer)
    and the sink's frame number; read twice 1.5 s apart, the frame number
    has grown and the delay has been measured again. The picture is there
    and moves (a pixel hash and a screenshot of the <img>, as viewer.py).
 2. viewer count: a second stream client (a socket of the test's) makes it
    2 (the join event), and 1 again once it hangs up (leave).
 3. snapshot: the button saves snapshot-YYYY-MM-DDTHH-MM-SS.jpg into
    Chromium's download directory: a JPEG (FF D8 ... FF D9) whose name is
    the time of the frame, within a minute of the click.
 4. full screen: the button puts the picture's container in full screen,
    and the button inside it takes it out.
 5. reconnection: the pipeline goes to NULL (the server closes) for 8 s
    and back to PLAYING on the same port. While it is away the page says
    "reconnecting in N s…", keeps the last picture (on its canvas, in
    place of the broken <img>) and tries again with growing waits (the
    <img>'s src, cache-busted, changes at each attempt; the second wait is
    longer than the first); once it is back the page is "live" again
    within RECONNECT_S, showing the <img> again, with a picture that moves
    and a frame number that grows.
 6. stall: through a proxy of the test's that then ends the page's stream
    connection cleanly (no error for Chromium to report) while its events
    go on: the page says "no new picture" and is live again within
    STALL_S, with a picture that moves.
 7. console: no Content Security Policy violation and no script error in
    the whole run; then, as a control, an image the CSP forbids must be
    reported there (the check could have seen one).
 8. without stats (serve-stats=false, so no events path): the picture and
    the buttons, no figures, and nothing at all in the console but
    favicon.ico.

Run: /usr/bin/python3 tests/browser/live.py (after ninja -C build), or
meson test -C build browser-live.
"""

import os
import re
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import Chromium, check, log, wait_until  # noqa: E402
from mjpegtest import Program, run  # noqa: E402
from viewer import LOADED_JS, look  # noqa: E402

HERE = Path(__file__).resolve().parent
RECONNECT_S = 12                # sink back to frames shown again
STALL_S = 15                    # stream cut to frames shown again
DOWN_S = 8                      # how long the sink stays stopped
SNAPSHOT_NAME = re.compile(
    r"^snapshot-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)\.jpg$")

FIGURES_JS = """
const t = (id) => document.getElementById(id).textContent;
return { state: t('state'), size: t('size'), fps: t('fps'),
         delay: t('delay'), viewers: t('viewers'), frame: t('frame'),
         shown: !document.getElementById('figures').hidden,
         src: document.getElementById('stream').getAttribute('src') };
"""

# Every src the <img> is given and every text of the state line, with the
# time (ms since the epoch).
RECORDER_JS = """
const S = window.__live = { srcs: [], states: [] };
const img = document.getElementById('stream');
const state = document.getElementById('state');
new MutationObserver(() => S.srcs.push([Date.now(), img.getAttribute('src')]))
  .observe(img, { attributes: true, attributeFilter: ['src'] });
new MutationObserver(() => S.states.push([Date.now(), state.textContent]))
  .observe(state, { childList: true, characterData: true, subtree: true });
"""

# What the view shows: the stream's <img>, the last picture kept on the
# canvas while the stream is away, or something else.
SHOWN_JS = """
const img = document.getElementById('stream');
const still = document.getElementById('still');
const shown = (e) => e.offsetWidth > 0 && e.offsetHeight > 0;
if (shown(img) && !shown(still)) return 'stream';
if (shown(still) && !shown(img)) return 'still';
return 'img ' + shown(img) + ', canvas ' + shown(still);
"""

FORBIDDEN_IMAGE_JS = """
const i = document.createElement('img');
i.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
document.body.appendChild(i);
"""


class Console:
    """Everything the browser's console said, kept across reads (each
    driver.get_log() returns only what is new)."""

    def __init__(self, driver):
        self.driver = driver
        self.entries = []

    def read(self):
        new = self.driver.get_log("browser")
        for e in new:
            log(f"# console {e['level']} {e['source']}: {e['message']}")
        self.entries += new
        return new

    def csp(self, entries=None):
        return [e["message"] for e in (entries or self.entries)
                if "content security policy" in e["message"].lower()]

    def script_errors(self):
        return [e["message"] for e in self.entries
                if e["source"] == "javascript"]


class CuttingProxy:
    """A TCP pass-through to the sink on a port of its own, whose
    cut_streams() ends the connections of stream requests cleanly: what a
    proxy or a flaky link can do, and Chromium reports neither as an error
    nor at all. The events connection goes on."""

    def __init__(self, port):
        self.upstream = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.streams = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,),
                             daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _serve(self, client):
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(4096)
            if not data:
                client.close()
                return
            head += data
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
        except OSError:
            client.close()
            return
        upstream.sendall(head)
        if head.split(b" ")[1].startswith(b"/stream"):
            with self.lock:
                self.streams.append((client, upstream))
        threading.Thread(target=self._pipe, args=(upstream, client),
                         daemon=True).start()
        self._pipe(client, upstream)

    def cut_streams(self):
        with self.lock:
            streams, self.streams = self.streams, []
        for pair in streams:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        return len(streams)

    def close(self):
        self.listener.close()


def figures(driver):
    return driver.execute_script(FIGURES_JS)


def check_moves(driver, what):
    first = look(driver)
    time.sleep(1)
    second = look(driver)
    check((first["w"], first["h"]) == (320, 240),
          f"{what}: the image is {first['w']}x{first['h']}, not 320x240")
    check(first["max"] - first["min"] > 64,
          f"{what}: the picture is flat (values {first['min']}.."
          f"{first['max']}): no ball")
    check(first["hash"] != second["hash"] and first["shot"] != second["shot"],
          f"{what}: the picture did not change in 1 s (pixels "
          f"{first['hash']} -> {second['hash']}, screenshot {first['shot']} "
          f"-> {second['shot']}): frozen")
    log(f"ok: {what}: the picture moves (screenshot {first['shot']} -> "
        f"{second['shot']})")


def check_figures(driver):
    wait_until(driver, LOADED_JS, 15, "the picture loading")
    wait_until(driver, "!document.getElementById('figures').hidden"
               " && /^\\d/.test(document.getElementById('fps').textContent)",
               10, "the live figures appearing")
    first = figures(driver)
    time.sleep(1.5)
    second = figures(driver)
    log(f"# figures {first} -> {second}")
    for f in (first, second):
        check(f["state"] == "live", f"the state line says \"{f['state']}\"")
        check(f["size"] == "320\u00d7240", f"size is \"{f['size']}\"")
        check(re.fullmatch(r"\d+\.\d", f["fps"])
              and 10 <= float(f["fps"]) <= 20,
              f"fps is \"{f['fps']}\", not about 15")
        match = re.fullmatch(r"(-?\d+) ms", f["delay"])
        check(match and abs(int(match.group(1))) < 2000,
              f"delay is \"{f['delay']}\", not a few ms")
        check(f["viewers"] == "1",
              f"viewer count is \"{f['viewers']}\", not 1 (the page's own "
              "stream; the events connection is no viewer)")
    check(re.fullmatch(r"\d+", first["frame"])
          and re.fullmatch(r"\d+", second["frame"])
          and int(second["frame"]) > int(first["frame"]) + 5,
          f"the frame number went {first['frame']} -> {second['frame']} in "
          "1.5 s at 15 fps: the figures are not live")
    log(f"ok: live figures: {second['fps']} fps, {second['size']}, delay "
        f"{second['delay']}, {second['viewers']} viewer, frame "
        f"{first['frame']} -> {second['frame']}")
    check_moves(driver, "live page")


def check_viewer_count(driver, port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        check(sock.recv(4096).startswith(b"HTTP/1.1 200"),
              "the test's own stream client was not answered 200")
        wait_until(driver, "document.getElementById('viewers').textContent"
                   " === '2'", 5, "the viewer count saying 2 with a second "
                   "stream client")
        log("ok: a second stream client: the page counts 2 viewers")
    wait_until(driver, "document.getElementById('viewers').textContent"
               " === '1'", 5, "the viewer count going back to 1 after the "
               "second client left")
    log("ok: it left: 1 viewer again")


def check_snapshot(driver, downloads):
    clicked = time.time()
    driver.find_element("id", "snapshot").click()
    deadline = time.monotonic() + 10
    done = []
    while not done and time.monotonic() < deadline:
        time.sleep(0.1)
        done = [p for p in downloads.iterdir()
                if not p.name.endswith(".crdownload")]
    check(done, f"nothing downloaded into {downloads} within 10 s of the "
          "snapshot button's click")
    check(len(done) == 1, f"more than one download: {done}")
    path = done[0]
    match = SNAPSHOT_NAME.match(path.name)
    check(match, f"the snapshot is saved as \"{path.name}\", not "
          "snapshot-YYYY-MM-DDTHH-MM-SS.jpg")
    named = time.mktime(time.strptime(match.group(1), "%Y-%m-%dT%H-%M-%S"))
    check(clicked - 60 <= named <= clicked + 2,
          f"the snapshot is named {match.group(1)}, not the time of the "
          f"click ({time.strftime('%Y-%m-%dT%H-%M-%S', time.localtime(clicked))}"
          ") or a frame shortly before it")
    data = path.read_bytes()
    check(data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9",
          f"{path.name} is not a JPEG: {len(data)} bytes, starting "
          f"{data[:4].hex()}, ending {data[-2:].hex()}")
    log(f"ok: the snapshot button saved {path.name}, a JPEG of "
        f"{len(data)} bytes")


def check_fullscreen(driver):
    current = ("document.fullscreenElement"
               " && document.fullscreenElement.id")
    check(driver.execute_script(
        "return !document.getElementById('fullscreen').hidden"),
        "no full-screen button, though Chromium has the Fullscreen API")
    driver.find_element("id", "fullscreen").click()
    wait_until(driver, current + " === 'view'", 5,
               "the picture's container going full screen")
    driver.find_element("id", "leave-fullscreen").click()
    wait_until(driver, "!document.fullscreenElement", 5,
               "leaving full screen with the button in it")
    label = driver.execute_script(
        "return document.getElementById('fullscreen').textContent")
    check(label == "Full screen", f"the button says \"{label}\" after "
          "leaving full screen")
    log("ok: full screen: in with the button, out with the one inside it")


def check_reconnect(driver, server):
    driver.execute_script(RECORDER_JS)
    server.send("stop")
    server.wait_for_line(r"^STOPPED", 10, "the pipeline stopping")
    stopped = time.time() * 1000
    wait_until(driver, "/reconnecting in \\d+ s/.test("
               "document.getElementById('state').textContent)", 5,
               "the page saying it is reconnecting")
    time.sleep(DOWN_S / 2)
    check(driver.execute_script(SHOWN_JS) == "still",
          "while the sink is away the page does not show the last picture "
          f"kept on its canvas, but {driver.execute_script(SHOWN_JS)}")
    log("ok: while the sink is away the last picture stays")
    time.sleep(DOWN_S / 2)
    server.send("play")
    server.wait_for_line(r"^READY port=", 10, "the pipeline playing again")
    back = time.time()
    wait_until(driver, "document.getElementById('state').textContent"
               " === 'live' && /[?&]t=/.test(document.getElementById("
               "'stream').getAttribute('src'))", RECONNECT_S,
               "the page showing the stream again after the sink restarted")
    log(f"ok: live again {time.time() - back:.1f} s after the sink restarted")
    shown = driver.execute_script(SHOWN_JS)
    check(shown == "stream", f"live again, but the page shows {shown}, "
          "not the stream")
    record = driver.execute_script(
        "return JSON.parse(JSON.stringify(window.__live))")
    states = [s for t, s in record["states"]]
    log(f"# states: {states}")
    attempts = [t for t, src in record["srcs"] if t <= back * 1000]
    log("# attempts while the sink was away, ms after it stopped: "
        + ", ".join(f"{t - stopped:.0f}" for t in attempts))
    check(any(re.fullmatch(r".*reconnecting in \d+ s\u2026", s)
              for s in states), f"no countdown among the states {states}")
    check(len(attempts) >= 3, f"{len(attempts)} reconnection attempts in "
          f"{DOWN_S} s away: expected at least 3 (1, 2, 4 s apart)")
    gaps = [b - a for a, b in zip(attempts, attempts[1:])]
    check(gaps[1] > gaps[0] and gaps[0] >= 500,
          f"the waits between attempts do not grow: {gaps} ms")
    log(f"ok: back-off while away: {len(attempts)} attempts, gaps "
        f"{', '.join(f'{g:.0f}' for g in gaps)} ms")
    first = figures(driver)
    check_moves(driver, "after the restart")
    second = figures(driver)
    check(re.fullmatch(r"\d+", first["frame"])
          and re.fullmatch(r"\d+", second["frame"])
          and int(second["frame"]) > int(first["frame"]),
          f"the frame number went {first['frame']} -> {second['frame']} "
          "after the restart: the figures did not come back")
    log(f"ok: figures live again (frame {first['frame']} -> "
        f"{second['frame']}, {second['viewers']} viewer)")


def check_stall(driver, port):
    """The stream cut, the events going on: the page must see that no new
    picture comes while frames flow, and reconnect."""
    proxy = CuttingProxy(port)
    try:
        driver.get(f"http://127.0.0.1:{proxy.port}/")
        wait_until(driver, LOADED_JS + " && document.getElementById("
                   "'state').textContent === 'live'", 15,
                   "the page through the proxy")
        time.sleep(1)
        driver.execute_script(RECORDER_JS)
        check(proxy.cut_streams() == 1, "the proxy did not carry exactly "
              "one stream connection")
        cut = time.time()
        wait_until(driver, "/[?&]t=/.test(document.getElementById('stream')"
                   ".getAttribute('src')) && document.getElementById("
                   "'state').textContent === 'live'", STALL_S,
                   "the page reconnecting after its stream was cut "
                   "while the events went on")
        states = [s for t, s in driver.execute_script(
            "return window.__live.states")]
        log(f"# states: {states}")
        check(any(s.startswith("no new picture") for s in states),
              f"the page reconnected, but not for a stalled picture: "
              f"{states}")
        log(f"ok: stream cut, events going on: the page saw no new picture "
            f"and was live again {time.time() - cut:.1f} s later")
        shown = driver.execute_script(SHOWN_JS)
        check(shown == "stream", f"live again, but the page shows {shown}, "
              "not the stream")
        check_moves(driver, "after the cut")
    finally:
        proxy.close()


def check_console(driver, console):
    console.read()
    csp = console.csp()
    check(not csp, f"Content Security Policy violations: {csp}")
    errors = console.script_errors()
    check(not errors, f"script errors in the console: {errors}")
    log(f"ok: no CSP violation or script error in the console "
        f"({len(console.entries)} entries)")
    driver.execute_script(FORBIDDEN_IMAGE_JS)
    deadline = time.monotonic() + 5
    seen = []
    while not seen and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = console.csp(console.read())
    check(seen, "control: a data: image the CSP forbids left no Content "
          "Security Policy message in the console: the check above could "
          "not have seen one")
    log("ok: control: a forbidden data: image is reported in the console")


def live_page():
    argv = ["/usr/bin/python3", HERE / "push_server.py", "--pattern", "ball",
            "--lifetime", "100"]
    with Program(argv, env=os.environ, stdin=True) as server, \
            tempfile.TemporaryDirectory(prefix="mjpeghttp-dl-") as dl, \
            Chromium(downloads=dl) as driver:
        port = int(server.wait_for_line(r"^READY port=(\d+)", 20,
                                        "READY").group(1))
        console = Console(driver)
        driver.get(f"http://127.0.0.1:{port}/")
        check_figures(driver)
        check_viewer_count(driver, port)
        check_snapshot(driver, Path(dl))
        check_fullscreen(driver)
        console.read()
        check_reconnect(driver, server)
        check_stall(driver, port)
        check_console(driver, console)
        server.send("quit")


def page_without_stats():
    argv = ["gst-launch-1.0", "-m", "videotestsrc", "is-live=true",
            "pattern=ball", "!",
            "video/x-raw,width=320,height=240,framerate=15/1", "!",
            "jpegenc", "!", "mjpeghttpsink", "address=127.0.0.1", "port=0",
            "serve-stats=false"]
    with Program(argv, env=os.environ) as gst, Chromium() as driver:
        port = int(gst.wait_for_line(
            r"mjpeghttpsink-listening.*port=\(int\)(\d+)", 20,
            "listening message").group(1))
        driver.get(f"http://127.0.0.1:{port}/")
        wait_until(driver, LOADED_JS, 15, "the picture loading")
        check_moves(driver, "without stats")
        page = driver.execute_script("""
const b = document.getElementById('bar');
return { events: b.dataset.events, state: b.querySelector('#state').textContent,
         figures: !document.getElementById('figures').hidden,
         snapshot: !document.getElementById('snapshot').hidden };""")
        check(page == {"events": "", "state": "live", "figures": False,
                       "snapshot": True},
              f"without stats the page is {page}: expected no events path, "
              "\"live\", no figures, the snapshot button")
        time.sleep(1)
        entries = [e for e in driver.get_log("browser")
                   if "favicon.ico" not in e["message"]]
        for e in entries:
            log(f"# console {e['level']} {e['source']}: {e['message']}")
        check(not entries, f"without stats the console has {entries}")
        log("ok: without stats: the picture and the buttons, no figures, "
            "a quiet console")


def test():
    live_page()
    page_without_stats()


if __name__ == "__main__":
    sys.exit(run(test))
