/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* What each peer address holds and may still take: its connections whose
 * request is not complete yet, its stream slots, a token bucket for its
 * short requests, and its wrong passwords in a row. Per address, not per connection, so that one peer
 * cannot take every slot by opening more connections.
 *
 * Threads: the server thread only; no lock. Time is passed in, so the
 * arithmetic is tested without waiting.
 *
 * An IPv6 peer is its /64: one host commonly has a whole /64 to pick
 * addresses from, and would otherwise count as billions of peers. An
 * IPv4-mapped IPv6 address (a dual-stack socket) is its IPv4 address.
 *
 * An address is forgotten once it holds nothing and its bucket is full
 * again; the table never holds more than MAX_ADDRESSES, so a peer that
 * spreads itself over many addresses cannot make it grow without bound.
 */

#include "gstmjpeghttppeers.h"

#include <string.h>

#define MAX_ADDRESSES 65536

/* Wrong passwords an address may send before it is slowed down: a person
 * mistyping stays below it. Past it, each failure shuts the address out of
 * password checks for twice as long as the last (1 s, 2 s, ... up to
 * LOCKOUT_MAX_US), and the count is forgotten FAILURE_MEMORY_US after its
 * last failure. */
#define FREE_FAILURES GST_MJPEG_HTTP_PEERS_FREE_PASSWORD_FAILURES
#define LOCKOUT_MAX_US (300 * G_USEC_PER_SEC)
#define FAILURE_MEMORY_US (900 * G_USEC_PER_SEC)

typedef struct
{
  GstMjpegHttpPeerKey key;
  guint pending;
  guint streams;
  gdouble tokens;
  gint64 stamp_us;
  /* wrong passwords in a row, the last one's time, and until when no
   * password is checked */
  guint failures;
  gint64 failed_us;
  gint64 locked_until_us;
} Peer;

struct _GstMjpegHttpPeers
{
  GHashTable *table;
  guint streams;
  guint rate;
  guint burst;
};

static guint
key_hash (gconstpointer p)
{
  const GstMjpegHttpPeerKey *key = p;
  guint h = 2166136261u ^ key->family;
  gsize i;

  for (i = 0; i < sizeof (key->bytes); i++)
    h = (h ^ key->bytes[i]) * 16777619u;
  return h;
}

static gboolean
key_equal (gconstpointer a, gconstpointer b)
{
  return !memcmp (a, b, sizeof (GstMjpegHttpPeerKey));
}

void
gst_mjpeg_http_peer_key_init (GstMjpegHttpPeerKey * key, GSocketAddress * addr)
{
  static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff
  };
  GInetAddress *inet;
  const guint8 *bytes;
  gsize size;

  memset (key, 0, sizeof (*key));
  if (!G_IS_INET_SOCKET_ADDRESS (addr))
    return;
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (addr));
  size = g_inet_address_get_native_size (inet);
  bytes = g_inet_address_to_bytes (inet);
  if (size == 4) {
    key->family = 4;
    memcpy (key->bytes, bytes, 4);
  } else if (size == 16 && !memcmp (bytes, v4_mapped, sizeof (v4_mapped))) {
    key->family = 4;
    memcpy (key->bytes, bytes + 12, 4);
  } else if (size == 16) {
    key->family = 6;
    memcpy (key->bytes, bytes, 8);
  }
}

/* "address:port" of a peer, as signals and logs name it. Transfer full. */
gchar *
gst_mjpeg_http_peer_describe (GSocketAddress * addr)
{
  GInetSocketAddress *inet;
  gchar *ip, *desc;

  if (!G_IS_INET_SOCKET_ADDRESS (addr))
    return g_strdup ("unknown peer");

  inet = G_INET_SOCKET_ADDRESS (addr);
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  desc = g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (inet));
  g_free (ip);
  return desc;
}

GstMjpegHttpPeers *
gst_mjpeg_http_peers_new (void)
{
  GstMjpegHttpPeers *peers = g_new0 (GstMjpegHttpPeers, 1);

  peers->table = g_hash_table_new_full (key_hash, key_equal, NULL, g_free);
  return peers;
}

void
gst_mjpeg_http_peers_free (GstMjpegHttpPeers * peers)
{
  g_hash_table_unref (peers->table);
  g_free (peers);
}

