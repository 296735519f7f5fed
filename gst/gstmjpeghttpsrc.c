/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-mjpeghttpsrc
 * @title: mjpeghttpsrc
 *
 * Reads another mjpeghttpsink's stream (any multipart/x-mixed-replace
 * stream of JPEGs) and gives out its JPEGs as they are, so that
 * `mjpeghttpsrc ! mjpeghttpsink` is a relay: it serves the origin's
 * frames again, byte for byte, without decoding them.
 *
 * Unlike `souphttpsrc ! multipartdemux`, it keeps each frame's identity
 * (the origin's `X-Frame-Number` and `X-Timestamp`, which the relay's sink
 * serves again), and it does not end when the origin goes away: it tries
 * again after #GstMjpegHttpSrc:retry-delay, doubled at each failure up to
 * #GstMjpegHttpSrc:retry-delay-max, for as long as it runs. Each loss
 * posts a `mjpeghttpsrc-lost` element message (`reason`, `retry-in` in
 * milliseconds) and each connection a `mjpeghttpsrc-connected` one; the
 * first loss of a series is also a warning (again only after a
 * connection has given frames for 10 s). Answers that another try cannot
 * mend are element errors, each with a sentence saying what to change: a
 * redirect (3xx), 401, 403 and the other 4xx but 408 and 429, a response
 * that is not a multipart stream, and an https origin whose certificate is
 * not trusted. A part is given out when it is image/jpeg and begins as a
 * JPEG does; other parts are skipped. A frame must come whole within
 * #GstMjpegHttpSrc:timeout of its delimiter.
 *
 * It connects directly (proxies in the environment are not used) and
 * asks with HTTP/1.0; with #GstMjpegHttpSrc:user-id it sends Basic
 * credentials with the request. When the pipeline pauses it lets go of
 * the origin, and connects again in PLAYING: frames that came meanwhile
 * are not poured out late.
 *
 * It disconnects when it stops (READY): behind a sink with
 * `idle-state=ready`, a relay nobody watches lets go of its origin, and
 * connects again when a viewer comes.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 mjpeghttpsrc location=http://origin:8080/stream !
 *   mjpeghttpsink port=8081 idle-state=ready
 * ]|
 *
 * Threads: create() runs on the streaming thread and alone uses the
 * connection (@reader), @database and the back-off figures; start() and
 * stop() run while it does not. unlock() and unlock_stop() run on the
 * application's thread, as does change_state(): @flushing, @paused and
 * @cancellable are under @lock, which @cond signals. Properties are
 * under GST_OBJECT_LOCK; create() reads them when it connects.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "gstmjpeghttpsrc.h"
#include "gstmjpeghttpauth.h"
#include "gstmjpeghttpreader.h"

GST_DEBUG_CATEGORY_STATIC (gst_mjpeg_http_src_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_src_debug

#define DEFAULT_LOCATION NULL
#define DEFAULT_USER_ID NULL
#define DEFAULT_USER_PW NULL
#define DEFAULT_TLS_CA_FILE NULL
#define DEFAULT_TIMEOUT 10
#define DEFAULT_RETRY_DELAY 500
#define DEFAULT_RETRY_DELAY_MAX 30000
#define DEFAULT_MAX_FRAME_SIZE (16 * 1024 * 1024)

/* what a failed connection or read means for the next step */
typedef enum
{
  OUTCOME_RETRY,
  OUTCOME_FATAL,
  OUTCOME_FLUSHING,
} Outcome;

struct _GstMjpegHttpSrc
{
  GstPushSrc parent;

  /* properties, under GST_OBJECT_LOCK */
  gchar *location;
  gchar *user_id;
  gchar *user_pw;
  gchar *tls_ca_file;
  guint timeout;
  guint retry_delay;
  guint retry_delay_max;
  guint max_frame_size;

  /* streaming thread */
  GTlsDatabase *database;
  GstMjpegHttpReader *reader;
  /* the wait before the next try; 0 after a frame came */
  guint next_delay;
  /* a warning was posted for the current series of failures */
  gboolean warned;
  /* when the current connection gave its first frame; 0: none yet */
  gint64 first_frame_time;

  GMutex lock;
  GCond cond;
  gboolean flushing;
  /* PLAYING to PAUSED: the connection is let go until PLAYING */
  gboolean paused;
  GCancellable *cancellable;
};

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_USER_ID,
  PROP_USER_PW,
  PROP_TLS_CA_FILE,
  PROP_TIMEOUT,
  PROP_RETRY_DELAY,
  PROP_RETRY_DELAY_MAX,
  PROP_MAX_FRAME_SIZE,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("image/jpeg"));

