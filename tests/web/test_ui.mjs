// The web UI in a real browser against a real kesu serve with demo data: logging in per role,
// entering a complaint, finding it by full-text search, opening it, acting on it; markup in a
// complaint stays text; the dashboard; screenshots of every page at desktop and phone size.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startKesu, launchChromium, shot, watchPage, PHONE, DESKTOP, sleep } from './lib.mjs';
import { label } from '../../web/src/lib/labels.js';

const PASSWORD = 'kesu-demo';
let srv, browser, hasAuth, hasStats;
// one browser context per screen size for the whole file, so the UI's scripts are fetched
// and compiled once (as for a person who comes back); each open() gets a fresh page and
// its own session cookie
const shared = new Map();
const token = 'kesu' + Math.random().toString(36).slice(2, 8).replace(/\d/g, 'q');
const XSS_TITLE = `<img src=x onerror="window.__xss=1;alert('title')">${token} 标题`;
const XSS_TEXT = `快递三天没到，客服电话打不通 ${token} <script>window.__xss=2;alert('text')</script>` +
  `<img src=x onerror="window.__xss=3;alert('img')"> 结尾`;
let createdId = 0;

before(async () => {
  srv = await startKesu({ demo: 1500 });
  browser = await launchChromium();
  const probe = await fetch(srv.url('/api/v1/auth/login'), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"username":"nobody","password":"x"}',
  });
  hasAuth = probe.status !== 404;
  hasStats = (await srv.api('GET', '/api/v1/stats/volume?by=channel&bucket=day')).status === 200;
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

/* A logged-in page. viaForm: through the login page as a person does; else the session is
 * made with the API (the same POST the page sends) and its cookie handed to the browser,
 * which saves the time of typing for tests about other pages. Without accounts on the
 * server: the API key on the login page's key tab. */
async function open(user, device = DESKTOP, { viaForm = false } = {}) {
  if (!shared.has(device)) shared.set(device, await browser.newContext(device));
  const real = shared.get(device);
  await real.clearCookies();
  const page = await real.newPage();
  const ctx = { close: () => page.close(), addCookies: (c) => real.addCookies(c) };
  const seen = watchPage(page);
  if (hasAuth && user && !viaForm) {
    const r = await fetch(srv.url('/api/v1/auth/login'), {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: user, password: PASSWORD }),
    });
    assert.equal(r.status, 200, await r.text());
    const m = /kesu_session=([^;]+)/.exec(r.headers.get('set-cookie') || '');
    assert.ok(m, 'no session cookie');
    await ctx.addCookies([{ name: 'kesu_session', value: m[1], url: srv.base, httpOnly: true, sameSite: 'Strict' }]);
    await page.goto(srv.url('/'));
  } else {
    await page.goto(srv.url('/login'));
    if (hasAuth && user) {
      await page.locator('#login-user').fill(user);
      await page.locator('#login-pass').fill(PASSWORD);
      await page.locator('[data-test=login]').click();
    } else {
      await page.getByRole('tab', { name: '使用 API 密钥' }).click();
      await page.locator('#login-key').fill(srv.key);
      await page.locator('[data-test=login-key]').click();
    }
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  }
  await page.getByText(/^(您好|Hello)/).waitFor();
  return { ctx, page, seen };
}

async function menu(page) {
  return page.locator('.side .el-menu-item').allInnerTexts();
}

function noScriptRan(page, seen) {
  assert.deepEqual(seen.dialogs, [], 'a dialog fired: ' + seen.dialogs.join(', '));
  assert.deepEqual(seen.errors, []);
  return page.evaluate(() => window.__xss).then((v) => assert.equal(v, undefined));
}

