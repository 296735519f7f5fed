/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* mjpeg-server: mjpeghttpsink inside an application. It serves a test
 * pattern, prints the URL once the server listens and prints each viewer
 * that comes and goes.
 *
 *   mjpeg-server [--port N] [--seconds N]
 *
 * Threads: the main loop runs on the main thread and handles the bus, Unix
 * signals and the --seconds timeout. client-added and client-removed are
 * emitted from the sink's server thread, so their handlers only print.
 */

#include <gst/gst.h>
#include <glib-unix.h>
#include <stdio.h>

typedef struct
{
  GMainLoop *loop;
  gint exit_status;
} App;

static void
on_client_added (GstElement * sink, const gchar * peer, gpointer user_data)
{
  g_print ("client-added: %s\n", peer);
}

/* @status is a GstMjpegHttpSinkClientStatus; its nick says why in a word
 * ("closed", "slow", "eos", ...). */
static void
on_client_removed (GstElement * sink, const gchar * peer, gint status,
    gpointer user_data)
{
  GEnumClass *statuses = g_type_class_ref (g_type_from_name
      ("GstMjpegHttpSinkClientStatus"));
  GEnumValue *value = g_enum_get_value (statuses, status);

  g_print ("client-removed: %s (%s)\n", peer,
      value ? value->value_nick : "unknown");
  g_type_class_unref (statuses);
}

static void
print_error (GstMessage * message)
{
  GError *err = NULL;
  gchar *debug = NULL;

  gst_message_parse_error (message, &err, &debug);
  g_printerr ("Error from %s: %s\n", GST_OBJECT_NAME (message->src),
      err->message);
  if (debug)
    g_printerr ("(%s)\n", debug);
  g_clear_error (&err);
  g_free (debug);
}

static gboolean
on_bus_message (GstBus * bus, GstMessage * message, gpointer user_data)
{
  App *app = user_data;
  const GstStructure *s;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (message);
      /* The only place that knows the port when --port 0 was asked for,
       * besides the sink's current-port property. */
      if (gst_structure_has_name (s, "mjpeghttpsink-listening")) {
        g_print ("Open %s in a browser (stream: %s, snapshot: %s)\n",
            gst_structure_get_string (s, "url"),
            gst_structure_get_string (s, "stream-url"),
            gst_structure_get_string (s, "snapshot-url"));
      }
      break;
    case GST_MESSAGE_ERROR:
      print_error (message);
      app->exit_status = 1;
      g_main_loop_quit (app->loop);
      break;
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_stop (gpointer user_data)
{
  App *app = user_data;

  g_main_loop_quit (app->loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  gint port = 8080, seconds = 0;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port,
        "TCP port to listen on, 0 for any free one (default 8080)", "N"},
    {"seconds", 's', 0, G_OPTION_ARG_INT, &seconds,
        "Stop after N seconds (default: run until Ctrl+C)", "N"},
    {NULL}
  };
  GOptionContext *context;
  GError *err = NULL;
  GstElement *pipeline, *sink;
  GstBus *bus;
  GstMessage *message;
  App app = { NULL, 0 };

  /* Each line reaches a pipe or a log file when it happens, not at exit. */
  setvbuf (stdout, NULL, _IOLBF, 0);

  context = g_option_context_new ("- serve a test pattern as MJPEG over HTTP");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_group (context, gst_init_get_option_group ());
  if (!g_option_context_parse (context, &argc, &argv, &err))
    goto bad_arguments;
  g_option_context_free (context);
  if (port < 0 || port > G_MAXUINT16 || seconds < 0)
    goto bad_values;

  pipeline = gst_parse_launch ("videotestsrc is-live=true pattern=ball "
      "! video/x-raw,width=640,height=480,framerate=30/1 "
      "! jpegenc ! mjpeghttpsink name=sink", &err);
  if (!pipeline)
    goto no_pipeline;
  /* A missing element comes back as a partial pipeline and an error. */
  if (err) {
    gst_object_unref (pipeline);
    goto no_pipeline;
  }

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (sink, "port", port, NULL);
  g_signal_connect (sink, "client-added", G_CALLBACK (on_client_added), NULL);
  g_signal_connect (sink, "client-removed", G_CALLBACK (on_client_removed),
      NULL);
  gst_object_unref (sink);

  app.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (pipeline);
  gst_bus_add_watch (bus, on_bus_message, &app);
  g_unix_signal_add (SIGINT, on_stop, &app);
  g_unix_signal_add (SIGTERM, on_stop, &app);
  if (seconds > 0)
    g_timeout_add_seconds (seconds, on_stop, &app);

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* A port in use fails here, before the main loop could report it. */
    message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    if (message) {
      print_error (message);
      gst_message_unref (message);
    } else {
      g_printerr ("Could not start the pipeline.\n");
    }
    app.exit_status = 1;
  } else {
    g_main_loop_run (app.loop);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_main_loop_unref (app.loop);
  return app.exit_status;

  /* ERRORS */
bad_arguments:
  {
    g_printerr ("%s\n", err->message);
    g_clear_error (&err);
    g_option_context_free (context);
    return 2;
  }
bad_values:
  {
    g_printerr ("--port must be 0-65535 and --seconds 0 or more.\n");
    return 2;
  }
no_pipeline:
  {
    g_printerr ("Could not build the pipeline: %s. Is the mjpeghttp plugin "
        "installed or in GST_PLUGIN_PATH?\n", err->message);
    g_clear_error (&err);
    return 1;
  }
}
