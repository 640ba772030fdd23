// The administration pages and the inbox's views, bulk actions and export, in a real browser
// against a real kesu serve with demo data. Each admin page is used for real: a user is made
// and logs in, a routing rule routes a new complaint, a taxonomy edit classifies one, an API
// key is made and used; an agent sees no admin menu and cannot open its addresses; markup in
// a display name and a rule name stays text. Screenshots of every page, desktop and phone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startKesu, launchChromium, shot, watchPage, PHONE, DESKTOP, sleep } from './lib.mjs';
import { listBadges } from '../../web/src/lib/sla.js';

const PASSWORD = 'kesu-demo';
const token = 'adm' + Math.random().toString(36).slice(2, 8).replace(/\d/g, 'x');
const XSS_NAME = `<img src=x onerror="window.__xss=1;alert('name')">伊芙${token}`;
const XSS_RULE = `<img src=x onerror=window.__xss=2>规${token}`; // names are at most 64 bytes
const ADMIN_PAGES = {
  '/admin/users': '用户与角色', '/admin/teams': '团队与值班', '/admin/taxonomy': '分类体系', '/admin/routing': '分派规则',
  '/admin/sla': 'SLA 策略', '/admin/alerts': '预警规则', '/admin/channels': '渠道与密钥', '/admin/retention': '数据保留',
  '/admin/audit': '审计日志',
};
let srv, browser;

before(async () => {
  srv = await startKesu({ demo: 300 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await srv?.stop();
});

async function login(user, password = PASSWORD) {
  return fetch(srv.url('/api/v1/auth/login'), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password }),
  });
}

/* A page signed in as user (the session made with the API, its cookie handed to the browser). */
async function open(user, device = DESKTOP, path = '/', password = PASSWORD) {
  const ctx = await browser.newContext({ ...device, acceptDownloads: true });
  const page = await ctx.newPage();
  const seen = watchPage(page);
  const r = await login(user, password);
  assert.equal(r.status, 200, await r.text());
  const m = /kesu_session=([^;]+)/.exec(r.headers.get('set-cookie') || '');
  await ctx.addCookies([{ name: 'kesu_session', value: m[1], url: srv.base, httpOnly: true, sameSite: 'Strict' }]);
  await page.goto(srv.url(path));
  return { ctx, page, seen };
}

async function clean(page, seen) {
  assert.deepEqual(seen.dialogs, [], 'a dialog fired: ' + seen.dialogs.join(', '));
  assert.deepEqual(seen.errors, []);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
}

async function pickOption(page, text) {
  await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click();
}

async function menu(page) {
  return page.locator('.side .el-menu-item').allInnerTexts();
}

test('the admin menu and pages only for roles with the permission', async () => {
  const a = await open('admin');
  const items = await menu(a.page);
  for (const label of Object.values(ADMIN_PAGES).filter((l) => l !== '审计日志'))
    assert.ok(items.includes(label), `admin should see ${label}: ${items}`);
  assert.ok(!items.includes('审计日志'), 'the audit log is the auditor\'s');
  await a.ctx.close();

  const ag = await open('agent');
  const agentItems = await menu(ag.page);
  for (const label of Object.values(ADMIN_PAGES)) assert.ok(!agentItems.includes(label), `agent sees ${label}`);
  for (const path of Object.keys(ADMIN_PAGES)) {
    await ag.page.goto(srv.url(path));
    await ag.page.waitForURL((u) => u.pathname === '/');
  }
  await ag.ctx.close();

  const au = await open('auditor');
  assert.deepEqual((await menu(au.page)).filter((i) => Object.values(ADMIN_PAGES).includes(i)), ['审计日志']);
  await au.ctx.close();
});