test('log in: wrong password refused; each role sees only the pages it may use', async (t) => {
  if (!hasAuth) {
    t.skip('this server has no user accounts (API key login only)');
    return;
  }
  const ctx = await browser.newContext(DESKTOP);
  const page = await ctx.newPage();
  await page.goto(srv.url('/'));
  await page.waitForURL('**/login');
  await page.locator('#login-user').fill('agent');
  await page.locator('#login-pass').fill('wrong-password');
  await page.locator('[data-test=login]').click();
  await page.getByText('用户名或密码不正确').waitFor();
  await ctx.close();

  const expect = {
    agent: { has: ['投诉列表', '新建投诉'], not: ['数据看板'] },
    analyst: { has: ['投诉列表', '数据看板'], not: ['新建投诉'] },
    supervisor: { has: ['投诉列表', '新建投诉', '数据看板'], not: [] },
    auditor: { has: ['首页'], not: ['投诉列表', '新建投诉', '数据看板'] },
  };
  let first = true;
  for (const [user, want] of Object.entries(expect)) {
    const s = await open(user, DESKTOP, { viaForm: first });
    first = false;
    const items = await menu(s.page);
    for (const h of want.has) assert.ok(items.includes(h), `${user} should see ${h}: ${items}`);
    for (const n of want.not) assert.ok(!items.includes(n), `${user} should not see ${n}: ${items}`);
    if (want.not.includes('数据看板')) {
      // typing the address does not help either
      await s.page.goto(srv.url('/dashboard'));
      await s.page.waitForURL((u) => u.pathname === '/');
    }
    await s.ctx.close();
  }
  // log out ends the session: the next visit asks for a login again
  const s = await open('analyst');
  await s.page.locator('[data-test=logout]').click();
  await s.page.waitForURL('**/login');
  await s.page.goto(srv.url('/inbox'));
  await s.page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === '/inbox');
  await s.ctx.close();
});

test('an agent enters a complaint on the New page; the API checks show at the fields', async () => {
  const { ctx, page, seen } = await open('agent');
  await page.locator('.side').getByText('新建投诉').click();
  await page.waitForURL('**/cases/new');
  const posts = [];
  page.on('request', (r) => r.method() === 'POST' && r.url().includes('/api/v1/feedback') && posts.push(r.url()));

  // checked before sending: nothing goes out
  await page.locator('[data-test=nc-submit]').click();
  await page.getByText('必填').first().waitFor();
  await page.locator('[data-test=nc-text]').fill(XSS_TEXT);
  await page.locator('[data-test=nc-phone]').fill('138-abc');
  await page.locator('[data-test=nc-email]').fill('not-an-address');
  await page.locator('[data-test=nc-submit]').click();
  await page.getByText('电话只能包含数字、空格和 + - ( )').waitFor();
  await page.getByText('邮箱格式不正确').waitFor();
  assert.deepEqual(posts, []);

  await page.locator('[data-test=nc-phone]').fill('13812345678');
  await page.locator('[data-test=nc-email]').fill('');
  await page.locator('[data-test=nc-title]').fill(XSS_TITLE);
  await shot(page, 'new-desktop', { main: true });
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/feedback')),
    page.locator('[data-test=nc-submit]').click(),
  ]);
  assert.equal(resp.status(), 201, await resp.text());
  createdId = (await resp.json()).id;
  await page.locator('[data-test=nc-created]').getByText(`#${createdId}`).waitFor();
  await noScriptRan(page, seen);
  await ctx.close();

  // stored as typed (the phone masked), by this user
  const r = await srv.api('GET', `/api/v1/feedback/${createdId}`);
  assert.equal(r.status, 200);
  assert.equal(r.json.text, XSS_TEXT);
  assert.equal(r.json.title, XSS_TITLE);
  assert.equal(r.json.phone, '138****5678');
  assert.equal(r.json.channel, 'hotline');
  if (hasAuth) assert.equal(r.json.created_by, 'user:agent');
});

