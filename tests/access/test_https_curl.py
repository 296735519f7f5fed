#!/usr/bin/python3
"""security-https-curl: curl, verifying the sink's certificate against the
test's CA, gets in with either user's password and only with one.

    test_https_curl.py

The camera runs with tls-certificate, tls-key and auth-file (a bcrypt and a
SHA-512-crypt user, see access.py). With curl --cacert CA:

- each user (-u user:password) gets /snapshot: 200 image/jpeg, a whole
  JPEG (FF D8 ... FF D9), by the names localhost and 127.0.0.1, both in the
  certificate; and /stream: multipart/x-mixed-replace with at least three
  whole JPEG parts in two seconds;
- without -u, /, /snapshot and /stream are 401 with the challenge
  WWW-Authenticate: Basic realm="mjpeghttpsink", charset="UTF-8";
- a wrong password, the password of the other user and an unknown user
  are 401 too;
- with another throwaway CA, and with a host name the certificate does not
  name, curl refuses the certificate: exit 60;
- plain http:// to the port is 400 and no picture;
- a stream that ends (the camera's EOS) ends with the close delimiter and
  curl exit 0, although the sink sends no TLS close_notify.

Skips (77) when openssl, htpasswd or mkpasswd is missing; curl missing
is a failure that says what to install.
"""

import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from access import (BCRYPT_USER, CLIENT_ENV, REALM_CHALLENGE,  # noqa: E402
                    SHA512_USER, USERS, Setting, boundary_of, camera,
                    parse_multipart, run, start)
from mjpegtest import check, jpeg_size, log  # noqa: E402


class Curl:
    """curl -sS with the given CA; localhost is sent to 127.0.0.1, where
    the sink listens (curl would try ::1 first)."""

    def __init__(self, tmp, ca, port):
        self.tmp = tmp
        self.port = port
        self.ca = ca
        self.resolve = ["--resolve", f"localhost:{port}:127.0.0.1",
                        "--resolve", f"camera.invalid:{port}:127.0.0.1"]

    def get(self, url, *options, ca=None, max_time=10):
        """(curl's exit status, status, headers, body, stderr)."""
        head, body = self.tmp / "head", self.tmp / "body"
        for f in head, body:
            f.unlink(missing_ok=True)
        argv = ["curl", "-sS", "--max-time", str(max_time),
                "--cacert", str(ca or self.ca), *self.resolve, *options,
                "-D", str(head), "-o", str(body), url]
        log("$ " + " ".join(argv))
        result = subprocess.run(argv, capture_output=True, text=True,
                                timeout=max_time + 10, env=CLIENT_ENV)
        status, headers = None, {}
        if head.exists() and head.stat().st_size:
            # the last response head (there is one per response)
            text = head.read_bytes().decode("latin-1").strip()
            lines = text.split("\r\n\r\n")[-1].split("\r\n")
            status = int(lines[0].split()[1])
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
        data = body.read_bytes() if body.exists() else b""
        return result.returncode, status, headers, data, result.stderr

    def url(self, path, host="127.0.0.1"):
        return f"https://{host}:{self.port}{path}"


def user_option(user):
    return ["-u", f"{user[0]}:{user[1]}"]


def check_snapshot(curl, user, host):
    code, status, headers, body, err = curl.get(
        curl.url("/snapshot", host), *user_option(user))
    check(code == 0 and status == 200,
          f"{user[0]} GET https://{host}/snapshot: curl exit {code}, status "
          f"{status}, expected 200 ({err.strip()})")
    ctype = headers.get("content-type")
    check(ctype == "image/jpeg", f"/snapshot Content-Type {ctype}")
    check(body[:2] == b"\xff\xd8", f"/snapshot starts with {body[:4]!r}, "
          "not FF D8")
    width, height = jpeg_size(body)
    log(f"ok: {user[0]} via {host}: /snapshot 200 image/jpeg, a {width}x"
        f"{height} JPEG of {len(body)} bytes")


def check_stream(curl, user):
    # curl stops after 2 s (exit 28); what it got by then is checked
    code, status, headers, body, err = curl.get(
        curl.url("/stream", "localhost"), *user_option(user), max_time=2)
    check(code == 28 and status == 200,
          f"{user[0]} GET /stream: curl exit {code}, status {status}, "
          f"expected 200 and a stream still going after 2 s "
          f"({err.strip()})")
    parts = parse_multipart(body, boundary_of(headers.get("content-type")))
    check(len(parts) >= 3, f"{user[0]}: /stream gave {len(parts)} whole "
          "parts in 2 s, expected at least 3")
    numbers = []
    for part_headers, jpeg in parts:
        check(part_headers.get("content-type") == "image/jpeg",
              f"part Content-Type {part_headers.get('content-type')}")
        jpeg_size(jpeg)
        numbers.append(int(part_headers["x-frame-number"]))
    check(numbers == sorted(set(numbers)),
          f"frame numbers not increasing: {numbers}")
    log(f"ok: {user[0]}: /stream gave {len(parts)} whole JPEG parts in 2 s")


