// The viewer page's script, inlined into index.html by
// gst/gstmjpeghttpviewer.c; the page's Content-Security-Policy allows
// exactly this text (by its sha256), so it must not contain the closing
// tag of a script element.
//
// - the picture: the <img> on the stream path, reconnected with back-off
//   (1 s doubling to 30 s, +-25 %) when the stream drops;
// - live figures from the events path (Server-Sent Events), when the sink
//   serves it (serve-stats=true); without it, the picture and the buttons;
// - a snapshot button (downloads snapshot-<time>.jpg) and full screen.
//
// The paths come from data- attributes, where the server put them
// HTML-escaped: never from script text.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const bar = $('bar');
  const view = $('view');
  const img = $('stream');
  const paths = {
    stream: bar.dataset.stream,
    snapshot: bar.dataset.snapshot,
    events: bar.dataset.events,
  };

  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  // frames flowing (per the events) and the picture unchanged for this
  // long, or this many frame intervals if longer: the stream has stalled
  const STALL_MS = 5000;
  const STALL_FRAMES = 5;
  // no status event for this long: no new frame reaches the sink
  const QUIET_MS = 5000;

  // ---- what the state line says ------------------------------------------

  const stateEl = $('state');
  let live = false;             // the <img> has a frame of its current src
  let attempted = false;        // the page has reconnected the stream
  let retryAt = 0;              // when the scheduled reconnection runs
  let retryTimer = null;
  let retryWhy = '';
  let note = '';                // a passing message (a failed snapshot)
  let noteUntil = 0;
  let lastStatusAt = 0;         // Date.now() of the newest status event

  function render () {
    const now = Date.now();
    let text, trouble = true;

    if (note && now < noteUntil)
      text = note;
    else if (retryTimer !== null)
      text = retryWhy + ': reconnecting in ' +
          Math.max(1, Math.ceil((retryAt - now) / 1000)) + ' s\u2026';
    else if (!live)
      text = attempted ? 'reconnecting\u2026' : 'connecting\u2026';
    else if (lastStatusAt && now - lastStatusAt > QUIET_MS)
      text = 'no new frame for ' +
          Math.round((now - lastStatusAt) / 1000) + ' s';
    else {
      text = 'live';
      trouble = false;
    }
    if (stateEl.textContent !== text)
      stateEl.textContent = text;
    stateEl.classList.toggle('trouble', trouble);
  }

  function flash (text) {
    note = text;
    noteUntil = Date.now() + 5000;
    render();
  }

  // ---- the picture and its reconnection ----------------------------------

  const sizeEl = $('size');
  let failures = 0;             // reconnections in a row that got no frame

  function streamUrl () {
    const url = new URL(paths.stream, location.href);
    url.searchParams.set('advance_headers', '1');
    // a new URL, so that nothing cached answers for it
    url.searchParams.set('t', Date.now().toString(36));
    return url.pathname + url.search;
  }

  // While the stream is away the last picture stays, dimmed, on a canvas
  // in place of the <img>, which shows a broken image when an attempt
  // fails (and nothing better while it loads).
  const still = $('still');
  let stillShown = false;

  function freeze () {
    if (!stillShown && img.complete && img.naturalWidth > 0) {
      still.width = img.naturalWidth;
      still.height = img.naturalHeight;
      try {
        still.getContext('2d').drawImage(img, 0, 0);
        stillShown = true;
      } catch (e) {
        // nothing to keep: the view stays empty until a frame comes
      }
    }
    still.hidden = !stillShown;
    img.hidden = true;
  }

  function thaw () {
    stillShown = false;
    still.hidden = true;
    img.hidden = false;
  }

  function reconnect () {
    clearTimeout(retryTimer);
    retryTimer = null;
    live = false;
    attempted = true;
    pictureChanged(null);
    freeze();
    img.src = streamUrl();
    render();
  }

  // The stream dropped, or may have: try again after the back-off.
  function scheduleReconnect (why) {
    if (retryTimer !== null)
      return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** failures);
    // jitter, so that many pages cut off at once do not come back in step
    const wait = Math.min(BACKOFF_MAX_MS, base * (0.75 + 0.5 * Math.random()));
    failures = Math.min(failures + 1, 10);
    live = false;
    freeze();
    retryWhy = why;
    retryAt = Date.now() + wait;
    retryTimer = setTimeout(reconnect, wait);
    render();
  }

  function showNaturalSize () {
    if (img.naturalWidth > 0)
      sizeEl.textContent = img.naturalWidth + '\u00d7' + img.naturalHeight;
  }

  // A tiny copy of the picture, hashed: whether it changed since the last
  // look. The stream is same-origin, so the canvas can be read.
  const canvas = document.createElement('canvas');
  canvas.width = 48;
  canvas.height = 36;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });

  function pictureHash () {
    if (!img.complete || img.naturalWidth === 0)
      return null;
    try {
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      let h = 0x811c9dc5;
      for (let i = 0; i < d.length; i++)
        h = Math.imul(h ^ d[i], 0x01000193);
      return h >>> 0;
    } catch (e) {
      return null;
    }
  }

  let lastHash = null;          // of the picture at the last look
  let changedAt = 0;            // when it last changed, or was asked for
  let statusesSince = 0;        // status events (new frames) since then
  let stalledHash = null;       // the picture when a stall was declared
  let stillHash = null;         // a picture known to be a still scene
  let fps = 0;                  // the source's, from the events

  function pictureChanged (h) {
    lastHash = h;
    changedAt = Date.now();
    statusesSince = 0;
  }

  function onLoad () {
    const h = pictureHash();

    live = true;
    failures = 0;
    thaw();
    // reconnected after a stall and the newest frame is the same picture:
    // the scene is still, not the stream stalled; leave it be
    if (stalledHash !== null && h === stalledHash)
      stillHash = h;
    stalledHash = null;
    pictureChanged(h);
    showNaturalSize();
    render();
  }

  // Chromium fires neither load nor error when a multipart stream ends or
  // stops, nor when a reconnection hangs: the events say whether frames
  // flow, the pixels whether they reach this page.
  function checkStall () {
    if (retryTimer !== null || document.hidden)
      return;
    if (live) {
      const h = pictureHash();
      if (h === null)
        return;
      if (h !== lastHash) {
        pictureChanged(h);
        stillHash = null;
        return;
      }
      if (h === stillHash)
        return;
    }
    const now = Date.now();
    const stallMs = Math.max(STALL_MS, fps > 0 ? STALL_FRAMES * 1000 / fps : 0);
    // status events come only with new frames, at most 4 a second
    if (now - changedAt > stallMs && statusesSince >= 3 &&
        now - lastStatusAt < QUIET_MS) {
      stalledHash = live ? lastHash : null;
      scheduleReconnect(live ? 'no new picture' : 'no picture');
    }
  }

  pictureChanged(null);
  img.addEventListener('load', onLoad);
  img.addEventListener('error', () => scheduleReconnect('stream unavailable'));
  // the first frame may have come, or the stream failed, before this ran
  if (img.complete)
    img.naturalWidth > 0 ? onLoad() : scheduleReconnect('stream unavailable');

  // ---- live figures ------------------------------------------------------

  const figuresEl = $('figures');
  const fpsEl = $('fps');
  const delayEl = $('delay');
  const viewersEl = $('viewers');
  const frameEl = $('frame');
  let viewers = 0;
  let eventsFailures = 0;

  function setViewers (n) {
    viewers = Math.max(0, n);
    viewersEl.textContent = viewers;
  }

  function onStatus (status) {
    const source = status.source || {};
    const now = Date.now();

    lastStatusAt = now;
    statusesSince++;
    fps = source.fps || 0;
    fpsEl.textContent = source.idle ? 'idle' : fps.toFixed(1);
    if (source.width > 0 && source.height > 0)
      sizeEl.textContent = source.width + '\u00d7' + source.height;
    // wall clock here minus wall clock there: only as good as the two
    // clocks agree (the figure's title says so)
    if (source['frame-time'] > 0) {
      const ms = Math.round(now - source['frame-time'] / 1e6);
      delayEl.textContent = ms < -1000 || ms > 60000 ?
          'clocks differ' : ms + ' ms';
    }
    frameEl.textContent = source['frame-number'] || 0;
    setViewers(status.clients || 0);
    figuresEl.hidden = false;
    render();
  }

  function listen (handler) {
    return (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      handler(data);
    };
  }

  function startEvents () {
    const events = new EventSource(paths.events);
    let opened = false;

    events.addEventListener('open', () => {
      opened = true;
      eventsFailures = 0;
      // the server is back: no need to wait out the back-off
      if (retryTimer !== null)
        reconnect();
    });
    events.addEventListener('error', () => {
      // a working connection to the server lost: the stream most likely
      // went with it, which Chromium does not report (the browser retries
      // the events by itself, after the server's retry: time)
      if (opened) {
        scheduleReconnect('connection lost');
        // figures of a server this page no longer hears from
        for (const el of [fpsEl, delayEl, viewersEl])
          el.textContent = '\u2013';
      }
      opened = false;
      // closed for good (an answer other than an event stream): the
      // browser will not retry, so do it here, with back-off
      if (events.readyState === EventSource.CLOSED) {
        const wait = Math.min(BACKOFF_MAX_MS,
            BACKOFF_MIN_MS * 2 ** eventsFailures) * (0.75 + 0.5 * Math.random());
        eventsFailures = Math.min(eventsFailures + 1, 10);
        setTimeout(startEvents, wait);
      }
    });
    events.addEventListener('status', listen(onStatus));
    events.addEventListener('join', listen(() => setViewers(viewers + 1)));
    events.addEventListener('leave', listen(() => setViewers(viewers - 1)));
  }

  if (paths.events && window.EventSource)
    startEvents();

  // ---- snapshot ----------------------------------------------------------

  const two = (n) => String(n).padStart(2, '0');

  // 2026-12-03T21-05-07, local time: a file name on every system
  function stamp (date) {
    return date.getFullYear() + '-' + two(date.getMonth() + 1) + '-' +
        two(date.getDate()) + 'T' + two(date.getHours()) + '-' +
        two(date.getMinutes()) + '-' + two(date.getSeconds());
  }

  const snapshotButton = $('snapshot');

  snapshotButton.addEventListener('click', async () => {
    snapshotButton.disabled = true;
    try {
      const response = await fetch(paths.snapshot, { cache: 'no-store' });
      if (!response.ok)
        throw new Error('the server answered ' + response.status);
      const blob = await response.blob();
      // when the frame reached the server (seconds since the epoch)
      const t = parseFloat(response.headers.get('X-Timestamp'));
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = 'snapshot-' +
          stamp(new Date(t > 0 ? t * 1000 : Date.now())) + '.jpg';
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    } catch (err) {
      flash('snapshot failed: ' + err.message);
    } finally {
      snapshotButton.disabled = false;
    }
  });

  // ---- full screen -------------------------------------------------------

  const fullscreenButton = $('fullscreen');
  const request = view.requestFullscreen || view.webkitRequestFullscreen;
  const exit = document.exitFullscreen || document.webkitExitFullscreen;
  const current = () =>
    document.fullscreenElement || document.webkitFullscreenElement;

  function toggleFullscreen () {
    const done = current() ? exit.call(document) : request.call(view);
    if (done && done.catch)
      done.catch((err) => flash('full screen: ' + err.message));
  }

  function updateFullscreenButton () {
    fullscreenButton.textContent = current() ?
        'Exit full screen' : 'Full screen';
  }

  // hidden where the page cannot have it (iPhone Safari, some frames)
  if ((document.fullscreenEnabled || document.webkitFullscreenEnabled) &&
      request && exit) {
    fullscreenButton.hidden = false;
    fullscreenButton.addEventListener('click', toggleFullscreen);
    $('leave-fullscreen').addEventListener('click', toggleFullscreen);
    view.addEventListener('dblclick', toggleFullscreen);
    document.addEventListener('fullscreenchange', updateFullscreenButton);
    document.addEventListener('webkitfullscreenchange', updateFullscreenButton);
  }

  setInterval(checkStall, 1000);
  // the countdown, to the second
  setInterval(render, 250);
  render();
})();
