#!/usr/bin/python3
"""security-nginx-proxy: docs/nginx-tls-proxy.conf, the file itself, put in
front of the sink by a real nginx, works as its comments say.

    test_nginx_proxy.py

In a temporary folder: a throwaway CA and a certificate for localhost made
with openssl, a password file made with htpasswd -cbB (bcrypt, as the
example tells operators). The sink runs on a free port of 127.0.0.1 with
max-clients-per-address=0 request-rate=0, as the example says. The example
is rewritten mechanically (ports, certificate paths, password file, the
sink's port: each substitution must match exactly once, so that a changed
example fails here rather than being tested half) and wrapped in a main
configuration whose files all stay in the folder; `nginx -t` checks it, then
nginx runs in the foreground. Then, with curl and the test's CA:

- without a password, or with a wrong one, /, /snapshot and /stream are 401;
- / is the viewer page, /snapshot a JPEG;
- /stream is multipart/x-mixed-replace; its first frame comes within 2 s of
  connecting, the next ones as the camera makes them (each within half a
  frame interval of X-Timestamp, the moment the sink got it): buffering in
  nginx would hold each frame's end until the next frame pushed it out;
- plain HTTP answers 301 to the same URL on https;
- TLS 1.0 and 1.1 are refused, 1.2 and 1.3 accepted (the example's
  ssl_protocols);
- past 20 requests at once an address gets 429 from nginx.

Skips (77) only when nginx or openssl is not installed; htpasswd and curl
missing are failures that say what to install.
"""

import os
import re
import shlex
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import (TOOL_ENV, Program, check, free_port,  # noqa: E402
                       jpeg_size, log, run)

SKIP = 77
SOURCE_DIR = Path(os.environ.get("MJPEGHTTP_SOURCE_DIR",
                                 Path(__file__).resolve().parents[2]))
EXAMPLE = SOURCE_DIR / "docs" / "nginx-tls-proxy.conf"
# nginx lives in /usr/sbin, which a user's PATH may lack
SBIN_PATH = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"

# A slow camera, so that a frame held back by buffering shows: it would be
# half a second late, against milliseconds when passed on as it comes.
FPS = 2
FRAMES = 5
LISTENING = r"mjpeghttpsink-listening, .*port=\(int\)(\d+)"
USER, PASSWORD = "alice", "open sesame"


def sink():
    """The camera behind the proxy, as the example says to run it.
    idle-timeout=0: the camera never pauses, so every request finds a
    frame at once."""
    return ["gst-launch-1.0", "-m", "videotestsrc", "is-live=true", "!",
            f"video/x-raw,width=320,height=240,framerate={FPS}/1", "!",
            "jpegenc", "!", "mjpeghttpsink", "address=127.0.0.1", "port=0",
            "idle-timeout=0", "max-clients-per-address=0", "request-rate=0"]


