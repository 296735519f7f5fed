/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-mjpeghttpsink
 * @title: mjpeghttpsink
 *
 * Serves a stream of JPEG images as MJPEG over HTTP
 * (`multipart/x-mixed-replace`), for browsers, phones, VLC, ffmpeg, OpenCV
 * and GStreamer's own souphttpsrc. Every client is sent the newest frame
 * once its previous one has gone out: a slow client skips frames and never
 * falls behind, nobody gets a duplicate, and the frame data is shared by all
 * clients, never copied per client.
 *
 * The server listens from the NULL to READY state change until READY to
 * NULL, so it keeps answering while the pipeline is paused. It answers:
 *
 * * `/` (#GstMjpegHttpSink:viewer-path): a page that shows the stream and
 *   fits a phone screen.
 * * `/stream` (#GstMjpegHttpSink:stream-path): the MJPEG stream. Each part
 *   carries `Content-Type`, `Content-Length`, `X-Timestamp` (wall clock when
 *   the frame reached the sink, seconds with microseconds) and
 *   `X-Frame-Number`. `?advance_headers=1` sends each part's header block
 *   right after the previous frame so that browsers paint every frame at
 *   once (the viewer page uses it); those parts carry only `Content-Type`.
 * * `/snapshot` (#GstMjpegHttpSink:snapshot-path): the newest frame as one
 *   JPEG.
 * * `/?action=stream` and `/?action=snapshot`, the URLs of mjpg-streamer.
 *
 * Other paths get 404, methods other than GET and HEAD 405. Past
 * #GstMjpegHttpSink:max-clients a stream request gets 503 with
 * `Retry-After` at once.
 *
 * Who may watch: #GstMjpegHttpSink:auth-user and
 * #GstMjpegHttpSink:auth-password, or #GstMjpegHttpSink:auth-file, ask every
 * request for a password (HTTP Basic); #GstMjpegHttpSink:tls-certificate and
 * #GstMjpegHttpSink:tls-key serve https on the same port;
 * #GstMjpegHttpSink:allowed-hosts refuses requests for other host names
 * (421), against DNS rebinding; #GstMjpegHttpSink:allow-origin allows
 * scripts of another origin to read frames. They are checked and their
 * files read when the element goes to READY: a mistake is an element error
 * naming the file, and nothing listens. docs/security.md has the threat
 * model and ready configurations.
 *
 * When the server is listening the element posts an element message named
 * `mjpeghttpsink-listening` with the fields `url` (the viewer page),
 * `stream-url`, `snapshot-url`, `address`, `urls` and `port`. `urls` (a
 * #GstValueArray of strings) is what to give to viewers on other machines:
 * with a wildcard #GstMjpegHttpSink:address (`0.0.0.0`, `::`) one viewer
 * URL per address of this machine (IP addresses, IPv6 in brackets; no
 * loopback, no IPv6 link-local ones, which a browser cannot use without a
 * zone; only IPv4 ones for `0.0.0.0`), possibly none; otherwise `url`
 * alone. With #GstMjpegHttpSink:tls-certificate the URLs are `https://`.
 * A name that stands for several addresses (`localhost`: 127.0.0.1 and
 * ::1) is listened on at all of them, on one port.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1 ! jpegenc ! mjpeghttpsink port=8080
 * ]| A test pattern at http://127.0.0.1:8080/ (pipelines/test-pattern.sh).
 * |[
 * gst-launch-1.0 v4l2src device=/dev/video0 ! image/jpeg,width=1280,height=720,framerate=30/1 ! mjpeghttpsink address=0.0.0.0
 * ]| A camera that gives MJPEG itself, served to the whole network
 * (pipelines/camera-mjpeg.sh).
 * |[
 * gst-launch-1.0 v4l2src device=/dev/video0 ! video/x-raw,width=640,height=480,framerate=30/1 ! videoconvert ! jpegenc ! mjpeghttpsink address=0.0.0.0
 * ]| A camera that gives raw video, encoded by jpegenc (pipelines/camera-raw.sh).
 * |[
 * gst-launch-1.0 multifilesrc location=frames/%06d.jpg loop=true caps=image/jpeg,framerate=10/1 ! jpegdec ! jpegenc ! mjpeghttpsink
 * ]| A folder of JPEG files, looped at 10 fps (pipelines/jpeg-folder.sh):
 * multifilesrc does not timestamp its buffers, jpegdec stamps them from the
 * framerate so that the sink plays them in real time.
 */

/* Threads:
 *  - set_property/get_property: the application's thread; fields under
 *    GST_OBJECT_LOCK.
 *  - change_state: the application's thread. It alone creates and frees
 *    @server (NULL->READY, READY->NULL), when no streaming can happen.
 *  - render, event and get_times: the streaming thread. @frame_number
 *    belongs to it. query: any thread; it sets @live, which get_times
 *    reads.
 *  - idle and wake: the server thread; the state changes they ask for run
 *    on GStreamer's thread pool (apply_state, under @state_lock).
 *  - the top-level bus's sync-message handler: the thread that posts the
 *    message (gst-launch-1.0's main thread for its interrupt).
 *  - client-added / client-removed are emitted from the server thread (see
 *    gstmjpeghttpserver.c) with no lock held.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpsink.h"
#include "gstmjpeghttpreport.h"
#include "gstmjpeghttpserver.h"
#include "gstmjpeghttpstats.h"

#include <gio/gio.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

GST_DEBUG_CATEGORY (gst_mjpeg_http_sink_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_sink_debug

#define DEFAULT_ADDRESS "127.0.0.1"
#define DEFAULT_PORT 8080
#define DEFAULT_MAX_CLIENTS 64
#define DEFAULT_LISTEN_BACKLOG 1024
#define DEFAULT_VIEWER_PATH "/"
#define DEFAULT_STREAM_PATH "/stream"
#define DEFAULT_SNAPSHOT_PATH "/snapshot"
#define DEFAULT_STATS_PATH "/stats"
#define DEFAULT_METRICS_PATH "/metrics"
#define DEFAULT_EVENTS_PATH "/events"
#define DEFAULT_SERVE_STATS TRUE
#define DEFAULT_IDLE_TIMEOUT 10
#define DEFAULT_IDLE_STATE GST_MJPEG_HTTP_SINK_IDLE_STATE_PAUSED
#define DEFAULT_SNAPSHOT_TIMEOUT 2000
#define DEFAULT_TIMEOUT (5 * GST_SECOND)
#define DEFAULT_MAX_FPS 0.0
#define DEFAULT_MAX_CLIENTS_PER_ADDRESS 16
#define DEFAULT_HEADER_TIMEOUT 5
#define DEFAULT_MAX_PENDING_CONNECTIONS 256
#define DEFAULT_REQUEST_RATE 10
#define DEFAULT_REQUEST_BURST 20
#define DEFAULT_AUTH_REALM "mjpeghttpsink"

/* How long EOS waits for every client to take the closing delimiter. */
#define EOS_FLUSH_TIMEOUT (2 * G_USEC_PER_SEC)

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_CURRENT_PORT,
  PROP_MAX_CLIENTS,
  PROP_NUM_CLIENTS,
  PROP_LISTEN_BACKLOG,
  PROP_VIEWER_PATH,
  PROP_STREAM_PATH,
  PROP_SNAPSHOT_PATH,
  PROP_STATS_PATH,
  PROP_METRICS_PATH,
  PROP_EVENTS_PATH,
  PROP_SERVE_STATS,
  PROP_IDLE_TIMEOUT,
  PROP_IDLE_STATE,
  PROP_SNAPSHOT_TIMEOUT,
  PROP_TIMEOUT,
  PROP_MAX_FPS,
  PROP_MAX_CLIENTS_PER_ADDRESS,
  PROP_HEADER_TIMEOUT,
  PROP_MAX_PENDING_CONNECTIONS,
  PROP_REQUEST_RATE,
  PROP_REQUEST_BURST,
  PROP_STATS,
  PROP_BYTES_SERVED,
  PROP_FRAMES_SERVED,
  PROP_AUTH_USER,
  PROP_AUTH_PASSWORD,
  PROP_AUTH_FILE,
  PROP_AUTH_REALM,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_KEY,
  PROP_ALLOWED_HOSTS,
  PROP_ALLOW_ORIGIN,
  PROP_LAST
};

enum
{
  SIGNAL_CLIENT_ADDED,
  SIGNAL_CLIENT_REMOVED,
  SIGNAL_GET_STATS,
  LAST_SIGNAL
};

struct _GstMjpegHttpSink
{
  GstBaseSink parent;

  /* properties, under GST_OBJECT_LOCK */
  gchar *address;
  gint port;
  gint current_port;
  guint max_clients;
  guint listen_backlog;
  gchar *viewer_path;
  gchar *stream_path;
  gchar *snapshot_path;
  gchar *stats_path;
  gchar *metrics_path;
  gchar *events_path;
  gboolean serve_stats;
  guint idle_timeout;
  GstMjpegHttpSinkIdleState idle_state;
  guint snapshot_timeout;
  guint64 timeout;
  gdouble max_fps;
  guint max_clients_per_address;
  guint header_timeout;
  guint max_pending_connections;
  guint request_rate;
  guint request_burst;
  gchar *auth_user;
  gchar *auth_password;
  gchar *auth_file;
  gchar *auth_realm;
  gchar *tls_certificate;
  gchar *tls_key;
  gchar *allowed_hosts;
  gchar *allow_origin;

  /* created and freed by change_state only; the pointer is read under
   * GST_OBJECT_LOCK elsewhere */
  GstMjpegHttpServer *server;
  /* held by get-stats while it waits for the server thread (without
   * GST_OBJECT_LOCK, which that thread's handlers may take), and by
   * stop_server while it takes @server away */
  GMutex stats_lock;
  /* the listening settings are taken (NULL to READY) until READY to NULL,
   * under GST_OBJECT_LOCK */
  gboolean listening_taken;
  /* atomic, outlives the server */
  GstMjpegHttpStats stats;
  guint64 frame_number;
  /* atomic: the last latency query found the pipeline live */
  gint live;

  /* The pipeline state the sink asks for, under GST_OBJECT_LOCK: @pipeline
   * goes from @expected to @target at the next apply_state(), unless
   * someone else changed it meanwhile; @idled_to is the idle state the sink
   * itself put @pipeline in, so a wake-up undoes only that. */
  GstElement *pipeline;
  GstState expected;
  GstState target;
  GstState idled_to;
  /* serialises apply_state() calls, which run on GStreamer's thread pool
   * (and once on the thread that interrupts gst-launch-1.0); taken before
   * the pipeline's state lock */
  GMutex state_lock;

  /* Under GST_OBJECT_LOCK: a stop was requested (gst-launch-1.0 was
   * interrupted, or an end of stream reached the sink), so the sink idles
   * the pipeline no more in this run: an end of stream cannot pass a live
   * source that is paused or in READY. */
  gboolean stopping;
  /* the top-level bus watched for gst-launch-1.0's interrupt message, from
   * NULL to READY until READY to NULL; changed by change_state only */
  GstBus *bus;
  gulong bus_handler;
};

static GParamSpec *properties[PROP_LAST];

GType
gst_mjpeg_http_sink_idle_state_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MJPEG_HTTP_SINK_IDLE_STATE_NONE, "Change nothing, only post messages",
        "none"},
    {GST_MJPEG_HTTP_SINK_IDLE_STATE_PAUSED, "Pause the pipeline", "paused"},
    {GST_MJPEG_HTTP_SINK_IDLE_STATE_READY,
        "Bring the pipeline to READY (stops capture)", "ready"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMjpegHttpSinkIdleState", values);

    g_once_init_leave (&type, t);
  }
  return type;
}

