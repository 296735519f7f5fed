#!/usr/bin/python3
"""The installed service: meson install into a staged root (DESTDIR), then
what systemd would do with it.

    test_service.py unit-verify | serve | serve-settings | source-fails

unit-verify     systemd-analyze verify accepts mjpeghttp@.service
serve           its ExecStart, with the installed example settings read as
                EnvironmentFile= reads them, run as an unprivileged user,
                serves /snapshot; Ctrl+C (the unit's KillSignal) ends it with 0
serve-settings  mjpeghttp-serve --settings example.conf, the environment
                winning over the file, IDLE_STATE and SINK_OPTIONS passed on
source-fails    a source that fails ends the command with a non-zero status
                that systemd restarts on; mistakes in the settings with 2,
                which the unit does not restart on

The installed plugin is found with GST_PLUGIN_PATH_1_0 set to its staged
folder; nothing is taken from the build tree but what meson installs.
"""

import http.client
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import (Program, check, check_snapshot,  # noqa: E402
                       expect_urls, free_port, log, run)

SOURCE_DIR = Path(os.environ.get("MJPEGHTTP_SOURCE_DIR",
                                 Path(__file__).resolve().parents[2]))
BUILD_DIR = Path(os.environ.get("MJPEGHTTP_BUILD_DIR", SOURCE_DIR / "build"))
MESON = os.environ.get("MJPEGHTTP_MESON", "meson")
GST_PLUGINS_DIR = os.environ.get("MJPEGHTTP_GST_PLUGINS_DIR", "")
SKIP = 77


class Skip(Exception):
    pass


def find(root, name):
    found = sorted(Path(root).rglob(name))
    check(len(found) == 1, f"meson install put {len(found)} files named "
          f"{name} in the staged root, expected 1: {found}")
    return found[0]


class Staged:
    """meson install -C build --destdir TMP, readable by every user."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="mjpeghttp-install-")
        os.chmod(self.tmp, 0o755)
        self.root = Path(self.tmp, "root")
        subprocess.run([MESON, "install", "-C", str(BUILD_DIR),
                        "--no-rebuild", "--quiet", "--destdir",
                        str(self.root)], check=True, timeout=120,
                       stdout=subprocess.DEVNULL)
        self.unit = find(self.root, "mjpeghttp@.service")
        self.command = find(self.root, "mjpeghttp-serve")
        self.example = find(self.root, "example.conf")
        self.plugin = find(self.root, "libgstmjpeghttp.so")
        log(f"ok: meson install --destdir {self.root}: "
            f"{self.command.relative_to(self.root)}, "
            f"{self.unit.relative_to(self.root)}, "
            f"{self.example.relative_to(self.root)}, "
            f"{self.plugin.relative_to(self.root)}")
        self.unit_text = self.unit.read_text()
        # A folder the service's user may write: its registry and /tmp, as
        # CacheDirectory= and PrivateTmp= give it.
        self.state = Path(self.tmp, "state")
        self.state.mkdir()
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("nobody")
            os.chown(self.state, self.user.pw_uid, self.user.pw_gid)

    def unit_value(self, key):
        values = re.findall(rf"^{key}=(.*)$", self.unit_text, re.M)
        check(len(values) == 1, f"{key}= {len(values)} times in the unit")
        return values[0].strip()

    def staged(self, path):
        return Path(str(self.root) + path)

    def runner(self):
        """argv prefix: as nobody when root, as this user otherwise."""
        if self.user is None:
            return []
        return ["setpriv", "--reuid=nobody", "--regid=nogroup",
                "--clear-groups"]

    def env(self, **settings):
        """The environment the unit gives, with the installed plugin."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("MJPEGHTTP_", "GST_PLUGIN_PATH"))}
        for name in ("PIPELINE", "PORT", "ADDRESS", "WIDTH", "HEIGHT", "FPS",
                     "DEVICE", "FRAMES", "IDLE_TIMEOUT", "IDLE_STATE",
                     "SINK_OPTIONS", "SOURCE"):
            env.pop(name, None)
        env.update(HOME="/nonexistent", TMPDIR=str(self.state),
                   GST_REGISTRY=str(self.state / "registry.bin"),
                   GST_PLUGIN_SYSTEM_PATH_1_0="",
                   GST_PLUGIN_PATH_1_0=":".join(
                       p for p in (str(self.plugin.parent), GST_PLUGINS_DIR)
                       if p))
        env.update(settings)
        return env

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def environment_file(path):
    """NAME=VALUE lines as systemd's EnvironmentFile= reads the simple
    ones: comments, blank lines, values in quotes."""
    values = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, sep, value = line.partition("=")
        check(sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name.strip()),
              f"{path}: not NAME=VALUE: {line}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def check_user(program, staged):
    """Every process of the command runs as the unprivileged user."""
    if staged.user is None:
        return
    uids = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != program.proc.pid:
                continue
            status = (proc / "status").read_text()
            comm = (proc / "comm").read_text().strip()
        except (OSError, ProcessLookupError):
            continue
        uid = int(re.search(r"^Uid:\s+(\d+)", status, re.M).group(1))
        uids[f"{proc.name} {comm}"] = uid
    check(uids and set(uids.values()) == {staged.user.pw_uid},
          f"processes of the command and their users: {uids}")
    log(f"ok: its {len(uids)} processes ({', '.join(sorted(uids))}) run "
        f"as {staged.user.pw_name}")