#define gst_mjpeg_http_src_parent_class parent_class
G_DEFINE_TYPE (GstMjpegHttpSrc, gst_mjpeg_http_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (mjpeghttpsrc, "mjpeghttpsrc",
    GST_RANK_NONE, GST_TYPE_MJPEG_HTTP_SRC,
    GST_DEBUG_CATEGORY_INIT (gst_mjpeg_http_src_debug, "mjpeghttpsrc", 0,
        "Another MJPEG HTTP sink's stream"));

static void gst_mjpeg_http_src_finalize (GObject * object);
static void gst_mjpeg_http_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_mjpeg_http_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_mjpeg_http_src_start (GstBaseSrc * bsrc);
static gboolean gst_mjpeg_http_src_stop (GstBaseSrc * bsrc);
static gboolean gst_mjpeg_http_src_unlock (GstBaseSrc * bsrc);
static gboolean gst_mjpeg_http_src_unlock_stop (GstBaseSrc * bsrc);
static gboolean gst_mjpeg_http_src_query (GstBaseSrc * bsrc, GstQuery * query);
static GstStateChangeReturn gst_mjpeg_http_src_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_mjpeg_http_src_create (GstPushSrc * psrc,
    GstBuffer ** outbuf);

static void
gst_mjpeg_http_src_class_init (GstMjpegHttpSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *bsrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *psrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->finalize = gst_mjpeg_http_src_finalize;
  gobject_class->set_property = gst_mjpeg_http_src_set_property;
  gobject_class->get_property = gst_mjpeg_http_src_get_property;

  /**
   * GstMjpegHttpSrc:location:
   *
   * The stream to read: an http or https URL of another sink's stream
   * path, such as `http://camera:8080/stream`.
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "URL of the stream to read (http or https)", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstMjpegHttpSrc:user-id:
   *
   * The user name sent to the origin with every request, with
   * #GstMjpegHttpSrc:user-pw, as HTTP Basic credentials: in clear over
   * http, so use https (or a network of your own) for an origin with a
   * password. A user name or password in #GstMjpegHttpSrc:location is an
   * error, as a location is shown in messages.
   */
  g_object_class_install_property (gobject_class, PROP_USER_ID,
      g_param_spec_string ("user-id", "User id",
          "User name sent to the origin (HTTP Basic)", DEFAULT_USER_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstMjpegHttpSrc:user-pw:
   *
   * The password that goes with #GstMjpegHttpSrc:user-id. Write-only.
   */
  g_object_class_install_property (gobject_class, PROP_USER_PW,
      g_param_spec_string ("user-pw", "User password",
          "Password sent to the origin with user-id (write-only)",
          DEFAULT_USER_PW,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstMjpegHttpSrc:tls-ca-file:
   *
   * A PEM file of the certificate authorities to trust for an https
   * origin, instead of the system's: how a relay trusts an origin with a
   * certificate of its own making.
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "PEM file of the authorities to trust for https (default: the "
          "system's)", DEFAULT_TLS_CA_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstMjpegHttpSrc:timeout:
   *
   * Seconds to wait for the origin, to connect or for more of a frame;
   * after that the connection counts as lost and is made again.
   */
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds without a byte from the origin before it counts as lost",
          1, 3600, DEFAULT_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstMjpegHttpSrc:retry-delay:
   *
   * Milliseconds to wait after the first failure before trying again;
   * each further failure doubles it, up to
   * #GstMjpegHttpSrc:retry-delay-max. A frame received starts over. Each
   * wait is shortened by up to a quarter at random, so that many relays
   * of one origin that comes back do not all knock at once.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_DELAY,
      g_param_spec_uint ("retry-delay", "Retry delay",
          "Milliseconds before the first try again after a failure", 1,
          600000, DEFAULT_RETRY_DELAY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstMjpegHttpSrc:retry-delay-max:
   *
   * The longest wait between tries, in milliseconds.
   */
  g_object_class_install_property (gobject_class, PROP_RETRY_DELAY_MAX,
      g_param_spec_uint ("retry-delay-max", "Retry delay max",
          "Longest wait between tries, in milliseconds", 1, 3600000,
          DEFAULT_RETRY_DELAY_MAX,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstMjpegHttpSrc:max-frame-size:
   *
   * A part larger than this many bytes ends the connection (and is tried
   * again), so that a broken origin cannot make the process grow.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_FRAME_SIZE,
      g_param_spec_uint ("max-frame-size", "Max frame size",
          "Largest JPEG accepted, in bytes", 1024, G_MAXINT,
          DEFAULT_MAX_FRAME_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "MJPEG HTTP source", "Source/Network",
      "Reads an MJPEG over HTTP stream, keeps each frame's number and time, "
      "and reconnects when it is lost", "mjpeghttp developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_mjpeg_http_src_change_state);
  bsrc_class->start = GST_DEBUG_FUNCPTR (gst_mjpeg_http_src_start);
  bsrc_class->stop = GST_DEBUG_FUNCPTR (gst_mjpeg_http_src_stop);
  bsrc_class->unlock = GST_DEBUG_FUNCPTR (gst_mjpeg_http_src_unlock);
  bsrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_mjpeg_http_src_unlock_stop);
  bsrc_class->query = GST_DEBUG_FUNCPTR (gst_mjpeg_http_src_query);
  psrc_class->create = GST_DEBUG_FUNCPTR (gst_mjpeg_http_src_create);
}

static void
gst_mjpeg_http_src_init (GstMjpegHttpSrc * src)
{
  src->location = g_strdup (DEFAULT_LOCATION);
  src->timeout = DEFAULT_TIMEOUT;
  src->retry_delay = DEFAULT_RETRY_DELAY;
  src->retry_delay_max = DEFAULT_RETRY_DELAY_MAX;
  src->max_frame_size = DEFAULT_MAX_FRAME_SIZE;
  g_mutex_init (&src->lock);
  g_cond_init (&src->cond);
  src->cancellable = g_cancellable_new ();

  gst_base_src_set_live (GST_BASE_SRC (src), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (src), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp (GST_BASE_SRC (src), TRUE);
}

static void
gst_mjpeg_http_src_finalize (GObject * object)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (object);

  g_free (src->location);
  g_free (src->user_id);
  gst_mjpeg_http_auth_free_secret (src->user_pw);
  g_free (src->tls_ca_file);
  g_object_unref (src->cancellable);
  g_mutex_clear (&src->lock);
  g_cond_clear (&src->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_mjpeg_http_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (object);

  GST_OBJECT_LOCK (src);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (src->location);
      src->location = g_value_dup_string (value);
      break;
    case PROP_USER_ID:
      g_free (src->user_id);
      src->user_id = g_value_dup_string (value);
      break;
    case PROP_USER_PW:
      gst_mjpeg_http_auth_free_secret (src->user_pw);
      src->user_pw = g_value_dup_string (value);
      break;
    case PROP_TLS_CA_FILE:
      g_free (src->tls_ca_file);
      src->tls_ca_file = g_value_dup_string (value);
      break;
    case PROP_TIMEOUT:
      src->timeout = g_value_get_uint (value);
      break;
    case PROP_RETRY_DELAY:
      src->retry_delay = g_value_get_uint (value);
      break;
    case PROP_RETRY_DELAY_MAX:
      src->retry_delay_max = g_value_get_uint (value);
      break;
    case PROP_MAX_FRAME_SIZE:
      src->max_frame_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (src);
}

static void
gst_mjpeg_http_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (object);

  GST_OBJECT_LOCK (src);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, src->location);
      break;
    case PROP_USER_ID:
      g_value_set_string (value, src->user_id);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, src->tls_ca_file);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, src->timeout);
      break;
    case PROP_RETRY_DELAY:
      g_value_set_uint (value, src->retry_delay);
      break;
    case PROP_RETRY_DELAY_MAX:
      g_value_set_uint (value, src->retry_delay_max);
      break;
    case PROP_MAX_FRAME_SIZE:
      g_value_set_uint (value, src->max_frame_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (src);
}

/* Settings that no try can mend are checked here, before any connection:
 * an error now names the property to change. */
static gboolean
gst_mjpeg_http_src_start (GstBaseSrc * bsrc)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (bsrc);
  GTlsDatabase *database = NULL;
  GError *error = NULL;
  gchar *location, *ca_file, *scheme = NULL, *userinfo = NULL;
  gboolean ok = FALSE;

  GST_OBJECT_LOCK (src);
  location = g_strdup (src->location);
  ca_file = g_strdup (src->tls_ca_file);
  GST_OBJECT_UNLOCK (src);

  if (!location || !*location)
    goto no_location;
  if (!g_uri_split (location, G_URI_FLAGS_ENCODED, &scheme, &userinfo, NULL,
          NULL, NULL, NULL, NULL, NULL) || !scheme ||
      (g_ascii_strcasecmp (scheme, "http") != 0 &&
          g_ascii_strcasecmp (scheme, "https") != 0))
    goto bad_location;
  if (userinfo)
    goto credentials_in_location;
  if (ca_file) {
    database = g_tls_file_database_new (ca_file, &error);
    if (!database)
      goto bad_ca_file;
  }

  src->database = database;
  src->next_delay = 0;
  src->warned = FALSE;
  src->first_frame_time = 0;
  g_mutex_lock (&src->lock);
  src->paused = FALSE;
  g_mutex_unlock (&src->lock);
  ok = TRUE;

done:
  gst_mjpeg_http_auth_free_secret (userinfo);
  g_free (scheme);
  g_free (location);
  g_free (ca_file);
  return ok;

  /* ERRORS */
no_location:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, NOT_FOUND,
        ("No stream to read: set location to a stream's URL, such as "
            "http://camera:8080/stream."), (NULL));
    goto done;
  }
bad_location:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, NOT_FOUND,
        ("\"%s\" is not an http or https URL: set location to a stream's "
            "URL, such as http://camera:8080/stream.", location), (NULL));
    goto done;
  }
credentials_in_location:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, NOT_FOUND,
        ("The location has a user name or password in it: give them as "
            "user-id and user-pw instead (a location is shown in messages "
            "and logs)."), (NULL));
    goto done;
  }
