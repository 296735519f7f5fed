"""What the access tests share: a throwaway CA and a server certificate
signed by it, a password file with one bcrypt and one SHA-512-crypt user,
and the camera served over https with those passwords by gst-launch-1.0
with the plugin of the build tree. Standard library only.

Every test verifies the server's certificate against the test's CA, never
with verification off: a client that cannot be made to verify is not
tested.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import mjpegtest  # noqa: E402
from mjpegtest import Program, check, log  # noqa: E402

SKIP = 77

# The two users of the password file. Their passwords have what a URL
# must percent-encode (space, '@', ':', '/', '%') and what Basic auth must
# split at the first colon only. ASCII only: souphttpsrc (libsoup 3)
# sends a password it can write in ISO-8859-1 in that charset, whatever the
# challenge's charset="UTF-8" asks ("wörd" goes as w\xf6rd), where curl,
# ffmpeg and Chromium send UTF-8.
BCRYPT_USER = ("alice", "open sesame")
SHA512_USER = ("bob", "p@ss:w%rd/ 42")
USERS = (BCRYPT_USER, SHA512_USER)
REALM_CHALLENGE = 'Basic realm="mjpeghttpsink", charset="UTF-8"'

LISTENING = (r"mjpeghttpsink-listening, url=\(string\)(?P<url>\S+?), "
             r".*port=\(int\)(?P<port>\d+)")

# The clients' environment: the ASan test setup preloads its runtime for
# whatever loads the plugin; curl, ffmpeg, openssl and the like do not.
CLIENT_ENV = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

# meson's timeout sends SIGTERM: leave through the context managers, so
# that the pipeline and the clients are stopped too.
signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))


class Skip(Exception):
    """A tool the test needs is not installed."""


def require(tool, package):
    """The tool's path; skips the test (77) when it is not installed."""
    path = shutil.which(tool, path=os.environ.get("PATH", "") +
                        ":/usr/local/sbin:/usr/sbin:/sbin")
    if not path:
        raise Skip(f"{tool} is not installed: apt-get install {package} "
                   "(scripts/setup.sh --tests installs it)")
    return path


def run(test):
    """mjpegtest.run, and 77 with a sentence when a tool is missing."""
    try:
        return mjpegtest.run(test)
    except Skip as skip:
        log(f"SKIP: {skip}")
        return SKIP


def _run(argv, what, **kwargs):
    result = subprocess.run([str(a) for a in argv], capture_output=True,
                            text=True, timeout=60, env=CLIENT_ENV, **kwargs)
    check(result.returncode == 0,
          f"{what} failed (exit {result.returncode}): {result.stderr}")
    return result


