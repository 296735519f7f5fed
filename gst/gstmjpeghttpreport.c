/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The element's figures, one structure told three ways: the "get-stats"
 * action signal returns it, the stats path gives it as JSON with the same
 * names, the metrics path in Prometheus' text exposition format.
 *
 * "mjpeghttpsink-stats"
 *   clients  GstValueArray of "client" (gstmjpeghttpfanout.c)
 *   totals   "totals": gst_mjpeg_http_stats_to_structure()'s counters
 *   source   "source": fps, width, height, frame-number, frame-time (ns,
 *            wall clock), idle
 *
 * Pure: no thread of its own, no state. */

#include "gstmjpeghttpreport.h"

#include <string.h>

GstStructure *
gst_mjpeg_http_report_source (const GstMjpegHttpSourceFigures * source)
{
  return gst_structure_new ("source",
      "fps", G_TYPE_DOUBLE, source->fps,
      "width", G_TYPE_INT, (gint) source->width,
      "height", G_TYPE_INT, (gint) source->height,
      "frame-number", G_TYPE_UINT64, source->frame_number,
      "frame-time", G_TYPE_UINT64,
      (guint64) MAX (source->frame_time_us, 0) * 1000,
      "idle", G_TYPE_BOOLEAN, source->idle, NULL);
}

/* @clients: "client" structures (transfer full: they are moved into the
 * report, not copied, as there may be a thousand), or NULL when no server
 * runs. Transfer full. */
GstStructure *
gst_mjpeg_http_report_new (GstMjpegHttpStats * stats, GPtrArray * clients,
    const GstMjpegHttpSourceFigures * source)
{
  GstStructure *report, *totals, *src;
  GValue array = G_VALUE_INIT;
  gpointer *items = NULL;
  gsize i, n = 0;

  g_value_init (&array, GST_TYPE_ARRAY);
  if (clients)
    items = g_ptr_array_steal (clients, &n);
  for (i = 0; i < n; i++) {
    GValue item = G_VALUE_INIT;

    g_value_init (&item, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&item, items[i]);
    gst_value_array_append_and_take_value (&array, &item);
  }
  g_free (items);
  if (clients)
    g_ptr_array_unref (clients);
  totals = gst_mjpeg_http_stats_to_structure (stats);
  gst_structure_set_name (totals, "totals");
  src = gst_mjpeg_http_report_source (source);

  report = gst_structure_new_empty ("mjpeghttpsink-stats");
  gst_structure_take_value (report, "clients", &array);
  gst_structure_set (report, "totals", GST_TYPE_STRUCTURE, totals,
      "source", GST_TYPE_STRUCTURE, src, NULL);
  gst_structure_free (totals);
  gst_structure_free (src);
  return report;
}

static JsonNode *value_to_json (const GValue * value);

static gboolean
add_member (GQuark field, const GValue * value, gpointer user_data)
{
  json_object_set_member (user_data, g_quark_to_string (field),
      value_to_json (value));
  return TRUE;
}

static JsonNode *
value_to_json (const GValue * value)
{
  JsonNode *node;

  if (GST_VALUE_HOLDS_STRUCTURE (value))
    return gst_mjpeg_http_report_to_json (gst_value_get_structure (value));
  if (GST_VALUE_HOLDS_ARRAY (value)) {
    JsonArray *array = json_array_new ();
    guint i, n = gst_value_array_get_size (value);

    for (i = 0; i < n; i++)
      json_array_add_element (array,
          value_to_json (gst_value_array_get_value (value, i)));
    node = json_node_new (JSON_NODE_ARRAY);
    json_node_take_array (node, array);
    return node;
  }
  node = json_node_new (JSON_NODE_VALUE);
  switch (G_VALUE_TYPE (value)) {
    case G_TYPE_STRING:
      json_node_set_string (node, g_value_get_string (value));
      break;
    case G_TYPE_BOOLEAN:
      json_node_set_boolean (node, g_value_get_boolean (value));
      break;
    case G_TYPE_DOUBLE:
      json_node_set_double (node, g_value_get_double (value));
      break;
    case G_TYPE_INT:
      json_node_set_int (node, g_value_get_int (value));
      break;
    case G_TYPE_UINT:
      json_node_set_int (node, g_value_get_uint (value));
      break;
    case G_TYPE_INT64:
      json_node_set_int (node, g_value_get_int64 (value));
      break;
    case G_TYPE_UINT64:
      /* JSON numbers are exact to 2^53: ns since 1970 and byte counts of
       * years of streaming stay below it */
      json_node_set_int (node, (gint64) MIN (g_value_get_uint64 (value),
              G_MAXINT64));
      break;
    default:
      json_node_init_null (node);
      break;
  }
  return node;
}

/* An object with a member per field, under the field's name. */
JsonNode *
gst_mjpeg_http_report_to_json (const GstStructure * s)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  gst_structure_foreach (s, add_member, object);
  json_node_take_object (node, object);
  return node;
}

gchar *
gst_mjpeg_http_report_to_json_text (const GstStructure * s)
{
  JsonNode *node = gst_mjpeg_http_report_to_json (s);
  gchar *text = json_to_string (node, FALSE);

  json_node_unref (node);
  return text;
}

