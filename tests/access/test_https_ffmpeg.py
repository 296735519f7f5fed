#!/usr/bin/python3
"""security-https-ffmpeg: ffmpeg and ffprobe, verifying the certificate
against the test's CA, decode the stream with either user's password given
in the URL.

    test_https_ffmpeg.py

The camera runs with tls-certificate, tls-key and auth-file (see
access.py). ffmpeg verifies nothing unless told to (tls_verify defaults to
0), so every run has -tls_verify 1 -ca_file CA. Credentials go in the URL,
percent-encoded (the SHA-512 user's password has space, '@', ':', '/' and
'%').

- each user: ffmpeg -i https://U:P@127.0.0.1:PORT/stream -frames:v 5
  -f null - exits 0 with 5 frames decoded; ffmpeg's debug log shows its
  requests: it sends the credentials only after the 401 challenge (the
  first request has no Authorization), which works only because the
  challenge has realm= (logged, not required);
- ffprobe finds a 320x240 mjpeg stream in /stream and in /snapshot;
- with another throwaway CA ffmpeg fails and says the certificate failed
  verification;
- with a wrong password ffmpeg fails with 401.

Skips (77) when ffmpeg, ffprobe, openssl, htpasswd or mkpasswd is missing.
"""

import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from access import (BCRYPT_USER, CLIENT_ENV, USERS, Setting,  # noqa: E402
                    camera, require, run, start)
from mjpegtest import check, log  # noqa: E402

FRAMES = 5


def url(port, path, user, password):
    quote = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
    return f"https://{quote(user)}:{quote(password)}@127.0.0.1:{port}{path}"


def ffmpeg(ca, source):
    """(exit status, log) of ffmpeg decoding FRAMES frames of source."""
    argv = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "debug",
            "-rw_timeout", "10000000", "-tls_verify", "1", "-ca_file",
            str(ca), "-i", source, "-frames:v", str(FRAMES), "-f", "null",
            "-"]
    log("$ " + " ".join(argv))
    result = subprocess.run(argv, capture_output=True, text=True,
                            timeout=30, errors="replace", env=CLIENT_ENV)
    return result.returncode, result.stderr


def requests(text):
    """The requests ffmpeg's http protocol logged: each one's head."""
    heads = re.findall(r"request: (GET .*?)(?=\n\[|\Z)", text, re.S)
    return [h.strip() for h in heads]


def check_decodes(port, ca, user, password):
    status, text = ffmpeg(ca, url(port, "/stream", user, password))
    decoded = re.findall(r"Input stream #0:0 \(video\): \d+ packets read "
                         r"\(\d+ bytes\); (\d+) frames decoded", text)
    tail = "\n".join(text.splitlines()[-8:])
    check(status == 0 and decoded and int(decoded[-1]) >= FRAMES,
          f"{user}: ffmpeg exit {status}, frames decoded {decoded}, "
          f"expected 0 and {FRAMES}:\n{tail}")
    heads = requests(text)
    check(heads and "Authorization: Basic" in heads[-1],
          f"{user}: ffmpeg's last request sent no credentials: {heads}")
    after_challenge = (len(heads) == 2
                       and "Authorization:" not in heads[0])
    log(f"ok: {user}: ffmpeg over https decoded {decoded[-1]} frames; "
        f"{len(heads)} requests, credentials "
        f"{'only after the 401 challenge' if after_challenge else 'at once'}")
    return after_challenge


def check_probe(port, ca, path):
    user, password = USERS[1]
    argv = ["ffprobe", "-hide_banner", "-loglevel", "error", "-rw_timeout",
            "10000000", "-tls_verify", "1", "-ca_file", str(ca),
            "-show_entries", "stream=codec_name,width,height", "-of", "json",
            url(port, path, user, password)]
    log("$ " + " ".join(argv))
    result = subprocess.run(argv, capture_output=True, text=True,
                            timeout=30, env=CLIENT_ENV)
    check(result.returncode == 0,
          f"ffprobe {path}: exit {result.returncode}: {result.stderr}")
    streams = json.loads(result.stdout).get("streams", [])
    check(streams and streams[0] == {"codec_name": "mjpeg", "width": 320,
                                     "height": 240},
          f"ffprobe {path}: streams {streams}, expected one 320x240 mjpeg")
    log(f"ok: ffprobe {path}: {streams[0]}")


def test():
    require("ffmpeg", "ffmpeg")
    require("ffprobe", "ffmpeg")
    with Setting() as setting:
        other_ca, _ = setting.pki.make_ca("other-ca", "another test CA")
        program, port = start(camera(setting))
        with program:
            for user, password in USERS:
                check_decodes(port, setting.pki.ca, user, password)
            check_probe(port, setting.pki.ca, "/stream")
            check_probe(port, setting.pki.ca, "/snapshot")

            status, text = ffmpeg(other_ca, url(port, "/stream",
                                                *BCRYPT_USER))
            check(status != 0 and "failed verification" in text,
                  f"with another CA ffmpeg exit {status}, expected a "
                  "failure because the certificate failed verification")
            log("ok: with another CA ffmpeg fails: " + next(
                line for line in text.splitlines()
                if "failed verification" in line))

            status, text = ffmpeg(setting.pki.ca, url(
                port, "/stream", BCRYPT_USER[0], "wrong"))
            check(status != 0 and "401" in text,
                  f"with a wrong password ffmpeg exit {status}, expected a "
                  "failure with 401")
            log("ok: a wrong password: ffmpeg fails: " + next(
                line for line in text.splitlines() if "401" in line))
            check(program.proc.poll() is None, "gst-launch-1.0 exited")


if __name__ == "__main__":
    sys.exit(run(test))