bad_ca_file:
  {
    GST_ELEMENT_ERROR (src, RESOURCE, OPEN_READ,
        ("Could not read the certificate authorities in %s: %s. Set "
            "tls-ca-file to a PEM file of CA certificates.", ca_file,
            error->message), (NULL));
    g_clear_error (&error);
    goto done;
  }
}

static void
disconnect (GstMjpegHttpSrc * src)
{
  g_clear_pointer (&src->reader, gst_mjpeg_http_reader_free);
}

static gboolean
gst_mjpeg_http_src_stop (GstBaseSrc * bsrc)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (bsrc);

  disconnect (src);
  g_clear_object (&src->database);
  return TRUE;
}

static gboolean
gst_mjpeg_http_src_unlock (GstBaseSrc * bsrc)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (bsrc);

  g_mutex_lock (&src->lock);
  src->flushing = TRUE;
  g_cancellable_cancel (src->cancellable);
  g_cond_signal (&src->cond);
  g_mutex_unlock (&src->lock);
  return TRUE;
}

/* A cancelled cancellable is replaced once neither unlock() nor a pause
 * holds create() off any more. */
static void
renew_cancellable_locked (GstMjpegHttpSrc * src)
{
  if (!g_cancellable_is_cancelled (src->cancellable) || src->flushing ||
      src->paused)
    return;
  g_object_unref (src->cancellable);
  src->cancellable = g_cancellable_new ();
}