test('found by full-text search with the match highlighted; markup in it stays text', async () => {
  assert.ok(createdId, 'the previous test made the complaint');
  const { ctx, page, seen } = await open('analyst');
  await page.locator('.side').getByText('投诉列表').click();
  await page.waitForURL('**/inbox');
  await page.locator('[data-test=list] .el-table__row').first().waitFor();
  await page.locator('[data-test=search]').fill(token);
  await page.locator('[data-test=apply]').click();
  await page.waitForURL((u) => u.searchParams.get('q') === token);
  // the search index follows intake by a moment: search again until it is there
  const row = page.locator('[data-test=list] .el-table__row', { hasText: token });
  for (let i = 0; i < 40 && !(await row.count()); i++) {
    await sleep(250);
    await page.locator('[data-test=apply]').click();
  }
  await row.first().waitFor();
  assert.equal(await page.locator('[data-test=list] .el-table__row').count(), 1);
  assert.match(page.url(), new RegExp(`/inbox\\?q=${token}$`));
  // every match marked, nothing else; the markup is shown as the customer typed it
  const marks = await row.locator('mark').allInnerTexts();
  assert.ok(marks.length >= 2 && marks.every((m) => m.toLowerCase() === token), marks.join('|'));
  await row.getByText("<script>window.__xss=2;alert('text')</script>").first().waitFor();
  await row.getByText('<img src=x onerror=').first().waitFor();
  assert.equal(await row.locator('img').count(), 0);
  await page.locator('[data-test=total]').getByText('共 1 条').waitFor();
  await shot(page, 'inbox-search-desktop', { main: true });
  await noScriptRan(page, seen);

  // the filtered list exported: one record, its text as stored, for Excel
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export]').click()]);
  const csv = fs.readFileSync(await dl.path(), 'utf8');
  assert.ok(csv.startsWith('\ufeffid,received_at,channel,status,title,text,'), csv.slice(0, 80));
  const lines = csv.trimEnd().split('\r\n');
  assert.equal(lines.length, 2, csv);
  assert.ok(lines[1].startsWith(`${createdId},`), lines[1]);
  assert.ok(csv.includes(token));

  // open it
  await row.first().click();
  await page.waitForURL(`**/cases/${createdId}`);
  await page.locator('[data-test=case-text]').waitFor();
  assert.equal(await page.locator('[data-test=case-text]').innerText(), XSS_TEXT);
  assert.equal(await page.locator('[data-test=case-heading]').innerText(), XSS_TITLE);
  assert.equal(await page.locator('[data-test=case-phone]').innerText(), '138****5678');
  assert.equal(await page.locator('main img').count(), 0);
  await shot(page, 'case-xss-desktop');
  await noScriptRan(page, seen);

  // a deep link works after a reload (the server answers client routes with the app)
  await page.reload();
  await page.locator('[data-test=case-text]').waitFor();
  await noScriptRan(page, seen);
  await ctx.close();
});

test('a case is moved on from its page and the timeline shows it', async () => {
  assert.ok(createdId);
  // a user who may both read this case and change it: the key, or a supervisor once the case
  // is in their team's queue
  const user = hasAuth ? 'supervisor' : null;
  if (hasAuth) {
    const r = await srv.api('PATCH', `/api/v1/feedback/${createdId}`, { team: 'kefu' });
    assert.equal(r.status, 200, r.text);
  }
  // where it may go: the server's lifecycle when it has one, else any other status
  const before = (await srv.api('GET', `/api/v1/feedback/${createdId}`)).json.status;
  const tr = await srv.api('GET', `/api/v1/feedback/${createdId}/transitions`);
  const to = tr.status === 200 ? tr.json.allowed.find((a) => !a.needs_recourse).to
    : before === 'acknowledged' ? 'investigating' : 'acknowledged';
  const { ctx, page, seen } = await open(user);
  await page.goto(srv.url(`/cases/${createdId}`));
  await page.locator('[data-test=case-status]').getByText(label('zh-CN', 'status', before)).waitFor();
  await page.locator('[data-test=move-to]').click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: label('zh-CN', 'status', to) }).first().click();
  await page.locator('[data-test=move]').click();
  await page.locator('[data-test=case-status]').getByText(label('zh-CN', 'status', to)).waitFor();
  await page.locator('[data-test=timeline]')
    .getByText(`${label('zh-CN', 'status', before)} → ${label('zh-CN', 'status', to)}`).waitFor();
  await page.locator('[data-test=assignee]').fill('agent');
  await page.locator('[data-test=assign]').click();
  await page.locator('[data-test=timeline]').getByText(/→ agent$/).waitFor();
  await shot(page, 'case-desktop', { main: true });
  await noScriptRan(page, seen);
  await ctx.close();
  const r = await srv.api('GET', `/api/v1/feedback/${createdId}`);
  assert.equal(r.json.status, to);
  assert.equal(r.json.assignee, 'agent');
});

