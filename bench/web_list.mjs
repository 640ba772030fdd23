// bench/web_list.mjs (run by bench/web_list.sh): opens the inbox in chromium against a running
// kesu serve and prints {runs, results:[{name, query, rows, total, median, min, max}]} as JSON.
//   KESU_URL, BENCH_USER, BENCH_PASSWORD, BENCH_RUNS (default 5)
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
// warm the browser's cache of the UI's scripts, as for a person who comes back
await page.goto(base + '/inbox');
await page.locator('[data-test=list] .el-table__row').first().waitFor();

const rowsShown = () => page.locator('[data-test=list] .el-table__row').count();
async function settle() {
  await page.locator('[data-test=list] .el-table__row').first().waitFor();
  await page.locator('[data-test=list] .el-loading-mask').waitFor({ state: 'hidden' }).catch(() => {});
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
};

const results = [];
for (const p of PATHS) {
  const times = [];
  const api = [];
  let rows = 0;
  let total = null;
  for (let i = 0; i < RUNS; i++) {
    await page.goto('about:blank');
    const t0 = Date.now();
    const resp = page.waitForResponse((x) => x.url().includes('/api/v1/feedback?'));
    await page.goto(`${base}/inbox${p.query ? '?' + p.query : ''}`);
    await settle();
    await page.locator('[data-test=total]').waitFor();
    times.push(Date.now() - t0);
    const tm = (await resp).request().timing();
    api.push(tm.responseEnd - tm.requestStart);
    rows = await rowsShown();
    total = Number((await page.locator('[data-test=total]').innerText()).replace(/[^\d]/g, ''));
  }
  results.push({ name: p.name, query: p.query || '(none)', rows, total, ...stats(times), api: stats(api).median });
}
// the next page of the unfiltered list (a cursor page, no count)
{
  const times = [];
  const api = [];
  for (let i = 0; i < RUNS; i++) {
    await page.goto(`${base}/inbox`);
    await settle();
    const resp = page.waitForResponse((x) => x.url().includes('/api/v1/feedback?') && x.url().includes('cursor='));
    const first = await page.locator('[data-test=list] .el-table__row').first().innerText();
    const t0 = Date.now();
    await page.locator('[data-test=next]').click();
    await page.waitForFunction((f) => {
      const r = document.querySelector('[data-test=list] .el-table__row');
      return r && r.innerText !== f;
    }, first);
    times.push(Date.now() - t0);
    const tm = (await resp).request().timing();
    api.push(tm.responseEnd - tm.requestStart);
  }
  results.push({ name: 'next page (click)', query: '(none)', rows: await rowsShown(), total: null, ...stats(times), api: stats(api).median });
}
await browser.close();
console.log(JSON.stringify({ runs: RUNS, results }));
