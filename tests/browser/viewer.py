#!/usr/bin/python3
"""Browser test: the viewer page in headless Chromium.

    gst-launch-1.0 videotestsrc is-live=true pattern=ball
      ! video/x-raw,width=320,height=240,framerate=15/1 ! jpegenc
      ! mjpeghttpsink address=127.0.0.1 port=0

opens http://127.0.0.1:PORT/, waits for the picture, checks that the size
label says 320x240 and that the picture moves: two looks 1 s apart, each a
hash of the <img>'s pixels (drawn into a canvas) and a screenshot of the
<img>, must differ. A control run with a still pattern (checkers-8) must
come out as unchanged, which shows that the check can fail.

Run: /usr/bin/python3 tests/browser/viewer.py (after ninja -C build), or
meson test -C build browser-viewer.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import (Chromium, check, element_screenshot,  # noqa: E402
                      log, wait_until)
from mjpegtest import Program, run  # noqa: E402

# The <img>'s pixels: a hash, the range of values and the natural size.
PIXELS_JS = """
const img = document.getElementById('stream');
const c = document.createElement('canvas');
c.width = img.naturalWidth;
c.height = img.naturalHeight;
const ctx = c.getContext('2d', { willReadFrequently: true });
ctx.drawImage(img, 0, 0);
const d = ctx.getImageData(0, 0, c.width, c.height).data;
let h = 0x811c9dc5, min = 255, max = 0;
for (let i = 0; i < d.length; i++) {
  h = Math.imul(h ^ d[i], 0x01000193) >>> 0;
  if ((i & 3) !== 3) {
    if (d[i] < min) min = d[i];
    if (d[i] > max) max = d[i];
  }
}
return { hash: h.toString(16), min: min, max: max, w: c.width, h: c.height };
"""

LOADED_JS = ("document.getElementById('stream').complete"
             " && document.getElementById('stream').naturalWidth > 0"
             " && /^\\d+\\u00d7\\d+$/.test("
             "document.getElementById('size').textContent)")


def look(driver):
    pixels = driver.execute_script(PIXELS_JS)
    pixels["shot"] = element_screenshot(driver, "stream")
    return pixels


def watch_viewer(pattern):
    """(size label, first look, look 1 s later) of the viewer page."""
    argv = ["gst-launch-1.0", "-m", "videotestsrc", "is-live=true",
            f"pattern={pattern}", "!",
            "video/x-raw,width=320,height=240,framerate=15/1", "!",
            "jpegenc", "!", "mjpeghttpsink", "address=127.0.0.1", "port=0"]
    with Program(argv, env=os.environ) as gst, Chromium() as driver:
        port = int(gst.wait_for_line(
            r"mjpeghttpsink-listening.*port=\(int\)(\d+)", 20,
            "listening message").group(1))
        url = f"http://127.0.0.1:{port}/"
        driver.get(url)
        src = driver.execute_script(
            "return document.getElementById('stream').getAttribute('src')")
        check(src.endswith("/stream?advance_headers=1"),
              f"the viewer's <img> has src=\"{src}\", not "
              "/stream?advance_headers=1")
        wait_until(driver, LOADED_JS, 15, "the picture loading")
        label = driver.execute_script(
            "return document.getElementById('size').textContent")
        first = look(driver)
        time.sleep(1)
        second = look(driver)
        check(gst.proc.poll() is None, "the pipeline exited")
        log(f"# {pattern}: {url} label \"{label}\", pixels {first['hash']} -> "
            f"{second['hash']}, screenshot {first['shot']} -> "
            f"{second['shot']}, values {first['min']}..{first['max']}")
        return label, first, second


def test():
    label, first, second = watch_viewer("ball")
    check(label == "320\u00d7240", f"size label is \"{label}\", not 320x240")
    check((first["w"], first["h"]) == (320, 240),
          f"the image is {first['w']}x{first['h']}, not 320x240")
    check(first["max"] - first["min"] > 64,
          f"the picture is flat (values {first['min']}..{first['max']}): "
          "no ball")
    check(first["hash"] != second["hash"],
          f"the picture did not change in 1 s (pixel hash {first['hash']}): "
          "frozen")
    check(first["shot"] != second["shot"],
          f"the screenshot did not change in 1 s ({first['shot']}): frozen")
    log("ok: the viewer shows the live 320x240 stream and it moves")

    label, first, second = watch_viewer("checkers-8")
    check(label == "320\u00d7240", f"size label is \"{label}\", not 320x240")
    check(first["hash"] == second["hash"] and first["shot"] == second["shot"],
          "a still pattern looked different 1 s later: the frozen-stream "
          "check cannot be trusted")
    log("ok: control: a still picture counts as frozen")


if __name__ == "__main__":
    sys.exit(run(test))