test('dashboard: charts drawn from the stats endpoints, or an empty state where there are none', async () => {
  const { ctx, page, seen } = await open('analyst');
  await page.goto(srv.url('/dashboard'));
  const cards = ['volume', 'pareto', 'channels', 'satisfaction', 'sla', 'heatmap'];
  await page.locator('[data-test=dash-heatmap]').waitFor();
  await page.waitForFunction(() => !document.querySelector('.chart-grid .el-loading-mask'));
  if (!hasStats) {
    for (const c of cards)
      await page.locator(`[data-test=dash-${c}]`).getByText('暂无该统计接口').waitFor();
    assert.equal(await page.locator('.el-alert--error').count(), 0);
  } else {
    for (const c of ['volume', 'channels', 'heatmap']) {
      const canvas = page.locator(`[data-test=dash-${c}] canvas`).first();
      await canvas.waitFor();
      // painted: some pixels are not blank
      const painted = await canvas.evaluate((el) => {
        const d = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
        return n;
      });
      assert.ok(painted > 1000, `${c}: ${painted} painted pixels`);
    }
    // drill down: a click on the busiest channel opens the list with that channel
    const box = await page.locator('[data-test=dash-channels] canvas').first().boundingBox();
    await page.mouse.click(box.x + box.width / 2 + box.width * 0.12, box.y + box.height * 0.45);
    await page.waitForURL(/\/inbox\?.*channel=/);
    await page.locator('[data-test=list] .el-table__row').first().waitFor();
    await page.goBack();
  }
  await noScriptRan(page, seen);
  await ctx.close();
});

test('English on request, kept after a reload', async () => {
  const { ctx, page } = await open('analyst');
  await page.locator('[data-test=lang]').click();
  await page.getByText(/^Hello/).waitFor();
  await page.locator('.side').getByText('Complaints').click();
  await page.getByRole('heading', { name: 'Complaints' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Complaints' }).waitFor();
  await shot(page, 'inbox-en-desktop');
  await page.locator('[data-test=lang]').click(); // back to Chinese for the other tests
  await page.getByRole('heading', { name: '投诉列表' }).waitFor();
  await ctx.close();
});

test('screenshots of every page at desktop and phone size', async () => {
  // analysts read every case; entering one is an agent's job
  const pages = [
    ['home', '/', '[data-test^=card-]', 'analyst'],
    ['inbox', '/inbox', '[data-test=list] :is(.el-table__row, .case-card)', 'analyst'],
    ['case', `/cases/${createdId || 1}`, '[data-test=case-text]', 'analyst'],
    ['dashboard', '/dashboard', '[data-test=dash-heatmap]', 'analyst'],
    ['new', '/cases/new', '[data-test=nc-text]', 'agent'],
  ];
  for (const [device, name] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    const ctx0 = await browser.newContext(device);
    const p0 = await ctx0.newPage();
    await p0.goto(srv.url('/login'));
    await p0.locator('#login-user').waitFor();
    await shot(p0, `login-${name}`, { main: name === 'desktop' });
    await ctx0.close();
    for (const user of hasAuth ? ['analyst', 'agent'] : [null]) {
      const { ctx, page, seen } = await open(user, device);
      for (const [what, path, ready, who] of pages) {
        if (hasAuth && who !== user) continue;
        await page.goto(srv.url(path));
        await page.locator(ready).first().waitFor();
        await page.waitForFunction(() => !document.querySelector('.el-loading-mask'));
        await sleep(what === 'dashboard' ? 800 : 150); // chart animations settle
        await shot(page, `${what}-${name}`, { main: true, fullPage: name === 'desktop' });
      }
      if (name === 'phone' && (user === 'analyst' || !hasAuth)) {
        // the menu folds into a drawer on a phone
        assert.equal(await page.locator('.side').count(), 0);
        await page.getByRole('button', { name: /菜单/ }).click();
        await page.locator('.el-drawer').getByText('投诉列表').waitFor();
        await shot(page, 'menu-phone');
      }
      assert.deepEqual(seen.errors, []);
      await ctx.close();
    }
  }
});