/* ---- Prometheus' text exposition format 0.0.4 ---------------------------- */

static void
family (GString * out, const gchar * name, const gchar * type,
    const gchar * help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
      name, type);
}

static void
sample_u64 (GString * out, const gchar * name, guint64 value)
{
  g_string_append_printf (out, "%s %" G_GUINT64_FORMAT "\n", name, value);
}

static void
sample_double (GString * out, const gchar * name, gdouble value)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (out, "%s %s\n", name,
      g_ascii_dtostr (buf, sizeof (buf), value));
}

typedef struct
{
  GString *out;
  const gchar *prefix;
  const gchar *name;
} LabelledCounters;

/* one sample per field named <prefix><reason>; reasons are enum nicks
 * ([a-z-]), nothing to escape in a label value */
static gboolean
add_labelled (GQuark field, const GValue * value, gpointer user_data)
{
  LabelledCounters *c = user_data;
  const gchar *key = g_quark_to_string (field);

  if (g_str_has_prefix (key, c->prefix) && G_VALUE_HOLDS_UINT64 (value))
    g_string_append_printf (c->out, "%s{reason=\"%s\"} %" G_GUINT64_FORMAT
        "\n", c->name, key + strlen (c->prefix), g_value_get_uint64 (value));
  return TRUE;
}

static guint64
get_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;

  gst_structure_get_uint64 (s, field, &v);
  return v;
}

static guint
get_int (const GstStructure * s, const gchar * field)
{
  gint v = 0;

  gst_structure_get_int (s, field, &v);
  return MAX (v, 0);
}

static guint
get_uint (const GstStructure * s, const gchar * field)
{
  guint v = 0;

  gst_structure_get_uint (s, field, &v);
  return v;
}

/* No per-client series: a label per viewer would grow without bound. */
gchar *
gst_mjpeg_http_report_to_prometheus (const GstStructure * report)
{
  GString *out = g_string_new (NULL);
  const GstStructure *totals, *source;
  LabelledCounters c = { out, NULL, NULL };
  gboolean idle = FALSE;
  gdouble fps = 0;

  totals = gst_value_get_structure (gst_structure_get_value (report, "totals"));
  source = gst_value_get_structure (gst_structure_get_value (report, "source"));
  gst_structure_get_double (source, "fps", &fps);
  gst_structure_get_boolean (source, "idle", &idle);

  family (out, "mjpeghttp_clients", "gauge", "Stream clients connected now.");
  sample_u64 (out, "mjpeghttp_clients", get_uint (totals, "clients"));
  family (out, "mjpeghttp_pending_connections", "gauge",
      "Connections whose request is not complete yet.");
  sample_u64 (out, "mjpeghttp_pending_connections", get_uint (totals,
          "pending-connections"));
  family (out, "mjpeghttp_sent_bytes_total", "counter",
      "Bytes sent to stream clients, multipart framing included.");
  sample_u64 (out, "mjpeghttp_sent_bytes_total", get_u64 (totals,
          "bytes-served"));
  family (out, "mjpeghttp_sent_frames_total", "counter",
      "Frames sent whole to stream clients.");
  sample_u64 (out, "mjpeghttp_sent_frames_total", get_u64 (totals,
          "frames-served"));

  family (out, "mjpeghttp_refused_connections_total", "counter",
      "Connections answered or closed before any handler, by reason.");
  c.prefix = "refused-";
  c.name = "mjpeghttp_refused_connections_total";
  gst_structure_foreach (totals, add_labelled, &c);
  family (out, "mjpeghttp_removed_clients_total", "counter",
      "Stream clients removed, by reason.");
  c.prefix = "removed-";
  c.name = "mjpeghttp_removed_clients_total";
  gst_structure_foreach (totals, add_labelled, &c);

  family (out, "mjpeghttp_source_frames_per_second", "gauge",
      "Frames per second reaching the sink over the last 2 seconds.");
  sample_double (out, "mjpeghttp_source_frames_per_second", fps);
  family (out, "mjpeghttp_source_width_pixels", "gauge",
      "Width of the newest frame.");
  sample_u64 (out, "mjpeghttp_source_width_pixels", get_int (source, "width"));
  family (out, "mjpeghttp_source_height_pixels", "gauge",
      "Height of the newest frame.");
  sample_u64 (out, "mjpeghttp_source_height_pixels", get_int (source,
          "height"));
  family (out, "mjpeghttp_source_frames_total", "counter",
      "Frames that reached the sink.");
  sample_u64 (out, "mjpeghttp_source_frames_total", get_u64 (source,
          "frame-number"));
  family (out, "mjpeghttp_source_last_frame_timestamp_seconds", "gauge",
      "Wall-clock time the newest frame reached the sink.");
  sample_double (out, "mjpeghttp_source_last_frame_timestamp_seconds",
      get_u64 (source, "frame-time") / 1e9);
  family (out, "mjpeghttp_idle", "gauge",
      "1 while the sink has paused its pipeline for want of viewers.");
  sample_u64 (out, "mjpeghttp_idle", idle ? 1 : 0);

  return g_string_free (out, FALSE);
}