class Pki:
    """In a temporary folder: CAs, and a certificate for localhost and
    127.0.0.1 signed by the first one. Keys are EC P-256. A configuration
    of our own, so that the system's openssl.cnf adds nothing."""

    def __init__(self, tmp):
        require("openssl", "openssl")
        self.tmp = Path(tmp)
        self.cnf = self.tmp / "openssl.cnf"
        self.cnf.write_text("[req]\ndistinguished_name = dn\n[dn]\n")
        self.ca, self.ca_key = self.make_ca("ca", "mjpeghttp test CA")
        self.crt, self.key = self.make_server()
        log("ok: a throwaway CA and a certificate for localhost and "
            "127.0.0.1 signed by it")

    def _ec(self):
        return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-config", self.cnf]

    def make_ca(self, name, cn):
        """(certificate, key) of a new CA called cn."""
        ca, key = self.tmp / f"{name}.pem", self.tmp / f"{name}.key"
        _run(["openssl", "req", "-x509", *self._ec(), "-keyout", key,
              "-out", ca, "-days", "2", "-subj", f"/CN={cn}",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign"],
             f"openssl req -x509 (CA {name})")
        return ca, key

    def make_server(self):
        ext = self.tmp / "server.ext"
        ext.write_text("subjectAltName = DNS:localhost, IP:127.0.0.1\n"
                       "basicConstraints = critical, CA:FALSE\n"
                       "keyUsage = critical, digitalSignature\n"
                       "extendedKeyUsage = serverAuth\n")
        crt, key = self.tmp / "server.pem", self.tmp / "server.key"
        csr = self.tmp / "server.csr"
        _run(["openssl", "req", "-new", *self._ec(), "-keyout", key,
              "-out", csr, "-subj", "/CN=localhost"], "openssl req -new")
        _run(["openssl", "x509", "-req", "-in", csr, "-CA", self.ca,
              "-CAkey", self.ca_key, "-CAcreateserial", "-days", "2",
              "-extfile", ext, "-out", crt], "openssl x509 -req",
             cwd=self.tmp)
        # the chain the clients are to check: the server's certificate is
        # not self-signed, its issuer is our CA
        _run(["openssl", "verify", "-CAfile", self.ca, crt],
             "openssl verify of the server certificate")
        return crt, key


def make_password_file(tmp):
    """htpasswd file: BCRYPT_USER from htpasswd -cbB, SHA512_USER from
    mkpasswd -m sha-512, appended as user:hash."""
    htpasswd = require("htpasswd", "apache2-utils")
    mkpasswd = require("mkpasswd", "whois")
    path = Path(tmp) / "htpasswd"
    _run([htpasswd, "-cbB", path, *BCRYPT_USER], "htpasswd -cbB")
    # the password on stdin, so that it is not on a command line
    hashed = _run([mkpasswd, "-m", "sha-512", "-s"], "mkpasswd -m sha-512",
                  input=SHA512_USER[1]).stdout.strip()
    with open(path, "a") as f:
        f.write(f"{SHA512_USER[0]}:{hashed}\n")
    lines = path.read_text().splitlines()
    check(len(lines) == 2 and lines[0].startswith(BCRYPT_USER[0] + ":$2y$")
          and lines[1].startswith(SHA512_USER[0] + ":$6$"),
          f"the password file is not one bcrypt and one SHA-512 user: {lines}")
    log(f"ok: password file with {BCRYPT_USER[0]} (bcrypt $2y$) and "
        f"{SHA512_USER[0]} (SHA-512-crypt $6$)")
    return path


class Setting:
    """A temporary folder with the PKI and the password file, removed on
    exit."""

    def __enter__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mjpeghttp-access-"))
        try:
            self.pki = Pki(self.tmp)
            self.users = make_password_file(self.tmp)
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.tmp, ignore_errors=True)


def camera(setting, source=("videotestsrc", "is-live=true"), auth=True):
    """argv of the camera served over https with the setting's passwords,
    on a free port of 127.0.0.1. idle-timeout=0: it never pauses, so that
    every request finds a frame at once."""
    access = [f"auth-file={setting.users}"] if auth else []
    return (["gst-launch-1.0", "-m", *source, "!", "jpegenc", "!",
             "mjpeghttpsink", "address=127.0.0.1", "port=0",
             f"tls-certificate={setting.pki.crt}",
             f"tls-key={setting.pki.key}", *access,
             "max-clients-per-address=0", "request-rate=0",
             "idle-timeout=0"])


def start(argv):
    """(Program, port) once the sink says it listens on https."""
    program = Program(argv, env=os.environ)
    try:
        match = program.wait_for_line(LISTENING, 30,
                                      "mjpeghttpsink-listening")
        port = int(match.group("port"))
        url = match.group("url")
        check(url == f"https://127.0.0.1:{port}/",
              f"the listening message says url={url}, expected "
              f"https://127.0.0.1:{port}/")
    except BaseException:
        program.stop()
        raise
    log(f"ok: {url} listens")
    return program, port


def parse_multipart(data, boundary):
    """The complete parts of a multipart/x-mixed-replace body, as
    (headers, body); the one cut off at the end is left out."""
    delimiter = b"--" + boundary.encode()
    parts = []
    pos = data.find(delimiter)
    while pos >= 0:
        head_start = pos + len(delimiter)
        if data[head_start:head_start + 2] == b"--":
            break
        head_end = data.find(b"\r\n\r\n", head_start)
        if head_end < 0:
            break
        headers = {}
        for line in data[head_start:head_end].decode("latin-1").split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "-1"))
        check(length >= 0, f"a part without Content-Length: {headers}")
        body = data[head_end + 4:head_end + 4 + length]
        if len(body) < length:
            break
        parts.append((headers, body))
        pos = data.find(delimiter, head_end + 4 + length)
    return parts


def boundary_of(content_type):
    match = re.fullmatch(
        r'multipart/x-mixed-replace\s*;\s*boundary="?([^";]+)"?',
        content_type or "")
    check(match, f"Content-Type '{content_type}', expected "
          "multipart/x-mixed-replace with a boundary")
    return match.group(1)