def check_stream_status(url, expected):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("GET", parts.path)
    resp = conn.getresponse()
    check(resp.status == expected,
          f"GET {url}: status {resp.status}, expected {expected}")
    return conn, resp


def serve(staged, argv, env, port, extra=None):
    with Program(staged.runner() + argv, env) as program:
        _, stream_url, snapshot_url = expect_urls(program, port, timeout=60)
        check_snapshot(snapshot_url)
        check_user(program, staged)
        if extra:
            extra(stream_url)
        status = program.stop()
    check(status == 0, f"SIGINT (the unit's KillSignal) ended the command "
          f"with status {status}, expected 0")
    log("ok: SIGINT ended the command with status 0")


def test_unit_verify():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        raise Skip("systemd-analyze is not installed (Debian's systemd "
                   "package has it): the unit cannot be verified here")
    staged = Staged()
    try:
        exec_start = staged.unit_value("ExecStart")
        check(exec_start.split()[0].endswith("/bin/mjpeghttp-serve"),
              f"ExecStart={exec_start}")
        env_file = staged.unit_value("EnvironmentFile")
        check(env_file.endswith("/mjpeghttp/%i.conf"),
              f"EnvironmentFile={env_file}")
        check(staged.staged(env_file.replace("%i", "example")).is_file(),
              f"{env_file} with %i=example is not installed")
        for line in ("Restart=on-failure", "DynamicUser=yes",
                     "SupplementaryGroups=video", "KillSignal=SIGINT",
                     "RestartPreventExitStatus=2"):
            check(re.search(rf"^{line}$", staged.unit_text, re.M),
                  f"no {line} in the unit")
        # verify checks that ExecStart's program exists: the staged one.
        units = Path(staged.tmp, "units")
        units.mkdir()
        copy = units / "mjpeghttp@.service"
        copy.write_text(staged.unit_text.replace(
            "ExecStart=" + exec_start,
            "ExecStart=" + str(staged.staged(exec_start))))
        result = subprocess.run([analyze, "verify", "--man=no", str(copy)],
                                capture_output=True, text=True, timeout=60)
        output = (result.stdout + result.stderr).strip()
        log(f"$ systemd-analyze verify {copy}: status {result.returncode}"
            + (f"\n{output}" if output else ""))
        check(result.returncode == 0 and "mjpeghttp" not in output,
              "systemd-analyze verify does not accept the unit")
        log("ok: systemd-analyze verify accepts mjpeghttp@.service")
    finally:
        staged.close()


