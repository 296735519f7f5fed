// mjpeghttp browser tests: shared helpers (child processes, headless
// Chromium through playwright-core, a tiny test runner).
//
// Everything runs on 127.0.0.1. Every process started here is killed on
// exit, on SIGINT/SIGTERM and when the overall time limit is reached.

import { spawn } from 'node:child_process';
import {
  accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.MJPEGHTTP_SOURCE_DIR
  || path.resolve(HERE, '..', '..');
export const BUILD_DIR = process.env.MJPEGHTTP_BUILD_DIR
  || path.join(SOURCE_DIR, 'build');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const PYTHON = process.env.MJPEGHTTP_PYTHON || '/usr/bin/python3';

// The flags this closed network needs (see docs/browser-latency.md).
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// meson's test_env sets GST_PLUGIN_PATH_1_0; by hand, fall back to the
// build tree.
export function gstEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  if (!env.GST_PLUGIN_PATH_1_0 && !env.GST_PLUGIN_PATH)
    env.GST_PLUGIN_PATH = path.join(BUILD_DIR, 'gst');
  return env;
}

// ---- child processes -----------------------------------------------------

const children = new Set();

// A child whose stdout lines can be awaited: child.waitLine(re, ms).
export function startProcess(cmd, args, { env, name } = {}) {
  const child = spawn(cmd, args, {
    env: env || process.env, stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.label = name || path.basename(cmd);
  child.lines = [];
  child.stderrText = '';
  child.waiters = [];
  children.add(child);
  child.on('exit', (code, signal) => {
    children.delete(child);
    child.exited = { code, signal };
    for (const w of child.waiters.splice(0))
      w.reject(new Error(`${child.label} exited (code ${code}, signal `
        + `${signal}) while waiting for ${w.re}; stderr:\n`
        + child.stderrText.slice(-2000)));
  });
  child.on('error', (err) => {
    for (const w of child.waiters.splice(0))
      w.reject(new Error(`${child.label}: ${err.message}`));
  });
  child.stderr.on('data', (d) => {
    child.stderrText = (child.stderrText + d).slice(-20000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    child.lines.push({ line, t: Date.now() });
    for (const w of [...child.waiters]) {
      const m = line.match(w.re);
      if (m) {
        child.waiters.splice(child.waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(m);
      }
    }
  });
  // Resolves with the match of the first line, from index @from on, that
  // matches @re.
  child.waitLine = (re, ms, from = 0) => {
    for (const { line } of child.lines.slice(from)) {
      const m = line.match(re);
      if (m)
        return Promise.resolve(m);
    }
    if (child.exited)
      return Promise.reject(new Error(`${child.label} has exited; stderr:\n`
        + child.stderrText.slice(-2000)));
    return new Promise((resolve, reject) => {
      const w = { re, resolve, reject };
      w.timer = setTimeout(() => {
        child.waiters.splice(child.waiters.indexOf(w), 1);
        reject(new Error(`${child.label}: no line matching ${re} within `
          + `${ms} ms; stderr:\n${child.stderrText.slice(-2000)}`));
      }, ms);
      child.waiters.push(w);
    });
  };
  return child;
}

export async function stopProcess(child, ms = 3000) {
  if (!child || child.exited)
    return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await gone;
  clearTimeout(timer);
}

// Also Chromium, which playwright-core started as our direct child: its
// helpers go once it is gone.
function killChildrenNow() {
  for (const child of children)
    child.kill('SIGKILL');
  let pids = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid)
        process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

// ---- Chromium ------------------------------------------------------------

let playwright = null;

async function loadPlaywright() {
  if (playwright)
    return playwright;
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 20)
    throw new Error(`node ${process.versions.node} is too old: `
      + 'playwright-core 1.65 needs node >= 20 (Debian 12 ships 18)');
  try {
    playwright = await import('playwright-core');
  } catch (err) {
    throw new Error('playwright-core is not installed in '
      + `${HERE}/node_modules (${err.code || err.message}). Install it with: `
      + `cd ${path.resolve(HERE, '..', '..')} && npm ci --prefix `
      + `${path.relative(path.resolve(HERE, '..', '..'), HERE)}`);
  }
  return playwright;
}

function checkChromium() {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`Chromium is not installed at ${CHROMIUM}. Install it `
      + 'with: apt-get install -y chromium (or set CHROMIUM=/path/to/it)');
  }
}

const browsers = new Set();

// A persistent context on a new, empty --user-data-dir, removed on close.
export async function launchChromium() {
  checkChromium();
  const { chromium } = await loadPlaywright();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'mjpeghttp-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 800, height: 600 },
      timeout: 30000,
      handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw new Error(`could not start ${CHROMIUM}: ${err.message}`);
  }
  const entry = { context, userDataDir };
  browsers.add(entry);
  context.shutdown = async () => {
    browsers.delete(entry);
    await Promise.race([context.close().catch(() => {}), sleep(10000)]);
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return context;
}

// ---- checks and the runner -----------------------------------------------

export function check(cond, message) {
  if (!cond)
    throw new Error(message);
}

const tests = [];

export function test(name, fn) {
  tests.push({ name, fn });
}

async function cleanup() {
  for (const entry of [...browsers]) {
    await entry.context.shutdown();
  }
  await Promise.all([...children].map((c) => stopProcess(c)));
}

// Runs the tests one after the other; exits non-zero if any failed or if
// the whole run takes longer than @limitMs.
export async function run({ limitMs = 100000 } = {}) {
  let passed = 0, failed = 0;
  const bail = (why) => {
    console.log(`not ok - ${why}`);
    killChildrenNow();
    for (const { userDataDir } of browsers)
      rmSync(userDataDir, { recursive: true, force: true });
    console.log(`${passed} passed, ${failed + 1} failed`);
    process.exit(1);
  };
  const limit = setTimeout(() => bail(`time limit of ${limitMs} ms reached`),
    limitMs);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
    process.on(sig, () => bail(`got ${sig}`));
  process.on('exit', killChildrenNow);

  for (const { name, fn } of tests) {
    const t0 = Date.now();
    try {
      await fn();
      passed++;
      console.log(`ok - ${name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      console.log(`not ok - ${name} (${Date.now() - t0} ms)`);
      console.log(String(err && err.stack || err).replace(/^/gm, '  # '));
    } finally {
      await cleanup();
    }
  }
  clearTimeout(limit);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