/* @rate short requests a second per address, with bursts of @burst;
 * rate 0: no limit. */
void
gst_mjpeg_http_peers_set_rate (GstMjpegHttpPeers * peers, guint rate,
    guint burst)
{
  peers->rate = rate;
  peers->burst = MAX (burst, 1);
}

static void
refill (GstMjpegHttpPeers * peers, Peer * peer, gint64 now_us)
{
  /* a full bucket's time does not matter: it counts from its first draw */
  if (peer->tokens >= peers->burst) {
    peer->tokens = peers->burst;
    peer->stamp_us = now_us;
    return;
  }
  if (now_us > peer->stamp_us) {
    peer->tokens += (gdouble) (now_us - peer->stamp_us) * peers->rate / 1e6;
    peer->stamp_us = now_us;
  }
  if (peer->tokens > peers->burst)
    peer->tokens = peers->burst;
}

static gboolean
is_forgettable (GstMjpegHttpPeers * peers, Peer * peer, gint64 now_us)
{
  if (peer->pending > 0 || peer->streams > 0)
    return FALSE;
  if (now_us >= 0 && peer->failures > 0
      && now_us < peer->failed_us + FAILURE_MEMORY_US)
    return FALSE;
  if (peers->rate == 0 || now_us < 0)
    return TRUE;
  refill (peers, peer, now_us);
  return peer->tokens >= peers->burst;
}

static gboolean
sweep_one (gpointer key, gpointer value, gpointer user_data)
{
  GstMjpegHttpPeers *peers = ((gpointer *) user_data)[0];
  gint64 now_us = *(gint64 *) ((gpointer *) user_data)[1];

  return is_forgettable (peers, value, now_us);
}

/* Forgets addresses that hold nothing and whose bucket is full; with
 * @now_us < 0, whatever their bucket. */
void
gst_mjpeg_http_peers_sweep (GstMjpegHttpPeers * peers, gint64 now_us)
{
  gpointer data[2] = { peers, &now_us };

  g_hash_table_foreach_remove (peers->table, sweep_one, data);
}

static Peer *
lookup (GstMjpegHttpPeers * peers, const GstMjpegHttpPeerKey * key,
    gint64 now_us)
{
  Peer *peer = g_hash_table_lookup (peers->table, key);

  if (peer)
    return peer;

  if (g_hash_table_size (peers->table) >= MAX_ADDRESSES) {
    gst_mjpeg_http_peers_sweep (peers, now_us);
    if (g_hash_table_size (peers->table) >= MAX_ADDRESSES)
      gst_mjpeg_http_peers_sweep (peers, -1);
  }
  peer = g_new0 (Peer, 1);
  peer->key = *key;
  peer->tokens = peers->burst;
  g_hash_table_insert (peers->table, &peer->key, peer);
  return peer;
}

static void
maybe_forget (GstMjpegHttpPeers * peers, Peer * peer)
{
  /* a bucket that was drawn from, or a failure, stays until the sweep
   * finds it forgettable */
  if (peer->pending == 0 && peer->streams == 0 && peer->failures == 0
      && (peers->rate == 0 || peer->tokens >= peers->burst))
    g_hash_table_remove (peers->table, &peer->key);
}

void
gst_mjpeg_http_peers_add_pending (GstMjpegHttpPeers * peers,
    const GstMjpegHttpPeerKey * key)
{
  lookup (peers, key, g_get_monotonic_time ())->pending++;
}

void
gst_mjpeg_http_peers_remove_pending (GstMjpegHttpPeers * peers,
    const GstMjpegHttpPeerKey * key)
{
  Peer *peer = g_hash_table_lookup (peers->table, key);

  g_return_if_fail (peer && peer->pending > 0);
  peer->pending--;
  maybe_forget (peers, peer);
}

/* The address with the most connections whose request is not complete,
 * and how many it has; 0 if there is none. */
guint
gst_mjpeg_http_peers_get_busiest (GstMjpegHttpPeers * peers,
    GstMjpegHttpPeerKey * key)
{
  GHashTableIter iter;
  Peer *peer, *busiest = NULL;

  g_hash_table_iter_init (&iter, peers->table);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & peer)) {
    if (peer->pending > 0 && (!busiest || peer->pending > busiest->pending))
      busiest = peer;
  }
  if (!busiest)
    return 0;
  *key = busiest->key;
  return busiest->pending;
}

