// mjpeghttp browser test: the viewer page in headless Chromium.
//
//   gst-launch-1.0 videotestsrc is-live=true pattern=ball
//     ! video/x-raw,width=320,height=240,framerate=15/1 ! jpegenc
//     ! mjpeghttpsink address=127.0.0.1 port=0
//
// opens http://127.0.0.1:PORT/, waits for the picture, checks the size
// label says 320×240 and that the picture moves: two looks 1 s apart, each
// a hash of the <img>'s pixels (drawn into a canvas) and a screenshot of
// the <img>, must differ. A control run with a still pattern (checkers-8)
// must come out as "unchanged", which shows the check can fail.
//
// Run: node tests/browser/viewer.mjs (after ninja -C build and
// npm ci --prefix tests/browser), or meson test -C build browser-viewer.

import { createHash } from 'node:crypto';
import {
  check, gstEnv, launchChromium, run, sleep, startProcess, stopProcess, test,
} from './lib.mjs';

async function startPipeline(pattern) {
  const gst = startProcess('gst-launch-1.0', ['-m',
    'videotestsrc', 'is-live=true', `pattern=${pattern}`, '!',
    'video/x-raw,width=320,height=240,framerate=15/1', '!', 'jpegenc', '!',
    'mjpeghttpsink', 'address=127.0.0.1', 'port=0'],
  { env: gstEnv(), name: `gst-launch (${pattern})` });
  const m = await gst.waitLine(/mjpeghttpsink-listening.*port=\(int\)(\d+)/,
    20000);
  return { gst, port: Number(m[1]) };
}

// The <img>'s current picture: a hash of its pixels and of a screenshot.
async function look(page) {
  const pixels = await page.evaluate(() => {
    const img = document.getElementById('stream');
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let h = 0x811c9dc5, min = 255, max = 0;
    for (let i = 0; i < d.length; i++) {
      h = Math.imul(h ^ d[i], 0x01000193) >>> 0;
      if ((i & 3) !== 3) {
        if (d[i] < min) min = d[i];
        if (d[i] > max) max = d[i];
      }
    }
    return { hash: h.toString(16), min, max, w: c.width, h: c.height };
  });
  const shot = await page.locator('#stream').screenshot({ timeout: 10000 });
  pixels.shot = createHash('sha256').update(shot).digest('hex').slice(0, 16);
  return pixels;
}

async function watchViewer(pattern) {
  const { gst, port } = await startPipeline(pattern);
  const context = await launchChromium();
  try {
    const page = await context.newPage();
    const url = `http://127.0.0.1:${port}/`;
    await page.goto(url, { timeout: 15000, waitUntil: 'domcontentloaded' });
    const src = await page.getAttribute('#stream', 'src');
    check(/\/stream\?advance_headers=1$/.test(src),
      `the viewer's <img> has src="${src}", not /stream?advance_headers=1`);
    await page.waitForFunction(() => {
      const img = document.getElementById('stream');
      return img.complete && img.naturalWidth > 0
        && /^\d+\u00d7\d+$/.test(document.getElementById('size').textContent);
    }, null, { timeout: 15000 }).catch(async () => {
      throw new Error('the picture did not load within 15 s; size label: '
        + JSON.stringify(await page.textContent('#size')));
    });
    const label = await page.textContent('#size');
    const first = await look(page);
    await sleep(1000);
    const second = await look(page);
    if (gst.exited)
      throw new Error(`the pipeline exited: ${gst.stderrText}`);
    console.log(`  # ${pattern}: ${url} label "${label}", pixels `
      + `${first.hash} -> ${second.hash}, screenshot ${first.shot} -> `
      + `${second.shot}, values ${first.min}..${first.max}`);
    return { label, first, second };
  } finally {
    await context.shutdown();
    await stopProcess(gst);
  }
}

test('viewer shows the live 320x240 stream and it moves', async () => {
  const { label, first, second } = await watchViewer('ball');
  check(label === '320\u00d7240', `size label is "${label}", not 320×240`);
  check(first.w === 320 && first.h === 240,
    `the image is ${first.w}x${first.h}, not 320x240`);
  check(first.max - first.min > 64,
    `the picture is flat (values ${first.min}..${first.max}): no ball`);
  check(first.hash !== second.hash,
    `the picture did not change in 1 s (pixel hash ${first.hash}): frozen`);
  check(first.shot !== second.shot,
    `the screenshot did not change in 1 s (${first.shot}): frozen`);
});

test('control: a still picture counts as frozen', async () => {
  const { label, first, second } = await watchViewer('checkers-8');
  check(label === '320\u00d7240', `size label is "${label}", not 320×240`);
  check(first.hash === second.hash && first.shot === second.shot,
    'a still pattern looked different 1 s later: the frozen-stream check '
    + 'cannot be trusted');
});

await run({ limitMs: 100000 });
