#!/usr/bin/python3
"""security-browser-https: the viewer page over https with a password, in
headless Chromium that trusts the test's CA the way a person's browser
would: through the NSS database of its HOME.

    test_browser_https.py

The camera (pattern=ball, 320x240 at 15 fps) runs with tls-certificate,
tls-key and auth-file (see access.py). Chromium (tests/browser/chromium.py:
Debian's chromium, chromedriver and selenium) runs with a HOME of the
test's whose $HOME/.pki/nssdb, made with certutil, trusts the test's CA
("C,,") and nothing else of ours. Credentials are given in the URL,
https://USER:PASSWORD@HOST:PORT/ (percent-encoded): Chromium answers the
page's 401 with them and, having cached them for the origin, sends them
with the <img>'s /stream request too. Each user on an origin of its own,
so that the second does not ride on the first's cache: the bcrypt user at
localhost, the SHA-512 one at 127.0.0.1.

- the page is the viewer, not a certificate interstitial: its title is
  "Live camera", it is a secure context, on https:;
- the <img> shows the live stream: it loads (naturalWidth > 0, the size
  label says 320x240) and two screenshots of it 1 s apart differ;
- the browser's console (driver.get_log("browser")) has no Content
  Security Policy violation, and nothing failed to load but favicon.ico;
  then, as a control, an image the CSP forbids (a data: URL) is added to
  the page, and the console must report the violation: the log would have
  shown one.

Control: the same Chromium with a HOME whose NSS database lacks the CA
must not show the viewer (it shows its "Privacy error" interstitial), which
shows the title check can fail and that Chromium verifies the certificate.

Skips (77) when chromium, chromedriver, certutil, openssl, htpasswd or
mkpasswd is missing.
"""

import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "browser"))
from access import (BCRYPT_USER, CLIENT_ENV, SHA512_USER,  # noqa: E402
                    Setting, Skip, camera, require, run, start)
import chromium  # noqa: E402
from chromium import Chromium, element_screenshot, wait_until  # noqa: E402
from mjpegtest import check, log  # noqa: E402

SOURCE = ("videotestsrc", "is-live=true", "pattern=ball", "!",
          "video/x-raw,width=320,height=240,framerate=15/1")
TITLE = "Live camera"
LOADED_JS = ("document.getElementById('stream') !== null"
             " && document.getElementById('stream').complete"
             " && document.getElementById('stream').naturalWidth > 0"
             " && /^\\d+\\u00d7\\d+$/.test("
             "document.getElementById('size').textContent)")
# an image the viewer's CSP (img-src 'self') forbids
FORBIDDEN_IMAGE_JS = """
const i = document.createElement('img');
i.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
document.body.appendChild(i);
"""


def require_chromium():
    for path, package in ((chromium.CHROMIUM, "chromium"),
                          (chromium.CHROMEDRIVER, "chromium-driver")):
        if not os.access(path, os.X_OK):
            raise Skip(f"{path} is not installed: apt-get install {package} "
                       "(scripts/setup.sh --tests installs it)")


def make_home(tmp, name, ca=None):
    """A HOME whose NSS database trusts ca for web sites (none: empty)."""
    certutil = require("certutil", "libnss3-tools")
    home = tmp / name
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    argvs = [[certutil, "-d", f"sql:{nssdb}", "-N", "--empty-password"]]
    if ca:
        argvs.append([certutil, "-d", f"sql:{nssdb}", "-A", "-n", "testca",
                      "-t", "C,,", "-i", str(ca)])
    for argv in argvs:
        result = subprocess.run(argv, capture_output=True, text=True,
                                env=CLIENT_ENV, timeout=30)
        check(result.returncode == 0,
              f"{' '.join(argv[:4])} failed: {result.stderr}")
    log(f"ok: {home} has an NSS database trusting "
        f"{'the test CA' if ca else 'nothing of ours'}")
    return home


def browser(home):
    """Chromium (chromium.py) with HOME=home, where it finds its NSS
    database."""
    os.environ["HOME"] = str(home)
    return Chromium()


