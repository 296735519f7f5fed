/* mjpeghttp
 * Copyright (C) 2026 mjpeghttp developers
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */

/* An epoll set polled by one GSource: sockets join the set once, and the
 * main loop polls one descriptor however many sockets there are, instead
 * of walking a source per socket every turn. The set's descriptor lives as
 * long as the source.
 *
 * Threads: the source is dispatched on the thread of the context it is
 * attached to (the server thread); nothing here is shared.
 */

#include "gstmjpeghttpepoll.h"

#include <gio/gio.h>

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

typedef struct
{
  GSource source;
  gint epoll_fd;
  GstMjpegHttpEpollFunc func;
  gpointer user_data;
} EpollSource;

static gboolean
epoll_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  EpollSource *es = (EpollSource *) source;

  es->func (es->epoll_fd, es->user_data);
  return G_SOURCE_CONTINUE;
}

static void
epoll_source_finalize (GSource * source)
{
  close (((EpollSource *) source)->epoll_fd);
}

static GSourceFuncs epoll_source_funcs = {
  NULL, NULL, epoll_source_dispatch, epoll_source_finalize,
};

/* A new epoll set and the source that watches it, not attached yet;
 * @epoll_fd is set to the set's descriptor, for epoll_ctl(). */
GSource *
gst_mjpeg_http_epoll_source_new (gint priority, GstMjpegHttpEpollFunc func,
    gpointer user_data, gint * epoll_fd, GError ** error)
{
  EpollSource *es;
  gint fd;

  fd = epoll_create1 (EPOLL_CLOEXEC);
  if (fd < 0)
    goto no_epoll;

  es = (EpollSource *) g_source_new (&epoll_source_funcs, sizeof (EpollSource));
  es->epoll_fd = fd;
  es->func = func;
  es->user_data = user_data;
  g_source_set_priority (&es->source, priority);
  g_source_add_unix_fd (&es->source, fd, G_IO_IN);
  *epoll_fd = fd;
  return &es->source;

  /* ERRORS */
no_epoll:
  {
    gint errsv = errno;

    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
        "epoll_create1 failed: %s", g_strerror (errsv));
    return NULL;
  }
}