test('users: create one (markup in the name stays text), they log in; role, disable, unlock; a custom role', async () => {
  const { ctx, page, seen } = await open('admin', DESKTOP, '/admin/users');
  const name = 'eve' + token;
  await page.locator('[data-test=users] .el-table__row').first().waitFor();
  await page.locator('[data-test=new-user]').click();
  await page.locator('[data-test=nu-username]').fill(name);
  await page.locator('[data-test=nu-display]').fill(XSS_NAME);
  await page.locator('[data-test=nu-password]').fill('short');
  await page.locator('[data-test=nu-save]').click();
  await page.locator('[data-test=nu-error]').waitFor();   // the server's check, shown at the form
  await page.locator('[data-test=nu-password]').fill('correct-horse-42');
  await page.locator('[data-test=nu-save]').click();
  const row = page.locator('[data-test=users] .el-table__row', { hasText: name });
  await row.waitFor();
  await row.getByText(XSS_NAME).waitFor();
  assert.equal(await page.locator('main img').count(), 0);
  await clean(page, seen);

  // they log in, through the login page, and see their name as text
  const c2 = await browser.newContext(DESKTOP);
  const p2 = await c2.newPage();
  const s2 = watchPage(p2);
  await p2.goto(srv.url('/login'));
  await p2.locator('#login-user').fill(name);
  await p2.locator('#login-pass').fill('correct-horse-42');
  await p2.locator('[data-test=login]').click();
  await p2.locator('[data-test=who]').getByText(XSS_NAME).waitFor();
  assert.ok((await menu(p2)).includes('投诉列表'), 'an agent');
  await clean(p2, s2);
  await c2.close();

  // role changed to supervisor
  await row.locator(`[data-test=role-${name}]`).click();
  await pickOption(page, 'supervisor');
  await page.getByText('已保存').first().waitFor();
  const users = (await srv.api('GET', '/api/v1/users')).json.items;
  assert.equal(users.find((u) => u.username === name).role, 'supervisor');

  // disabled: no login; enabled again: login
  await row.locator(`[data-test=toggle-${name}]`).click();
  await row.getByText('已停用').waitFor();
  assert.equal((await login(name, 'correct-horse-42')).status, 401);
  await row.locator(`[data-test=toggle-${name}]`).click();
  await row.getByText('正常').waitFor();
  assert.equal((await login(name, 'correct-horse-42')).status, 200);

  // locked by failures, unlocked from the page
  for (let i = 0; i < 6; i++) await login(name, 'wrong-' + i);
  assert.equal((await login(name, 'correct-horse-42')).status, 429);
  await page.reload();
  await row.locator(`[data-test=unlock-${name}]`).click();
  await page.getByText('已保存').first().waitFor();
  assert.equal((await login(name, 'correct-horse-42')).status, 200);

  // a custom role from permissions
  await page.getByRole('tab', { name: '角色' }).click();
  await page.locator('[data-test=new-role]').click();
  await page.locator('[data-test=nr-name]').fill('viewer' + token);
  await page.locator('[data-test=nr-perms]').getByText('feedback:read', { exact: true }).click();
  await page.locator('[data-test=nr-perms]').getByText('stats:read', { exact: true }).click();
  await page.locator('[data-test=nr-save]').click();
  await page.locator('[data-test=roles] .el-table__row', { hasText: 'viewer' + token }).waitFor();
  const role = (await srv.api('GET', '/api/v1/roles')).json.items.find((r) => r.name === 'viewer' + token);
  assert.deepEqual(role.permissions.sort(), ['feedback:read', 'stats:read']);
  await shot(page, 'admin-users-desktop');
  await clean(page, seen);
  await ctx.close();
});

test('routing: a rule added on the page routes the next complaint; its name stays text', async () => {
  const { ctx, page, seen } = await open('admin', DESKTOP, '/admin/routing');
  await page.locator('[data-test=rules] .el-table__row').first().waitFor();
  await page.locator('[data-test=new-rule]').click();
  await page.locator('[data-test=rr-name]').fill(XSS_RULE);
  await page.locator('[data-test=rr-position] input').fill('1');
  await page.locator('[data-test=rr-keywords]').fill(`路由${token}, 另一个词`);
  await page.locator('[data-test=rr-team]').click();
  await pickOption(page, 'quality');
  await page.locator('[data-test=rr-tags]').fill('测试标签');
  await page.locator('[data-test=rr-save]').click();
  const row = page.locator('[data-test=rules] .el-table__row', { hasText: token });
  await row.or(page.locator('[data-test=rr-error]')).first().waitFor();
  assert.equal(await page.locator('[data-test=rr-error]').count(), 0, await page.locator('[data-test=rr-error]').allInnerTexts().then(String));
  await row.getByText(XSS_RULE).waitFor();
  assert.equal(await row.locator('img').count(), 0);
  // first in order
  assert.match(await page.locator('[data-test=rules] .el-table__row').first().innerText(), new RegExp(token));
  const r = await srv.api('POST', '/api/v1/feedback', { channel: 'web', text: `快递没到，路由${token} 请处理` });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.team, 'quality');
  await shot(page, 'admin-routing-desktop');
  await clean(page, seen);
  await ctx.close();
});