static gboolean
gst_mjpeg_http_src_unlock_stop (GstBaseSrc * bsrc)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (bsrc);

  g_mutex_lock (&src->lock);
  src->flushing = FALSE;
  renew_cancellable_locked (src);
  g_mutex_unlock (&src->lock);
  return TRUE;
}

/* A frame is given out as soon as it is in, and one waiting downstream
 * only delays the next read: there is no upper bound to the latency
 * downstream may add. Without saying so, basesrc's answer (0 at most)
 * leaves no room for a sink's processing deadline. */
static gboolean
gst_mjpeg_http_src_query (GstBaseSrc * bsrc, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (parent_class)->query (bsrc, query);
}

/* GstBaseSrc does not stop a live source's create() when the pipeline
 * pauses: left alone, the connection would stay open unread, the origin
 * would go on sending into it, and PLAYING again would pour out seconds of
 * old frames at once. So a pause lets go of the origin, and PLAYING
 * connects again. */
static GstStateChangeReturn
gst_mjpeg_http_src_change_state (GstElement * element,
    GstStateChange transition)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (element);

  if (transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED ||
      transition == GST_STATE_CHANGE_PAUSED_TO_PLAYING) {
    g_mutex_lock (&src->lock);
    src->paused = transition == GST_STATE_CHANGE_PLAYING_TO_PAUSED;
    if (src->paused)
      g_cancellable_cancel (src->cancellable);
    else
      renew_cancellable_locked (src);
    g_cond_signal (&src->cond);
    g_mutex_unlock (&src->lock);
  }
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* Waits while paused; the cancellable to use then, or NULL when unlock()
 * came meanwhile. */