def make_certificates(tmp):
    """A CA and a certificate for localhost (and 127.0.0.1) signed by it;
    (CA certificate, server certificate, server key). A config of our own
    so that the system's openssl.cnf adds nothing."""
    cnf = tmp / "openssl.cnf"
    cnf.write_text("[req]\ndistinguished_name = dn\n[dn]\n")
    ext = tmp / "server.ext"
    ext.write_text("subjectAltName = DNS:localhost, IP:127.0.0.1\n"
                   "basicConstraints = critical, CA:FALSE\n"
                   "keyUsage = critical, digitalSignature\n"
                   "extendedKeyUsage = serverAuth\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    ca, ca_key = tmp / "ca.crt", tmp / "ca.key"
    crt, key, csr = tmp / "server.crt", tmp / "server.key", tmp / "server.csr"
    for argv in (
            ["openssl", "req", "-x509", "-config", cnf, *ec, "-keyout", ca_key,
             "-out", ca, "-days", "2", "-subj", "/CN=mjpeghttp test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign"],
            ["openssl", "req", "-config", cnf, *ec, "-keyout", key,
             "-out", csr, "-subj", "/CN=localhost"],
            ["openssl", "x509", "-req", "-in", csr, "-CA", ca,
             "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
             "-extfile", ext, "-out", crt]):
        result = subprocess.run([str(a) for a in argv], cwd=tmp,
                                capture_output=True, text=True, env=TOOL_ENV)
        check(result.returncode == 0,
              f"{' '.join(map(str, argv[:3]))} failed: {result.stderr}")
    log("ok: a throwaway CA and a certificate for localhost")
    return ca, crt, key


def make_password_file(tmp, htpasswd):
    path = tmp / "htpasswd"
    result = subprocess.run([htpasswd, "-cbB", str(path), USER, PASSWORD],
                            capture_output=True, text=True, env=TOOL_ENV)
    check(result.returncode == 0, f"htpasswd failed: {result.stderr}")
    return path


def rewrite(example, **values):
    """The example with what cannot be used here replaced, line by line."""
    substitutions = [
        # 443 and 80 need root and may be taken; loopback only, so that the
        # test opens nothing to the network
        (r"^(\s*)listen 443 ssl;",
         f"listen 127.0.0.1:{values['https_port']} ssl;"),
        (r"^(\s*)listen 80;", f"listen 127.0.0.1:{values['http_port']};"),
        # /etc/ssl has no certificate for localhost signed by our CA
        (r"^(\s*)ssl_certificate \S+;",
         f"ssl_certificate {values['crt']};"),
        (r"^(\s*)ssl_certificate_key \S+;",
         f"ssl_certificate_key {values['key']};"),
        # the test's own user and password
        (r"^(\s*)auth_basic_user_file \S+;",
         f"auth_basic_user_file {values['htpasswd']};"),
        # the sink took a free port (port=0), not 8080
        (r"^(\s*)proxy_pass http://127\.0\.0\.1:8080;",
         f"proxy_pass http://127.0.0.1:{values['sink_port']};"),
    ]
    text = example
    for pattern, line in substitutions:
        # a function, so that nothing in the line is read as \1 or \g<>
        text, n = re.subn(pattern, lambda m: m.group(1) + line, text,
                          flags=re.MULTILINE)
        check(n == 1, f"{EXAMPLE}: {n} lines match {pattern!r}, expected "
              "exactly one (the test rewrites it)")
    return text


def main_config(tmp, server):
    """nginx.conf around the example, as Debian's includes sites-enabled/*
    inside http {}; every file nginx writes is in tmp."""
    # as root, nginx would run its workers as nobody, who cannot read tmp
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}pid {tmp}/nginx.pid;
error_log stderr notice;
worker_processes 1;
events {{}}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # The sink's "X-Accel-Buffering: no" turns buffering off for the stream
    # by itself: ignored here, so that what is tested is the example's own
    # proxy_buffering, which must not depend on the upstream's headers.
    proxy_ignore_headers X-Accel-Buffering;

# ---- {EXAMPLE}, rewritten ----
{server}
# ---- end of {EXAMPLE} ----
}}
"""


def parse_head(data):
    """(status, {lower-case name: value}) of a response head."""
    lines = data.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return status, headers


class Curl:
    """curl with the test's CA, sending localhost to 127.0.0.1."""

    def __init__(self, tmp, ca, https_port, http_port):
        self.tmp = tmp
        self.https = f"https://localhost:{https_port}"
        self.http = f"http://localhost:{http_port}"
        self.options = ["--cacert", str(ca),
                        "--resolve", f"localhost:{https_port}:127.0.0.1",
                        "--resolve", f"localhost:{http_port}:127.0.0.1"]

    def get(self, url, *options):
        """(status, headers, body) of one GET."""
        head, body = self.tmp / "head", self.tmp / "body"
        argv = ["curl", "-sS", "--max-time", "10", *self.options, *options,
                "-D", str(head), "-o", str(body), url]
        result = subprocess.run(argv, capture_output=True, text=True,
                                env=TOOL_ENV)
        check(result.returncode == 0,
              f"curl {url} failed (exit status {result.returncode}): "
              f"{result.stderr.strip()}")
        status, headers = parse_head(head.read_bytes())
        return status, headers, body.read_bytes()

    def statuses(self, url, count):
        """The statuses of count GETs of url in a row, on one connection."""
        argv = ["curl", "-sS", "--max-time", "10", *self.options,
                "-w", "%{http_code}\\n"] + ["-o", "/dev/null", url] * count
        result = subprocess.run(argv, capture_output=True, text=True,
                                env=TOOL_ENV)
        check(result.returncode == 0, f"curl {url} failed: {result.stderr}")
        return [int(s) for s in result.stdout.split()]

    def stream(self, url, *options):
        """curl -N (every byte written as it comes) on url, still running."""
        argv = ["curl", "-sS", "-N", "-i", *self.options, *options, url]
        log("$ " + shlex.join(argv))
        return subprocess.Popen(argv, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=TOOL_ENV,
                                start_new_session=True)


class Reader:
    """Lines and byte counts from a pipe, each by a deadline: a stream held
    back by a proxy fails the test instead of hanging it."""

    def __init__(self, pipe):
        self.fd = pipe.fileno()
        self.buf = b""

    def _fill(self, deadline, what):
        remaining = deadline - time.monotonic()
        ready = remaining > 0 and select.select([self.fd], [], [], remaining)[0]
        check(ready, f"no {what} by the deadline")
        data = os.read(self.fd, 65536)
        check(data, f"the stream ended before {what}")
        self.buf += data

    def readline(self, deadline, what):
        while b"\n" not in self.buf:
            self._fill(deadline, what)
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def read(self, size, deadline, what):
        while len(self.buf) < size:
            self._fill(deadline, what)
        data, self.buf = self.buf[:size], self.buf[size:]
        return data


