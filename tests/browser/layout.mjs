// mjpeghttp browser test: which frame Chromium shows, and how soon, with
// the two /stream layouts, while the source pushes frames and then pauses.
//
// push_server.py runs appsrc ! videoconvert ! jpegenc ! mjpeghttpsink and
// pushes a solid-colour 320x240 frame when told: red, 1 s later green,
// 1 s later blue, then nothing for PAUSE_MS (the source pauses). The page
// samples the <img> on every requestAnimationFrame (draws it into a
// canvas, same origin, and classifies the colour) and records when the
// colour changes; push-to-paint delay = that time - the time the frame
// reached the sink (both wall clock, same machine; rAF runs every ~16.7 ms,
// so the figures are good to about one display frame).
//
//  (a) viewer layout, /stream?advance_headers=1 (the viewer page as is):
//      must show every frame, blue while the source is paused, each within
//      MAX_DELAY_MS.
//  (b) plain layout, /stream (the viewer page with img.src changed):
//      Chromium paints part N only once part N+1's header block is in
//      (Chromium bug 527446), so it stays one frame behind: green while
//      the source is paused. This is asserted too, as a control that the
//      measurement can tell the layouts apart; if a Chromium update fixes
//      the bug, (b) fails with a message saying so.
//
// After the pause the stream is ended (EOS) and what Chromium shows then is
// printed as well.
//
// Run: node tests/browser/layout.mjs, or meson test -C build browser-layout.

import path from 'node:path';
import {
  HERE, PYTHON, check, gstEnv, launchChromium, run, sleep, startProcess,
  stopProcess, test,
} from './lib.mjs';

const STEP_MS = 1000;           // between two pushes
const PAUSE_MS = 3000;          // the source pauses after blue
const MAX_DELAY_MS = 500;       // (a): push-to-paint bound, generous for CI
const SEQUENCE = ['red', 'green', 'blue'];

