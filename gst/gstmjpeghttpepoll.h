/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

#ifndef __GST_MJPEG_HTTP_EPOLL_H__
#define __GST_MJPEG_HTTP_EPOLL_H__

#include <glib.h>

G_BEGIN_DECLS

/* Called when some socket of the set has events: the callee reads them
 * with epoll_wait (@epoll_fd, ..., 0). */
typedef void (*GstMjpegHttpEpollFunc) (gint epoll_fd, gpointer user_data);

GSource * gst_mjpeg_http_epoll_source_new (gint priority,
                                           GstMjpegHttpEpollFunc func,
                                           gpointer user_data,
                                           gint * epoll_fd,
                                           GError ** error);

G_END_DECLS

#endif /* __GST_MJPEG_HTTP_EPOLL_H__ */