static GCancellable *
wait_playing (GstMjpegHttpSrc * src)
{
  GCancellable *cancellable = NULL;

  g_mutex_lock (&src->lock);
  while (src->paused && !src->flushing)
    g_cond_wait (&src->cond, &src->lock);
  if (!src->flushing)
    cancellable = g_object_ref (src->cancellable);
  g_mutex_unlock (&src->lock);
  return cancellable;
}

static gboolean
is_flushing (GstMjpegHttpSrc * src)
{
  gboolean flushing;

  g_mutex_lock (&src->lock);
  flushing = src->flushing;
  g_mutex_unlock (&src->lock);
  return flushing;
}

/* What a failure means for the next step, and its sentence in @reason. */
static Outcome
outcome_of (GError * error, gchar ** reason)
{
  *reason = g_strdup (error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return OUTCOME_FLUSHING;
  if (g_error_matches (error, GST_MJPEG_HTTP_READER_ERROR,
          GST_MJPEG_HTTP_READER_ERROR_REFUSED) ||
      g_error_matches (error, GST_MJPEG_HTTP_READER_ERROR,
          GST_MJPEG_HTTP_READER_ERROR_NOT_A_STREAM))
    return OUTCOME_FATAL;
  return OUTCOME_RETRY;
}

static Outcome
connect_origin (GstMjpegHttpSrc * src, GCancellable * cancellable,
    gchar ** reason)
{
  GstMjpegHttpReaderConfig config = { NULL, };
  GError *error = NULL;
  Outcome outcome = OUTCOME_RETRY;

  GST_OBJECT_LOCK (src);
  config.uri = g_strdup (src->location);
  config.user = g_strdup (src->user_id);
  config.password = g_strdup (src->user_pw);
  config.timeout = src->timeout;
  config.max_frame_size = src->max_frame_size;
  GST_OBJECT_UNLOCK (src);
  config.database = src->database;

  src->reader = gst_mjpeg_http_reader_open (&config, cancellable, &error);
  if (!src->reader) {
    outcome = outcome_of (error, reason);
    g_clear_error (&error);
  }
  g_free ((gchar *) config.uri);
  g_free ((gchar *) config.user);
  gst_mjpeg_http_auth_free_secret ((gchar *) config.password);
  return outcome;
}

static Outcome
read_frame (GstMjpegHttpSrc * src, GCancellable * cancellable,
    GstBuffer ** outbuf, gchar ** reason)
{
  GError *error = NULL;
  Outcome outcome;

  *outbuf = gst_mjpeg_http_reader_next (src->reader, cancellable, &error);
  if (*outbuf)
    return OUTCOME_RETRY;
  outcome = outcome_of (error, reason);
  g_clear_error (&error);
  return outcome;
}

/* Waits before the next try; FALSE when unlock() came meanwhile. */
static gboolean
wait_retry (GstMjpegHttpSrc * src, guint delay_ms)
{
  gint64 end = g_get_monotonic_time () + delay_ms * G_TIME_SPAN_MILLISECOND;
  gboolean flushing;

  g_mutex_lock (&src->lock);
  while (!src->flushing && g_cond_wait_until (&src->cond, &src->lock, end));
  flushing = src->flushing;
  g_mutex_unlock (&src->lock);
  return !flushing;
}

/* Tells the application, once per series of failures as a warning and
 * each time as a message, and returns how long to wait. */
static guint
report_loss (GstMjpegHttpSrc * src, const gchar * reason)
{
  guint first, most, delay;
  gchar *location;

  GST_OBJECT_LOCK (src);
  first = src->retry_delay;
  most = MAX (src->retry_delay_max, first);
  location = g_strdup (src->location);
  GST_OBJECT_UNLOCK (src);

  src->next_delay = src->next_delay ? MIN (src->next_delay * 2, most) : first;
  delay = src->next_delay - g_random_int_range (0, src->next_delay / 4 + 1);

  if (!src->warned) {
    GST_ELEMENT_WARNING (src, RESOURCE, READ,
        ("Lost the stream from %s: %s. Trying again in %u ms, then less and "
            "less often.", location, reason, delay), (NULL));
    src->warned = TRUE;
  } else {
    GST_INFO_OBJECT (src, "lost %s: %s; again in %u ms", location, reason,
        delay);
  }
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src),
          gst_structure_new ("mjpeghttpsrc-lost", "location", G_TYPE_STRING,
              location, "reason", G_TYPE_STRING, reason, "retry-in",
              G_TYPE_UINT, delay, NULL)));
  g_free (location);
  return delay;
}

