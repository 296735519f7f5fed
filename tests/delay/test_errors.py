#!/usr/bin/python3
"""delay-errors: each way mjpeg-delay cannot measure ends with a sentence
that says why and a non-zero exit status (2 for a wrong command line, 1
otherwise); a stream that stops early still gets its report.

Fake servers on 127.0.0.1: nothing listening, a page, a picture, parts
without X-Timestamp, 401 (Basic, and with a refused password, and
Digest), 404, 429, 503 with Retry-After, a redirect, 500, a server that
speaks no HTTP or TLS, one that closes without answering or never
answers, a stream that stalls, one that is cut, and one that ends with
the close delimiter. Then a real mjpeghttpsink with a password and
max-clients=1: 401 without it and with a wrong one, frames with it, 404,
the viewer page, ?advance_headers=1 (parts without X-Timestamp) and 503
while another viewer holds the one place. Last, a sink that serves https
with a throwaway CA's certificate: frames with --tls-ca, "not trusted"
without it, and http:// to its port explained.
"""

import base64
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "access"))
from access import Pki, Skip  # noqa: E402
from delaylib import (BOUNDARY, FakeServer, Sink, answer,  # noqa: E402
                      expect_error, part, run_tool, stream_head)
from mjpegtest import check, free_port, log, run  # noqa: E402

TEXT = "Content-Type: text/plain; charset=utf-8\r\n"


def fake(handler, *args, words=(), status=1):
    with FakeServer(handler) as srv:
        res = run_tool("--timeout", 2, *args, srv.url)
        expect_error(res, *words, status=status)
        return res, srv


def raw(data):
    """A handler that sends bytes that are no HTTP answer."""
    def handler(sock, request):
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        time.sleep(0.5)
    return handler


def frames_then(count, end):
    def handler(sock, request):
        sock.sendall(stream_head() + f"--{BOUNDARY}\r\n".encode())
        for n in range(1, count + 1):
            head, rest = part(n, time.time())
            sock.sendall(head + rest)
        end(sock)
    return handler


def silent(seconds):
    def handler(sock, request):
        time.sleep(seconds)
    return handler


def close_delimiter(sock):
    # how the sink ends a stream at EOS: an empty part, then "--b--"
    sock.sendall(f"Content-Length: 0\r\n\r\n\r\n--{BOUNDARY}--\r\n".encode())
    sock.shutdown(socket.SHUT_WR)
    time.sleep(0.5)


def frames_without_timestamp(sock, request):
    sock.sendall(stream_head() + f"--{BOUNDARY}\r\n".encode())
    for n in range(1, 4):
        head, rest = part(n, None)
        sock.sendall(head + rest)
    time.sleep(2)


def fake_servers():
    res = run_tool("--timeout", 2, f"http://127.0.0.1:{free_port()}/stream")
    expect_error(res, "connection refused", "nothing listens")

    fake(answer("200 OK", "Content-Type: text/html\r\n", b"<html></html>"),
         words=("Content-Type text/html", "not an MJPEG stream", "/stream"))
    fake(answer("200 OK", "Content-Type: image/jpeg\r\n", b"\xff\xd8"),
         words=("image/jpeg", "snapshot"))
    fake(frames_without_timestamp,
         words=("no X-Timestamp", "advance_headers"))

    challenge = 'WWW-Authenticate: Basic realm="cam"\r\n' + TEXT
    fake(answer("401 Unauthorized", challenge, b"Who are you?\n"),
         words=('401 Unauthorized ("Who are you?")', "--user and --password"))
    res, srv = fake(answer("401 Unauthorized", challenge),
                    "--user", "alice", "--password", "s3cret:x",
                    words=("refused the user name and password",))
    token = base64.b64encode(b"alice:s3cret:x").decode()
    check(f"Authorization: Basic {token}\r\n" in srv.requests[0],
          f"the request lacks 'Authorization: Basic {token}': "
          f"{srv.requests[0]!r}")
    log("ok: --user and --password went as Basic credentials")
    fake(answer("401 Unauthorized", 'WWW-Authenticate: Digest realm="x"\r\n'),
         words=("Digest", "only speaks Basic"))

    fake(answer("404 Not Found", TEXT, b"Not found.\n"),
         words=('404 Not Found ("Not found.")', "no stream at /stream"))
    fake(answer("429 Too Many Requests", "Retry-After: 3\r\n"),
         words=("429", "too many requests", "retry after 3 s"))
    fake(answer("503 Service Unavailable", "Retry-After: 5\r\n" + TEXT,
                b"Too many clients.\n"),
         words=('503 Service Unavailable ("Too many clients.")',
                "no more viewers", "retry after 5 s"))
    fake(answer("302 Found", "Location: http://127.0.0.1:1/cam\r\n"),
         words=("302 Found", "http://127.0.0.1:1/cam",
                "give mjpeg-delay that URL"))
    fake(answer("500 Internal Server Error"),
         words=("answered 500 Internal Server Error, not a stream",))

    fake(raw(b"SSH-2.0-OpenSSH_9.2\r\n"),
         words=("does not speak HTTP", "SSH-2.0"))
    fake(raw(b"\x15\x03\x01\x00\x02\x02\x46"), words=("TLS", "https://"))
    fake(raw(b""), words=("closed the connection without answering",))
    fake(silent(3), words=("no answer within 2 s",))

    res, _ = fake(frames_then(3, lambda sock: time.sleep(3)),
                  words=("sent nothing for 2 s",))
    check("3 frames" in res.stdout, "a stalled stream: no report of its "
          f"3 frames: {res.stdout!r}")
    res, _ = fake(frames_then(3, lambda sock: sock.shutdown(socket.SHUT_WR)),
                  "--json", words=("closed the connection",))
    report = res.report()
    check(report["frames"] == 3 and "closed" in report["error"],
          f"a cut stream: report {report}")
    log("ok: a stream cut after 3 frames: report with 3 frames and the "
        "reason")
    fake(frames_then(2, close_delimiter),
         words=("ended the stream", "close delimiter"))