def credentials_url(user, password, host, port):
    quote = lambda s: urllib.parse.quote(s, safe="")  # noqa: E731
    return f"https://{quote(user)}:{quote(password)}@{host}:{port}/"


def open_page(driver, url):
    from selenium.common.exceptions import WebDriverException
    try:
        driver.get(url)
    except WebDriverException as err:
        log(f"# get({url}): {err.msg}")


def check_viewer(driver, user, password, host, port):
    url = credentials_url(user, password, host, port)
    open_page(driver, url)
    title = driver.title
    check(title == TITLE,
          f"{user} at {host}: the page's title is \"{title}\", not "
          f"\"{TITLE}\": a certificate interstitial or an error page")
    secure = driver.execute_script(
        "return [window.isSecureContext, location.protocol]")
    check(secure == [True, "https:"],
          f"{user} at {host}: secure context, protocol: {secure}")
    log(f"ok: {user} at {host}: \"{title}\" over https, a secure context, "
        "no certificate error")
    wait_until(driver, LOADED_JS, 15, f"{user} at {host}: the picture "
               "loading")
    natural = driver.execute_script(
        "const i = document.getElementById('stream');"
        "return [i.naturalWidth, i.naturalHeight,"
        " document.getElementById('size').textContent]")
    check(natural == [320, 240, "320\u00d7240"],
          f"{user} at {host}: <img> size and label {natural}")
    first = element_screenshot(driver, "stream")
    time.sleep(1)
    second = element_screenshot(driver, "stream")
    check(first != second, f"{user} at {host}: two screenshots of the "
          f"<img> 1 s apart are the same ({first}): the stream is frozen")
    log(f"ok: {user} at {host}: the <img> shows the live 320x240 stream "
        f"(screenshots {first} -> {second})")


def console(driver):
    entries = driver.get_log("browser")
    for e in entries:
        log(f"# console {e['level']} {e['source']}: {e['message']}")
    return entries


def check_console(driver, host):
    entries = console(driver)
    csp = [e["message"] for e in entries
           if "content security policy" in e["message"].lower()]
    check(not csp, f"at {host}: Content Security Policy violations: {csp}")
    failed = [e["message"] for e in entries
              if e["source"] == "network" and "favicon.ico" not in
              e["message"]]
    check(not failed, f"at {host}: requests that failed: {failed}")
    log(f"ok: at {host}: no CSP violation in the console, no failed "
        f"request but favicon.ico ({len(entries)} entries)")
    driver.execute_script(FORBIDDEN_IMAGE_JS)
    deadline = time.monotonic() + 5
    seen = []
    while not seen and time.monotonic() < deadline:
        time.sleep(0.1)
        seen = [e["message"] for e in console(driver)
                if "content security policy" in e["message"].lower()]
    check(seen, "control: a data: image the CSP forbids left no Content "
          "Security Policy message in the console: the check above could "
          "not have seen one")
    log("ok: control: a forbidden data: image is reported in the console")


def test():
    require_chromium()
    with Setting() as setting:
        trusting = make_home(setting.tmp, "home-ca", setting.pki.ca)
        untrusting = make_home(setting.tmp, "home-empty")
        program, port = start(camera(setting, source=SOURCE))
        with program:
            with browser(trusting) as driver:
                for (user, password), host in ((BCRYPT_USER, "localhost"),
                                               (SHA512_USER, "127.0.0.1")):
                    check_viewer(driver, user, password, host, port)
                    check_console(driver, host)

            with browser(untrusting) as driver:
                open_page(driver, credentials_url(*BCRYPT_USER, "localhost",
                                                  port))
                title = driver.title
                shown = driver.execute_script(
                    "return document.getElementById('stream') !== null")
                check(title != TITLE and not shown,
                      f"control: Chromium without the CA shows \"{title}\""
                      f" (viewer's <img>: {shown}): it does not verify the "
                      "certificate, or the title check cannot fail")
                log(f"ok: control: without the CA Chromium shows \"{title}"
                    "\", not the viewer")
            check(program.proc.poll() is None, "gst-launch-1.0 exited")


if __name__ == "__main__":
    sys.exit(run(test))