static void
report_connected (GstMjpegHttpSrc * src)
{
  gchar *location;

  GST_OBJECT_LOCK (src);
  location = g_strdup (src->location);
  GST_OBJECT_UNLOCK (src);
  GST_INFO_OBJECT (src, "connected to %s", location);
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src),
          gst_structure_new ("mjpeghttpsrc-connected", "location",
              G_TYPE_STRING, location, NULL)));
  g_free (location);
}

/* The back-off and the warnings start over only once a connection has
 * given frames for this long: an origin that sends one frame and then
 * fails is a failing origin. */
#define SETTLED_TIME (10 * G_USEC_PER_SEC)

static GstFlowReturn
gst_mjpeg_http_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstMjpegHttpSrc *src = GST_MJPEG_HTTP_SRC (psrc);
  GCancellable *cancellable = NULL;
  GstFlowReturn ret = GST_FLOW_OK;
  gchar *reason = NULL;
  Outcome outcome;

  for (;;) {
    g_clear_object (&cancellable);
    cancellable = wait_playing (src);
    if (!cancellable)
      goto flushing;
    if (!src->reader) {
      outcome = connect_origin (src, cancellable, &reason);
      if (!src->reader)
        goto failed;
      report_connected (src);
    }
    *outbuf = NULL;
    outcome = read_frame (src, cancellable, outbuf, &reason);
    if (*outbuf) {
      gint64 now = g_get_monotonic_time ();

      if (src->first_frame_time == 0)
        src->first_frame_time = now;
      if (now - src->first_frame_time >= SETTLED_TIME) {
        src->next_delay = 0;
        src->warned = FALSE;
      }
      break;
    }
    disconnect (src);

  failed:
    src->first_frame_time = 0;
    if (is_flushing (src))
      goto flushing;
    /* cancelled by a pause: wait for PLAYING, then connect again */
    if (outcome == OUTCOME_FLUSHING) {
      g_clear_pointer (&reason, g_free);
      continue;
    }
    if (outcome == OUTCOME_FATAL)
      goto fatal;
    if (!wait_retry (src, report_loss (src, reason)))
      goto flushing;
    g_clear_pointer (&reason, g_free);
  }

done:
  g_free (reason);
  g_clear_object (&cancellable);
  return ret;

  /* ERRORS */
flushing:
  {
    GST_DEBUG_OBJECT (src, "flushing");
    disconnect (src);
    ret = GST_FLOW_FLUSHING;
    goto done;
  }
fatal:
  {
    gchar *location;

    GST_OBJECT_LOCK (src);
    location = g_strdup (src->location);
    GST_OBJECT_UNLOCK (src);
    GST_ELEMENT_ERROR (src, RESOURCE, READ,
        ("Could not read the stream at %s: %s.", location, reason), (NULL));
    g_free (location);
    ret = GST_FLOW_ERROR;
    goto done;
  }
}