def command_lines():
    expect_error(run_tool(), "usage", status=2)
    expect_error(run_tool("--seconds", 0, "http://127.0.0.1:1/"), "usage",
                 status=2)
    expect_error(run_tool("--bogus", "http://127.0.0.1:1/"), "usage",
                 status=2)
    expect_error(run_tool("ftp://127.0.0.1/stream"),
                 "must start with http:// or https://")
    expect_error(run_tool("http://alice:pw@127.0.0.1:1/stream"),
                 "--user and --password", "not in the URL")
    expect_error(run_tool("--user", "alice", "http://127.0.0.1:1/stream"),
                 "go together")
    expect_error(run_tool("--timeout", 1, "http://no-such-host.invalid/"),
                 "cannot find the address of no-such-host.invalid")


def real_sink():
    with Sink("auth-user=alice", "auth-password=secret", "max-clients=1",
              "idle-timeout=0") as sink:
        url = sink.base + "/stream"
        auth = ("--user", "alice", "--password", "secret")
        expect_error(run_tool("--timeout", 5, url), "401",
                     "--user and --password")
        res = run_tool("--frames", 5, "--json", "--timeout", 5, *auth, url)
        check(res.status == 0 and res.report()["frames"] == 5,
              f"with the password: exit {res.status}, no 5 frames")
        log("ok: with the password, 5 frames")
        expect_error(run_tool("--timeout", 5, "--user", "alice",
                              "--password", "wrong", url),
                     "401", "refused the user name and password")
        expect_error(run_tool("--timeout", 5, *auth, sink.base + "/nope"),
                     "404", "no stream at /nope")
        expect_error(run_tool("--timeout", 5, *auth, sink.base + "/"),
                     "text/html", "not an MJPEG stream")
        expect_error(run_tool("--frames", 3, "--timeout", 5, *auth,
                              url + "?advance_headers=1"),
                     "no X-Timestamp", "advance_headers")

        # the one place taken by another viewer
        token = base64.b64encode(b"alice:secret").decode()
        with socket.create_connection(("127.0.0.1", sink.port),
                                      timeout=5) as viewer:
            viewer.sendall(f"GET /stream HTTP/1.1\r\nHost: 127.0.0.1:"
                           f"{sink.port}\r\nAuthorization: Basic {token}"
                           "\r\n\r\n".encode())
            head = viewer.recv(4096)
            check(head.startswith(b"HTTP/1.1 200"),
                  f"the first viewer got {head[:40]!r}")
            expect_error(run_tool("--timeout", 5, *auth, url), "503",
                         "no more viewers", "max-clients")


def tls_sink():
    try:
        with tempfile.TemporaryDirectory() as tmp:
            pki = Pki(tmp)
            with Sink(f"tls-certificate={pki.crt}", f"tls-key={pki.key}",
                      "idle-timeout=0") as sink:
                https = f"https://localhost:{sink.port}/stream"
                res = run_tool("--frames", 5, "--json", "--timeout", 5,
                               "--tls-ca", pki.ca, https)
                if "built with GnuTLS" in res.stderr:
                    raise Skip("mjpeg-delay was built without GnuTLS")
                check(res.status == 0 and res.report()["frames"] == 5,
                      f"https with --tls-ca: exit {res.status}, no 5 frames")
                log("ok: https with --tls-ca, 5 frames")
                expect_error(run_tool("--timeout", 5, https), "--tls-ca")
                expect_error(run_tool("--timeout", 5, sink.base + "/stream"),
                             "400", "https://")
    except Skip as skip:
        log(f"skipped the https part: {skip}")


def test():
    command_lines()
    fake_servers()
    real_sink()
    tls_sink()


if __name__ == "__main__":
    sys.exit(run(test))
