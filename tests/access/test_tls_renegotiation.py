#!/usr/bin/python3
"""security-tls-renegotiation: a peer that renegotiates TLS 1.2 is cut off
at once, and does not take the worker threads https needs.

    test_tls_renegotiation.py

After its handshake, a TLS 1.2 peer may send a new ClientHello. GIO would
answer it with a handshake on one of GLib's worker threads, outside the
sink's bound on handshakes and with no deadline; peers that renegotiate
and then stall would pin every worker, and no https client would get in.
The sink ends such a connection instead (gstmjpeghttprecords.c).

With the camera on https, RENEGOTIATORS peers (renegotiate.c, GnuTLS)
each complete a TLS 1.2 handshake, half of them also open the stream, then
send a renegotiation ClientHello and stall:

- the sink ends each connection within 2 s (the fan-out's timeout or the
  head's deadline would take 5 s);
- meanwhile and afterwards curl, verifying the certificate, gets a
  snapshot at once.

Skips (77) when openssl or GnuTLS's headers (for renegotiate.c) are
missing.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from access import (CLIENT_ENV, Setting, Skip, camera,  # noqa: E402
                    require, run, start)
from mjpegtest import check, log  # noqa: E402

RENEGOTIATORS = 24


def renegotiator(port, stream):
    """renegotiate.c, running: it reports how the sink took it."""
    return subprocess.Popen(
        [os.environ["RENEGOTIATE"], str(port)] + (["stream"] if stream
                                                  else []) + ["10"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=CLIENT_ENV)


def snapshot_time(setting, port):
    start_t = time.monotonic()
    result = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "--cacert", str(setting.pki.ca),
         "--resolve", f"localhost:{port}:127.0.0.1", "-o", "/dev/null",
         "-w", "%{http_code}", f"https://localhost:{port}/snapshot"],
        capture_output=True, text=True, env=CLIENT_ENV)
    took = time.monotonic() - start_t
    check(result.returncode == 0 and result.stdout == "200",
          f"curl /snapshot: exit {result.returncode}, status "
          f"{result.stdout}: {result.stderr}")
    return took


def test():
    require("openssl", "openssl")
    if not os.environ.get("RENEGOTIATE"):
        raise Skip("renegotiate.c was not built: GnuTLS's headers are "
                   "missing (apt-get install libgnutls28-dev)")
    with Setting() as setting:
        program, port = start(camera(setting, auth=False))
        try:
            procs = [renegotiator(port, i % 2 == 1)
                     for i in range(RENEGOTIATORS)]
            time.sleep(0.5)
            took = snapshot_time(setting, port)
            check(took < 2, f"a snapshot took {took:.1f} s while "
                  f"{RENEGOTIATORS} peers renegotiated")
            log(f"ok: a snapshot in {took * 1000:.0f} ms while "
                f"{RENEGOTIATORS} peers renegotiated")
            for i, proc in enumerate(procs):
                out, _ = proc.communicate(timeout=30)
                text = out.decode("utf-8", "replace").strip()
                what = "stream, then " if i % 2 else ""
                m = re.search(r"closed after (\d+) ms", text)
                check(proc.returncode == 0 and m and int(m.group(1)) < 2000,
                      f"peer {i} ({what}renegotiation): {text}")
            log(f"ok: all {RENEGOTIATORS} renegotiating peers (half of them "
                "streaming) were cut off within 2 s")
            took = snapshot_time(setting, port)
            check(took < 2, f"a snapshot took {took:.1f} s afterwards")
            log(f"ok: a snapshot in {took * 1000:.0f} ms afterwards")
            check(program.proc.poll() is None, "gst-launch-1.0 died")
        finally:
            program.stop()


if __name__ == "__main__":
    run(test)
