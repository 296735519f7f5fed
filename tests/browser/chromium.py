"""Headless Chromium for the browser tests: Debian's chromium, driven by
Debian's chromedriver through Debian's python3-selenium. Everything comes
from Debian's archive, versions matched by Debian (chromium and
chromium-driver are one source package); see docs/browser-tests.md for why.

Run with Debian's /usr/bin/python3, which has selenium and PyGObject.
"""

import hashlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import Failure, check, log  # noqa: E402,F401

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

# What this closed network needs: without the background-networking flags
# Chromium keeps trying Google's hosts and is refused many times a second.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
    "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--window-size=800,600",
]

# meson's timeout sends SIGTERM: leave through the context managers, so
# that Chromium, chromedriver and the pipelines are stopped too.
signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))


def _selenium():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as err:
        raise Failure(f"python3-selenium is missing ({err}): run "
                      "scripts/setup.sh --tests (apt-get install "
                      "python3-selenium chromium chromium-driver)")
    return webdriver, Service


class Chromium:
    """One headless Chromium on a new, empty profile, removed on exit. The
    page load strategy is "eager": an <img> whose MJPEG stream has no frame
    yet would otherwise hold the page's load event, and with it get().
    downloads: a directory where downloads are saved without asking."""

    def __init__(self, downloads=None):
        self.downloads = downloads

    def __enter__(self):
        for path, package in ((CHROMIUM, "chromium"),
                              (CHROMEDRIVER, "chromium-driver")):
            check(os.access(path, os.X_OK),
                  f"{path} is missing: run scripts/setup.sh --tests "
                  f"(apt-get install {package})")
        webdriver, Service = _selenium()
        self.profile = tempfile.mkdtemp(prefix="mjpeghttp-chromium-")
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        options.page_load_strategy = "eager"
        for arg in CHROMIUM_ARGS + [f"--user-data-dir={self.profile}"]:
            options.add_argument(arg)
        if self.downloads:
            options.add_experimental_option("prefs", {
                "download.default_directory": str(self.downloads),
                "download.prompt_for_download": False,
            })
        # The ASan test setup preloads its runtime for whatever loads the
        # plugin; Chromium does not, and must not run under it.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        try:
            self.driver = webdriver.Chrome(
                service=Service(CHROMEDRIVER, env=env), options=options)
        except Exception as err:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise Failure(f"could not start {CHROMIUM} through "
                          f"{CHROMEDRIVER}: {err}")
        self.driver.set_page_load_timeout(15)
        self.driver.set_script_timeout(10)
        log(f"# Chromium {self.driver.capabilities.get('browserVersion')}")
        return self.driver

    def __exit__(self, *exc):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def wait_until(driver, script, timeout, what):
    """Polls a JavaScript expression until it is true."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.05).until(
            lambda d: d.execute_script("return " + script))
    except TimeoutException:
        raise Failure(f"{what} did not happen within {timeout} s")


def element_screenshot(driver, element_id):
    """A hash of what is painted on screen for the element: a screenshot,
    not the DOM."""
    from selenium.webdriver.common.by import By
    png = driver.find_element(By.ID, element_id).screenshot_as_png
    return hashlib.sha256(png).hexdigest()[:16]
