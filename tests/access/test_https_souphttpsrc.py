#!/usr/bin/python3
"""security-https-souphttpsrc: GStreamer's own HTTP client decodes the
stream over https with either user's password, verifying the certificate
against the test's CA.

    test_https_souphttpsrc.py

The camera runs in gst-launch-1.0 with tls-certificate, tls-key and
auth-file (see access.py). In this process, with PyGObject:

    souphttpsrc location=https://127.0.0.1:PORT/stream user-id=U user-pw=P
      ! multipartdemux ! jpegdec ! appsink

with souphttpsrc's tls-database set to a GTlsFileDatabase of the test's CA
(with libsoup 3, ssl-ca-file is silently ignored; from gst-launch only the
system store would do). ssl-strict stays TRUE.

- each user decodes at least 5 frames of 320x240 within 10 s;
- with a database of another throwaway CA, the pipeline fails with an
  error on the bus and no HTTP status (the certificate was refused before
  any request), and decodes nothing;
- with a wrong password it fails with HTTP status 401.

Skips (77) when openssl, htpasswd or mkpasswd is missing.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from access import (BCRYPT_USER, USERS, Setting, camera, run,  # noqa: E402
                    start)
from mjpegtest import Failure, check, log  # noqa: E402

try:
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gio, Gst
except (ImportError, ValueError) as err:
    raise SystemExit(f"PyGObject with GStreamer's typelib is missing "
                     f"({err}): apt-get install python3-gi gir1.2-gst-1.0 "
                     "(run with /usr/bin/python3)")

TIMEOUT = 10
FRAMES = 5


def watch(port, ca, user, password):
    """(frames decoded, error message or None, HTTP status codes seen)
    within TIMEOUT seconds, or as soon as FRAMES frames are decoded."""
    pipeline = Gst.parse_launch(
        f"souphttpsrc name=src location=https://127.0.0.1:{port}/stream "
        "! multipartdemux ! image/jpeg ! jpegdec "
        "! appsink name=sink sync=false max-buffers=2 drop=true")
    src = pipeline.get_by_name("src")
    appsink = pipeline.get_by_name("sink")
    src.set_property("user-id", user)
    src.set_property("user-pw", password)
    src.set_property("tls-database", Gio.TlsFileDatabase.new(str(ca)))
    check(src.get_property("ssl-strict"), "souphttpsrc ssl-strict is off")
    bus = pipeline.get_bus()
    frames, error, statuses = 0, None, []
    pipeline.set_state(Gst.State.PLAYING)
    try:
        deadline = time.monotonic() + TIMEOUT
        while frames < FRAMES and error is None \
                and time.monotonic() < deadline:
            sample = appsink.emit("try-pull-sample", 50 * Gst.MSECOND)
            if sample:
                s = sample.get_caps().get_structure(0)
                size = (s.get_value("width"), s.get_value("height"))
                check(size == (320, 240),
                      f"a decoded frame of {size[0]}x{size[1]}, not 320x240")
                frames += 1
            while True:
                msg = bus.pop_filtered(Gst.MessageType.ERROR |
                                       Gst.MessageType.ELEMENT)
                if not msg:
                    break
                st = msg.get_structure()
                if msg.type == Gst.MessageType.ERROR:
                    # several elements may fail: souphttpsrc's first is kept
                    err, _ = msg.parse_error()
                    if error is None or (msg.src.get_name() == "src" and
                                         not error.startswith("src:")):
                        error = f"{msg.src.get_name()}: {err.message}"
                elif st and st.get_name() == "http-headers":
                    statuses.append(st.get_value("http-status-code"))
    finally:
        pipeline.set_state(Gst.State.NULL)
    log(f"# {user} with CA {Path(ca).name}: {frames} frames, HTTP status "
        f"{statuses}, error {error}")
    return frames, error, statuses


def test():
    Gst.init(None)
    for name in ("souphttpsrc", "multipartdemux", "jpegdec", "appsink"):
        if not Gst.ElementFactory.find(name):
            raise Failure(f"GStreamer element {name} is missing: apt-get "
                          "install gstreamer1.0-plugins-good "
                          "gstreamer1.0-plugins-base")
    with Setting() as setting:
        other_ca, _ = setting.pki.make_ca("other-ca", "another test CA")
        program, port = start(camera(setting))
        with program:
            for user, password in USERS:
                frames, error, statuses = watch(port, setting.pki.ca, user,
                                                password)
                check(frames >= FRAMES and error is None,
                      f"{user}: souphttpsrc decoded {frames} frames in "
                      f"{TIMEOUT} s, expected {FRAMES} (error: {error})")
                check(200 in statuses, f"{user}: HTTP status {statuses}")
                log(f"ok: {user}: souphttpsrc over https decoded {frames} "
                    f"320x240 frames")

            frames, error, statuses = watch(port, other_ca, *BCRYPT_USER)
            check(frames == 0 and error is not None,
                  f"with another CA souphttpsrc decoded {frames} frames "
                  f"(error: {error}): it does not verify the certificate")
            check(all(s == 0 for s in statuses),
                  f"with another CA souphttpsrc got HTTP status {statuses}:"
                  " the certificate should have been refused first")
            log("ok: with another CA souphttpsrc refuses the certificate "
                f"(HTTP status {statuses}, error on the bus: {error})")

            frames, error, statuses = watch(port, setting.pki.ca,
                                            BCRYPT_USER[0], "wrong")
            check(frames == 0 and error is not None and 401 in statuses,
                  f"a wrong password: {frames} frames, HTTP status "
                  f"{statuses}, error {error}; expected 401 and an error")
            log(f"ok: a wrong password: HTTP 401, error on the bus: {error}")
            check(program.proc.poll() is None, "gst-launch-1.0 exited")


if __name__ == "__main__":
    sys.exit(run(test))