def test_serve():
    """What systemctl start mjpeghttp@example does, but for the sandbox."""
    staged = Staged()
    try:
        settings = environment_file(staged.example)
        check(settings.get("PIPELINE") == "test-pattern",
              f"the example serves {settings.get('PIPELINE')}, expected the "
              "test pattern")
        port = free_port()
        settings["PORT"] = str(port)
        exec_start = staged.unit_value("ExecStart").split()
        argv = [str(staged.staged(exec_start[0]))] + exec_start[1:]
        serve(staged, argv, staged.env(**settings), port)
    finally:
        staged.close()


def test_serve_settings():
    staged = Staged()
    try:
        port = free_port()

        def one_viewer_only(stream_url):
            first, stream = check_stream_status(stream_url, 200)
            # a viewer once its first frame is on the way
            stream.read(1000)
            second, _ = check_stream_status(stream_url, 503)
            second.close()
            first.close()
            log("ok: SINK_OPTIONS=max-clients=1 reached the sink: a second "
                "stream viewer gets 503")

        env = staged.env(PORT=str(port), IDLE_STATE="ready",
                         SINK_OPTIONS="max-clients=1", WIDTH="320",
                         HEIGHT="240")
        serve(staged, [staged.command, "--settings", staged.example], env,
              port, one_viewer_only)
        log("ok: PORT from the environment won over the settings file's")
    finally:
        staged.close()


def expect_exit(staged, argv, env, expected, text, what):
    result = subprocess.run(staged.runner() + [str(a) for a in argv],
                            env=env, capture_output=True, text=True,
                            timeout=60, stdin=subprocess.DEVNULL)
    output = (result.stdout + result.stderr).strip()
    log(f"$ {' '.join(str(a) for a in argv)}: status {result.returncode}\n"
        + "\n".join("| " + line for line in output.splitlines()))
    if expected == "non-zero":
        check(result.returncode not in (0, 2),
              f"{what}: status {result.returncode}, expected one that "
              "systemd restarts on (not 0, not 2)")
    else:
        check(result.returncode == expected,
              f"{what}: status {result.returncode}, expected {expected}")
    check(text in output, f"{what}: no '{text}' in the output")
    log(f"ok: {what}: status {result.returncode}")


def test_source_fails():
    staged = Staged()
    try:
        command = staged.command
        expect_exit(staged, [command], staged.env(
            PIPELINE="camera-mjpeg", PORT=str(free_port()),
            DEVICE="/dev/nonexistent"), "non-zero", "no camera at",
            "camera-mjpeg with DEVICE=/dev/nonexistent")
        # The camera is there but fails in gst-launch-1.0 (as when it is
        # unplugged while serving): its status comes through.
        expect_exit(staged, [command, "camera-raw"], staged.env(
            PORT=str(free_port()), SOURCE="v4l2src device=/dev/null"),
            "non-zero", "ERROR", "camera-raw with a v4l2src that fails")
        expect_exit(staged, [command, "camera-mjpeg"], staged.env(
            PORT=str(free_port()), IDLE_STATE="sleeping"), 2,
            "IDLE_STATE must be", "IDLE_STATE=sleeping")
        expect_exit(staged, [command], staged.env(PIPELINE="webcam"), 2,
                    "there is no pipeline 'webcam'", "PIPELINE=webcam")
        expect_exit(staged, [command, "--settings", "/nonexistent.conf",
                             "test-pattern"], staged.env(), 2,
                    "cannot read the settings file", "a missing settings file")
        bad = Path(staged.state, "bad.conf")
        bad.write_text("PORT 8080\n")
        os.chmod(bad, 0o644)
        expect_exit(staged, [command, "--settings", bad], staged.env(), 2,
                    "line 1: not NAME=VALUE", "a settings file with a typo")
    finally:
        staged.close()


TESTS = {
    "unit-verify": test_unit_verify,
    "serve": test_serve,
    "serve-settings": test_serve_settings,
    "source-fails": test_source_fails,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        sys.exit(f"usage: {sys.argv[0]} {' | '.join(TESTS)}")
    try:
        return run(TESTS[sys.argv[1]])
    except Skip as skip:
        log(f"SKIP: {skip}")
        return SKIP


if __name__ == "__main__":
    sys.exit(main())