test('taxonomy: a category and a keyword rule added in the tree classify the next complaint', async () => {
  const { ctx, page, seen } = await open('admin', DESKTOP, '/admin/taxonomy');
  await page.locator('[data-test=tax-tree]').getByText('物流', { exact: true }).waitFor();
  const cat = '测试类' + token;
  await page.locator('[data-test=tax-add-root]').click();
  await page.locator('.el-message-box input').fill(cat);
  await page.locator('.el-message-box .el-button--primary').click();
  await page.locator('[data-test=tax-tree]').getByText(cat, { exact: true }).click();
  await page.locator('[data-test=tax-selected]').getByText(cat).waitFor();
  await page.locator('[data-test=tax-add-rule]').click();
  await page.locator('[data-test=rule-0] [data-test=rule-any]').fill(`分类${token}，另一词`);
  await page.locator('[data-test=rule-0] [data-test=rule-priority] input').fill('50');
  await page.locator('[data-test=tax-save]').click();
  await page.getByText('已保存').first().waitFor();
  const doc = (await srv.api('GET', '/api/v1/taxonomy')).json;
  const node = doc.categories.find((c) => c.name === cat);
  assert.deepEqual(node.rules, [{ any: [`分类${token}`, '另一词'], priority: 50 }]);
  const r = await srv.api('POST', '/api/v1/feedback', { channel: 'web', text: `我要反映 分类${token} 的问题` });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.category_l1, cat);
  // a bad regex: the server's answer names the member
  await page.locator('[data-test=rule-0]').getByText('正则').waitFor();
  await page.locator('[data-test=rule-0] .el-form-item', { hasText: '正则' }).locator('input').fill('([');
  await page.locator('[data-test=tax-save]').click();
  await page.locator('[data-test=tax-error]').getByText(/categories\[\d+\]\.rules\[0\]\.regex/).waitFor();
  await shot(page, 'admin-taxonomy-desktop');
  await clean(page, seen);
  await ctx.close();
});