def read_head(reader, deadline, what):
    lines = []
    while True:
        line = reader.readline(deadline, what)
        if not line:
            return parse_head(b"\r\n".join(lines))
        lines.append(line)


def read_part(reader, delimiter, deadline):
    """(monotonic and wall-clock arrival, headers, body) of the next part."""
    while True:
        line = reader.readline(deadline, "part")
        if line == delimiter:
            break
        check(not line.strip(), f"junk between parts: {line[:60]!r}")
    lines = []
    while True:
        line = reader.readline(deadline, "part head")
        if not line:
            break
        lines.append(line.decode("latin-1"))
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    check(headers.get("content-type") == "image/jpeg",
          f"part Content-Type {headers.get('content-type')}")
    body = reader.read(int(headers["content-length"]), deadline, "part body")
    arrival = (time.monotonic(), time.time())
    jpeg_size(body)
    return arrival, headers, body


def check_stream(curl):
    """FRAMES frames of /stream, passed on as they come."""
    start = time.monotonic()
    proc = curl.stream(f"{curl.https}/stream", "-u", f"{USER}:{PASSWORD}")
    try:
        reader = Reader(proc.stdout)
        status, headers = read_head(reader, start + 5, "response head")
        ctype = headers.get("content-type", "")
        match = re.fullmatch(
            r'multipart/x-mixed-replace\s*;\s*boundary="?([^";]+)"?', ctype)
        check(status == 200 and match, f"GET /stream: {status} '{ctype}', "
              "expected 200 multipart/x-mixed-replace with a boundary")
        delimiter = b"--" + match.group(1).encode()
        log(f"ok: /stream answers {status} {ctype} "
            f"(Transfer-Encoding: {headers.get('transfer-encoding', '-')})")

        # the first frame within 2 s of connecting
        parts = [read_part(reader, delimiter, start + 2)]
        log(f"ok: first frame {time.monotonic() - start:.2f} s after "
            "connecting")
        while len(parts) < FRAMES:
            # the next one at the camera's pace, not in bursts seconds apart
            parts.append(read_part(reader, delimiter, parts[-1][0][0] + 2))
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    numbers = [int(p[1]["x-frame-number"]) for p in parts]
    check(numbers == sorted(set(numbers)), f"frames out of order: {numbers}")
    # the first frame is the newest the sink had, up to 1/FPS s old already
    late = [wall - float(h["x-timestamp"]) for (_, wall), h, _ in parts[1:]]
    log("frames " + ", ".join(map(str, numbers)) + "; seconds from the sink "
        "to curl: " + ", ".join(f"{s:.3f}" for s in late))
    median = statistics.median(late)
    check(median < 0.5 / FPS,
          f"frames reach curl {median:.3f} s (median) after the sink got "
          f"them, expected under {0.5 / FPS} s: nginx holds them back "
          "(proxy_buffering)")
    log(f"ok: {FRAMES} whole frames, {median * 1000:.0f} ms (median) from "
        "the sink to curl through nginx")


def check_nginx_proxy(tmp, tools):
    ca, crt, key = make_certificates(tmp)
    htpasswd = make_password_file(tmp, tools["htpasswd"])
    https_port, http_port = free_port(), free_port()
    while http_port == https_port:
        http_port = free_port()

    with Program(sink()) as server:
        sink_port = int(server.wait_for_line(
            LISTENING, 30, "mjpeghttpsink-listening").group(1))
        log(f"ok: the sink listens on 127.0.0.1:{sink_port}")

        conf = tmp / "nginx.conf"
        conf.write_text(main_config(tmp, rewrite(
            EXAMPLE.read_text(), https_port=https_port, http_port=http_port,
            crt=crt, key=key, htpasswd=htpasswd, sink_port=sink_port)))
        nginx = [tools["nginx"], "-p", f"{tmp}/", "-c", str(conf),
                 "-e", "stderr"]
        result = subprocess.run(nginx + ["-t"], capture_output=True,
                                text=True, env=TOOL_ENV)
        for line in result.stderr.splitlines():
            log("| " + line)
        check(result.returncode == 0, f"nginx -t rejects {conf}")
        log("ok: nginx -t accepts the example")

        with Program(nginx + ["-g", "daemon off;"], env=TOOL_ENV) as proxy:
            try:
                check_through(Curl(tmp, ca, https_port, http_port), proxy)
            finally:
                access = tmp / "access.log"
                if access.exists():
                    for line in access.read_text().splitlines():
                        log("access.log| " + line)
        check(server.proc.poll() is None, "gst-launch-1.0 died")


