#!/usr/bin/python3
"""End-to-end test of an example in examples/: on any free port (--port 0)
it prints its URL, serves a snapshot and the stream, prints client-added
and client-removed for a viewer that comes and goes, stops on Ctrl+C, and
stops by itself with --seconds.

    test_examples.py PROGRAM
"""

import re
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import (URL_LINE, Program, Stream, check,  # noqa: E402
                       check_snapshot, log, run)


def check_urls(match):
    url, stream_url, snapshot_url = match.group("url", "stream", "snapshot")
    parts = urllib.parse.urlsplit(url)
    check(parts.hostname == "127.0.0.1" and parts.port,
          f"URL {url}: expected 127.0.0.1 and the port picked for port 0")
    base = f"http://127.0.0.1:{parts.port}"
    check((url, stream_url, snapshot_url) ==
          (base + "/", base + "/stream", base + "/snapshot"),
          f"printed {url}, {stream_url}, {snapshot_url}")
    log(f"ok: printed {url}")
    return stream_url, snapshot_url


def test_example(program_path):
    argv = [program_path, "--port", "0", "--seconds", "60"]
    with Program(argv) as program:
        stream_url, snapshot_url = check_urls(
            program.wait_for_line(URL_LINE, 30, "line with the URL"))
        check_snapshot(snapshot_url)

        stream = Stream(stream_url)
        part = stream.read_part()
        log(f"ok: read frame {part.number} as {stream.local}")
        peer = re.escape(stream.local)
        program.wait_for_line(rf"^client-added: {peer}$", 10,
                              f"'client-added: {stream.local}'")
        log("ok: client-added printed")
        stream.close()
        program.wait_for_line(rf"^client-removed: {peer} \(closed\)$", 10,
                              f"'client-removed: {stream.local} (closed)'")
        log("ok: client-removed printed")
        status = program.stop()
    check(status == 0, f"exit status {status} after Ctrl+C, expected 0")
    log("ok: stopped cleanly on Ctrl+C")

    with Program([program_path, "--port", "0", "--seconds", "1"]) as program:
        status = program.wait_exit(20)
    check(status == 0, f"with --seconds 1: exit status {status} within 20 s, "
          "expected 0")
    log("ok: --seconds 1 stops it")


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PROGRAM")
    return run(lambda: test_example(sys.argv[1]))


if __name__ == "__main__":
    sys.exit(main())
