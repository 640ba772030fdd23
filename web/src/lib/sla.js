// SLA countdowns: how long until a due time, or how long past it, in words a supervisor
// reads at a glance ("剩余 3小时20分", "超时 1天2小时").

/* 93784000 ms → "1天2小时" (zh) / "1d 2h" (en): the two largest units, minutes at least. */
export function formatDuration(ms, locale = 'zh-CN') {
  const en = locale === 'en';
  let m = Math.floor(Math.abs(ms) / 60000);
  if (m < 1) return en ? '<1m' : '不到1分钟';
  const d = Math.floor(m / 1440);
  m -= d * 1440;
  const h = Math.floor(m / 60);
  m -= h * 60;
  const parts = [];
  if (d) parts.push(en ? `${d}d` : `${d}天`);
  if (h && parts.length < 2) parts.push(en ? `${h}h` : `${h}小时`);
  if (m && parts.length < 2 && !d) parts.push(en ? `${m}m` : `${m}分`);
  return parts.join(en ? ' ' : '');
}

/* The state of one SLA target at time now:
 *   {state: 'none'}                       no due time (or no SLA)
 *   {state: 'met'}                        done in time
 *   {state: 'paused', text}               clock stopped (waiting on the customer)
 *   {state: 'ok'|'warn'|'breached', ms, text}
 * warn: at or after warnAt when given, else within warnMs of the due time. */
export function slaState(target, now, { locale = 'zh-CN', warnMs = 2 * 3600e3, paused = false } = {}) {
  if (!target || !target.due) return { state: 'none', text: '' };
  const en = locale === 'en';
  if (target.met) return { state: 'met', text: en ? 'Met' : '已达标' };
  const due = Date.parse(target.due);
  if (Number.isNaN(due)) return { state: 'none', text: '' };
  const ms = due - now;
  if (paused) return { state: 'paused', ms, text: en ? 'Paused' : '已暂停计时' };
  if (ms < 0 || target.breached)
    return { state: 'breached', ms, text: (en ? 'Overdue ' : '超时 ') + formatDuration(ms, locale) };
  const warnAt = target.warn_at ? Date.parse(target.warn_at) : due - warnMs;
  const state = now >= warnAt ? 'warn' : 'ok';
  return { state, ms, text: (en ? 'Due in ' : '剩余 ') + formatDuration(ms, locale) };
}

/* The target that matters now: the first of acknowledgement, response, resolution not met. */
export function currentTarget(sla) {
  const t = sla && sla.targets;
  if (!t) return null;
  for (const k of ['acknowledgement', 'response', 'resolution'])
    if (t[k] && !t[k].met && t[k].due) return { name: k, ...t[k] };
  return null;
}

/* The list's badge for a case's clock (an object of GET /api/v1/feedback?with_sla=true's sla
 * map, or null) at time now, from the same slaState as the case page, in fewer words:
 *   null                                   no clock, or every target met: no badge
 *   {state: 'ok'|'warn', target, due, text: '剩 2小时13分' / '2h 13m left'}
 *   {state: 'breached', ..., text: '已超时 35分' / 'Overdue 35m'} ('已超时' alone when the due
 *                                           time has moved past now since, by a pause)
 *   {state: 'paused', ..., text: '暂停' / 'Paused'}
 * The list keeps one clock (now) for all its rows and calls this for each. */
export function listBadge(sla, now, locale = 'zh-CN') {
  const target = currentTarget(sla);
  if (!target) return null;
  const en = locale === 'en';
  const st = slaState(target, now, { locale, paused: !!sla.paused });
  const base = { state: st.state, target: target.name, due: target.due };
  switch (st.state) {
    case 'paused':
      return { ...base, text: en ? 'Paused' : '暂停' };
    case 'breached':
      if (st.ms >= 0) return { ...base, text: en ? 'Overdue' : '已超时' };
      return { ...base, text: en ? `Overdue ${formatDuration(st.ms, locale)}` : `已超时 ${formatDuration(st.ms, locale)}` };
    case 'ok':
    case 'warn':
      return { ...base, text: en ? `${formatDuration(st.ms, locale)} left` : `剩 ${formatDuration(st.ms, locale)}` };
    default:
      return null;
  }
}

/* The badges of a page: id → badge (or nothing), for the sla map of the list's reply. A closed
 * case has none: its clock no longer runs (the case page still shows the clock). */
export function listBadges(items, slaMap, now, locale = 'zh-CN') {
  const out = {};
  if (!slaMap) return out;
  for (const r of items) {
    if (r.status && r.status.startsWith('closed')) continue;
    const b = listBadge(slaMap[r.id], now, locale);
    if (b) out[r.id] = b;
  }
  return out;
}

/* How long until the list's clock should tick again: every 30 s while a badge counts, never
 * without one (0). */
export function listTick(badges) {
  for (const k in badges) if (badges[k].state !== 'paused') return 30000;
  return 0;
}
