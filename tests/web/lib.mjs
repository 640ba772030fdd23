// tests/web/lib.mjs: what the browser tests share.
//
//   const srv = await startKesu({demo: 2000});   // real `kesu serve` on 127.0.0.1:<random>
//   srv.url('/f/default'), srv.api('GET', '/api/v1/feedback'), srv.cli('qr', ...)
//   const browser = await launchChromium();        // Debian's /usr/bin/chromium, headless
//   await shot(page, 'form-phone')                 // build/test-logs/screenshots/form-phone.png
//   await srv.stop()                               // SIGTERM; rejects unless kesu exits 0
//
// Environment: KESU_BIN (default build/kesu), KESU_SLOW (timeout multiplier), CHROMIUM
// (default /usr/bin/chromium), KESU_DOCS_SHOTS=1 also copies the shots named as "main" into
// docs/screenshots/.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'web', 'package.json'));
export const { chromium, devices } = require('playwright-core');

export const KESU_BIN = path.resolve(ROOT, process.env.KESU_BIN || 'build/kesu');
export const SLOW = Math.max(1, Number(process.env.KESU_SLOW) || (KESU_BIN.includes('asan') ? 3 : 1));
export const SHOTS = path.join(ROOT, 'build', 'test-logs', 'screenshots');
const DOC_SHOTS = path.join(ROOT, 'docs', 'screenshots');

export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 ' +
    '(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  locale: 'zh-CN',
  timezoneId: 'Asia/Shanghai',
};
export const DESKTOP = {
  viewport: { width: 1440, height: 900 },
  locale: 'zh-CN',
  timezoneId: 'Asia/Shanghai',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function childEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KESU_')) env[k] = v;
  env.ASAN_OPTIONS ??= 'detect_leaks=1:abort_on_error=0:exitcode=86';
  env.UBSAN_OPTIONS ??= 'print_stacktrace=1:halt_on_error=1:exitcode=87';
  env.LC_ALL = 'C.UTF-8';
  return env;
}

/* Runs `kesu --data DIR args...`; returns {status, stdout, stderr} (stdout a Buffer when raw). */
export function kesuCli(dataDir, args, { raw = false } = {}) {
  const p = spawnSync(KESU_BIN, ['--data', dataDir, ...args.map(String)], {
    env: childEnv(),
    encoding: raw ? 'buffer' : 'utf8',
    timeout: 60000 * SLOW,
  });
  if (p.error) throw p.error;
  return { status: p.status, stdout: p.stdout, stderr: raw ? p.stderr.toString() : p.stderr };
}

export class Kesu {
  constructor(tmp, proc, port, key, stderrPath) {
    Object.assign(this, { tmp, proc, port, key, stderrPath });
    this.data = path.join(tmp, 'data');
    this.exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  }

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  url(p) {
    return this.base + p;
  }

  cli(...args) {
    return kesuCli(this.data, args);
  }

  /* One API call with the server's key; returns {status, headers, json, text}. */
  async api(method, p, body, headers = {}) {
    const h = { Authorization: `Bearer ${this.key}`, ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    const r = await fetch(this.url(p), {
      method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let json = null;
    if ((r.headers.get('content-type') || '').includes('json') && text) json = JSON.parse(text);
    return { status: r.status, headers: r.headers, json, text };
  }

  stderr() {
    try {
      return fs.readFileSync(this.stderrPath, 'utf8');
    } catch {
      return '';
    }
  }

  /* SIGTERM; rejects unless the server exits 0 in time (ASan reports show as a nonzero exit). */
  async stop() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
    let timer;
    const timeout = new Promise((r) => (timer = setTimeout(() => r(null), 20000 * SLOW)));
    const res = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (!res) {
      this.proc.kill('SIGKILL');
      throw new Error(`kesu serve did not exit within ${20 * SLOW} s of SIGTERM\n${this.stderr()}`);
    }
    if (!process.env.KESU_KEEP) fs.rmSync(this.tmp, { recursive: true, force: true });
    if (res.code !== 0)
      throw new Error(`kesu serve exited with ${res.code ?? res.sig} after SIGTERM\n${this.stderr()}`);
  }
}

/* Starts `kesu serve` on 127.0.0.1 with a free port and a fresh data dir; demo: records to
 * load on first start (0: none). Resolves once /healthz answers and an API key exists. */
export async function startKesu({ demo = 0, extraArgs = [] } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kesu-web-'));
  const data = path.join(tmp, 'data');
  fs.mkdirSync(data);
  const portFile = path.join(tmp, 'port');
  const stderrPath = path.join(tmp, 'server.stderr');
  const args = ['--data', data, 'serve', '--listen', '127.0.0.1:0', '--port-file', portFile,
    '--threads', '2', ...extraArgs];
  if (demo) args.push('--demo-if-empty', String(demo));
  const err = fs.openSync(stderrPath, 'w');
  const proc = spawn(KESU_BIN, args, { env: childEnv(), stdio: ['ignore', 'ignore', err] });
  fs.closeSync(err);
  const deadline = Date.now() + 60000 * SLOW;
  let port = 0;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null)
      throw new Error(`kesu serve exited with ${proc.exitCode} while starting\n` +
        fs.readFileSync(stderrPath, 'utf8'));
    try {
      const t = fs.readFileSync(portFile, 'utf8');
      if (t.endsWith('\n') && /^\d+$/.test(t.trim())) {
        port = Number(t.trim());
        break;
      }
    } catch {
      /* not yet */
    }
    await sleep(20);
  }
  if (!port) {
    proc.kill('SIGKILL');
    throw new Error('kesu serve wrote no port file\n' + fs.readFileSync(stderrPath, 'utf8'));
  }
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.status === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error('GET /healthz did not answer 200\n' + fs.readFileSync(stderrPath, 'utf8'));
    }
    await sleep(50);
  }
  const k = kesuCli(data, ['apikey', 'create', 'web-test']);
  if (k.status !== 0) throw new Error('apikey create failed: ' + k.stderr);
  const key = k.stdout.trim().split('\n').pop().trim();
  return new Kesu(tmp, proc, port, key, stderrPath);
}

/* Debian's Chromium, headless, as root in a container: no sandbox, no background
 * networking (the machine's closed network refuses Chromium's own connections). */
export async function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: 60000 * SLOW,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-features=Translate,OptimizationHints,MediaRouter',
    ],
  });
}

/* Saves a full-page screenshot as build/test-logs/screenshots/NAME.png; main: also into
 * docs/screenshots/ when KESU_DOCS_SHOTS=1 (the README shows those). */
export async function shot(page, name, { main = false, fullPage = true } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, name + '.png');
  await page.screenshot({ path: file, fullPage });
  if (main && process.env.KESU_DOCS_SHOTS === '1') {
    fs.mkdirSync(DOC_SHOTS, { recursive: true });
    fs.copyFileSync(file, path.join(DOC_SHOTS, name + '.png'));
  }
  return file;
}

/* Collects what must never happen on a page: dialogs (alert from an injected script),
 * uncaught exceptions and failed requests to the server itself. */
export function watchPage(page) {
  const seen = { dialogs: [], errors: [], console: [] };
  page.setDefaultTimeout(10000 * SLOW);
  page.on('dialog', async (d) => {
    seen.dialogs.push(d.message());
    await d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') seen.console.push(m.text());
  });
  return seen;
}

export { sleep };