def check_refused(curl, path, options, what):
    code, status, headers, body, err = curl.get(curl.url(path), *options)
    challenge = headers.get("www-authenticate")
    check(code == 0 and status == 401,
          f"{what}: GET {path} got curl exit {code}, status {status}, "
          f"expected 401 ({err.strip()})")
    check(challenge == REALM_CHALLENGE,
          f"{what}: GET {path}: WWW-Authenticate '{challenge}', expected "
          f"'{REALM_CHALLENGE}'")
    check(b"\xff\xd8" not in body and b"--mjpeghttpsink" not in body,
          f"{what}: GET {path}: the 401 carries a picture")
    log(f"ok: {what}: GET {path} 401 with {challenge}")


def check_certificate_refused(curl, setting, wrong_ca):
    code, status, _, _, err = curl.get(curl.url("/snapshot"),
                                       *user_option(BCRYPT_USER),
                                       ca=wrong_ca)
    check(code == 60 and status is None,
          f"curl with another CA: exit {code}, status {status}, expected "
          f"exit 60 (certificate refused) ({err.strip()})")
    log(f"ok: with another CA curl refuses the certificate: exit 60 "
        f"({err.strip()})")
    code, status, _, _, err = curl.get(curl.url("/snapshot",
                                                "camera.invalid"),
                                       *user_option(BCRYPT_USER))
    check(code == 60 and status is None,
          f"curl to a name the certificate lacks: exit {code}, status "
          f"{status}, expected exit 60 ({err.strip()})")
    log(f"ok: a host name the certificate does not name: exit 60 "
        f"({err.strip()})")


def check_plain_http(curl):
    code, status, _, body, err = curl.get(
        f"http://127.0.0.1:{curl.port}/snapshot", *user_option(BCRYPT_USER))
    check(code == 0 and status == 400 and b"\xff\xd8" not in body,
          f"plain http:// to the https port: curl exit {code}, status "
          f"{status}, expected 400 without a picture ({err.strip()})")
    log(f"ok: plain http:// is 400: {body.decode('utf-8', 'replace')!r}")


def check_end_of_stream(setting):
    """The camera stops after 3 s: the stream's last bytes are the close
    delimiter, and curl takes the end of the connection as the end of the
    response (exit 0), not as a cut (exit 56)."""
    argv = camera(setting, source=("videotestsrc", "is-live=true",
                                   "num-buffers=90"))
    program, port = start(argv)
    with program:
        curl = Curl(setting.tmp, setting.pki.ca, port)
        code, status, headers, body, err = curl.get(
            curl.url("/stream"), *user_option(SHA512_USER), max_time=15)
    boundary = boundary_of(headers.get("content-type"))
    check(code == 0 and status == 200,
          f"a stream that ends at EOS: curl exit {code}, status {status}, "
          f"expected 0 and 200 ({err.strip()})")
    check(body.rstrip().endswith(f"--{boundary}--".encode()),
          f"the stream did not end with the close delimiter: "
          f"{body[-60:]!r}")
    parts = parse_multipart(body, boundary)
    check(len(parts) >= 3, f"only {len(parts)} parts before EOS")
    log(f"ok: a stream that ends: {len(parts)} parts, the close delimiter, "
        f"curl exit 0{' (stderr: ' + err.strip() + ')' if err else ''}")


def test():
    # curl is one of the plugin's own requirements: missing, it fails
    check(shutil.which("curl"), "curl is missing: apt-get install curl "
          "(scripts/setup.sh installs it)")
    with Setting() as setting:
        program, port = start(camera(setting))
        with program:
            curl = Curl(setting.tmp, setting.pki.ca, port)
            for user in USERS:
                check_snapshot(curl, user, "127.0.0.1")
                check_snapshot(curl, user, "localhost")
                check_stream(curl, user)
            for path in ("/", "/snapshot", "/stream"):
                check_refused(curl, path, [], "no credentials")
            check_refused(curl, "/snapshot",
                          ["-u", f"{BCRYPT_USER[0]}:wrong"],
                          "a wrong password")
            check_refused(curl, "/stream",
                          ["-u", f"{BCRYPT_USER[0]}:{SHA512_USER[1]}"],
                          "the other user's password")
            check_refused(curl, "/snapshot",
                          ["-u", f"mallory:{BCRYPT_USER[1]}"],
                          "an unknown user")
            # a right password after the wrong ones is still let in
            check_snapshot(curl, SHA512_USER, "127.0.0.1")
            other_ca, _ = setting.pki.make_ca("other-ca", "another test CA")
            check_certificate_refused(curl, setting, other_ca)
            check_plain_http(curl)
            check(program.proc.poll() is None, "gst-launch-1.0 exited")
        check_end_of_stream(setting)


if __name__ == "__main__":
    sys.exit(run(test))
