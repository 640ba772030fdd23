// bench/web_list.mjs (run by bench/web_list.sh): opens the inbox in chromium against a running
// kesu serve and prints {runs, results:[...], breakdown:{...}} as JSON.
//   KESU_URL, BENCH_USER, BENCH_PASSWORD, BENCH_RUNS (default 5)
// Per path: time from navigation start to the first frame with a row on screen ("rows"), and
// with the total ("total": the UI asks for the count after the rows), by the page's clock;
// and the list API call for the rows.
// For the unfiltered first page also where the time goes, from the page's own performance
// entries and marks (kesu:main when the app's modules are evaluated, kesu:rows when the rows
// are rendered) and Chrome's performance metrics (script, style, layout time).
import { launchChromium, DESKTOP } from '../tests/web/lib.mjs';

const base = process.env.KESU_URL;
const RUNS = Number(process.env.BENCH_RUNS) || 5;
const PATHS = [
  { name: 'first page (all records)', query: '' },
  { name: 'filtered: channel + severity', query: 'channel=hotline&severity=high' },
  { name: 'filtered: category + status + date range', query: 'category=物流&status=received,assigned&since=2026-06-01&until=2026-09-30' },
  { name: 'full-text search', query: 'q=退款' },
  { name: 'search + filter', query: 'q=快递&channel=app' },
];
const ROW = '[data-test=list] .el-table__row';

const r = await fetch(base + '/api/v1/auth/login', {
  method: 'POST', headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify({ username: process.env.BENCH_USER, password: process.env.BENCH_PASSWORD }),
});
if (r.status !== 200) throw new Error('login: ' + r.status + ' ' + (await r.text()));
const cookie = /kesu_session=([^;]+)/.exec(r.headers.get('set-cookie'))[1];
const browser = await launchChromium();
const ctx = await browser.newContext(DESKTOP);
await ctx.addCookies([{ name: 'kesu_session', value: cookie, url: base, httpOnly: true, sameSite: 'Strict' }]);
const page = await ctx.newPage();
page.setDefaultTimeout(120000);
const cdp = await ctx.newCDPSession(page);
await cdp.send('Performance.enable');
const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
// warm the browser's cache of the UI's scripts, as for a person who comes back
await page.goto(base + '/inbox');
await page.locator(ROW).first().waitFor();
await page.locator('[data-test=total]').waitFor();

const rowsShown = () => page.locator(ROW).count();
// Checked at every animation frame in the page (locator.waitFor polls from outside, in steps
// of up to 100 ms and more, which would round the times up): the page's clock (ms from
// navigation start) at the first frame that has the rows, and at the first with the total.
const onScreen = async () => {
  const h = await page.waitForFunction((sels) => {
    const w = (window.__seen ||= {});
    for (const [k, s] of Object.entries(sels)) {
      const e = document.querySelector(s);
      if (w[k] === undefined && e && e.getClientRects().length > 0) w[k] = performance.now();
    }
    return w.rows !== undefined && w.total !== undefined && w;
  }, { rows: ROW, total: '[data-test=total]' }, { polling: 'raf' });
  return h.jsonValue();
};
// the rows' request (the count's is limit=1&total=true; before, the rows' request counted too)
const isList = (x) => x.url().includes('/api/v1/feedback?') && !/[?&]limit=1(&|$)/.test(x.url());
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

// the page's own account of one load: ms from navigation start
const inPage = () => page.evaluate(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const assets = res.filter((e) => e.name.includes('/assets/'));
  const list = res.find((e) => e.name.includes('/api/v1/feedback?') && !/[?&]limit=1(&|$)/.test(e.name));
  const count = res.find((e) => e.name.includes('/api/v1/feedback?') && /[?&]limit=1(&|$)/.test(e.name));
  const me = res.find((e) => e.name.includes('/api/v1/auth/me'));
  const mark = (n) => { const m = performance.getEntriesByName(n); return m.length ? m[m.length - 1].startTime : null; };
  return {
    html: nav.responseEnd,
    assets: assets.length ? Math.max(...assets.map((e) => e.responseEnd)) : null,
    assetCount: assets.length,
    assetBytes: assets.reduce((a, e) => a + (e.decodedBodySize || 0), 0),
    main: mark('kesu:main'),
    meStart: me ? me.startTime : null,
    meEnd: me ? me.responseEnd : null,
    listStart: list ? list.startTime : null,
    listEnd: list ? list.responseEnd : null,
    rows: mark('kesu:rows'),
    countEnd: count ? count.responseEnd : null,
  };
});

const results = [];
const breakdown = [];
for (const p of PATHS) {
  const rowsT = [];
  const totalT = [];
  const api = [];
  let rows = 0;
  let total = null;
  for (let i = 0; i < RUNS; i++) {
    await page.goto('about:blank');
    const m0 = await metrics();
    const resp = page.waitForResponse(isList);
    await page.goto(`${base}/inbox${p.query ? '?' + p.query : ''}`, { waitUntil: 'commit' });
    const seen = await onScreen();
    rowsT.push(seen.rows);
    totalT.push(seen.total);
    const tm = (await resp).request().timing();
    api.push(tm.responseEnd - tm.requestStart);
    rows = await rowsShown();
    total = Number((await page.locator('[data-test=total]').innerText()).replace(/[^\d]/g, ''));
    if (!p.query) {
      const m1 = await metrics();
      const d = (k) => (m1[k] - m0[k]) * 1000;
      breakdown.push({ ...(await inPage()), script: d('ScriptDuration'), style: d('RecalcStyleDuration'),
        layout: d('LayoutDuration'), task: d('TaskDuration') });
    }
  }
  const tr = stats(rowsT);
  const tt = stats(totalT);
  results.push({ name: p.name, query: p.query || '(none)', rows, total, median: tr.median, min: tr.min, max: tr.max,
    totalMedian: tt.median, totalMin: tt.min, totalMax: tt.max, api: stats(api).median });
}
// the next page of the unfiltered list (a cursor page, no count)
{
  const times = [];
  const api = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto(`${base}/inbox`);
    await page.locator(ROW).first().waitFor();
    await page.locator('[data-test=total]').waitFor();
    const resp = page.waitForResponse((x) => x.url().includes('/api/v1/feedback?') && x.url().includes('cursor='));
    const first = await page.locator(ROW).first().innerText();
    const t0 = Date.now();
    await page.locator('[data-test=next]').click();
    await page.waitForFunction(({ sel, f }) => {
      const r = document.querySelector(sel);
      return r && r.innerText !== f;
    }, { sel: ROW, f: first }, { polling: 'raf' });
    times.push(Date.now() - t0);
    const tm = (await resp).request().timing();
    api.push(tm.responseEnd - tm.requestStart);
  }
  results.push({ name: 'next page (click)', query: '(none)', rows: await rowsShown(), total: null, ...stats(times),
    api: stats(api).median });
}
await browser.close();
// the median of each part of the first page's load
const med = {};
for (const k of Object.keys(breakdown[0] || {})) {
  const xs = breakdown.map((b) => b[k]).filter((x) => x !== null && x !== undefined);
  med[k] = xs.length ? stats(xs).median : null;
}
console.log(JSON.stringify({ runs: RUNS, results, breakdown: med }));
