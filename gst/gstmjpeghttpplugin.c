/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmjpeghttpframeid.h"
#include "gstmjpeghttpsink.h"
#include "gstmjpeghttpsrc.h"
#include "gstmjpeghttpstamp.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  gst_mjpeg_http_frame_id_register ();
  ret |= GST_ELEMENT_REGISTER (mjpeghttpsink, plugin);
  ret |= GST_ELEMENT_REGISTER (mjpeghttpsrc, plugin);
  ret |= GST_ELEMENT_REGISTER (mjpeghttpstamp, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR,
    GST_VERSION_MINOR,
    mjpeghttp,
    "Serves a JPEG stream as MJPEG over HTTP, relays one, and stamps frames",
    plugin_init, VERSION, "LGPL", PACKAGE_NAME, PACKAGE_ORIGIN)