def check_old_tls_refused(curl):
    """The example's ssl_protocols: TLS 1.0 and 1.1 off, 1.2 and 1.3 on
    (nginx 1.22 alone would leave 1.3 off). The client offers the old ones
    at security level 0, so that it is the server that refuses."""
    port = curl.https.rsplit(":", 1)[1]
    for version, accepted in (("tls1", False), ("tls1_1", False),
                              ("tls1_2", True), ("tls1_3", True)):
        result = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
             "-servername", "localhost", f"-{version}",
             "-cipher", "DEFAULT:@SECLEVEL=0"],
            input="", capture_output=True, text=True, timeout=10,
            env=TOOL_ENV)
        refused = "Cipher is (NONE)" in result.stdout
        check(refused != accepted and (result.returncode == 0) == accepted,
              f"openssl s_client -{version}: exit status "
              f"{result.returncode}, expected the handshake to "
              f"{'succeed' if accepted else 'fail'}: {result.stderr}")
    log("ok: TLS 1.0 and 1.1 refused, TLS 1.2 and 1.3 accepted")


def check_through(curl, proxy):
    # nginx says nothing when it listens: wait for an answer
    deadline = time.monotonic() + 10
    while True:
        check(proxy.proc.poll() is None, "nginx exited")
        try:
            curl.get(f"{curl.https}/")
            break
        except Exception:
            check(time.monotonic() < deadline, "nginx does not answer "
                  "within 10 s")
            time.sleep(0.1)

    for path in ("/", "/snapshot", "/stream"):
        status, headers, _ = curl.get(f"{curl.https}{path}")
        auth = headers.get("www-authenticate", "")
        check(status == 401 and auth.startswith("Basic"),
              f"GET {path} without a password: {status} "
              f"(WWW-Authenticate: '{auth}'), expected 401 asking for Basic")
    status, _, _ = curl.get(f"{curl.https}/", "-u", f"{USER}:wrong")
    check(status == 401, f"GET / with a wrong password: {status}, "
          "expected 401")
    log("ok: no password or a wrong one: 401 for /, /snapshot and /stream")

    login = ("-u", f"{USER}:{PASSWORD}")
    status, headers, body = curl.get(f"{curl.https}/", *login)
    ctype = headers.get("content-type", "")
    check(status == 200 and ctype.startswith("text/html"),
          f"GET /: {status} '{ctype}', expected 200 and a page")
    log(f"ok: / is a page of {len(body)} bytes")

    status, headers, body = curl.get(f"{curl.https}/snapshot", *login)
    ctype = headers.get("content-type", "")
    check(status == 200 and ctype == "image/jpeg",
          f"GET /snapshot: {status} '{ctype}', expected 200 image/jpeg")
    check(body[:2] == b"\xff\xd8", f"the snapshot starts {body[:8]!r}")
    width, height = jpeg_size(body)
    log(f"ok: /snapshot is a {width}x{height} JPEG of {len(body)} bytes")

    check_stream(curl)

    status, headers, _ = curl.get(f"{curl.http}/stream?advance_headers=1")
    location = headers.get("location", "")
    check(status == 301 and
          location == "https://localhost/stream?advance_headers=1",
          f"plain HTTP: {status} to '{location}', expected 301 to "
          "https://localhost/stream?advance_headers=1")
    log(f"ok: plain HTTP answers {status} to {location}")

    check_old_tls_refused(curl)

    statuses = curl.statuses(f"{curl.https}/", 30)
    check(429 in statuses and set(statuses) <= {401, 429},
          f"30 requests at once: {statuses}, expected 401 then 429")
    log(f"ok: 30 requests at once: {statuses.count(401)} answered, then 429")
    check(proxy.proc.poll() is None, "nginx died")


def test():
    tools = {name: shutil.which(name, path=SBIN_PATH)
             for name in ("nginx", "openssl", "htpasswd", "curl")}
    for name, package in (("htpasswd", "apache2-utils"), ("curl", "curl")):
        check(tools[name], f"{name} is missing: apt-get install {package}")
    with tempfile.TemporaryDirectory(prefix="mjpeghttp-nginx-") as tmp:
        check_nginx_proxy(Path(tmp), tools)


def main():
    if len(sys.argv) != 1:
        sys.exit(f"usage: {sys.argv[0]}")
    for name, package in (("nginx", "nginx-light"), ("openssl", "openssl")):
        if not shutil.which(name, path=SBIN_PATH):
            print(f"SKIP: {name} is not installed (apt-get install "
                  f"{package}); this test runs docs/nginx-tls-proxy.conf "
                  "in a real nginx.", flush=True)
            return SKIP
    return run(test)


if __name__ == "__main__":
    sys.exit(main())
