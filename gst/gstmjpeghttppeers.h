/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_PEERS_H__
#define __GST_MJPEG_HTTP_PEERS_H__

#include <gio/gio.h>

G_BEGIN_DECLS

/* A peer: its IPv4 address, or its IPv6 /64, without the port. */
typedef struct
{
  guint8 family;                /* 4 or 6; 0 for an address of another kind */
  guint8 bytes[16];
} GstMjpegHttpPeerKey;

typedef enum
{
  GST_MJPEG_HTTP_STREAM_GRANTED,
  GST_MJPEG_HTTP_STREAM_TOO_MANY_CLIENTS,
  GST_MJPEG_HTTP_STREAM_TOO_MANY_FROM_ADDRESS,
} GstMjpegHttpStreamGrant;

typedef struct _GstMjpegHttpPeers GstMjpegHttpPeers;

/* Wrong passwords an address may send in a row before its tries are
 * slowed down. */
#define GST_MJPEG_HTTP_PEERS_FREE_PASSWORD_FAILURES 5

void                gst_mjpeg_http_peer_key_init (GstMjpegHttpPeerKey * key,
                                                  GSocketAddress * addr);

gchar *             gst_mjpeg_http_peer_describe (GSocketAddress * addr);

GstMjpegHttpPeers * gst_mjpeg_http_peers_new (void);

void                gst_mjpeg_http_peers_free (GstMjpegHttpPeers * peers);

void                gst_mjpeg_http_peers_set_rate (GstMjpegHttpPeers * peers,
                                                   guint rate,
                                                   guint burst);

void                gst_mjpeg_http_peers_add_pending (GstMjpegHttpPeers * peers,
                                                      const GstMjpegHttpPeerKey * key);

void                gst_mjpeg_http_peers_remove_pending (GstMjpegHttpPeers * peers,
                                                         const GstMjpegHttpPeerKey * key);

guint               gst_mjpeg_http_peers_get_busiest (GstMjpegHttpPeers * peers,
                                                      GstMjpegHttpPeerKey * key);

GstMjpegHttpStreamGrant gst_mjpeg_http_peers_acquire_stream (GstMjpegHttpPeers * peers,
                                                             const GstMjpegHttpPeerKey * key,
                                                             guint max_total,
                                                             guint max_per_address);

void                gst_mjpeg_http_peers_release_stream (GstMjpegHttpPeers * peers,
                                                         const GstMjpegHttpPeerKey * key);

guint               gst_mjpeg_http_peers_get_n_streams (GstMjpegHttpPeers * peers);

gboolean            gst_mjpeg_http_peers_take_request (GstMjpegHttpPeers * peers,
                                                       const GstMjpegHttpPeerKey * key,
                                                       gint64 now_us,
                                                       guint * retry_after_s);

void                gst_mjpeg_http_peers_sweep (GstMjpegHttpPeers * peers,
                                                gint64 now_us);

gboolean            gst_mjpeg_http_peers_may_try_password (GstMjpegHttpPeers * peers,
                                                           const GstMjpegHttpPeerKey * key,
                                                           gint64 now_us,
                                                           guint * retry_after_s);

guint               gst_mjpeg_http_peers_password_failed (GstMjpegHttpPeers * peers,
                                                          const GstMjpegHttpPeerKey * key,
                                                          gint64 now_us);

void                gst_mjpeg_http_peers_password_succeeded (GstMjpegHttpPeers * peers,
                                                             const GstMjpegHttpPeerKey * key);

guint               gst_mjpeg_http_peers_get_n_addresses (GstMjpegHttpPeers * peers);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_PEERS_H__ */