GType
gst_mjpeg_http_sink_client_status_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_MJPEG_HTTP_SINK_CLIENT_STATUS_CLOSED,
        "The client closed the connection", "closed"},
    {GST_MJPEG_HTTP_SINK_CLIENT_STATUS_EOS,
        "The stream ended and the client was told", "eos"},
    {GST_MJPEG_HTTP_SINK_CLIENT_STATUS_SLOW,
        "The client took no data for the timeout", "slow"},
    {GST_MJPEG_HTTP_SINK_CLIENT_STATUS_ERROR,
        "Reading from or writing to the client failed", "error"},
    {GST_MJPEG_HTTP_SINK_CLIENT_STATUS_SENT_DATA,
        "The client kept sending data after its request", "sent-data"},
    {GST_MJPEG_HTTP_SINK_CLIENT_STATUS_STOPPED,
        "The server stopped", "stopped"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstMjpegHttpSinkClientStatus", values);

    g_once_init_leave (&type, t);
  }
  return type;
}

static guint signals[LAST_SIGNAL];

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("image/jpeg"));

#define gst_mjpeg_http_sink_parent_class parent_class
G_DEFINE_TYPE (GstMjpegHttpSink, gst_mjpeg_http_sink, GST_TYPE_BASE_SINK);

static GstStructure *gst_mjpeg_http_sink_get_stats (GstMjpegHttpSink * sink);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (mjpeghttpsink, "mjpeghttpsink",
    GST_RANK_NONE, GST_TYPE_MJPEG_HTTP_SINK,
    GST_DEBUG_CATEGORY_INIT (gst_mjpeg_http_sink_debug, "mjpeghttpsink", 0,
        "MJPEG over HTTP sink"));

static void gst_mjpeg_http_sink_finalize (GObject * object);
static void gst_mjpeg_http_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_mjpeg_http_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn gst_mjpeg_http_sink_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_mjpeg_http_sink_render (GstBaseSink * bsink,
    GstBuffer * buffer);
static void gst_mjpeg_http_sink_get_times (GstBaseSink * bsink,
    GstBuffer * buffer, GstClockTime * start, GstClockTime * end);
static gboolean gst_mjpeg_http_sink_query (GstElement * element,
    GstQuery * query);
static gboolean gst_mjpeg_http_sink_event (GstBaseSink * bsink,
    GstEvent * event);