// Installs the sampler: window.__mj.changes = [{colour, t}], t in ms since
// the epoch.
function installSampler() {
  const img = document.getElementById('stream');
  const c = document.createElement('canvas');
  c.width = c.height = 8;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  const refs = {
    red: [255, 0, 0], green: [0, 255, 0], blue: [0, 0, 255],
    grey: [128, 128, 128], white: [255, 255, 255], black: [0, 0, 0],
  };
  const S = window.__mj = { changes: [], ticks: 0, last: null };
  function classify() {
    if (!img.naturalWidth)
      return 'none';
    let d;
    try {
      ctx.clearRect(0, 0, 8, 8);
      ctx.drawImage(img, 0, 0, 8, 8);
      d = ctx.getImageData(4, 4, 1, 1).data;
    } catch (e) {
      return 'error:' + e.name;
    }
    let best = 'other', bestDist = 60 * 60 * 3;
    for (const [name, [r, g, b]] of Object.entries(refs)) {
      const dist = (d[0] - r) ** 2 + (d[1] - g) ** 2 + (d[2] - b) ** 2;
      if (dist < bestDist) {
        best = name;
        bestDist = dist;
      }
    }
    return best;
  }
  function tick() {
    S.ticks++;
    const colour = classify();
    if (colour !== S.last) {
      S.changes.push({ colour, t: performance.timeOrigin + performance.now() });
      S.last = colour;
    }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
}

async function measure(layout) {
  const server = startProcess(PYTHON,
    [path.join(HERE, 'push_server.py'), '--lifetime', '60'],
    { env: gstEnv(), name: 'push_server.py' });
  const port = Number((await server.waitLine(/^READY port=(\d+)/, 20000))[1]);
  const context = await launchChromium();
  try {
    const page = await context.newPage();
    // no frame yet, so no load event: the <img> is still loading
    await page.goto(`http://127.0.0.1:${port}/`,
      { timeout: 15000, waitUntil: 'domcontentloaded' });
    await server.waitLine(/^CLIENT\+ /, 10000);
    if (layout === 'plain') {
      const from = server.lines.length;
      await page.evaluate(() => {
        document.getElementById('stream').src = '/stream';
      });
      await server.waitLine(/^CLIENT\+ /, 10000, from);
      // the viewer's own connection goes away; no frame was pushed yet
      await server.waitLine(/^CLIENT- /, 3000, from).catch(() => {});
    }
    const src = await page.evaluate(() =>
      new URL(document.getElementById('stream').src).pathname
      + new URL(document.getElementById('stream').src).search);
    await page.evaluate(installSampler);
    await sleep(300);

    const pushed = {};
    for (const [i, colour] of SEQUENCE.entries()) {
      const from = server.lines.length;
      server.stdin.write(`push ${colour}\n`);
      const m = await server.waitLine(
        new RegExp(`^PUSHED ${colour} \\d+ ([\\d.]+)`), 5000, from);
      pushed[colour] = Number(m[1]);
      await sleep(i < SEQUENCE.length - 1 ? STEP_MS : PAUSE_MS);
    }
    const pauseEnd = await page.evaluate(() =>
      performance.timeOrigin + performance.now());
    const atPause = await page.evaluate(() => window.__mj);

    // end the stream and see what Chromium makes of the closing delimiter
    const eosAt = Date.now();
    server.stdin.write('eos\n');
    await sleep(1500);
    const atEnd = await page.evaluate(() => window.__mj);
    server.stdin.write('quit\n');

    return { layout, src, pushed, pauseEnd, atPause, atEnd, eosAt };
  } finally {
    await context.shutdown();
    await stopProcess(server);
  }
}

// Push-to-paint per colour, what was shown while paused, and a report.
function analyse(r) {
  const { changes } = r.atPause;
  const delays = {};
  for (const colour of SEQUENCE) {
    const seen = changes.find((c) => c.colour === colour
      && c.t >= r.pushed[colour] - 50);
    delays[colour] = seen ? seen.t - r.pushed[colour] : null;
  }
  // the pause: from MAX_DELAY_MS after blue was pushed to the end
  const pauseStart = r.pushed.blue + MAX_DELAY_MS;
  let current = 'none';
  for (const c of changes.filter((c) => c.t <= pauseStart))
    current = c.colour;
  const pausedShown = [...new Set([current, ...changes
    .filter((c) => c.t > pauseStart && c.t <= r.pauseEnd)
    .map((c) => c.colour)])];
  const shownAtPauseEnd = changes.length ? changes[changes.length - 1].colour
    : 'none';
  const afterEos = r.atEnd.changes.slice(changes.length)
    .map((c) => `${c.colour} at EOS+${Math.round(c.t - r.eosAt)} ms`);
  const t0 = r.pushed.red;
  const fmt = (v) => (v === null ? 'not shown' : `${v.toFixed(1)} ms`);
  console.log(`  # ${r.layout} layout (${r.src}), ${r.atPause.ticks} rAF `
    + `samples in ${((r.pauseEnd - t0) / 1000).toFixed(1)} s`);
  console.log(`  #   push-to-paint: ${SEQUENCE.map((c) =>
    `${c} ${fmt(delays[c])}`).join(', ')}`);
  console.log(`  #   colour changes: ${changes.map((c) =>
    `${c.colour}@${c.t < t0 ? 'start' : `+${Math.round(c.t - t0)}`}`)
    .join(' ')} (ms after red was pushed)`);
  console.log(`  #   shown while the source is paused (blue + `
    + `${MAX_DELAY_MS} ms to blue + ${PAUSE_MS} ms): `
    + `${pausedShown.join(', ')}; at the end of the pause: ${shownAtPauseEnd}`);
  console.log(`  #   after EOS: ${afterEos.join(', ') || 'no change'}`);
  return { delays, pausedShown, shownAtPauseEnd, changes };
}

test('(a) viewer layout /stream?advance_headers=1: last frame shown at once',
  async () => {
    const r = await measure('viewer');
    const a = analyse(r);
    check(r.src === '/stream?advance_headers=1',
      `the viewer page's img is ${r.src}`);
    for (const colour of SEQUENCE) {
      check(a.delays[colour] !== null,
        `${colour} was never shown (changes: ${JSON.stringify(a.changes)})`);
      check(a.delays[colour] <= MAX_DELAY_MS, `${colour} took `
        + `${a.delays[colour].toFixed(1)} ms from push to paint `
        + `(limit ${MAX_DELAY_MS} ms)`);
    }
    check(a.shownAtPauseEnd === 'blue' && a.pausedShown.join() === 'blue',
      `while the source was paused Chromium showed ${a.pausedShown.join(', ')}`
      + ', not the last pushed frame (blue)');
  });

test('(b) plain layout /stream: Chromium stays one frame behind', async () => {
  const r = await measure('plain');
  const a = analyse(r);
  check(r.src === '/stream', `the img is ${r.src}`);
  check(a.delays.blue === null && a.shownAtPauseEnd === 'green',
    `with the plain layout Chromium showed ${a.pausedShown.join(', ')} `
    + 'while the source was paused, not green (one frame behind): Chromium '
    + 'bug 527446 may be fixed; update docs/browser-latency.md');
});

await run({ limitMs: 100000 });
