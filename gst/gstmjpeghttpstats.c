/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* The element's counters: refusals and removals by reason, and what went
 * out to stream clients.
 *
 * Threads: counted on the server thread, read on any thread (the
 * application's, through the "stats", "bytes-served" and "frames-served"
 * properties). 64-bit counters with the compiler's atomic built-ins, so that
 * months of refusals do not wrap. What was sent is added at each write, one
 * uncontended atomic add, so that a reader gets the exact figure at any
 * moment without asking the server thread.
 */

#include "gstmjpeghttpstats.h"

static const gchar *refusal_nicks[GST_MJPEG_HTTP_N_REFUSALS] = {
  [GST_MJPEG_HTTP_REFUSAL_BAD_REQUEST] = "bad-request",
  [GST_MJPEG_HTTP_REFUSAL_METHOD_NOT_ALLOWED] = "method-not-allowed",
  [GST_MJPEG_HTTP_REFUSAL_HEADER_TIMEOUT] = "header-timeout",
  [GST_MJPEG_HTTP_REFUSAL_EVICTED] = "evicted",
  [GST_MJPEG_HTTP_REFUSAL_URI_TOO_LONG] = "uri-too-long",
  [GST_MJPEG_HTTP_REFUSAL_HEADERS_TOO_LARGE] = "headers-too-large",
  [GST_MJPEG_HTTP_REFUSAL_UNSUPPORTED] = "unsupported",
  [GST_MJPEG_HTTP_REFUSAL_RATE_LIMITED] = "rate-limited",
  [GST_MJPEG_HTTP_REFUSAL_TOO_MANY_CLIENTS] = "too-many-clients",
  [GST_MJPEG_HTTP_REFUSAL_TOO_MANY_FROM_ADDRESS] = "too-many-from-address",
  [GST_MJPEG_HTTP_REFUSAL_SNAPSHOT_QUEUE_FULL] = "snapshot-queue-full",
  [GST_MJPEG_HTTP_REFUSAL_SLOW_READER] = "slow-reader",
  [GST_MJPEG_HTTP_REFUSAL_UNAUTHORIZED] = "unauthorized",
  [GST_MJPEG_HTTP_REFUSAL_WRONG_PASSWORD] = "wrong-password",
  [GST_MJPEG_HTTP_REFUSAL_LOCKED_OUT] = "locked-out",
  [GST_MJPEG_HTTP_REFUSAL_CHECKS_BUSY] = "checks-busy",
  [GST_MJPEG_HTTP_REFUSAL_HOST_NOT_ALLOWED] = "host-not-allowed",
  [GST_MJPEG_HTTP_REFUSAL_NOT_TLS] = "not-tls",
  [GST_MJPEG_HTTP_REFUSAL_TLS_FAILED] = "tls-failed",
};

void
gst_mjpeg_http_stats_count_refusal (GstMjpegHttpStats * stats,
    GstMjpegHttpRefusal refusal)
{
  __atomic_add_fetch (&stats->refused[refusal], 1, __ATOMIC_RELAXED);
}

void
gst_mjpeg_http_stats_count_removal (GstMjpegHttpStats * stats,
    GstMjpegHttpSinkClientStatus status)
{
  __atomic_add_fetch (&stats->removed[status], 1, __ATOMIC_RELAXED);
}

/* @bytes more taken by the kernel, completing @frames whole frames. */
void
gst_mjpeg_http_stats_count_sent (GstMjpegHttpStats * stats, gsize bytes,
    guint frames)
{
  __atomic_add_fetch (&stats->bytes_served, bytes, __ATOMIC_RELAXED);
  if (frames)
    __atomic_add_fetch (&stats->frames_served, frames, __ATOMIC_RELAXED);
}

guint64
gst_mjpeg_http_stats_get_bytes_served (GstMjpegHttpStats * stats)
{
  return __atomic_load_n (&stats->bytes_served, __ATOMIC_RELAXED);
}

guint64
gst_mjpeg_http_stats_get_frames_served (GstMjpegHttpStats * stats)
{
  return __atomic_load_n (&stats->frames_served, __ATOMIC_RELAXED);
}

const gchar *
gst_mjpeg_http_refusal_nick (GstMjpegHttpRefusal refusal)
{
  return refusal_nicks[refusal];
}

/* "mjpeghttpsink-stats": clients and pending-connections now, then one
 * "refused-<reason>" and one "removed-<status>" counter (guint64) per
 * reason, "clients-refused" (their sum), "bytes-served" and "frames-served".
 * Transfer full. */
GstStructure *
gst_mjpeg_http_stats_to_structure (GstMjpegHttpStats * stats)
{
  GEnumClass *statuses =
      g_type_class_ref (GST_TYPE_MJPEG_HTTP_SINK_CLIENT_STATUS);
  GstStructure *s;
  gchar name[64];
  guint64 n, refused = 0;
  guint i;

  s = gst_structure_new ("mjpeghttpsink-stats",
      "clients", G_TYPE_UINT, (guint) g_atomic_int_get (&stats->clients),
      "pending-connections", G_TYPE_UINT,
      (guint) g_atomic_int_get (&stats->pending_connections), NULL);
  for (i = 0; i < GST_MJPEG_HTTP_N_REFUSALS; i++) {
    n = __atomic_load_n (&stats->refused[i], __ATOMIC_RELAXED);
    refused += n;
    g_snprintf (name, sizeof (name), "refused-%s", refusal_nicks[i]);
    gst_structure_set (s, name, G_TYPE_UINT64, n, NULL);
  }
  gst_structure_set (s, "clients-refused", G_TYPE_UINT64, refused, NULL);
  for (i = 0; i < GST_MJPEG_HTTP_SINK_N_CLIENT_STATUS; i++) {
    g_snprintf (name, sizeof (name), "removed-%s",
        g_enum_get_value (statuses, i)->value_nick);
    gst_structure_set (s, name, G_TYPE_UINT64,
        __atomic_load_n (&stats->removed[i], __ATOMIC_RELAXED), NULL);
  }
  gst_structure_set (s,
      "bytes-served", G_TYPE_UINT64,
      gst_mjpeg_http_stats_get_bytes_served (stats),
      "frames-served", G_TYPE_UINT64,
      gst_mjpeg_http_stats_get_frames_served (stats), NULL);
  g_type_class_unref (statuses);
  return s;
}