static void
gst_mjpeg_http_sink_class_init (GstMjpegHttpSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->finalize = gst_mjpeg_http_sink_finalize;
  gobject_class->set_property = gst_mjpeg_http_sink_set_property;
  gobject_class->get_property = gst_mjpeg_http_sink_get_property;

  /**
   * GstMjpegHttpSink:address:
   *
   * The address to listen on: `127.0.0.1` (this machine only, the default,
   * as tcpserversink), `0.0.0.0` (every IPv4 interface), `::` or a host
   * name. Like the port, the backlog and the paths, it can only be changed
   * in the NULL state: the server listens from NULL to READY on. A change in
   * another state is refused with a warning on the bus.
   */
  properties[PROP_ADDRESS] = g_param_spec_string ("address", "Address",
      "Address to listen on (0.0.0.0: every IPv4 interface; NULL state only)",
      DEFAULT_ADDRESS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:port:
   *
   * The TCP port to listen on; 0 picks a free one, readable from
   * #GstMjpegHttpSink:current-port once the element is READY.
   */
  properties[PROP_PORT] = g_param_spec_int ("port", "Port",
      "TCP port to listen on (0 = any free port, see current-port; NULL "
      "state only)",
      0, G_MAXUINT16, DEFAULT_PORT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:current-port:
   *
   * The port the server listens on, or 0 while it does not listen. Notified
   * when it changes.
   */
  properties[PROP_CURRENT_PORT] = g_param_spec_int ("current-port",
      "Current port",
      "The port the server listens on (0 when not listening)",
      0, G_MAXUINT16, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:max-clients:
   *
   * How many stream clients may watch at once; the one past the bound gets
   * `503 Service Unavailable` with `Retry-After`. 0 means no limit. May be
   * changed in any state; clients already watching stay.
   */
  properties[PROP_MAX_CLIENTS] = g_param_spec_uint ("max-clients",
      "Max clients",
      "Maximum number of stream clients at once (0 = no limit)",
      0, G_MAXUINT, DEFAULT_MAX_CLIENTS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:num-clients:
   *
   * How many clients are receiving the stream now.
   */
  properties[PROP_NUM_CLIENTS] = g_param_spec_uint ("num-clients",
      "Number of clients", "Number of clients receiving the stream now",
      0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:listen-backlog:
   *
   * Connections the kernel queues before the server accepts them. A burst of
   * viewers (a dashboard reloading) overflows a small backlog and some are
   * never served; the kernel caps it at net.core.somaxconn.
   */
  properties[PROP_LISTEN_BACKLOG] = g_param_spec_uint ("listen-backlog",
      "Listen backlog",
      "Connections queued by the kernel before they are accepted (1-65535; "
      "NULL state only)",
      1, G_MAXUINT16, DEFAULT_LISTEN_BACKLOG,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:viewer-path:
   *
   * The path of the viewer page.
   */
  properties[PROP_VIEWER_PATH] = g_param_spec_string ("viewer-path",
      "Viewer path", "URL path of the viewer page (starts with /; NULL state "
      "only)", DEFAULT_VIEWER_PATH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:stream-path:
   *
   * The path of the MJPEG stream.
   */
  properties[PROP_STREAM_PATH] = g_param_spec_string ("stream-path",
      "Stream path", "URL path of the MJPEG stream (starts with /; NULL state "
      "only)", DEFAULT_STREAM_PATH, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:snapshot-path:
   *
   * The path of the newest frame as a single JPEG.
   */
  properties[PROP_SNAPSHOT_PATH] = g_param_spec_string ("snapshot-path",
      "Snapshot path", "URL path of the newest frame as one JPEG "
      "(starts with /; NULL state only)", DEFAULT_SNAPSHOT_PATH,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:stats-path:
   *
   * The path of the statistics as JSON: the same figures as the
   * #GstMjpegHttpSink::get-stats signal. Served while
   * #GstMjpegHttpSink:serve-stats is %TRUE, behind the same access control
   * as the stream.
   */
  properties[PROP_STATS_PATH] = g_param_spec_string ("stats-path",
      "Stats path", "URL path of the statistics as JSON (starts with /; NULL "
      "state only)", DEFAULT_STATS_PATH,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:metrics-path:
   *
   * The path of the statistics in Prometheus' text exposition format.
   * Served while #GstMjpegHttpSink:serve-stats is %TRUE.
   */
  properties[PROP_METRICS_PATH] = g_param_spec_string ("metrics-path",
      "Metrics path", "URL path of the statistics for Prometheus (starts "
      "with /; NULL state only)", DEFAULT_METRICS_PATH,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:events-path:
   *
   * The path of the live figures as Server-Sent Events (what the viewer
   * page shows). Served while #GstMjpegHttpSink:serve-stats is %TRUE.
   */
  properties[PROP_EVENTS_PATH] = g_param_spec_string ("events-path",
      "Events path", "URL path of the live figures as Server-Sent Events "
      "(starts with /; NULL state only)", DEFAULT_EVENTS_PATH,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:serve-stats:
   *
   * Whether #GstMjpegHttpSink:stats-path, #GstMjpegHttpSink:metrics-path
   * and #GstMjpegHttpSink:events-path are served. They tell who watches
   * (addresses, paths): turn them off, or set
   * #GstMjpegHttpSink:auth-user, where viewers must not see that. The
   * viewer page then shows the picture without live figures.
   */
  properties[PROP_SERVE_STATS] = g_param_spec_boolean ("serve-stats",
      "Serve stats", "Serve the statistics, metrics and events paths (NULL "
      "state only)", DEFAULT_SERVE_STATS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:idle-timeout:
   *
   * Once no client (stream or snapshot) has been connected for this many
   * seconds, the sink brings its pipeline down to
   * #GstMjpegHttpSink:idle-state, and back to PLAYING when a client comes.
   * It only undoes what it did: a pipeline the application paused or
   * stopped stays so. 0 never goes idle. The countdown runs while the
   * element is PLAYING; a change starts it over.
   */
  properties[PROP_IDLE_TIMEOUT] = g_param_spec_uint ("idle-timeout",
      "Idle timeout",
      "Seconds without any client before the pipeline goes to idle-state "
      "(0 = never)", 0, G_MAXUINT / 1000, DEFAULT_IDLE_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:snapshot-timeout:
   *
   * How long a snapshot request waits for a frame when there is none yet,
   * or when the sink is idle: the frame it has is then as old as the pause,
   * so the request wakes the pipeline and waits for the first new frame.
   * When none comes in time it gets the frame there is, with an `Age`
   * header saying how old it is in seconds, or 503 when there is none.
   * 0 answers at once with what there is.
   */
  properties[PROP_SNAPSHOT_TIMEOUT] = g_param_spec_uint ("snapshot-timeout",
      "Snapshot timeout",
      "Milliseconds a snapshot waits for a new frame when there is none yet "
      "or the sink is idle (0 = answer at once)", 0, 60000,
      DEFAULT_SNAPSHOT_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:idle-state:
   *
   * What idle means: `paused` pauses the pipeline (live sources stop),
   * `ready` also makes drivers that keep capturing while PAUSED stop
   * (v4l2src releases its buffers), `none` changes nothing and only posts
   * the `mjpeghttpsink-idle` and `mjpeghttpsink-wake` messages, for
   * applications that decide themselves.
   */
  properties[PROP_IDLE_STATE] = g_param_spec_enum ("idle-state", "Idle state",
      "State the pipeline is brought to when nobody watches",
      GST_TYPE_MJPEG_HTTP_SINK_IDLE_STATE, DEFAULT_IDLE_STATE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:timeout:
   *
   * A stream client that takes no byte of a frame for this long is dropped
   * (#GstMjpegHttpSink::client-removed with status `slow`), so that viewers
   * that stopped reading cannot hold every slot; so is a client that takes
   * no byte of a snapshot or a page (counted as `refused-slow-reader`). In
   * nanoseconds, as multisocketsink's; 0 never drops a client for that.
   */
  properties[PROP_TIMEOUT] = g_param_spec_uint64 ("timeout", "Timeout",
      "Drop a client that takes no data for this long, in nanoseconds "
      "(0 = never)", 0, G_MAXUINT64, DEFAULT_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:max-fps:
   *
   * At most this many frames a second to each stream client, whatever the
   * source's rate; fractions work (0.5 is a frame every two seconds). A
   * client gets the newest frame once its interval has passed, on a steady
   * schedule. A viewer may ask for less with `?fps=N` on the stream URL
   * (`/stream?fps=2`); the smaller of the two applies. 0 means no cap.
   * Changes apply at once, to the clients already there too.
   */
  properties[PROP_MAX_FPS] = g_param_spec_double ("max-fps", "Max FPS",
      "At most this many frames per second to each stream client, in "
      "frames per second (0 = no cap)", 0, 1000, DEFAULT_MAX_FPS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:max-clients-per-address:
   *
   * How many stream clients one IP address may have at once, so that one
   * peer cannot take every slot of #GstMjpegHttpSink:max-clients; the one
   * past the bound gets `503` with `Retry-After`. 0 means no limit. An
   * IPv6 peer is its /64. Behind a reverse proxy every viewer has the
   * proxy's address: set 0 there, and let the proxy limit. A lower limit
   * applies to new streams; those already open stay.
   */
  properties[PROP_MAX_CLIENTS_PER_ADDRESS] =
      g_param_spec_uint ("max-clients-per-address", "Max clients per address",
      "Maximum number of stream clients from one IP address (0 = no limit)",
      0, G_MAXUINT, DEFAULT_MAX_CLIENTS_PER_ADDRESS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:header-timeout:
   *
   * Seconds a new connection has to send its complete request head; past
   * it, it gets `408 Request Timeout` and is closed (slow-loris attacks,
   * port scanners, clients that speak another protocol). A change applies
   * to every connection still waiting, counted from its start.
   */
  properties[PROP_HEADER_TIMEOUT] = g_param_spec_uint ("header-timeout",
      "Header timeout",
      "Seconds a connection has to send its complete request (1-3600)",
      1, 3600, DEFAULT_HEADER_TIMEOUT,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:max-pending-connections:
   *
   * How many connections may be open at once without a complete request.
   * Past it, the oldest such connection of the address that holds the most
   * is closed, so that half-open connections never keep viewers out. 0
   * means no limit. A lower limit is reached by new connections, not by
   * closing those already there.
   */
  properties[PROP_MAX_PENDING_CONNECTIONS] =
      g_param_spec_uint ("max-pending-connections", "Max pending connections",
      "Maximum number of connections whose request is not complete yet "
      "(0 = no limit)", 0, G_MAXUINT, DEFAULT_MAX_PENDING_CONNECTIONS,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:request-rate:
   *
   * Requests one IP address may make per second, on average: snapshots,
   * the viewer page, and opening a stream (a stream that is open makes no
   * more requests). Past it, and past #GstMjpegHttpSink:request-burst, it
   * gets `429 Too Many Requests` with `Retry-After`. 0 means no limit.
   * Behind a reverse proxy every viewer has the proxy's address: set 0
   * there, and let the proxy limit.
   */
  properties[PROP_REQUEST_RATE] = g_param_spec_uint ("request-rate",
      "Request rate",
      "Requests per second one IP address may make (0 = no limit)",
      0, G_MAXUINT, DEFAULT_REQUEST_RATE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:request-burst:
   *
   * Requests one IP address may make at once before
   * #GstMjpegHttpSink:request-rate applies.
   */
  properties[PROP_REQUEST_BURST] = g_param_spec_uint ("request-burst",
      "Request burst",
      "Requests one IP address may make at once (1-65535)",
      1, G_MAXUINT16, DEFAULT_REQUEST_BURST,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);

  /**
   * GstMjpegHttpSink:stats:
   *
   * A `mjpeghttpsink-stats` structure: `clients` and `pending-connections`
   * now, and since the element was made, one `refused-<reason>` counter
   * (guint64) per reason a connection was refused before any handler
   * (`bad-request`, `method-not-allowed`, `header-timeout`, `evicted`,
   * `uri-too-long`, `headers-too-large`, `unsupported`, `rate-limited`,
   * `too-many-clients`, `too-many-from-address`, `snapshot-queue-full`,
   * `slow-reader`, `unauthorized`, `wrong-password`, `locked-out`,
   * `checks-busy`, `host-not-allowed`, `not-tls`, `tls-failed`) and one
   * `removed-<status>`
   * counter per #GstMjpegHttpSinkClientStatus; `clients-refused`, the sum
   * of the refusals, and `bytes-served` and `frames-served` as the
   * properties of those names.
   */
  properties[PROP_STATS] = g_param_spec_boxed ("stats", "Statistics",
      "Clients and pending connections now; refused connections and removed "
      "clients by reason", GST_TYPE_STRUCTURE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:bytes-served:
   *
   * Bytes sent to all stream clients since the element was made (it keeps
   * counting across stops), multipart boundaries and part headers included,
   * response heads not: as much as the kernel has taken, exact at any time.
   */
  properties[PROP_BYTES_SERVED] = g_param_spec_uint64 ("bytes-served",
      "Bytes served", "Bytes sent to all stream clients, framing included, "
      "in bytes", 0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:frames-served:
   *
   * Frames sent whole to all stream clients since the element was made: a
   * frame sent to ten clients counts ten times.
   */
  properties[PROP_FRAMES_SERVED] = g_param_spec_uint64 ("frames-served",
      "Frames served", "Frames sent to all stream clients, in frames "
      "(one per client a frame went to)", 0, G_MAXUINT64, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:auth-user:
   *
   * With #GstMjpegHttpSink:auth-password, the one user name that may watch:
   * every request (stream, snapshot, viewer page) then needs HTTP Basic
   * credentials, and gets 401 with a challenge without them. For several
   * users, or to keep the password out of the command line, use
   * #GstMjpegHttpSink:auth-file instead. Without TLS the password crosses
   * the network in clear text (the sink warns).
   */
  properties[PROP_AUTH_USER] = g_param_spec_string ("auth-user", "Auth user",
      "User name that may watch, with auth-password (HTTP Basic auth; NULL "
      "= no password; NULL state only)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:auth-password:
   *
   * The password of #GstMjpegHttpSink:auth-user. Write-only: it cannot be
   * read back, and the sink never logs it (GStreamer's own debug output of
   * gst-launch-1.0 may still show the command line: prefer auth-file).
   */
  properties[PROP_AUTH_PASSWORD] = g_param_spec_string ("auth-password",
      "Auth password", "Password of auth-user (write-only; NULL state only)",
      NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:auth-file:
   *
   * An htpasswd-style file of `user:hash` lines, read when the element goes
   * to READY: hashes made by `htpasswd -B` (bcrypt) or `mkpasswd -m
   * sha-512` (SHA-512-crypt), checked with the system's crypt library. A
   * file that cannot be read, or holds another kind of hash, is an element
   * error that names the file and line.
   */
  properties[PROP_AUTH_FILE] = g_param_spec_string ("auth-file", "Auth file",
      "htpasswd file of users that may watch (bcrypt or SHA-512-crypt "
      "hashes; NULL = no password; NULL state only)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:auth-realm:
   *
   * The realm named in the 401 challenge: browsers show it in their login
   * prompt and keep the credentials per realm.
   */
  properties[PROP_AUTH_REALM] = g_param_spec_string ("auth-realm",
      "Auth realm", "Realm of the Basic auth challenge (NULL state only)",
      DEFAULT_AUTH_REALM, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:tls-certificate:
   *
   * A PEM file with the server's certificate (and any intermediate ones
   * after it). With #GstMjpegHttpSink:tls-key, the port serves https only;
   * plain http to it gets a 400 that says to use https. The pair is loaded
   * and tried when the element goes to READY: a missing or unreadable file,
   * or a key that does not belong to the certificate, is an element error
   * naming the file, and nothing listens.
   */
  properties[PROP_TLS_CERTIFICATE] = g_param_spec_string ("tls-certificate",
      "TLS certificate", "PEM file of the certificate to serve https with "
      "(NULL = plain http; NULL state only)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:tls-key:
   *
   * A PEM file with the private key of #GstMjpegHttpSink:tls-certificate,
   * not encrypted with a passphrase.
   */
  properties[PROP_TLS_KEY] = g_param_spec_string ("tls-key", "TLS key",
      "PEM file of the certificate's private key (NULL state only)", NULL,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:allowed-hosts:
   *
   * Comma-separated host names and addresses (without port) that requests
   * may name in their Host header; any other gets 421. This stops a web
   * page that a viewer on the same network opens from reaching the camera
   * through DNS rebinding. NULL or empty: any host.
   */
  properties[PROP_ALLOWED_HOSTS] = g_param_spec_string ("allowed-hosts",
      "Allowed hosts", "Comma-separated host names requests may be for, "
      "e.g. \"camera.local,192.168.1.20\" (NULL = any; NULL state only)",
      NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * GstMjpegHttpSink:allow-origin:
   *
   * Sent as Access-Control-Allow-Origin on every answer, so that scripts of
   * that origin (or of any, with `*`) may read the stream and snapshot,
   * e.g. to draw them on a canvas. NULL: no such header, as browsers then
   * allow only showing them.
   */
  properties[PROP_ALLOW_ORIGIN] = g_param_spec_string ("allow-origin",
      "Allow origin", "Access-Control-Allow-Origin value, e.g. "
      "\"https://example.com\" or \"*\" (NULL = none; NULL state only)",
      NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (gobject_class, PROP_LAST, properties);
  gst_type_mark_as_plugin_api (GST_TYPE_MJPEG_HTTP_SINK_IDLE_STATE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_MJPEG_HTTP_SINK_CLIENT_STATUS, 0);

  /**
   * GstMjpegHttpSink::client-added:
   * @sink: the sink
   * @peer: the client's address and port, as "address:port"
   *
   * A client has started to receive the stream. Emitted from the server
   * thread: a handler must not block. It may change properties, and set the
   * pipeline's state, NULL included.
   */
  signals[SIGNAL_CLIENT_ADDED] = g_signal_new ("client-added",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * GstMjpegHttpSink::client-removed:
   * @sink: the sink
   * @peer: the client's address and port, as "address:port"
   * @status: why, a #GstMjpegHttpSinkClientStatus
   *
   * A stream client is gone; #GstMjpegHttpSink:num-clients already counts
   * without it. Emitted from the server thread: a handler must not block.
   * It may change properties, and set the pipeline's state, NULL included
   * (the server then stops once the handler returns). With status
   * `stopped` it is emitted from the thread that stopped the element (READY
   * to NULL), once the server is gone.
   */
  signals[SIGNAL_CLIENT_REMOVED] = g_signal_new ("client-removed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_STRING, GST_TYPE_MJPEG_HTTP_SINK_CLIENT_STATUS);

  /**
   * GstMjpegHttpSink::get-stats:
   * @sink: the sink
   *
   * Who watches and what it costs, the figures the stats path gives as
   * JSON: a "mjpeghttpsink-stats" structure with `clients`, an array of
   * one "client" structure per stream client (`address`, `port`, `path`
   * with its query, `fps-limit`, `connect-time` in ns since the Unix epoch,
   * `frames-sent`, `frames-skipped`, `bytes-sent`, `fps` over the last 2 s,
   * `last-activity-time` in ns since the Unix epoch), `totals` (the
   * #GstMjpegHttpSink:stats counters with `bytes-served`, `frames-served`
   * and `clients-refused`) and `source` (`fps`, `width`, `height`,
   * `frame-number`, `frame-time`, `idle`). Outside READY..PLAYING the
   * clients array is empty. Any thread, handlers of the sink's own signals
   * included.
   *
   * Returns: (transfer full): the figures of the moment
   */
  signals[SIGNAL_GET_STATS] = g_signal_new_class_handler ("get-stats",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (gst_mjpeg_http_sink_get_stats), NULL, NULL, NULL,
      GST_TYPE_STRUCTURE, 0);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "MJPEG HTTP server sink", "Sink/Network",
      "Serves JPEG frames as an MJPEG stream over HTTP to many clients, "
      "newest frame first", "mjpeghttp developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_mjpeg_http_sink_change_state);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_mjpeg_http_sink_render);
  basesink_class->get_times = GST_DEBUG_FUNCPTR (gst_mjpeg_http_sink_get_times);
  element_class->query = GST_DEBUG_FUNCPTR (gst_mjpeg_http_sink_query);

  basesink_class->event = GST_DEBUG_FUNCPTR (gst_mjpeg_http_sink_event);
}

static void
gst_mjpeg_http_sink_init (GstMjpegHttpSink * sink)
{
  sink->address = g_strdup (DEFAULT_ADDRESS);
  sink->port = DEFAULT_PORT;
  sink->max_clients = DEFAULT_MAX_CLIENTS;
  sink->listen_backlog = DEFAULT_LISTEN_BACKLOG;
  sink->viewer_path = g_strdup (DEFAULT_VIEWER_PATH);
  sink->stream_path = g_strdup (DEFAULT_STREAM_PATH);
  sink->snapshot_path = g_strdup (DEFAULT_SNAPSHOT_PATH);
  sink->snapshot_timeout = DEFAULT_SNAPSHOT_TIMEOUT;
  sink->stats_path = g_strdup (DEFAULT_STATS_PATH);
  sink->metrics_path = g_strdup (DEFAULT_METRICS_PATH);
  sink->events_path = g_strdup (DEFAULT_EVENTS_PATH);
  sink->serve_stats = DEFAULT_SERVE_STATS;
  sink->auth_realm = g_strdup (DEFAULT_AUTH_REALM);
  sink->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  sink->idle_state = DEFAULT_IDLE_STATE;
  sink->timeout = DEFAULT_TIMEOUT;
  sink->max_fps = DEFAULT_MAX_FPS;
  sink->max_clients_per_address = DEFAULT_MAX_CLIENTS_PER_ADDRESS;
  sink->header_timeout = DEFAULT_HEADER_TIMEOUT;
  sink->max_pending_connections = DEFAULT_MAX_PENDING_CONNECTIONS;
  sink->request_rate = DEFAULT_REQUEST_RATE;
  sink->request_burst = DEFAULT_REQUEST_BURST;
  g_mutex_init (&sink->state_lock);
  g_mutex_init (&sink->stats_lock);
}

static void
gst_mjpeg_http_sink_finalize (GObject * object)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (object);

  g_free (sink->address);
  g_free (sink->viewer_path);
  g_free (sink->stream_path);
  g_free (sink->snapshot_path);
  g_free (sink->stats_path);
  g_free (sink->metrics_path);
  g_free (sink->events_path);
  g_free (sink->auth_user);
  gst_mjpeg_http_auth_free_secret (sink->auth_password);
  g_free (sink->auth_file);
  g_free (sink->auth_realm);
  g_free (sink->tls_certificate);
  g_free (sink->tls_key);
  g_free (sink->allowed_hosts);
  g_free (sink->allow_origin);
  g_mutex_clear (&sink->state_lock);
  g_mutex_clear (&sink->stats_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* A path property must be what a request line can carry as it is:
 * absolute, visible ASCII, no query or fragment; anything else would never
 * match. */
static gboolean
path_is_valid (const GValue * value)
{
  const gchar *path = g_value_get_string (value), *c;

  if (!path || path[0] != '/')
    return FALSE;
  for (c = path; *c; c++) {
    if (*c <= 0x20 || *c >= 0x7f || *c == '?' || *c == '#' || *c == '%')
      return FALSE;
  }
  return TRUE;
}

/* What the server is told of, under GST_OBJECT_LOCK. */
static void
gst_mjpeg_http_sink_get_limits_locked (GstMjpegHttpSink * sink,
    GstMjpegHttpLimits * limits)
{
  limits->max_clients = sink->max_clients;
  limits->max_clients_per_address = sink->max_clients_per_address;
  limits->max_pending = sink->max_pending_connections;
  limits->header_timeout_ms = sink->header_timeout * 1000;
  /* rounded up: a timeout of a few ns is not "never" */
  limits->timeout_us = (sink->timeout + GST_USECOND - 1) / GST_USECOND;
  limits->max_fps = sink->max_fps;
  limits->request_rate = sink->request_rate;
  limits->request_burst = sink->request_burst;
  limits->idle_timeout_ms = sink->idle_timeout * 1000;
  limits->snapshot_timeout_ms = sink->snapshot_timeout;
}

static void
gst_mjpeg_http_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (object);
  GstMjpegHttpServer *server;
  GstMjpegHttpLimits limits;
  GstState state;

  GST_OBJECT_LOCK (sink);
  state = GST_STATE (sink);
  switch (prop_id) {
    case PROP_ADDRESS:
    case PROP_PORT:
    case PROP_LISTEN_BACKLOG:
    case PROP_VIEWER_PATH:
    case PROP_STREAM_PATH:
    case PROP_SNAPSHOT_PATH:
    case PROP_STATS_PATH:
    case PROP_METRICS_PATH:
    case PROP_EVENTS_PATH:
    case PROP_SERVE_STATS:
    case PROP_AUTH_USER:
    case PROP_AUTH_PASSWORD:
    case PROP_AUTH_FILE:
    case PROP_AUTH_REALM:
    case PROP_TLS_CERTIFICATE:
    case PROP_TLS_KEY:
    case PROP_ALLOWED_HOSTS:
    case PROP_ALLOW_ORIGIN:
      if (sink->listening_taken)
        goto not_in_null;
      break;
    default:
      break;
  }

  switch (prop_id) {
    case PROP_ADDRESS:
      g_free (sink->address);
      sink->address = g_value_dup_string (value);
      if (!sink->address)
        sink->address = g_strdup (DEFAULT_ADDRESS);
      break;
    case PROP_PORT:
      sink->port = g_value_get_int (value);
      break;
    case PROP_MAX_CLIENTS:
      sink->max_clients = g_value_get_uint (value);
      break;
    case PROP_LISTEN_BACKLOG:
      sink->listen_backlog = g_value_get_uint (value);
      break;
    case PROP_VIEWER_PATH:
    case PROP_STREAM_PATH:
    case PROP_SNAPSHOT_PATH:
    case PROP_STATS_PATH:
    case PROP_METRICS_PATH:
    case PROP_EVENTS_PATH:
    {
      gchar **path = prop_id == PROP_VIEWER_PATH ? &sink->viewer_path
          : prop_id == PROP_STREAM_PATH ? &sink->stream_path
          : prop_id == PROP_SNAPSHOT_PATH ? &sink->snapshot_path
          : prop_id == PROP_STATS_PATH ? &sink->stats_path
          : prop_id == PROP_METRICS_PATH ? &sink->metrics_path
          : &sink->events_path;

      if (!path_is_valid (value))
        goto bad_path;
      g_free (*path);
      *path = g_value_dup_string (value);
      break;
    }
    case PROP_SERVE_STATS:
      sink->serve_stats = g_value_get_boolean (value);
      break;
    case PROP_IDLE_TIMEOUT:
      sink->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_IDLE_STATE:
      sink->idle_state = g_value_get_enum (value);
      break;
    case PROP_SNAPSHOT_TIMEOUT:
      sink->snapshot_timeout = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      sink->timeout = g_value_get_uint64 (value);
      break;
    case PROP_MAX_FPS:
      sink->max_fps = g_value_get_double (value);
      break;
    case PROP_MAX_CLIENTS_PER_ADDRESS:
      sink->max_clients_per_address = g_value_get_uint (value);
      break;
    case PROP_HEADER_TIMEOUT:
      sink->header_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_PENDING_CONNECTIONS:
      sink->max_pending_connections = g_value_get_uint (value);
      break;
    case PROP_REQUEST_RATE:
      sink->request_rate = g_value_get_uint (value);
      break;
    case PROP_REQUEST_BURST:
      sink->request_burst = g_value_get_uint (value);
      break;
    case PROP_AUTH_USER:
      g_free (sink->auth_user);
      sink->auth_user = g_value_dup_string (value);
      break;
    case PROP_AUTH_PASSWORD:
      gst_mjpeg_http_auth_free_secret (sink->auth_password);
      sink->auth_password = g_value_dup_string (value);
      break;
    case PROP_AUTH_FILE:
      g_free (sink->auth_file);
      sink->auth_file = g_value_dup_string (value);
      break;
    case PROP_AUTH_REALM:
      g_free (sink->auth_realm);
      sink->auth_realm = g_value_dup_string (value);
      if (!sink->auth_realm)
        sink->auth_realm = g_strdup (DEFAULT_AUTH_REALM);
      break;
    case PROP_TLS_CERTIFICATE:
      g_free (sink->tls_certificate);
      sink->tls_certificate = g_value_dup_string (value);
      break;
    case PROP_TLS_KEY:
      g_free (sink->tls_key);
      sink->tls_key = g_value_dup_string (value);
      break;
    case PROP_ALLOWED_HOSTS:
      g_free (sink->allowed_hosts);
      sink->allowed_hosts = g_value_dup_string (value);
      break;
    case PROP_ALLOW_ORIGIN:
      g_free (sink->allow_origin);
      sink->allow_origin = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  /* the running server takes a change of a limit at once */
  server = sink->server;
  gst_mjpeg_http_sink_get_limits_locked (sink, &limits);
  if (server)
    gst_mjpeg_http_server_set_limits (server, &limits);
  GST_OBJECT_UNLOCK (sink);
  return;

  /* ERRORS */
not_in_null:
  {
    GST_OBJECT_UNLOCK (sink);
    GST_ELEMENT_WARNING (sink, RESOURCE, SETTINGS,
        ("The property \"%s\" can only be changed in the NULL state: the "
            "server already listens with the old value. Set the pipeline to "
            "NULL, change it, and start again.", pspec->name),
        ("refused in %s", gst_element_state_get_name (state)));
    return;
  }
bad_path:
  {
    GST_OBJECT_UNLOCK (sink);
    g_warning ("mjpeghttpsink: %s must start with '/' and hold only visible "
        "ASCII without '?', '#' or '%%', not \"%s\"; it keeps its value",
        pspec->name, g_value_get_string (value) ?
        g_value_get_string (value) : "(null)");
    return;
  }
}

static void
gst_mjpeg_http_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (object);

  GST_OBJECT_LOCK (sink);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_value_set_string (value, sink->address);
      break;
    case PROP_PORT:
      g_value_set_int (value, sink->port);
      break;
    case PROP_CURRENT_PORT:
      g_value_set_int (value, sink->current_port);
      break;
    case PROP_MAX_CLIENTS:
      g_value_set_uint (value, sink->max_clients);
      break;
    case PROP_NUM_CLIENTS:
      g_value_set_uint (value, g_atomic_int_get (&sink->stats.clients));
      break;
    case PROP_LISTEN_BACKLOG:
      g_value_set_uint (value, sink->listen_backlog);
      break;
    case PROP_VIEWER_PATH:
      g_value_set_string (value, sink->viewer_path);
      break;
    case PROP_STREAM_PATH:
      g_value_set_string (value, sink->stream_path);
      break;
    case PROP_SNAPSHOT_PATH:
      g_value_set_string (value, sink->snapshot_path);
      break;
    case PROP_STATS_PATH:
      g_value_set_string (value, sink->stats_path);
      break;
    case PROP_METRICS_PATH:
      g_value_set_string (value, sink->metrics_path);
      break;
    case PROP_EVENTS_PATH:
      g_value_set_string (value, sink->events_path);
      break;
    case PROP_SERVE_STATS:
      g_value_set_boolean (value, sink->serve_stats);
      break;
    case PROP_AUTH_USER:
      g_value_set_string (value, sink->auth_user);
      break;
    case PROP_AUTH_FILE:
      g_value_set_string (value, sink->auth_file);
      break;
    case PROP_AUTH_REALM:
      g_value_set_string (value, sink->auth_realm);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_string (value, sink->tls_certificate);
      break;
    case PROP_TLS_KEY:
      g_value_set_string (value, sink->tls_key);
      break;
    case PROP_ALLOWED_HOSTS:
      g_value_set_string (value, sink->allowed_hosts);
      break;
    case PROP_ALLOW_ORIGIN:
      g_value_set_string (value, sink->allow_origin);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, sink->idle_timeout);
      break;
    case PROP_IDLE_STATE:
      g_value_set_enum (value, sink->idle_state);
      break;
    case PROP_SNAPSHOT_TIMEOUT:
      g_value_set_uint (value, sink->snapshot_timeout);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, sink->timeout);
      break;
    case PROP_MAX_FPS:
      g_value_set_double (value, sink->max_fps);
      break;
    case PROP_MAX_CLIENTS_PER_ADDRESS:
      g_value_set_uint (value, sink->max_clients_per_address);
      break;
    case PROP_HEADER_TIMEOUT:
      g_value_set_uint (value, sink->header_timeout);
      break;
    case PROP_MAX_PENDING_CONNECTIONS:
      g_value_set_uint (value, sink->max_pending_connections);
      break;
    case PROP_REQUEST_RATE:
      g_value_set_uint (value, sink->request_rate);
      break;
    case PROP_REQUEST_BURST:
      g_value_set_uint (value, sink->request_burst);
      break;
    case PROP_STATS:
      g_value_take_boxed (value,
          gst_mjpeg_http_stats_to_structure (&sink->stats));
      break;
    case PROP_BYTES_SERVED:
      g_value_set_uint64 (value,
          gst_mjpeg_http_stats_get_bytes_served (&sink->stats));
      break;
    case PROP_FRAMES_SERVED:
      g_value_set_uint64 (value,
          gst_mjpeg_http_stats_get_frames_served (&sink->stats));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (sink);
}

static void
gst_mjpeg_http_sink_client_added (const gchar * peer, gpointer user_data)
{
  GstMjpegHttpSink *sink = user_data;

  GST_INFO_OBJECT (sink, "client %s added", peer);
  g_signal_emit (sink, signals[SIGNAL_CLIENT_ADDED], 0, peer);
}

static void
gst_mjpeg_http_sink_client_removed (const gchar * peer,
    GstMjpegHttpSinkClientStatus status, gpointer user_data)
{
  GstMjpegHttpSink *sink = user_data;

  GST_INFO_OBJECT (sink, "client %s removed (%d)", peer, status);
  g_signal_emit (sink, signals[SIGNAL_CLIENT_REMOVED], 0, peer, status);
}

static void
gst_mjpeg_http_sink_warning (const gchar * message, gpointer user_data)
{
  GstMjpegHttpSink *sink = user_data;

  GST_ELEMENT_WARNING (sink, RESOURCE, OPEN_READ, ("%s", message), (NULL));
}

/* The outermost element the sink is in: what "the pipeline" means. */
static GstElement *
get_top_level (GstMjpegHttpSink * sink)
{
  GstObject *top = gst_object_ref (GST_OBJECT (sink)), *parent;

  while ((parent = gst_object_get_parent (top))) {
    gst_object_unref (top);
    top = parent;
  }
  if (top == GST_OBJECT (sink)) {
    gst_object_unref (top);
    return NULL;
  }
  return GST_ELEMENT (top);
}

/* Never on the streaming or server thread: a state change waits for both.
 * The pipeline's state lock is held from the check to the change, so that
 * a state the application sets meanwhile (gst-launch-1.0 setting NULL at
 * its end) is never undone. Called with @state_lock held. */
static void
gst_mjpeg_http_sink_apply_state_locked (GstMjpegHttpSink * sink)
{
  GstElement *pipeline;
  GstState target;
  gboolean still;

  GST_OBJECT_LOCK (sink);
  pipeline = sink->pipeline ? gst_object_ref (sink->pipeline) : NULL;
  GST_OBJECT_UNLOCK (sink);
  if (!pipeline)
    return;

  GST_STATE_LOCK (pipeline);
  GST_OBJECT_LOCK (sink);
  target = sink->target;
  still = GST_STATE_TARGET (pipeline) == sink->expected;
  GST_OBJECT_UNLOCK (sink);

  if (!still) {
    GST_INFO_OBJECT (sink, "the pipeline is no longer in the state this "
        "change was meant for: leaving it");
  } else {
    GST_INFO_OBJECT (sink, "setting %" GST_PTR_FORMAT " to %s", pipeline,
        gst_element_state_get_name (target));
    if (gst_element_set_state (pipeline, target) == GST_STATE_CHANGE_FAILURE)
      GST_WARNING_OBJECT (sink, "could not set %" GST_PTR_FORMAT " to %s",
          pipeline, gst_element_state_get_name (target));
  }
  GST_STATE_UNLOCK (pipeline);
  gst_object_unref (pipeline);
}

/* Runs on GStreamer's thread pool (gst_element_call_async). */
static void
gst_mjpeg_http_sink_apply_state (GstElement * element, gpointer user_data)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (element);

  g_mutex_lock (&sink->state_lock);
  gst_mjpeg_http_sink_apply_state_locked (sink);
  g_mutex_unlock (&sink->state_lock);
}

static const gchar *
idle_state_nick (GstMjpegHttpSinkIdleState state)
{
  GEnumClass *klass = g_type_class_ref (GST_TYPE_MJPEG_HTTP_SINK_IDLE_STATE);
  const gchar *nick = g_enum_get_value (klass, state)->value_nick;

  g_type_class_unref (klass);
  return nick;
}

static void
gst_mjpeg_http_sink_idle (gpointer user_data)
{
  GstMjpegHttpSink *sink = user_data;
  GstMjpegHttpSinkIdleState idle_state;
  GstElement *pipeline = NULL;
  GstState to = GST_STATE_VOID_PENDING;
  guint timeout;

  GST_OBJECT_LOCK (sink);
  idle_state = sink->idle_state;
  timeout = sink->idle_timeout;
  GST_OBJECT_UNLOCK (sink);

  if (idle_state != GST_MJPEG_HTTP_SINK_IDLE_STATE_NONE)
    pipeline = get_top_level (sink);

  /* a pipeline the application has not set PLAYING is not ours to touch,
   * nor is one that is stopping: its end of stream must get through.
   * @stopping is read where the idle state is set, so that a stop request
   * either comes first or finds @idled_to to undo. */
  GST_OBJECT_LOCK (sink);
  if (pipeline && GST_STATE_TARGET (pipeline) == GST_STATE_PLAYING
      && !sink->stopping) {
    to = idle_state == GST_MJPEG_HTTP_SINK_IDLE_STATE_READY ?
        GST_STATE_READY : GST_STATE_PAUSED;
    gst_object_replace ((GstObject **) & sink->pipeline, GST_OBJECT (pipeline));
    sink->expected = GST_STATE_PLAYING;
    sink->target = to;
    sink->idled_to = to;
  }
  GST_OBJECT_UNLOCK (sink);

  GST_INFO_OBJECT (sink, "nobody watched for %u s: idle (%s)", timeout,
      to == GST_STATE_VOID_PENDING ? "state unchanged" :
      gst_element_state_get_name (to));
  gst_element_post_message (GST_ELEMENT (sink),
      gst_message_new_element (GST_OBJECT (sink),
          gst_structure_new ("mjpeghttpsink-idle",
              "idle-state", G_TYPE_STRING, idle_state_nick (idle_state),
              "timeout", G_TYPE_UINT, timeout,
              "state-changed", G_TYPE_BOOLEAN, to != GST_STATE_VOID_PENDING,
              NULL)));

  if (to != GST_STATE_VOID_PENDING)
    gst_element_call_async (GST_ELEMENT (sink),
        gst_mjpeg_http_sink_apply_state, NULL, NULL);
  gst_clear_object (&pipeline);
}

static void
gst_mjpeg_http_sink_wake (const gchar * peer, const gchar * path,
    gpointer user_data)
{
  GstMjpegHttpSink *sink = user_data;
  gboolean resume = FALSE;
  gchar *reason;

  /* Undo only the sink's own idle: apply_state() leaves a pipeline that is
   * no longer where the sink put it. If the idle change has not even run
   * yet, the pipeline is still PLAYING and both calls leave it so. */
  GST_OBJECT_LOCK (sink);
  if (sink->pipeline && sink->idled_to != GST_STATE_VOID_PENDING) {
    sink->expected = sink->idled_to;
    sink->target = GST_STATE_PLAYING;
    resume = TRUE;
  }
  sink->idled_to = GST_STATE_VOID_PENDING;
  GST_OBJECT_UNLOCK (sink);

  reason = g_strdup_printf ("client %s requested %s", peer, path);
  GST_INFO_OBJECT (sink, "waking up: %s%s", reason,
      resume ? "" : " (the sink had not changed the pipeline's state)");
  gst_element_post_message (GST_ELEMENT (sink),
      gst_message_new_element (GST_OBJECT (sink),
          gst_structure_new ("mjpeghttpsink-wake",
              "reason", G_TYPE_STRING, reason,
              "peer", G_TYPE_STRING, peer,
              "path", G_TYPE_STRING, path,
              "resume", G_TYPE_BOOLEAN, resume, NULL)));
  g_free (reason);

  if (resume)
    gst_element_call_async (GST_ELEMENT (sink),
        gst_mjpeg_http_sink_apply_state, NULL, NULL);
}

/* How long a stop request waits for the pipeline to play again: a source
 * that the sink put in READY starts over (a camera: a few hundred ms). */
#define STOP_WAKE_TIMEOUT (2 * GST_SECOND)

/* No more idling in this run, and a pipeline the sink has idled (or is
 * waking up) plays again, so that an end of stream sent to it gets
 * through: a live source holds it back while PAUSED or READY.
 *
 * @now: the caller holds no lock of the pipeline's and may wait (the thread
 * that posts gst-launch-1.0's interrupt message). The pipeline is then set
 * PLAYING right here, and the change waited for until nothing is pending:
 * gst-launch-1.0 sends its end of stream with the pipeline's state lock
 * held, and a sink still waiting in preroll for the rest of an
 * asynchronous change to PLAYING (made from GStreamer's thread pool, which
 * needs that lock) would hold the source's stream lock, which the end of
 * stream needs, for good. Otherwise (the streaming thread) the change is
 * made from GStreamer's thread pool. */
static void
gst_mjpeg_http_sink_stop_requested (GstMjpegHttpSink * sink,
    const gchar * why, gboolean now)
{
  GstElement *pipeline = NULL;
  gboolean resume = FALSE;

  /* an idle change under way ends first, and none comes after */
  if (now)
    g_mutex_lock (&sink->state_lock);
  GST_OBJECT_LOCK (sink);
  sink->stopping = TRUE;
  if (sink->pipeline && sink->idled_to != GST_STATE_VOID_PENDING) {
    sink->expected = sink->idled_to;
    sink->target = GST_STATE_PLAYING;
    resume = TRUE;
  }
  sink->idled_to = GST_STATE_VOID_PENDING;
  /* a wake-up for a viewer may still be on its way: made here too */
  if (now && sink->pipeline && sink->target == GST_STATE_PLAYING)
    pipeline = gst_object_ref (sink->pipeline);
  GST_OBJECT_UNLOCK (sink);

  GST_INFO_OBJECT (sink, "%s: no more idling%s", why,
      resume ? ", playing again so that the end of stream gets through" : "");
  if (!now) {
    if (resume)
      gst_element_call_async (GST_ELEMENT (sink),
          gst_mjpeg_http_sink_apply_state, NULL, NULL);
    return;
  }

  if (pipeline)
    gst_mjpeg_http_sink_apply_state_locked (sink);
  g_mutex_unlock (&sink->state_lock);

  if (pipeline && GST_STATE_TARGET (pipeline) == GST_STATE_PLAYING &&
      gst_element_get_state (pipeline, NULL, NULL, STOP_WAKE_TIMEOUT) ==
      GST_STATE_CHANGE_ASYNC)
    GST_WARNING_OBJECT (sink, "%" GST_PTR_FORMAT " did not reach PLAYING "
        "within %" GST_TIME_FORMAT, pipeline,
        GST_TIME_ARGS (STOP_WAKE_TIMEOUT));
  gst_clear_object (&pipeline);
}

/* gst-launch-1.0 posts this message when it is interrupted (Ctrl+C), from
 * its main thread, which holds no lock; with -e it sends an end of stream
 * to the pipeline when its bus watch gets the message, that is after this
 * sync-message handler has returned. */
static void
gst_mjpeg_http_sink_bus_message (GstBus * bus, GstMessage * message,
    gpointer user_data)
{
  const GstStructure *s = gst_message_get_structure (message);

  if (s && gst_structure_has_name (s, "GstLaunchInterrupt"))
    gst_mjpeg_http_sink_stop_requested (GST_MJPEG_HTTP_SINK (user_data),
        "gst-launch-1.0 was interrupted", TRUE);
}

/* Sync-message emission is counted: the application's own sync handler
 * and watches are left alone. */
static void
gst_mjpeg_http_sink_watch_bus (GstMjpegHttpSink * sink)
{
  GstElement *top = get_top_level (sink);

  if (!top)
    return;
  sink->bus = gst_element_get_bus (top);
  gst_object_unref (top);
  if (!sink->bus)
    return;
  gst_bus_enable_sync_message_emission (sink->bus);
  sink->bus_handler = g_signal_connect (sink->bus,
      "sync-message::application",
      G_CALLBACK (gst_mjpeg_http_sink_bus_message), sink);
}

static void
gst_mjpeg_http_sink_unwatch_bus (GstMjpegHttpSink * sink)
{
  if (!sink->bus)
    return;
  g_signal_handler_disconnect (sink->bus, sink->bus_handler);
  sink->bus_handler = 0;
  gst_bus_disable_sync_message_emission (sink->bus);
  gst_clear_object (&sink->bus);
}

/* The host part of a URL a person can open: a wildcard address is not. */
static gchar *
url_host (const gchar * address)
{
  GInetAddress *addr = g_inet_address_new_from_string (address);
  gchar *host;

  if (!addr)
    return g_strdup (address);
  if (g_inet_address_get_is_any (addr))
    host = g_strdup (g_get_host_name ());
  else if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6)
    host = g_strdup_printf ("[%s]", address);
  else
    host = g_strdup (address);
  g_object_unref (addr);
  return host;
}

/* The viewer URLs that other machines can open when the server listens on
 * a wildcard address: one per address of this machine's interfaces that
 * are up, IPv4 first, loopback left out, and IPv6 ones only for "::"
 * (which also takes IPv4) and without link-local ones, which need a zone
 * that a phone's browser cannot be given (transfer full, NULL-terminated,
 * maybe empty). */
static GPtrArray *
machine_urls (GInetAddress * any, const gchar * scheme, guint port,
    const gchar * path)
{
  gboolean ipv6 = g_inet_address_get_family (any) == G_SOCKET_FAMILY_IPV6;
  GPtrArray *urls = g_ptr_array_new_with_free_func (g_free);
  struct ifaddrs *ifaddrs, *ifa;
  gint pass;

  if (getifaddrs (&ifaddrs) < 0) {
    GST_WARNING ("getifaddrs: %s", g_strerror (errno));
    return urls;
  }
  for (pass = 0; pass < (ipv6 ? 2 : 1); pass++) {
    gint family = pass == 0 ? AF_INET : AF_INET6;

    for (ifa = ifaddrs; ifa; ifa = ifa->ifa_next) {
      GSocketAddress *saddr;
      GInetAddress *addr;
      gchar *host, *url;
      guint i;

      if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family
          || !(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK))
        continue;
      saddr = g_socket_address_new_from_native (ifa->ifa_addr,
          family == AF_INET ? sizeof (struct sockaddr_in) :
          sizeof (struct sockaddr_in6));
      if (!saddr)
        continue;
      addr = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (saddr));
      if (g_inet_address_get_is_loopback (addr)
          || g_inet_address_get_is_link_local (addr)) {
        g_object_unref (saddr);
        continue;
      }
      host = g_inet_address_to_string (addr);
      url = g_strdup_printf (family == AF_INET ? "%s://%s:%u%s" :
          "%s://[%s]:%u%s", scheme, host, port, path);
      g_free (host);
      g_object_unref (saddr);
      /* an address on two interfaces is one URL */
      for (i = 0; i < urls->len; i++)
        if (g_str_equal (g_ptr_array_index (urls, i), url))
          break;
      if (i < urls->len)
        g_free (url);
      else
        g_ptr_array_add (urls, url);
    }
  }
  freeifaddrs (ifaddrs);
  return urls;
}

/* The `urls` field: one URL per address of the machine for a wildcard
 * address, else the one URL. */
static void
set_urls_field (GstStructure * s, const gchar * address, const gchar * url,
    const gchar * scheme, guint port, const gchar * path)
{
  GInetAddress *any = g_inet_address_new_from_string (address);
  GValue array = G_VALUE_INIT, item = G_VALUE_INIT;
  GPtrArray *urls;
  guint i;

  if (any && g_inet_address_get_is_any (any)) {
    urls = machine_urls (any, scheme, port, path);
  } else {
    urls = g_ptr_array_new_with_free_func (g_free);
    g_ptr_array_add (urls, g_strdup (url));
  }
  g_clear_object (&any);

  g_value_init (&array, GST_TYPE_ARRAY);
  g_value_init (&item, G_TYPE_STRING);
  for (i = 0; i < urls->len; i++) {
    g_value_set_string (&item, g_ptr_array_index (urls, i));
    gst_value_array_append_value (&array, &item);
  }
  gst_structure_take_value (s, "urls", &array);
  g_value_unset (&item);
  g_ptr_array_unref (urls);
}

static gboolean
gst_mjpeg_http_sink_start_server (GstMjpegHttpSink * sink)
{
  static const GstMjpegHttpServerCallbacks callbacks = {
    gst_mjpeg_http_sink_client_added,
    gst_mjpeg_http_sink_client_removed,
    gst_mjpeg_http_sink_idle,
    gst_mjpeg_http_sink_wake,
    gst_mjpeg_http_sink_warning,
  };
  GstMjpegHttpServerConfig config = { 0, };
  GstMjpegHttpAccessSettings settings;
  GstMjpegHttpLimits limits;
  GstMjpegHttpServer *server;
  GPtrArray *warnings;
  GError *err = NULL;
  gchar *host, *url, *stream_url, *snapshot_url;
  GstStructure *listening;
  const gchar *scheme;
  guint port, i;

  GST_OBJECT_LOCK (sink);
  sink->listening_taken = TRUE;
  /* the strings stay: they change only while listening_taken is FALSE */
  settings.auth_user = sink->auth_user;
  settings.auth_password = sink->auth_password;
  settings.auth_file = sink->auth_file;
  settings.auth_realm = sink->auth_realm;
  settings.tls_certificate = sink->tls_certificate;
  settings.tls_key = sink->tls_key;
  settings.allowed_hosts = sink->allowed_hosts;
  settings.allow_origin = sink->allow_origin;
  config.listen.address = g_strdup (sink->address);
  config.listen.port = sink->port;
  config.listen.listen_backlog = sink->listen_backlog;
  config.listen.paths.viewer = g_strdup (sink->viewer_path);
  config.listen.paths.stream = g_strdup (sink->stream_path);
  config.listen.paths.snapshot = g_strdup (sink->snapshot_path);
  if (sink->serve_stats) {
    config.listen.paths.stats = g_strdup (sink->stats_path);
    config.listen.paths.metrics = g_strdup (sink->metrics_path);
    config.listen.paths.events = g_strdup (sink->events_path);
  }
  config.stats = &sink->stats;
  gst_mjpeg_http_sink_get_limits_locked (sink, &limits);
  GST_OBJECT_UNLOCK (sink);

  /* files are read and the certificate tried here, before anything
   * listens, so that a mistake leaves no port bound */
  warnings = g_ptr_array_new_with_free_func (g_free);
  config.access = gst_mjpeg_http_access_new (&settings, warnings, &err);
  for (i = 0; i < warnings->len; i++)
    GST_ELEMENT_WARNING (sink, RESOURCE, SETTINGS, ("%s",
            (const gchar *) g_ptr_array_index (warnings, i)), (NULL));
  g_ptr_array_unref (warnings);
  if (!config.access)
    goto bad_access;
  scheme = config.access->certificate ? "https" : "http";

  /* the server may outlive the state change that stops it, when a handler
   * of its own signals stops the pipeline: it holds the element */
  server = gst_mjpeg_http_server_start (&config, &limits, &callbacks,
      gst_object_ref (sink), gst_object_unref, &err);
  if (!server)
    goto start_failed;

  port = gst_mjpeg_http_server_get_port (server);
  g_mutex_lock (&sink->stats_lock);
  GST_OBJECT_LOCK (sink);
  sink->server = server;
  sink->current_port = port;
  /* a limit set while the server started was not passed on yet */
  gst_mjpeg_http_sink_get_limits_locked (sink, &limits);
  gst_mjpeg_http_server_set_limits (server, &limits);
  /* frame numbers only grow while the server runs, also across idle READY:
   * clients compare them to skip what they already have */
  sink->frame_number = 0;
  GST_OBJECT_UNLOCK (sink);
  g_mutex_unlock (&sink->stats_lock);
  g_object_notify_by_pspec (G_OBJECT (sink), properties[PROP_CURRENT_PORT]);

  host = url_host (config.listen.address);
  url = g_strdup_printf ("%s://%s:%u%s", scheme, host, port,
      config.listen.paths.viewer);
  stream_url = g_strdup_printf ("%s://%s:%u%s", scheme, host, port,
      config.listen.paths.stream);
  snapshot_url = g_strdup_printf ("%s://%s:%u%s", scheme, host, port,
      config.listen.paths.snapshot);
  GST_INFO_OBJECT (sink, "serving on %s (stream %s)", url, stream_url);
  listening = gst_structure_new ("mjpeghttpsink-listening",
      "url", G_TYPE_STRING, url,
      "stream-url", G_TYPE_STRING, stream_url,
      "snapshot-url", G_TYPE_STRING, snapshot_url,
      "address", G_TYPE_STRING, config.listen.address, NULL);
  set_urls_field (listening, config.listen.address, url, scheme, port,
      config.listen.paths.viewer);
  /* last: pipelines/lib.sh reads it at the end of gst-launch-1.0 -m's line */
  gst_structure_set (listening, "port", G_TYPE_INT, (gint) port, NULL);
  gst_element_post_message (GST_ELEMENT (sink),
      gst_message_new_element (GST_OBJECT (sink), listening));
  g_free (host);
  g_free (url);
  g_free (stream_url);
  g_free (snapshot_url);

  g_free ((gchar *) config.listen.address);
  gst_mjpeg_http_paths_clear (&config.listen.paths);
  return TRUE;

  /* ERRORS */
bad_access:
  {
    /* a file's trouble (missing, unreadable, wrong content) or a setting's */
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
      GST_ELEMENT_ERROR (sink, RESOURCE, SETTINGS, ("%s", err->message),
          (NULL));
    else
      GST_ELEMENT_ERROR (sink, RESOURCE, OPEN_READ, ("%s", err->message),
          (NULL));
    g_error_free (err);
    g_free ((gchar *) config.listen.address);
    gst_mjpeg_http_paths_clear (&config.listen.paths);
    GST_OBJECT_LOCK (sink);
    sink->listening_taken = FALSE;
    GST_OBJECT_UNLOCK (sink);
    return FALSE;
  }
start_failed:
  {
    if (g_error_matches (err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
      GST_ELEMENT_ERROR (sink, RESOURCE, OPEN_WRITE,
          ("Could not listen on %s port %u: port %u is in use. Choose "
              "another port with port=..., or port=0 for any free port.",
              config.listen.address, config.listen.port, config.listen.port),
          ("%s", err->message));
    } else {
      GST_ELEMENT_ERROR (sink, RESOURCE, OPEN_WRITE,
          ("Could not listen on %s port %u: %s", config.listen.address,
              config.listen.port, err->message), (NULL));
    }
    g_error_free (err);
    g_free ((gchar *) config.listen.address);
    gst_mjpeg_http_paths_clear (&config.listen.paths);
    GST_OBJECT_LOCK (sink);
    sink->listening_taken = FALSE;
    GST_OBJECT_UNLOCK (sink);
    return FALSE;
  }
}

static void
gst_mjpeg_http_sink_stop_server (GstMjpegHttpSink * sink)
{
  GstMjpegHttpServer *server;

  g_mutex_lock (&sink->stats_lock);
  GST_OBJECT_LOCK (sink);
  server = g_steal_pointer (&sink->server);
  sink->current_port = 0;
  GST_OBJECT_UNLOCK (sink);
  g_mutex_unlock (&sink->stats_lock);

  /* no idle callback can come any more once the server thread is gone */
  if (server)
    gst_mjpeg_http_server_stop (server);

  GST_OBJECT_LOCK (sink);
  gst_clear_object (&sink->pipeline);
  sink->idled_to = GST_STATE_VOID_PENDING;
  sink->listening_taken = FALSE;
  GST_OBJECT_UNLOCK (sink);

  if (server)
    g_object_notify_by_pspec (G_OBJECT (sink), properties[PROP_CURRENT_PORT]);
}

static void
gst_mjpeg_http_sink_set_playing (GstMjpegHttpSink * sink, gboolean playing)
{
  GST_OBJECT_LOCK (sink);
  if (sink->server)
    gst_mjpeg_http_server_set_playing (sink->server, playing);
  GST_OBJECT_UNLOCK (sink);
}

static GstStateChangeReturn
gst_mjpeg_http_sink_change_state (GstElement * element,
    GstStateChange transition)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_mjpeg_http_sink_start_server (sink))
        return GST_STATE_CHANGE_FAILURE;
      GST_OBJECT_LOCK (sink);
      sink->stopping = FALSE;
      GST_OBJECT_UNLOCK (sink);
      gst_mjpeg_http_sink_watch_bus (sink);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      gst_mjpeg_http_sink_set_playing (sink, TRUE);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      gst_mjpeg_http_sink_set_playing (sink, FALSE);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      /* the parent class refused: nothing may stay bound */
      if (ret == GST_STATE_CHANGE_FAILURE) {
        gst_mjpeg_http_sink_unwatch_bus (sink);
        gst_mjpeg_http_sink_stop_server (sink);
      }
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      if (ret == GST_STATE_CHANGE_FAILURE)
        gst_mjpeg_http_sink_set_playing (sink, FALSE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* the stream ends: the next one may idle again. Once stopping, the
       * sink itself sets READY no more, and a stop request waits for an
       * idle change under way to end before it sets @stopping. */
      GST_OBJECT_LOCK (sink);
      sink->stopping = FALSE;
      GST_OBJECT_UNLOCK (sink);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL:
      gst_mjpeg_http_sink_unwatch_bus (sink);
      gst_mjpeg_http_sink_stop_server (sink);
      break;
    default:
      break;
  }

  return ret;
}

static GstStructure *
gst_mjpeg_http_sink_get_stats (GstMjpegHttpSink * sink)
{
  GstMjpegHttpSourceFigures none = { 0, };
  GstStructure *report = NULL;
  GstMjpegHttpServer *current = gst_mjpeg_http_server_get_current ();
  gboolean ours;

  GST_OBJECT_LOCK (sink);
  ours = current && current == sink->server;
  GST_OBJECT_UNLOCK (sink);
  if (ours) {
    /* a handler on our server thread: the server lives until it returns,
     * and a stop_server() waiting for stats_lock would wait for it */
    report = gst_mjpeg_http_server_get_stats (current);
  } else {
    g_mutex_lock (&sink->stats_lock);
    /* the pointer only changes under stats_lock too */
    if (sink->server)
      report = gst_mjpeg_http_server_get_stats (sink->server);
    g_mutex_unlock (&sink->stats_lock);
  }
  if (!report)
    report = gst_mjpeg_http_report_new (&sink->stats, NULL, &none);
  return report;
}

/* A frame of a live source goes out as soon as it is here. Synced, it
 * would wait for its running time plus the pipeline's latency: a live
 * source reports a frame's duration, and the sink adds its processing
 * deadline, so each frame waited 53 ms at 30 fps (measured from
 * mjpeghttpstamp's capture time with bench/mjpeg-delay) for nothing, as
 * there is no other sink to keep in step with. A non-live source (a
 * folder, a file) is still paced by its timestamps. */
static void
gst_mjpeg_http_sink_get_times (GstBaseSink * bsink, GstBuffer * buffer,
    GstClockTime * start, GstClockTime * end)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (bsink);

  if (g_atomic_int_get (&sink->live)) {
    *start = *end = GST_CLOCK_TIME_NONE;
    return;
  }
  GST_BASE_SINK_CLASS (parent_class)->get_times (bsink, buffer, start, end);
}

/* The pipeline asks each sink element for its latency when it goes to
 * PLAYING and when the latency changes: then is when upstream may have
 * become live or stopped being so. */
static gboolean
gst_mjpeg_http_sink_query (GstElement * element, GstQuery * query)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (element);
  gboolean ret, syncing, upstream_live;

  ret = GST_ELEMENT_CLASS (parent_class)->query (element, query);
  /* the answer's "live" only says that the sink syncs: ask again for
   * upstream's */
  if (ret && GST_QUERY_TYPE (query) == GST_QUERY_LATENCY &&
      gst_base_sink_query_latency (GST_BASE_SINK (sink), &syncing,
          &upstream_live, NULL, NULL))
    g_atomic_int_set (&sink->live, syncing && upstream_live);
  return ret;
}

static GstFlowReturn
gst_mjpeg_http_sink_render (GstBaseSink * bsink, GstBuffer * buffer)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (bsink);
  GstMjpegHttpFrame *frame;

  frame = gst_mjpeg_http_frame_new (buffer, ++sink->frame_number,
      g_get_real_time ());
  if (!frame)
    goto map_failed;

  gst_mjpeg_http_server_push (sink->server, frame);
  gst_mjpeg_http_frame_unref (frame);
  return GST_FLOW_OK;

  /* ERRORS */
map_failed:
  {
    GST_ELEMENT_ERROR (sink, RESOURCE, READ, ("Could not read a frame."),
        ("failed to map a buffer of %" G_GSIZE_FORMAT " bytes",
            gst_buffer_get_size (buffer)));
    return GST_FLOW_ERROR;
  }
}

static gboolean
gst_mjpeg_http_sink_event (GstBaseSink * bsink, GstEvent * event)
{
  GstMjpegHttpSink *sink = GST_MJPEG_HTTP_SINK (bsink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    /* a seek after the end of stream: the stream goes on */
    GST_OBJECT_LOCK (sink);
    sink->stopping = FALSE;
    GST_OBJECT_UNLOCK (sink);
  }
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS) {
    /* other branches may still be finishing (a recorder after a tee) */
    gst_mjpeg_http_sink_stop_requested (sink, "end of stream", FALSE);
    if (!gst_mjpeg_http_server_eos (sink->server, EOS_FLUSH_TIMEOUT))
      GST_WARNING_OBJECT (sink, "some clients did not take the end of the "
          "stream in time");
  }

  return GST_BASE_SINK_CLASS (parent_class)->event (bsink, event);
}
