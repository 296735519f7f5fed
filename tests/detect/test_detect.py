#!/usr/bin/python3
"""End-to-end tests of pipelines/detect.sh, which runs OpenCV's face
detector (GStreamer's facedetect) on frames and serves them with the
numbers their source gave them.

    test_detect.py folder | camera | missing

folder: a folder of five JPEG frames made from a photograph with a face in
it, played in a loop; camera: the same frames as a fast camera (SOURCE),
faster than the detector, so that the script's queue drops frames. Both
check that the served pictures have an ellipse drawn round the face and
are otherwise the frames that went in, and that each part's X-Frame-Number
is the number of the source frame it shows: each frame carries its index
in blocks at its bottom edge, which the detector leaves alone. missing:
without OpenCV's plugin, or without its face model, the script says what
to install and exits 1.

folder and camera exit 77 (skipped) without facedetect, OpenCV's face
model or the photograph; Debian's gstreamer1.0-opencv, opencv-data and
python3-imageio have them (scripts/setup.sh --tests installs them).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from mjpegtest import (Program, Stream, check, expect_urls,  # noqa: E402
                       free_port, log, run)

SOURCE_DIR = Path(os.environ.get("MJPEGHTTP_SOURCE_DIR",
                                 Path(__file__).resolve().parents[2]))
SCRIPT = SOURCE_DIR / "pipelines" / "detect.sh"
SKIPPED = 77

# NASA's portrait of Eileen Collins, as scikit-image and imageio ship it.
FACE_IMAGES = [
    Path("/usr/lib/python3/dist-packages/imageio/resources/images/"
         "astronaut.png"),
    Path("/usr/lib/python3/dist-packages/skimage/data/astronaut.png"),
]
CASCADE = Path("/usr/share/opencv4/haarcascades/"
               "haarcascade_frontalface_default.xml")

# The frames: the photograph scaled to SIZE x SIZE, where facedetect finds
# her face, and only it, within FACE (x0, y0, x1, y1), a rectangle with
# room round the ellipse it draws. Frame i carries i in binary in BITS
# blocks of BLOCK pixels along the bottom edge: white for 1, black for 0.
SIZE = 256
FACE = (64, 8, 162, 112)
COUNT = 5
BITS = 3
BLOCK = 24
BLOCKS_Y = SIZE - BLOCK - 8

# A pixel "differs" when one of its channels is off by more than DIFFERS:
# far more than re-encoding as JPEG moves a pixel, far less than a white
# line on skin or hair. Measured: 788 such pixels round the face in every
# frame, none elsewhere.
DIFFERS = 64
MIN_FACE_PIXELS = 200
MAX_OTHER_PIXELS = 40


def block_x(bit):
    return 16 + bit * (BLOCK + 16)


def gst_run(description, data=None, caps=None):
    """The bytes of the one buffer that comes out of description's appsink
    after data (pushed with caps into its appsrc, when given)."""
    pipeline = Gst.parse_launch(description)
    sink = pipeline.get_by_name("out")
    pipeline.set_state(Gst.State.PLAYING)
    try:
        if data is not None:
            src = pipeline.get_by_name("in")
            src.set_property("caps", Gst.Caps.from_string(caps))
            src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
            src.emit("end-of-stream")
        sample = sink.emit("try-pull-sample", 10 * Gst.SECOND)
        check(sample is not None, f"no buffer out of '{description}'")
        buffer = sample.get_buffer()
        return buffer.extract_dup(0, buffer.get_size())
    finally:
        pipeline.set_state(Gst.State.NULL)


def decode(jpeg):
    """SIZE x SIZE RGB pixels of a JPEG, rows of SIZE * 3 bytes."""
    rgb = gst_run("appsrc name=in ! jpegdec ! videoconvert ! "
                  "video/x-raw,format=RGB ! appsink name=out sync=false",
                  jpeg, "image/jpeg")
    check(len(rgb) == SIZE * SIZE * 3,
          f"a decoded frame of {len(rgb)} bytes, expected {SIZE}x{SIZE} RGB")
    return rgb


def face_image():
    for path in FACE_IMAGES:
        if path.exists():
            return path
    return None


def make_frames(folder):
    """COUNT JPEG files f1.jpg... in folder, frame i (from 0) with i in its
    blocks; their decoded pixels, by index."""
    picture = bytearray(gst_run(
        f"filesrc location={face_image()} ! pngdec ! videoconvert ! "
        f"videoscale ! video/x-raw,format=RGB,width={SIZE},height={SIZE} ! "
        "appsink name=out sync=false"))
    pixels = []
    for index in range(COUNT):
        frame = bytearray(picture)
        for bit in range(BITS):
            value = 255 if index >> bit & 1 else 0
            for y in range(BLOCKS_Y, BLOCKS_Y + BLOCK):
                start = (y * SIZE + block_x(bit)) * 3
                frame[start:start + BLOCK * 3] = bytes([value]) * BLOCK * 3
        jpeg = gst_run("appsrc name=in ! jpegenc ! appsink name=out "
                       "sync=false", bytes(frame),
                       f"video/x-raw,format=RGB,width={SIZE},height={SIZE},"
                       "framerate=0/1")
        (folder / f"f{index + 1}.jpg").write_bytes(jpeg)
        pixels.append(decode(jpeg))
        check(frame_index(pixels[-1]) == index,
              f"frame {index} reads as {frame_index(pixels[-1])}")
    log(f"ok: made {COUNT} {SIZE}x{SIZE} frames of {face_image()}, each "
        "with its index at the bottom")
    return pixels


def frame_index(rgb):
    """The index in a frame's blocks, read from the middle of each."""
    index = 0
    for bit in range(BITS):
        y = BLOCKS_Y + BLOCK // 2
        start = (y * SIZE + block_x(bit) + BLOCK // 2) * 3
        if sum(rgb[start:start + 3]) > 3 * 128:
            index |= 1 << bit
    return index


def differing_pixels(served, source):
    """How many pixels differ inside FACE and outside it."""
    inside = outside = 0
    x0, y0, x1, y1 = FACE
    for y in range(SIZE):
        row = y * SIZE * 3
        for x in range(SIZE):
            i = row + x * 3
            if (abs(served[i] - source[i]) > DIFFERS
                    or abs(served[i + 1] - source[i + 1]) > DIFFERS
                    or abs(served[i + 2] - source[i + 2]) > DIFFERS):
                if x0 <= x < x1 and y0 <= y < y1:
                    inside += 1
                else:
                    outside += 1
    return inside, outside


def check_parts(parts, pixels, started):
    """Each part: the source frame its number says, with the face outlined
    and the rest as it was, captured while the test ran."""
    counts = []
    for part in parts:
        rgb = decode(part.body)
        index = frame_index(rgb)
        expected = (part.number - 1) % COUNT
        check(index == expected,
              f"X-Frame-Number {part.number} shows source frame {index}, "
              f"expected frame {expected} (numbers from 1, {COUNT} frames "
              f"in a loop): the served numbers are not the source's; "
              f"numbers read: {[p.number for p in parts]}")
        inside, outside = differing_pixels(rgb, pixels[index])
        counts.append((inside, outside))
        check(inside >= MIN_FACE_PIXELS,
              f"frame {part.number}: {inside} pixels differ from the source "
              f"round the face, expected {MIN_FACE_PIXELS} or more: no "
              "ellipse drawn, the face was not detected")
        check(outside <= MAX_OTHER_PIXELS,
              f"frame {part.number}: {outside} pixels differ from the source "
              f"away from the face, expected {MAX_OTHER_PIXELS} at most")
        stamp = float(part.headers.get("x-timestamp", "0"))
        check(started <= stamp <= time.time() + 0.5,
              f"frame {part.number}: X-Timestamp {stamp}, not a time since "
              f"the test started ({started:.6f})")
    log(f"ok: {len(parts)} parts, each with an ellipse round the face "
        f"({min(c[0] for c in counts)} to {max(c[0] for c in counts)} "
        f"pixels changed there, {MIN_FACE_PIXELS} needed; "
        f"{min(c[1] for c in counts)} to {max(c[1] for c in counts)} "
        f"elsewhere, {MAX_OTHER_PIXELS} allowed) and the number of the "
        "source frame it shows")
    times = [float(p.headers["x-timestamp"]) for p in parts]
    check(times == sorted(times),
          f"X-Timestamp goes back: {times}")


def skip_reason():
    if not Gst.ElementFactory.find("facedetect"):
        return ("GStreamer has no facedetect element (Debian: "
                "gstreamer1.0-opencv)")
    if not CASCADE.exists():
        return f"no OpenCV face model at {CASCADE} (Debian: opencv-data)"
    if not face_image():
        return (f"no photograph with a face: none of "
                f"{', '.join(map(str, FACE_IMAGES))} (Debian: "
                "python3-imageio)")
    return None


def settings(tmp, **extra):
    port = free_port()
    env = dict(os.environ, PORT=str(port), ADDRESS="127.0.0.1",
               TMPDIR=str(tmp))
    for name in ("FRAMES", "SOURCE", "CASCADE", "DETECT_OPTIONS", "FPS",
                 "WIDTH", "HEIGHT"):
        env.pop(name, None)
    env.update(extra)
    return port, env


def serve(env, port, count):
    """Runs detect.sh and reads count parts of its stream; the parts and
    the time the script was started."""
    started = time.time()
    with Program([SCRIPT], env) as program:
        _, stream_url, _ = expect_urls(program, port)
        stream = Stream(stream_url)
        parts = [stream.read_part() for _ in range(count)]
        stream.close()
        status = program.stop()
    check(status == 0, f"detect.sh exited with {status} after Ctrl+C, "
          "expected 0")
    numbers = [p.number for p in parts]
    log(f"ok: read frames {numbers}")
    return parts, started


def test_folder():
    with tempfile.TemporaryDirectory() as tmp:
        frames = Path(tmp, "frames")
        frames.mkdir()
        pixels = make_frames(frames)
        port, env = settings(tmp, FRAMES=str(frames), FPS="10")
        parts, started = serve(env, port, 2 * COUNT + 2)
        # The script's folder of links goes once the script is gone.
        deadline = time.monotonic() + 5
        while (list(Path(tmp).glob("mjpeghttp-frames.*"))
               and time.monotonic() < deadline):
            time.sleep(0.2)
        left = list(Path(tmp).glob("mjpeghttp-frames.*"))
        check(not left, f"detect.sh left {left} behind")
    numbers = [p.number for p in parts]
    check(numbers == list(range(numbers[0], numbers[0] + len(numbers))),
          f"frames {numbers}: a folder's frames are all served, in order")
    log("ok: every frame of the folder served, in order, looped")
    check_parts(parts, pixels, started)


def test_camera():
    # The frames as a camera at FPS: imagesequencesrc stamps them, identity
    # sync=true lets them go in real time, as a camera would; fps is about
    # three times what the detector does with these frames on a 2-core
    # machine (measured: about one frame in three served), so that the
    # script's queue drops frames.
    fps = 150
    with tempfile.TemporaryDirectory() as tmp:
        frames = Path(tmp, "frames")
        frames.mkdir()
        pixels = make_frames(frames)
        # 20 s worth of files, frame i of the camera being picture i % COUNT
        camera = Path(tmp, "camera")
        camera.mkdir()
        for i in range(20 * fps):
            (camera / f"{i:06d}.jpg").symlink_to(
                frames / f"f{i % COUNT + 1}.jpg")
        source = (f"imagesequencesrc location={camera}/%06d.jpg "
                  f"start-index=0 framerate={fps}/1 ! identity sync=true")
        port, env = settings(tmp, SOURCE=source, WIDTH=str(SIZE),
                             HEIGHT=str(SIZE), FPS=str(fps))
        parts, started = serve(env, port, 30)
    numbers = [p.number for p in parts]
    check(numbers == sorted(set(numbers)), f"frames {numbers} out of order")
    check_parts(parts, pixels, started)
    skipped = sum(b - a - 1 for a, b in zip(numbers, numbers[1:]))
    check(skipped > 0, f"frames {numbers}: none skipped with a camera at "
          f"{fps} fps, faster than the detector: does the queue before it "
          "keep the newest frame only?")
    log(f"ok: {skipped} frames skipped while the detector worked, and the "
        "numbers show it")


def test_missing():
    """Without OpenCV's plugin (the system's plugins bar it), or with no
    face model, the script names the Debian packages and exits 1."""
    paths = os.environ.get("GST_PLUGIN_PATH_1_0", "").split(":")
    with tempfile.TemporaryDirectory() as tmp:
        plugins = Path(tmp, "plugins")
        plugins.mkdir()
        kept = []
        for path in paths:
            if path and Path(path).is_dir():
                for lib in Path(path).glob("libgst*.so"):
                    if lib.name != "libgstopencv.so":
                        link = plugins / lib.name
                        if not link.exists():
                            link.symlink_to(lib)
                            kept.append(lib.name)
        check(kept, f"no GStreamer plugins found in {paths}")
        _, env = settings(tmp, GST_PLUGIN_PATH_1_0=str(plugins),
                          GST_PLUGIN_SYSTEM_PATH_1_0="",
                          GST_REGISTRY=str(Path(tmp, "registry.bin")))
        with Program([SCRIPT], env) as program:
            status = program.wait_exit(60)
        output = "\n".join(program.output)
        check(status == 1 and "apt-get install gstreamer1.0-opencv "
              "opencv-data" in output,
              f"without OpenCV's plugin: exit status {status}, output "
              f"{output!r}; expected 1 and the packages to install")
        log("ok: without OpenCV's plugin the script names the packages and "
            "exits 1")

        if not Gst.ElementFactory.find("facedetect"):
            log("no facedetect here: the test of a missing face model is "
                "left out")
            return
        _, env = settings(tmp, CASCADE=str(Path(tmp, "none.xml")))
        with Program([SCRIPT], env) as program:
            status = program.wait_exit(30)
        output = "\n".join(program.output)
        check(status == 1 and "apt-get install opencv-data" in output,
              f"without a face model: exit status {status}, output "
              f"{output!r}; expected 1 and the package to install")
        log("ok: without a face model the script names opencv-data and "
            "exits 1")


TESTS = {"folder": test_folder, "camera": test_camera,
         "missing": test_missing}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in TESTS:
        sys.exit(f"usage: {sys.argv[0]} {' | '.join(TESTS)}")
    Gst.init(None)
    if sys.argv[1] != "missing":
        reason = skip_reason()
        if reason:
            log(f"SKIP: {reason}")
            return SKIPPED
    return run(TESTS[sys.argv[1]])


if __name__ == "__main__":
    sys.exit(main())
