#!/usr/bin/python3
# mjpeghttp browser tests: an mjpeghttpsink whose frames the test pushes.
#
# Run with Debian's /usr/bin/python3 (python3-gi, gir1.2-gstreamer-1.0,
# gir1.2-gst-plugins-base-1.0). layout.py and live.py drive it over
# stdin/stdout:
#
#   appsrc (solid-colour RGB, 320x240) ! videoconvert ! jpegenc
#     ! mjpeghttpsink address=127.0.0.1 port=0 sync=false
#
# or, with --pattern NAME, a live camera of its own instead of appsrc:
#
#   videotestsrc is-live=true pattern=NAME ! 320x240 at 15 fps ! jpegenc
#     ! mjpeghttpsink address=127.0.0.1 port=0
#
# stdin, one command a line:
#   push COLOUR   push one frame (red, green, blue, grey, white, black)
#   eos           end the stream (the sink sends the closing delimiter)
#   stop          set the pipeline to NULL: the server closes
#   play          back to PLAYING on the same port (port= set to the port
#                 the first start bound), then READY again
#   quit          stop the pipeline and exit
# stdout, one event a line:
#   READY port=N
#   STOPPED
#   CLIENT+ PEER / CLIENT- PEER REASON
#   PUSHED COLOUR SEQ T_MS   T_MS: wall clock (ms since the epoch) at which
#                            the JPEG reached the sink's pad (sync=false:
#                            render, i.e. the hand-over to the HTTP server,
#                            follows at once)
#   ERROR TEXT / BYE
#
# The process also ends on its own when stdin closes or after --lifetime
# seconds, so a crashed test cannot leave it behind.

import argparse
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GLib", "2.0")
from gi.repository import GLib, Gst  # noqa: E402

WIDTH, HEIGHT = 320, 240
COLOURS = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "grey": (128, 128, 128),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
}

_out_lock = threading.Lock()


def say(line):
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifetime", type=float, default=90.0)
    ap.add_argument("--pattern", help="videotestsrc pattern instead of "
                    "frames pushed by command")
    args = ap.parse_args()

    Gst.init(None)
    if args.pattern:
        source = ("videotestsrc name=src is-live=true pattern=%s "
                  "! video/x-raw,width=%d,height=%d,framerate=15/1"
                  % (args.pattern, WIDTH, HEIGHT))
        sync = "true"
    else:
        source = ("appsrc name=src is-live=true format=time do-timestamp=true "
                  "caps=video/x-raw,format=RGB,width=%d,height=%d,framerate=0/1"
                  % (WIDTH, HEIGHT))
        sync = "false"
    pipeline = Gst.parse_launch(
        "%s ! videoconvert ! jpegenc ! mjpeghttpsink name=sink "
        "address=127.0.0.1 port=0 sync=%s" % (source, sync))
    src = pipeline.get_by_name("src")
    sink = pipeline.get_by_name("sink")
    loop = GLib.MainLoop()
    state = {"rc": 0, "seq": 0}
    pending = []                # colour names pushed, not yet at the sink
    pending_lock = threading.Lock()

    def on_buffer(pad, info):
        t_ms = time.time() * 1000.0
        with pending_lock:
            name = pending.pop(0) if pending else "?"
            state["seq"] += 1
            seq = state["seq"]
        say("PUSHED %s %d %.3f" % (name, seq, t_ms))
        return Gst.PadProbeReturn.OK

    if not args.pattern:
        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER,
                                              on_buffer)
    sink.connect("client-added", lambda s, peer: say("CLIENT+ " + peer))
    sink.connect("client-removed",
                 lambda s, peer, why: say("CLIENT- %s %s" % (
                     peer, getattr(why, "value_nick", int(why)))))

    def stop(rc):
        state["rc"] = rc
        loop.quit()
        return False

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            say("ERROR %s (%s)" % (err.message, dbg))
            stop(1)
        elif msg.type == Gst.MessageType.EOS:
            say("EOS")
        return True

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        say("ERROR could not start the pipeline (is mjpeghttpsink on "
            "GST_PLUGIN_PATH?)")
        return 1
    state["port"] = sink.get_property("current-port")
    say("READY port=%d" % state["port"])

    def set_state(to):
        if to == Gst.State.PLAYING:
            # the same port again: the page reconnects to where it was
            sink.set_property("port", state["port"])
        if pipeline.set_state(to) == Gst.StateChangeReturn.FAILURE:
            say("ERROR could not set the pipeline to %s"
                % to.value_nick.upper())
            stop(1)
        elif to == Gst.State.NULL:
            say("STOPPED")
        else:
            say("READY port=%d" % sink.get_property("current-port"))
        return False

    def push(name):
        r, g, b = COLOURS[name]
        data = bytes((r, g, b)) * (WIDTH * HEIGHT)
        with pending_lock:
            pending.append(name)
        ret = src.emit("push-buffer", Gst.Buffer.new_wrapped(data))
        if ret != Gst.FlowReturn.OK:
            say("ERROR push-buffer: %s" % ret)

    def read_commands():
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "push" and len(words) == 2 and words[1] in COLOURS:
                push(words[1])
            elif words[0] == "eos":
                src.emit("end-of-stream")
            elif words[0] == "stop":
                GLib.idle_add(set_state, Gst.State.NULL)
            elif words[0] == "play":
                GLib.idle_add(set_state, Gst.State.PLAYING)
            elif words[0] == "quit":
                break
            else:
                say("ERROR unknown command: %s" % line.strip())
        GLib.idle_add(stop, state["rc"])

    threading.Thread(target=read_commands, daemon=True).start()
    GLib.timeout_add(int(args.lifetime * 1000), lambda: (
        say("ERROR lifetime of %gs is over" % args.lifetime), stop(1))[1])

    loop.run()
    pipeline.set_state(Gst.State.NULL)
    say("BYE")
    return state["rc"]


if __name__ == "__main__":
    sys.exit(main())
