/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-mjpeghttpstamp
 * @title: mjpeghttpstamp
 *
 * Gives each frame, right after its source, the identity that
 * mjpeghttpsink serves: its number in the source's order and its capture
 * time. Decoders, filters and encoders carry both along, so a pipeline
 * that decodes, runs a detector and encodes again still serves the
 * source's numbers and times in `X-Frame-Number` and `X-Timestamp`, and a
 * viewer can match each picture to the frame it came from, even when a
 * slow detector drops frames on the way.
 *
 * The capture time is the wall-clock time that matches the buffer's
 * timestamp on the pipeline clock: for a live source such as v4l2src,
 * when the frame was captured; for a file source, when the frame is due.
 * A buffer without a timestamp gets the time it passes. A frame that
 * already has an identity (from mjpeghttpsrc) keeps it.
 *
 * The identity is two buffer metas: a GstReferenceTimestampMeta with the
 * reference `timestamp/x-unix` (nanoseconds since the Unix epoch) and a
 * custom meta `GstMjpegHttpFrameIdMeta` whose structure has a `number`
 * (guint64).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 v4l2src ! image/jpeg ! mjpeghttpstamp ! jpegdec !
 *   videoconvert ! facedetect ! videoconvert ! jpegenc ! mjpeghttpsink
 * ]|
 *
 * Threads: transform_ip() runs on the streaming thread and alone uses
 * @next_number, which the state change resets while no data flows.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpstamp.h"
#include "gstmjpeghttpframeid.h"

GST_DEBUG_CATEGORY_STATIC (gst_mjpeg_http_stamp_debug);
#define GST_CAT_DEFAULT gst_mjpeg_http_stamp_debug

struct _GstMjpegHttpStamp
{
  GstBaseTransform parent;

  guint64 next_number;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

#define gst_mjpeg_http_stamp_parent_class parent_class
G_DEFINE_TYPE (GstMjpegHttpStamp, gst_mjpeg_http_stamp,
    GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE (mjpeghttpstamp, "mjpeghttpstamp",
    GST_RANK_NONE, GST_TYPE_MJPEG_HTTP_STAMP,
    GST_DEBUG_CATEGORY_INIT (gst_mjpeg_http_stamp_debug, "mjpeghttpstamp", 0,
        "Frame numbers and capture times for mjpeghttpsink"));

static GstStateChangeReturn gst_mjpeg_http_stamp_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_mjpeg_http_stamp_transform_ip (GstBaseTransform *
    trans, GstBuffer * buffer);

static void
gst_mjpeg_http_stamp_class_init (GstMjpegHttpStampClass * klass)
{
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "MJPEG HTTP frame stamp", "Filter/Metadata",
      "Numbers each frame and notes its capture time, for mjpeghttpsink's "
      "X-Frame-Number and X-Timestamp", "mjpeghttp developers");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_mjpeg_http_stamp_change_state);
  trans_class->transform_ip =
      GST_DEBUG_FUNCPTR (gst_mjpeg_http_stamp_transform_ip);
}

static void
gst_mjpeg_http_stamp_init (GstMjpegHttpStamp * stamp)
{
  /* not passthrough: the buffer must be writable to take the metas */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (stamp), TRUE);
  stamp->next_number = 1;
}

/* Numbers restart only from NULL: a sink that idles its pipeline to READY
 * and wakes it again goes on with the same count. */
static GstStateChangeReturn
gst_mjpeg_http_stamp_change_state (GstElement * element,
    GstStateChange transition)
{
  GstMjpegHttpStamp *stamp = GST_MJPEG_HTTP_STAMP (element);

  if (transition == GST_STATE_CHANGE_NULL_TO_READY)
    stamp->next_number = 1;
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

/* The wall-clock time of @pts: now, minus how long ago the pipeline clock
 * passed the buffer's running time. */
static gint64
capture_time (GstBaseTransform * trans, GstClockTime pts)
{
  GstElement *element = GST_ELEMENT (trans);
  gint64 now_us = g_get_real_time ();
  GstClockTime running_time, base_time, now;
  GstClock *clock;

  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return now_us;
  running_time = gst_segment_to_running_time (&trans->segment,
      GST_FORMAT_TIME, pts);
  clock = gst_element_get_clock (element);
  if (!clock || !GST_CLOCK_TIME_IS_VALID (running_time)) {
    gst_clear_object (&clock);
    return now_us;
  }
  base_time = gst_element_get_base_time (element);
  now = gst_clock_get_time (clock);
  gst_object_unref (clock);

  return now_us - GST_CLOCK_DIFF (base_time + running_time, now) / GST_USECOND;
}

static GstFlowReturn
gst_mjpeg_http_stamp_transform_ip (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstMjpegHttpStamp *stamp = GST_MJPEG_HTTP_STAMP (trans);
  guint64 number;
  gint64 time_us;

  if (gst_mjpeg_http_frame_id_get (buffer, &number, &time_us))
    return GST_FLOW_OK;

  number = stamp->next_number++;
  time_us = capture_time (trans, GST_BUFFER_PTS (buffer));
  GST_LOG_OBJECT (stamp, "frame %" G_GUINT64_FORMAT " captured at %"
      G_GINT64_FORMAT " us", number, time_us);
  gst_mjpeg_http_frame_id_set (buffer, number, time_us);
  return GST_FLOW_OK;
}
