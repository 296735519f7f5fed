#!/usr/bin/python3
"""hostile-rate-limit: an address past its request rate gets 429 with
Retry-After, for opening a stream too; another address, and a stream that
is already open, are unaffected.

    test_rate_limit.py

With request-rate=2 request-burst=2: 127.0.0.5 asks for / four times in a
row (well within a second, so its bucket refills by a small fraction of a
request): two answers 200, then 429 with Retry-After, also for /snapshot.
127.0.0.6 then gets / and /snapshot at once; 127.0.0.5 may not open a stream
either, but the one it opened before goes on; after Retry-After seconds
127.0.0.5 is answered 200 again.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import open_stream, request, sink, wait_port  # noqa: E402
from mjpegtest import Program, check, jpeg_size, log, run  # noqa: E402

LIMITED, OTHER, FIRST = "127.0.0.5", "127.0.0.6", "127.0.0.7"


def check_refused(port, path):
    """A 429 with a Retry-After of whole seconds; those seconds."""
    status, headers, _ = request(port, path, LIMITED)
    retry = headers.get("Retry-After", "")
    check(status == 429 and retry.isdigit() and int(retry) >= 1,
          f"GET {path} from {LIMITED} past its rate: {status} with "
          f"Retry-After '{retry}', expected 429 with a number of seconds")
    log(f"ok: GET {path} from {LIMITED}: 429, Retry-After: {retry}")
    return int(retry)


def check_served(port, path, source):
    status, headers, body = request(port, path, source)
    check(status == 200, f"GET {path} from {source}: {status}, expected 200")
    if path == "/snapshot":
        jpeg_size(body)
    log(f"ok: GET {path} from {source}: 200")


def test():
    with Program(sink("request-rate=2", "request-burst=2")) as server:
        port = wait_port(server)
        # a first frame exists before the snapshots are asked for
        stream = open_stream(port, FIRST)
        stream.read_part()
        stream.close()

        watching = open_stream(port, LIMITED)
        watching.read_part()
        statuses = [request(port, "/", LIMITED)[0]]
        check(statuses == [200], f"the second request from {LIMITED}: "
              f"{statuses}, expected 200 (request-burst=2)")
        log(f"ok: the burst of two from {LIMITED} is served")
        retry = check_refused(port, "/")
        retry = max(retry, check_refused(port, "/snapshot"))
        retry = max(retry, check_refused(port, "/stream"))

        check_served(port, "/", OTHER)
        check_served(port, "/snapshot", OTHER)

        before = watching.read_part().number
        after = watching.read_part().number
        watching.close()
        check(after > before, "the open stream stopped")
        log(f"ok: the stream {LIMITED} opened before goes on (frames "
            f"{before}, {after})")

        time.sleep(retry)
        check_served(port, "/", LIMITED)
        check(server.proc.poll() is None, "gst-launch-1.0 died")


if __name__ == "__main__":
    if len(sys.argv) != 1:
        sys.exit(f"usage: {sys.argv[0]}")
    sys.exit(run(test))
