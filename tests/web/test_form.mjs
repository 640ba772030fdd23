// The public feedback form from a phone: a QR code made by `kesu qr`, decoded by zbarimg,
// opened in a phone-sized Chromium, filled in and sent; the receipt leads to the status page.
// The honeypot and a too-fast post are refused and store nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startKesu, launchChromium, shot, watchPage, PHONE, SHOTS, sleep } from './lib.mjs';

let srv, browser;

before(async () => {
  srv = await startKesu();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function formRecords() {
  const r = await srv.api('GET', '/api/v1/feedback?channel=qr&limit=100');
  assert.equal(r.status, 200, r.text);
  return r.json.items;
}

/* The form link inside a QR code: `kesu qr` writes the PNG, zbarimg reads it back. */
function linkFromQr(name, ...ctx) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const png = path.join(SHOTS, name + '.png');
  const q = srv.cli('qr', '--base', srv.base, '--form', 'default', ...ctx, '--out', png);
  assert.equal(q.status, 0, q.stderr);
  const z = spawnSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8' });
  assert.equal(z.status, 0, 'zbarimg found no code: ' + z.stderr);
  return z.stdout.trim();
}

test('a customer sends the form from a phone via the QR link and sees the status', async () => {
  const link = linkFromQr('form-qr', '--store', '上海徐汇店', '--table', 'A12');
  assert.ok(link.startsWith(srv.base + '/f/default?'), link);
  assert.match(decodeURIComponent(link), /store=上海徐汇店/);

  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  const seen = watchPage(page);
  const resp = await page.goto(link);
  assert.equal(resp.status(), 200);
  const opened = Date.now();
  await page.getByRole('heading', { name: '意见反馈' }).waitFor();
  // the link's context is shown to the customer and rides along
  await page.getByText('门店：上海徐汇店').waitFor();
  // laid out for the phone: nothing wider than the screen
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `page is ${width}px wide on a 390px screen`);

  const text = '扫码反馈：服务员上菜太慢，等了四十分钟，汤也是凉的。' + Date.now();
  await page.getByLabel('您遇到的问题或建议').fill(text);
  await page.getByLabel('2 星').check();
  await page.getByLabel('您的称呼（选填）').fill('李雷');
  await page.getByLabel('联系电话（选填，便于回访）').fill('13912345678');
  await shot(page, 'form-phone', { main: true });

  // a person takes longer than the 2 s the server asks for; wait out the rest
  const wait = 2300 - (Date.now() - opened);
  if (wait > 0) await sleep(wait);
  const [post] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: '提交反馈' }).tap(),
  ]);
  assert.equal(post.status(), 201, await post.text());
  await page.getByRole('heading', { name: '感谢您的反馈' }).waitFor();
  const receipt = (await page.locator('.receipt').innerText()).trim();
  assert.match(receipt, /^R[2-9A-HJKMNP-Z]{10}$/);
  await shot(page, 'form-receipt-phone', { main: true });

  // the link on the receipt page leads to the status
  await page.getByRole('link', { name: '查询处理进度' }).tap();
  await page.waitForURL('**/f/status/' + receipt);
  await page.getByRole('heading', { name: '处理进度' }).waitFor();
  await page.getByText('已受理').waitFor();
  await shot(page, 'form-status-phone', { main: true });

  // and a fresh visit with the receipt alone works too
  const again = await page.goto(srv.url('/f/status/' + receipt));
  assert.equal(again.status(), 200);
  assert.ok((await page.content()).includes(receipt));

  // stored once, with the link's context, masked phone and the customer's own words
  const recs = (await formRecords()).filter((r) => r.text === text);
  assert.equal(recs.length, 1);
  assert.equal(recs[0].store, '上海徐汇店');
  assert.equal(recs[0].rating, 2);
  assert.equal(recs[0].phone, '139****5678');
  assert.deepEqual(seen.errors, []);
  await ctx.close();
});

test('the honeypot field filled in (a bot) is refused and nothing is stored', async () => {
  const before = (await formRecords()).length;
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  await page.goto(linkFromQr('form-qr-bot'));
  await page.getByLabel('您遇到的问题或建议').fill('我是机器人发的广告');
  // the field is off-screen for people; a bot fills every input it finds
  await page.locator('input[name=website]').evaluate((el) => {
    el.value = 'http://spam.example';
  });
  await sleep(2300);
  const [post] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: '提交反馈' }).tap(),
  ]);
  assert.equal(post.status(), 400);
  await page.getByRole('heading', { name: '未能提交' }).waitFor();
  await page.getByText('提交未被接受').waitFor();
  await shot(page, 'form-honeypot-phone');
  assert.equal((await formRecords()).length, before);
  await ctx.close();
});

test('a form sent sooner than 2 s after opening is refused and nothing is stored', async () => {
  const before = (await formRecords()).length;
  const ctx = await browser.newContext(PHONE);
  const page = await ctx.newPage();
  await page.goto(linkFromQr('form-qr-fast'));
  await page.getByLabel('您遇到的问题或建议').fill('秒填秒交');
  const [post] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: '提交反馈' }).tap(),
  ]);
  assert.equal(post.status(), 400);
  await page.getByText('提交太快了').waitFor();
  await shot(page, 'form-too-fast-phone');
  // back, wait, send again: accepted
  await page.goBack();
  await sleep(2300);
  await page.getByLabel('您遇到的问题或建议').fill('秒填秒交，稍等后再交');
  const [ok] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.getByRole('button', { name: '提交反馈' }).tap(),
  ]);
  // goBack may restore the page from cache with its first render time: still more than
  // 2 s ago by now, so the post goes through
  assert.equal(ok.status(), 201, await ok.text());
  assert.equal((await formRecords()).length, before + 1);
  await ctx.close();
});
