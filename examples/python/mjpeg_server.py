#!/usr/bin/python3
"""mjpeghttpsink inside a Python application.

Serves a test pattern, prints the URL once the server listens and prints
each viewer that comes and goes.

    mjpeg_server.py [--port N] [--seconds N]

Needs Debian's python3-gi and gir1.2-gstreamer-1.0, hence /usr/bin/python3
rather than whatever python3 comes first on PATH.

client-added and client-removed are emitted from the sink's server thread,
so their handlers only print; everything else runs in the main loop.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def on_client_added(sink, peer):
    print(f"client-added: {peer}", flush=True)


def on_client_removed(sink, peer, status):
    # status is a GstMjpegHttpSinkClientStatus: "closed", "slow", "eos", ...
    print(f"client-removed: {peer} ({status.value_nick})", flush=True)


def error_text(message):
    err, debug = message.parse_error()
    text = f"Error from {message.src.get_name()}: {err.message}"
    return f"{text}\n({debug})" if debug else text


def on_bus_message(bus, message, state):
    if message.type == Gst.MessageType.ELEMENT:
        s = message.get_structure()
        # The only place that knows the port when --port 0 was asked for,
        # besides the sink's current-port property.
        if s.has_name("mjpeghttpsink-listening"):
            print(f"Open {s.get_string('url')} in a browser "
                  f"(stream: {s.get_string('stream-url')}, "
                  f"snapshot: {s.get_string('snapshot-url')})", flush=True)
    elif message.type == Gst.MessageType.ERROR:
        print(error_text(message), file=sys.stderr, flush=True)
        state["exit_status"] = 1
        state["loop"].quit()
    elif message.type == Gst.MessageType.EOS:
        state["loop"].quit()
    return True


def main():
    parser = argparse.ArgumentParser(
        description="Serve a test pattern as MJPEG over HTTP.")
    parser.add_argument("--port", type=int, default=8080,
                        help="TCP port, 0 for any free one (default 8080)")
    parser.add_argument("--seconds", type=int, default=0,
                        help="stop after N seconds (default: until Ctrl+C)")
    args = parser.parse_args()
    if not 0 <= args.port <= 65535 or args.seconds < 0:
        parser.error("--port must be 0-65535 and --seconds 0 or more")

    Gst.init(None)
    try:
        pipeline = Gst.parse_launch(
            "videotestsrc is-live=true pattern=ball "
            "! video/x-raw,width=640,height=480,framerate=30/1 "
            "! jpegenc ! mjpeghttpsink name=sink")
    except GLib.Error as err:
        sys.exit(f"Could not build the pipeline: {err.message}. Is the "
                 "mjpeghttp plugin installed or in GST_PLUGIN_PATH?")

    sink = pipeline.get_by_name("sink")
    sink.set_property("port", args.port)
    sink.connect("client-added", on_client_added)
    sink.connect("client-removed", on_client_removed)

    loop = GLib.MainLoop()
    state = {"loop": loop, "exit_status": 0}
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_bus_message, state)
    for signum in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    if args.seconds:
        GLib.timeout_add_seconds(args.seconds, loop.quit)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        # A port in use fails here, before the main loop could report it.
        message = bus.pop_filtered(Gst.MessageType.ERROR)
        print(error_text(message) if message else
              "Could not start the pipeline.", file=sys.stderr)
        state["exit_status"] = 1
    else:
        loop.run()

    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    return state["exit_status"]


if __name__ == "__main__":
    sys.exit(main())