/* A stream slot for @key, within @max_total slots in all and
 * @max_per_address for one address (0: no limit). */
GstMjpegHttpStreamGrant
gst_mjpeg_http_peers_acquire_stream (GstMjpegHttpPeers * peers,
    const GstMjpegHttpPeerKey * key, guint max_total, guint max_per_address)
{
  Peer *peer;

  if (max_total > 0 && peers->streams >= max_total)
    return GST_MJPEG_HTTP_STREAM_TOO_MANY_CLIENTS;
  peer = lookup (peers, key, g_get_monotonic_time ());
  if (max_per_address > 0 && peer->streams >= max_per_address)
    return GST_MJPEG_HTTP_STREAM_TOO_MANY_FROM_ADDRESS;
  peer->streams++;
  peers->streams++;
  return GST_MJPEG_HTTP_STREAM_GRANTED;
}

void
gst_mjpeg_http_peers_release_stream (GstMjpegHttpPeers * peers,
    const GstMjpegHttpPeerKey * key)
{
  Peer *peer = g_hash_table_lookup (peers->table, key);

  g_return_if_fail (peer && peer->streams > 0);
  peer->streams--;
  peers->streams--;
  maybe_forget (peers, peer);
}

guint
gst_mjpeg_http_peers_get_n_streams (GstMjpegHttpPeers * peers)
{
  return peers->streams;
}

/* Takes a token for one short request. FALSE when the address is over its
 * rate, with @retry_after_s the seconds until it may ask again. */
gboolean
gst_mjpeg_http_peers_take_request (GstMjpegHttpPeers * peers,
    const GstMjpegHttpPeerKey * key, gint64 now_us, guint * retry_after_s)
{
  Peer *peer;

  if (peers->rate == 0)
    return TRUE;

  peer = lookup (peers, key, now_us);
  refill (peers, peer, now_us);
  if (peer->tokens >= 1.0) {
    peer->tokens -= 1.0;
    return TRUE;
  }
  *retry_after_s =
      MAX (1, (guint) ((1.0 - peer->tokens) / peers->rate + 0.999));
  return FALSE;
}

guint
gst_mjpeg_http_peers_get_n_addresses (GstMjpegHttpPeers * peers)
{
  return g_hash_table_size (peers->table);
}

/* Whether a password from @key may be checked now; when not, how long it
 * is shut out. Other addresses are not affected. */
gboolean
gst_mjpeg_http_peers_may_try_password (GstMjpegHttpPeers * peers,
    const GstMjpegHttpPeerKey * key, gint64 now_us, guint * retry_after_s)
{
  Peer *peer = g_hash_table_lookup (peers->table, key);

  if (!peer || now_us >= peer->locked_until_us)
    return TRUE;
  *retry_after_s = (guint) ((peer->locked_until_us - now_us
          + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  return FALSE;
}

/* Counts a wrong password from @key; returns the failures in a row. */
guint
gst_mjpeg_http_peers_password_failed (GstMjpegHttpPeers * peers,
    const GstMjpegHttpPeerKey * key, gint64 now_us)
{
  Peer *peer = lookup (peers, key, now_us);

  if (now_us >= peer->failed_us + FAILURE_MEMORY_US)
    peer->failures = 0;
  peer->failures++;
  peer->failed_us = now_us;
  if (peer->failures > FREE_FAILURES) {
    guint shift = MIN (peer->failures - FREE_FAILURES - 1, 16);

    peer->locked_until_us = now_us + MIN ((gint64) G_USEC_PER_SEC << shift,
        LOCKOUT_MAX_US);
  }
  return peer->failures;
}

void
gst_mjpeg_http_peers_password_succeeded (GstMjpegHttpPeers * peers,
    const GstMjpegHttpPeerKey * key)
{
  Peer *peer = g_hash_table_lookup (peers->table, key);

  if (!peer)
    return;
  peer->failures = 0;
  peer->locked_until_us = 0;
  maybe_forget (peers, peer);
}