test('channels: an API key made on the page is shown once and works; revoked it stops; the form QR', async () => {
  const { ctx, page, seen } = await open('admin', DESKTOP, '/admin/channels');
  await page.locator('[data-test=qr-img]').waitFor();
  assert.ok(await page.locator('[data-test=qr-img]').evaluate((i) => i.complete && i.naturalWidth > 50));
  await page.locator('[data-test=form-store]').fill('上海徐汇店');
  await page.locator('[data-test=form-link]').getByText('/f/default?store=').waitFor();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=qr-png]').click()]);
  const png = fs.readFileSync(await dl.path());
  assert.equal(png.subarray(1, 4).toString(), 'PNG');

  await page.locator('[data-test=new-key-btn]').click();
  await page.locator('[data-test=key-name]').fill('crm' + token);
  await page.locator('[data-test=key-scopes]').fill('feedback:create, feedback:read');
  await page.locator('[data-test=key-save]').click();
  const key = (await page.locator('[data-test=new-key]').innerText()).trim();
  assert.match(key, /^ksk_/);
  const use = (k) => fetch(srv.url('/api/v1/feedback'), {
    method: 'POST', headers: { Authorization: `Bearer ${k}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ channel: 'partner', text: '合作方推送的投诉 ' + token }),
  });
  assert.equal((await use(key)).status, 201);
  await page.reload();
  assert.equal(await page.getByText(key).count(), 0, 'the key is shown once only');
  const row = page.locator('[data-test=keys] .el-table__row', { hasText: 'crm' + token });
  await row.locator(`[data-test=revoke-crm${token}]`).click();
  await page.locator('.el-popconfirm .el-button--primary').click();
  await row.getByText('已吊销').waitFor();
  let status = 0;
  for (let i = 0; i < 30 && status !== 401; i++) {
    status = (await use(key)).status;
    if (status !== 401) await sleep(250);
  }
  assert.equal(status, 401, 'a revoked key is refused within 5 s');
  await shot(page, 'admin-channels-desktop');
  await clean(page, seen);
  await ctx.close();
});

test('teams, SLA, alert rules: changes made on the pages reach the API', async () => {
  const { ctx, page, seen } = await open('admin', DESKTOP, '/admin/teams');
  await page.locator('[data-test=members] .el-table__row', { hasText: 'agent2' }).waitFor();
  await page.locator('[data-test=duty-agent2]').click();
  for (let i = 0; i < 40; i++) {
    const m = (await srv.api('GET', '/api/v1/teams/kefu/members')).json.items.find((x) => x.username === 'agent2');
    if (!m.on_duty) break;
    assert.ok(i < 39, 'agent2 still on duty');
    await sleep(100);
  }
  await page.locator('[data-test=duty-agent2]').click();

  await page.goto(srv.url('/admin/sla'));
  await page.locator('[data-test=policies] .el-table__row').first().waitFor();
  await page.locator('[data-test=new-policy]').click();
  await page.locator('[data-test=sp-name]').fill('p' + token);
  await page.locator('[data-test=sp-ack]').fill('soon');
  await page.locator('[data-test=sp-save]').click();
  await page.locator('[data-test=sp-error]').getByText(/ack/).waitFor();
  await page.locator('[data-test=sp-ack]').fill('2h');
  await page.locator('[data-test=sp-save]').click();
  await page.locator('[data-test=policies] .el-table__row', { hasText: 'p' + token }).waitFor();
  const pol = (await srv.api('GET', '/api/v1/sla/policies')).json.items.find((p) => p.name === 'p' + token);
  assert.equal(pol.ack, 7200);

  await page.goto(srv.url('/admin/alerts'));
  await page.locator('[data-test=alert-rules] .el-table__row').first().waitFor();
  await page.locator('[data-test=new-alert-rule]').click();
  await page.locator('[data-test=ar-name]').fill(XSS_RULE);
  await page.locator('[data-test=ar-params]').fill('{"severities":["critical"]}');
  await page.locator('[data-test=ar-save]').click();
  await page.locator('[data-test=alert-rules] .el-table__row', { hasText: token }).getByText(XSS_RULE).waitFor();
  const rule = (await srv.api('GET', '/api/v1/alerts/rules')).json.items.find((x) => x.name === XSS_RULE);
  assert.deepEqual(rule.params.severities, ['critical']);
  await page.getByRole('tab', { name: '接收方' }).click();
  await page.locator('[data-test=new-receiver]').click();
  await page.locator('[data-test=av-name]').fill('hook' + token);
  await page.locator('[data-test=av-url]').fill('http://127.0.0.1:9/hook');
  await page.locator('[data-test=av-save]').click();
  await page.locator('[data-test=receivers] .el-table__row', { hasText: 'hook' + token }).waitFor();
  await clean(page, seen);
  await ctx.close();
});

test('audit log: entries of the changes above, and the chain verified', async () => {
  const { ctx, page, seen } = await open('auditor', DESKTOP, '/admin/audit');
  await page.locator('[data-test=audit] .el-table__row').first().waitFor();
  while (await page.locator('[data-test=audit-more]').count()) {
    await page.locator('[data-test=audit-more]').click();
    await sleep(200);
  }
  await page.locator('[data-test=audit] .el-table__row', { hasText: 'apikey.create' }).first().waitFor();
  await page.locator('[data-test=audit-verify]').click();
  await page.locator('[data-test=audit-ok]').getByText(/哈希链完整/).waitFor();
  await shot(page, 'admin-audit-desktop');
  await clean(page, seen);
  await ctx.close();
});

test('inbox: paging, filter, saved views, bulk assign, transfer, category, merge, export', async () => {
  const { ctx, page, seen } = await open('supervisor', DESKTOP, '/inbox');
  const rows = page.locator('[data-test=list] .el-table__row');
  await rows.first().waitFor();
  // paging
  const first = await rows.first().innerText();
  await page.locator('[data-test=next]').click();
  await page.getByText('第 2 页').waitFor();
  assert.notEqual(await rows.first().innerText(), first);
  await page.locator('[data-test=prev]').click();
  await page.getByText('第 1 页').waitFor();

  // a filter from the category tree, kept as a saved view
  await page.locator('[data-test=f-category-tree] input').fill('物流');
  await page.locator('.el-cascader__suggestion-item', { hasText: /^物流$/ }).first().click();
  await page.locator('[data-test=apply]').click();
  await page.waitForURL((u) => u.searchParams.get('category') === '物流');
  await page.locator('[data-test=views-btn]').click();
  await page.locator('[data-test=view-save]').click();
  await page.locator('.el-message-box input').fill('物流视图');
  await page.locator('.el-message-box .el-button--primary').click();
  await page.goto(srv.url('/inbox'));
  await rows.first().waitFor();
  await page.locator('[data-test=views-btn]').click();
  await page.locator('[data-test="view-物流视图"]').click();
  await page.waitForURL((u) => u.searchParams.get('category') === '物流');
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('kesu.views')));
  assert.deepEqual(saved, [{ name: '物流视图', query: { category: '物流' } }]);

  // bulk: three cases of the team's queue
  await page.goto(srv.url('/inbox?team=kefu'));
  await rows.first().waitFor();
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(Number((await rows.nth(i).locator('td').nth(1).innerText()).trim()));
  // the list is read again after each action, which clears the selection: tick them again
  const tick = async (want) => {
    await page.locator('[data-test=list] .el-loading-mask').waitFor({ state: 'hidden' }).catch(() => {});
    for (const id of want) {
      const r = rows.filter({ has: page.locator('td:nth-child(2)', { hasText: new RegExp(`^\\s*${id}\\s*$`) }) });
      await r.locator('.el-checkbox').click();
    }
    await page.locator('[data-test=bulk]').getByText(`已选 ${want.length} 条`).waitFor();
  };
  await tick(ids);
  assert.match(page.url(), /\/inbox/, 'ticking a row does not open it');
  await page.locator('[data-test=bulk-assign]').click();
  await page.locator('[data-test=bulk-assignee]').fill('agent2');
  await page.locator('[data-test=bulk-run]').click();
  await page.getByText('成功 3 条').first().waitFor();
  for (const id of ids) assert.equal((await srv.api('GET', `/api/v1/feedback/${id}`)).json.assignee, 'agent2');
  await tick(ids);

  await page.locator('[data-test=bulk-category]').click();
  await page.locator('[data-test=bulk-cat] input').fill('配送延迟');
  await page.locator('.el-cascader__suggestion-item', { hasText: '配送延迟' }).first().click();
  await page.locator('[data-test=bulk-run]').click();
  await page.locator('[data-test=bulk-form]').waitFor({ state: 'hidden' });
  for (const id of ids) {
    const rec = (await srv.api('GET', `/api/v1/feedback/${id}`)).json;
    assert.deepEqual([rec.category_l1, rec.category_l2, rec.category_source], ['物流', '配送延迟', 'manual']);
  }
  await tick(ids);

  await page.locator('[data-test=bulk-merge]').click();
  await page.locator('[data-test=bulk-run]').click();
  await page.locator('[data-test=bulk-form]').waitFor({ state: 'hidden' });
  const keep = Math.min(...ids);
  for (const id of ids.filter((x) => x !== keep))
    assert.equal((await srv.api('GET', `/api/v1/feedback/${id}`)).json.duplicate_of, keep);
  await tick([keep]);

  await page.locator('[data-test=bulk-transfer]').click();
  await page.locator('[data-test=bulk-team]').fill('quality');
  await page.locator('[data-test=bulk-run]').click();
  await page.locator('[data-test=bulk-error]').getByText(/reason/).waitFor();
  await page.locator('[data-test=bulk-reason]').fill('质量问题转质量部');
  await page.locator('[data-test=bulk-run]').click();
  await page.locator('[data-test=bulk-form]').waitFor({ state: 'hidden' });
  assert.equal((await srv.api('GET', `/api/v1/feedback/${keep}`)).json.team, 'quality');

  // export of the filtered list by the server, as Excel
  await page.goto(srv.url('/inbox?category=' + encodeURIComponent('物流')));
  await rows.first().waitFor();
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=export-xlsx]').click()]);
  assert.equal(fs.readFileSync(await dl.path()).subarray(0, 2).toString(), 'PK');
  await shot(page, 'inbox-filtered-desktop');
  await clean(page, seen);
  await ctx.close();
});

test('retention: an admin changes a value, reloads and sees it kept, runs it now; others have no menu item', async () => {
  const { ctx, page, seen } = await open('admin', DESKTOP, '/admin/retention');
  await page.locator('[data-test=ret-status]').waitFor();
  const amount = page.locator('[data-test=ret-pii-n]');
  await amount.fill('18');
  await page.locator('[data-test=ret-pii-unit]').click();
  await pickOption(page, '月（30 天）');
  await page.locator('[data-test=ret-audit-n]').fill('x');
  await page.locator('[data-test=ret-save]').click();
  await page.locator('[data-test=ret-audit] .el-form-item__error').waitFor();   // checked before sending
  await page.locator('[data-test=ret-audit-n]').fill('');
  await page.locator('[data-test=ret-every-n]').fill('24');
  await page.locator('[data-test=ret-save]').click();
  await page.getByText('已保存，立即生效').first().waitFor();
  const got = (await srv.api('GET', '/api/v1/retention')).json;
  assert.equal(got.settings.pii, '18m');
  assert.equal(got.settings.every, '1d');
  assert.equal(got.settings.audit, null);
  await page.reload();
  await page.locator('[data-test=ret-status]').waitFor();
  await page.waitForFunction(() => document.querySelector('[data-test=ret-pii-n]').value === '18');
  assert.match(await page.locator('[data-test=ret-pii-unit]').innerText(), /月/);
  assert.equal(await page.locator('[data-test=ret-every-n]').inputValue(), '1');
  assert.equal(await page.locator('[data-test=ret-audit-n]').inputValue(), '');
  assert.notEqual((await page.locator('[data-test=ret-next]').innerText()).trim(), '不自动执行');
  // run now (nothing of the demo data is 18 months closed): shown as the last run, by admin
  await page.locator('[data-test=ret-run]').click();
  await page.locator('.el-message-box .el-button--primary').click();
  await page.locator('[data-test=ret-last]', { hasText: 'user:admin' }).waitFor();
  await page.locator('[data-test=ret-last]', { hasText: '成功' }).waitFor();
  await shot(page, 'admin-retention-desktop');
  await clean(page, seen);
  await ctx.close();

  for (const user of ['supervisor', 'agent']) {
    const o = await open(user);
    await o.page.locator('.side .el-menu-item').first().waitFor();
    assert.ok(!(await menu(o.page)).includes('数据保留'), `${user} sees the retention menu item`);
    await o.page.goto(srv.url('/admin/retention'));
    await o.page.waitForURL((u) => u.pathname === '/');
    await o.ctx.close();
  }
});

test('inbox: SLA-state filter and server-side sort by column, both in the URL', async () => {
  const { ctx, page, seen } = await open('supervisor', DESKTOP, '/inbox');
  const rows = page.locator('[data-test=list] .el-table__row');
  await rows.first().waitFor();
  const idsOnPage = async () => {
    await page.locator('[data-test=list] .el-loading-mask').waitFor({ state: 'hidden' }).catch(() => {});
    return (await rows.locator('td:nth-child(2)').allInnerTexts()).map((x) => Number(x.trim()));
  };
  // SLA state: the select, the URL, the total the API gives for the same filter
  await page.locator('[data-test=f-sla]').click();
  await pickOption(page, '正常');
  await pickOption(page, '已超时');
  await page.keyboard.press('Escape');
  await page.locator('[data-test=apply]').click();
  await page.waitForURL((u) => u.searchParams.get('sla') === 'ok,breached');
  const want = (await srv.api('GET', '/api/v1/feedback?limit=20&total=true&sla=ok,breached')).json;
  await page.locator('[data-test=total]', { hasText: `共 ${want.total.toLocaleString('zh-CN')} 条` }).waitFor();
  // SLA badges: each row's from the clocks the API gives the page (with_sla=true), counting down
  const withSla = async (locale, pattern) => {
    const got = (await srv.api('GET', '/api/v1/feedback?limit=20&sla=ok,breached&with_sla=true')).json;
    assert.deepEqual(await idsOnPage(), got.items.map((x) => x.id));
    let shown = 0;
    const want = listBadges(got.items, got.sla, Date.now(), locale);
    for (const [i, it] of got.items.entries()) {
      const want1 = want[it.id];
      const badge = rows.nth(i).locator('[data-test=sla-badge]');
      if (!want1) {
        assert.equal(await badge.count(), 0, `case ${it.id} has no clock to count`);
        continue;
      }
      assert.equal(await badge.getAttribute('data-state'), want1.state, `case ${it.id}`);
      assert.match(await badge.innerText(), pattern[want1.state], `case ${it.id}`);
      assert.ok((await badge.getAttribute('title')).length > 0);
      shown++;
    }
    assert.ok(shown > 0, 'a case under an SLA policy shows its badge');
  };
  await withSla('zh-CN', { ok: /^剩 /, warn: /^剩 /, breached: /^已超时/, paused: /^暂停$/ });
  // sort: a header click goes to the server (its first page, not this page re-ordered)
  await page.locator('th.el-table__cell', { hasText: '严重度' }).locator('.caret-wrapper').click();
  await page.waitForURL((u) => u.searchParams.get('sort') === '-severity');
  const bySev = (await srv.api('GET', '/api/v1/feedback?limit=20&sla=ok,breached&sort=-severity')).json.items;
  await page.waitForFunction((n) => document.querySelectorAll('[data-test=list] .el-table__row').length === n, bySev.length);
  assert.deepEqual(await idsOnPage(), bySev.map((x) => x.id));
  await page.locator('[data-test=next]').click();
  await page.getByText('第 2 页').waitFor();
  const cur = (await srv.api('GET', '/api/v1/feedback?limit=20&sla=ok,breached&sort=-severity')).json.next_cursor;
  const page2 = (await srv.api('GET', `/api/v1/feedback?limit=20&sla=ok,breached&sort=-severity&cursor=${encodeURIComponent(cur)}`)).json.items;
  assert.deepEqual(await idsOnPage(), page2.map((x) => x.id));
  await page.locator('th.el-table__cell', { hasText: '优先级' }).locator('.caret-wrapper').click();
  await page.waitForURL((u) => u.searchParams.get('sort') === '-priority' && u.searchParams.get('sla') === 'ok,breached');
  const byPri = (await srv.api('GET', '/api/v1/feedback?limit=20&sla=ok,breached&sort=-priority')).json.items;
  await page.getByText('第 1 页').waitFor();
  assert.deepEqual(await idsOnPage(), byPri.map((x) => x.id));
  // a bookmark of it opens the same list with the header showing the order
  await page.goto(srv.url('/inbox?sort=severity'));
  await rows.first().waitFor();
  await page.locator('th.el-table__cell.ascending', { hasText: '严重度' }).waitFor();
  const asc = (await srv.api('GET', '/api/v1/feedback?limit=20&sort=severity')).json.items;
  assert.deepEqual(await idsOnPage(), asc.map((x) => x.id));
  // the badges in English
  await page.evaluate(() => localStorage.setItem('kesu.locale', 'en'));
  await page.goto(srv.url('/inbox?sla=ok,breached'));
  await rows.first().waitFor();
  await page.locator('th.el-table__cell', { hasText: 'SLA' }).waitFor();
  await withSla('en', { ok: / left$/, warn: / left$/, breached: /^Overdue/, paused: /^Paused$/ });
  await page.evaluate(() => localStorage.setItem('kesu.locale', 'zh-CN'));
  await clean(page, seen);
  await ctx.close();
});

test('inbox on a phone (390×844): tick two cases, the bulk bar fits the screen, assign them', async () => {
  const { ctx, page, seen } = await open('supervisor', PHONE, '/inbox?team=kefu');
  const cards = page.locator('[data-test=list] .case-card');
  await cards.first().waitFor();
  const ids = [];
  for (let i = 0; i < 2; i++) ids.push(Number((await cards.nth(i).getAttribute('data-test')).replace('card-', '')));
  for (const id of ids) await page.locator(`[data-test=pick-${id}]`).click();
  assert.match(page.url(), /\/inbox/, 'ticking a card does not open it');
  const bar = page.locator('[data-test=bulk]');
  await bar.getByText('已选 2 条').waitFor();
  // the bar and each of its buttons lie inside the screen, none clipped or covered
  const vp = page.viewportSize();
  const box = await bar.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= vp.width + 0.5, `bar overflows: ${JSON.stringify(box)}`);
  assert.ok(box.y >= 0 && box.y + box.height <= vp.height + 0.5, `bar off screen: ${JSON.stringify(box)}`);
  for (const b of await bar.locator('button').all()) {
    const bb = await b.boundingBox();
    assert.ok(bb.x >= 0 && bb.x + bb.width <= vp.width + 0.5 && bb.y + bb.height <= vp.height + 0.5,
      `button off screen: ${JSON.stringify(bb)}`);
    assert.ok(bb.height >= 30, 'a button big enough to tap');
    assert.equal(await b.evaluate((el) => el.scrollWidth <= el.clientWidth + 1), true, 'button text overflows');
  }
  // scrolled to the end of the list the bar is still there, and the pager is not under it
  await page.evaluate(() => {
    for (const el of [document.scrollingElement, ...document.querySelectorAll('*')])
      if (el && el.scrollHeight > el.clientHeight) el.scrollTop = el.scrollHeight;
  });
  await sleep(200);
  assert.ok(await bar.isVisible());
  const pager = await page.locator('[data-test=next]').boundingBox();
  assert.ok(pager.y + pager.height <= (await bar.boundingBox()).y + 0.5, 'the pager is hidden under the bar');
  await shot(page, 'inbox-bulk-phone');
  await page.locator('[data-test=bulk-assign]').click();
  await page.locator('[data-test=bulk-assignee]').fill('agent');
  const dlg = await page.locator('.el-dialog').boundingBox();
  assert.ok(dlg.x >= 0 && dlg.x + dlg.width <= vp.width + 0.5, 'the dialog fits the screen');
  await page.locator('[data-test=bulk-run]').click();
  await page.getByText('成功 2 条').first().waitFor();
  for (const id of ids) assert.equal((await srv.api('GET', `/api/v1/feedback/${id}`)).json.assignee, 'agent');
  await bar.waitFor({ state: 'hidden' });   // the list is read again, the ticks cleared
  await clean(page, seen);
  await ctx.close();
});

test('screenshots of every admin page at desktop and phone size', async () => {
  for (const [device, tag] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    for (const user of ['admin', 'auditor']) {
      const { ctx, page, seen } = await open(user, device);
      for (const path of Object.keys(ADMIN_PAGES).filter((p) => (p === '/admin/audit') === (user === 'auditor'))) {
        await page.goto(srv.url(path));
        await page.locator('.page-title').waitFor();
        await page.locator('.el-table__row, .el-tree-node, [data-test=ret-status]').first().waitFor();
        await shot(page, `${path.slice(1).replace('/', '-')}-${tag}`);
      }
      await clean(page, seen);
      await ctx.close();
    }
    const { ctx, page } = await open('supervisor', device, '/inbox');
    await page.locator('[data-test=list]').waitFor();
    await shot(page, `inbox-admin-${tag}`);
    await ctx.close();
  }
});
