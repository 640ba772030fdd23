// Logic of the operations pages (case root causes, alerts, CAPA, reports), kept out of the
// components so it can be tested: pure functions, data in, data out. Chart tooltips escape
// every name they show.
import { escapeHtml } from './highlight.js';

/* ---- 5-Why and fishbone ------------------------------------------------------------ */

export const MAX_WHYS = 10;
export const FISHBONE = [
  { key: 'man', zh: '人', en: 'Man' },
  { key: 'machine', zh: '机', en: 'Machine' },
  { key: 'material', zh: '料', en: 'Material' },
  { key: 'method', zh: '法', en: 'Method' },
  { key: 'environment', zh: '环', en: 'Environment' },
  { key: 'measurement', zh: '测', en: 'Measurement' },
];

/* A fresh editor: five empty whys. */
export function newWhys(n = 5) {
  return Array.from({ length: n }, () => '');
}

/* Adds an empty why after index i (at the end without i); at most MAX_WHYS. */
export function addWhy(whys, i = whys.length - 1) {
  if (whys.length >= MAX_WHYS) return whys.slice();
  const out = whys.slice();
  out.splice(i + 1, 0, '');
  return out;
}

/* Removes why i, keeping at least one row. */
export function removeWhy(whys, i) {
  if (whys.length <= 1) return [''];
  return whys.filter((_, k) => k !== i);
}

/* Moves why i one place up (-1) or down (+1). */
export function moveWhy(whys, i, dir) {
  const j = i + dir;
  if (j < 0 || j >= whys.length) return whys.slice();
  const out = whys.slice();
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

/* The body for POST .../root-causes, or {error, field, index} naming what is wrong:
 * whys are trimmed, trailing empty rows dropped; an empty row between answered ones is a
 * gap (the chain must be unbroken); at least one why and a fishbone category are needed. */
export function rootCauseBody({ whys, fishbone, summary = '', verified_by = '', evidence = '' }) {
  const w = (whys || []).map((s) => String(s || '').trim());
  while (w.length && !w[w.length - 1]) w.pop();
  if (!w.length) return { error: 'empty', field: 'whys', index: 0 };
  const gap = w.findIndex((s) => !s);
  if (gap >= 0) return { error: 'gap', field: 'whys', index: gap };
  if (w.length > MAX_WHYS) return { error: 'too_many', field: 'whys', index: MAX_WHYS };
  if (!FISHBONE.some((f) => f.key === fishbone)) return { error: 'required', field: 'fishbone' };
  const body = { whys: w, fishbone };
  if (summary.trim()) body.summary = summary.trim();
  else body.summary = w[w.length - 1]; // the last why is the root cause
  if (verified_by.trim()) body.verified_by = verified_by.trim();
  const ev = String(evidence || '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ev.length) body.evidence = ev;
  return { body };
}

/* The fishbone label of a stored value (English key or the Chinese character). */
export function fishboneLabel(v, locale = 'zh-CN') {
  const f = FISHBONE.find((x) => x.key === v || x.zh === v);
  if (!f) return v || '';
  return locale === 'en' ? f.en : `${f.zh}（${f.key}）`;
}

/* ---- comments and @mentions ---------------------------------------------------------- */

/* The user names a comment mentions (@name, letters, digits, _ . -), each once, in order. */
export function mentionsOf(text) {
  const out = [];
  for (const m of String(text || '').matchAll(/(^|[^\w.@])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})/g)) {
    const n = m[2].replace(/[.-]+$/, '');
    if (n && !out.includes(n)) out.push(n);
  }
  return out;
}

/* A comment body split into plain and mention pieces, for rendering as text nodes. */
export function mentionPieces(text) {
  const s = String(text || '');
  const out = [];
  let last = 0;
  for (const m of s.matchAll(/(^|[^\w.@])@([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})/g)) {
    const at = m.index + m[1].length;
    if (at > last) out.push({ text: s.slice(last, at), mention: false });
    out.push({ text: '@' + m[2], mention: true });
    last = at + 1 + m[2].length;
  }
  if (last < s.length) out.push({ text: s.slice(last), mention: false });
  return out;
}

/* ---- alerts ------------------------------------------------------------------------- */

/* The metric and its baseline from an alert's detail.points: spike points {t, n, expected,
 * ucl} or threshold points {t, n, d?, value?, expected}. */
export function alertSeries(alert) {
  const pts = (alert && alert.detail && alert.detail.points) || [];
  const ratio = pts.some((p) => p.value !== undefined);
  return {
    days: pts.map((p) => p.t),
    values: pts.map((p) => (ratio ? p.value : p.n)),
    baseline: pts.map((p) => (p.expected === undefined ? null : p.expected)),
    upper: pts.some((p) => p.ucl !== undefined) ? pts.map((p) => (p.ucl === undefined ? null : p.ucl)) : null,
    ratio,
  };
}

export function alertOption(alert, { metric = 'Metric', baseline = 'Baseline', upper = 'Upper limit' } = {}) {
  const s = alertSeries(alert);
  const series = [
    { name: metric, type: 'line', data: s.values, symbolSize: 6, lineStyle: { width: 2 } },
    { name: baseline, type: 'line', data: s.baseline, lineStyle: { type: 'dashed' }, symbol: 'none' },
  ];
  if (s.upper) series.push({ name: upper, type: 'line', data: s.upper, lineStyle: { type: 'dotted' }, symbol: 'none' });
  return {
    color: ['#d9363e', '#3b7ddd', '#f0a020'],
    tooltip: {
      trigger: 'axis',
      formatter: (ps) =>
        [escapeHtml(ps[0] ? ps[0].axisValue : '')]
          .concat(ps.map((p) => `${escapeHtml(p.seriesName)}: ${p.value === null || p.value === undefined ? '—' : round(p.value)}`))
          .join('<br>'),
    },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 30, bottom: 28 },
    xAxis: { type: 'category', data: s.days },
    yAxis: { type: 'value' },
    series,
  };
}

/* "门店=S01, 商品=P" from a series object. */
export function seriesText(series) {
  if (!series || typeof series !== 'object') return '';
  return Object.entries(series)
    .map(([k, v]) => `${k}=${v === null || v === undefined || v === '' ? '∅' : v}`)
    .join(', ');
}

function round(x) {
  const n = Number(x);
  if (!Number.isFinite(n)) return '—';
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(4);
}

/* ---- CAPA effect -------------------------------------------------------------------- */

export const EFFECT_METRICS = ['complaint_rate', 'repeat_rate', 'reopen_rate', 'csat'];

/* Rows of an evaluation's tests: metric, before, after, change, p, significant. */
export function effectRows(result) {
  const t = (result && result.tests) || {};
  return EFFECT_METRICS.filter((m) => t[m]).map((m) => ({
    metric: m,
    before: num(t[m].before),
    after: num(t[m].after),
    change: num(t[m].change),
    p: num(t[m].p),
    significant: !!t[m].significant,
    primary: result.metric === m,
  }));
}

function num(x) {
  const n = Number(x);
  return x === null || x === undefined || !Number.isFinite(n) ? null : n;
}

export function effectOption(result, names = {}, { before = 'Before', after = 'After' } = {}) {
  const rows = effectRows(result);
  const pct = (v) => (v === null ? null : Math.round(v * 10000) / 100);
  return {
    color: ['#6b7785', '#2fa36b'],
    tooltip: {
      trigger: 'axis',
      formatter: (ps) =>
        [escapeHtml(ps[0] ? ps[0].axisValue : '')]
          .concat(ps.map((p) => `${escapeHtml(p.seriesName)}: ${p.value === null || p.value === undefined ? '—' : p.value + '%'}`))
          .join('<br>'),
    },
    legend: { top: 0 },
    grid: { left: 48, right: 16, top: 30, bottom: 28 },
    xAxis: { type: 'category', data: rows.map((r) => names[r.metric] || r.metric) },
    yAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
    series: [
      { name: before, type: 'bar', data: rows.map((r) => pct(r.before)) },
      { name: after, type: 'bar', data: rows.map((r) => pct(r.after)) },
    ],
  };
}

export const VERDICT_TAG = { effective: 'success', not_yet: 'warning', not_effective: 'danger' };

/* ---- reports ------------------------------------------------------------------------ */

/* A five-field cron expression is well formed (numbers, *, ranges, lists, steps). */
export function cronValid(s) {
  const f = String(s || '').trim().split(/\s+/);
  if (f.length !== 5) return false;
  const max = [59, 23, 31, 12, 7];
  const min = [0, 0, 1, 1, 0];
  return f.every((x, i) =>
    x.split(',').every((part) => {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
      if (!m) return false;
      if (m[4] !== undefined && Number(m[4]) < 1) return false;
      if (m[1] === '*') return true;
      const a = Number(m[2]);
      const b = m[3] === undefined ? a : Number(m[3]);
      return a >= min[i] && b <= max[i] && a <= b;
    }),
  );
}

/* 12345 → "12.1 KB". */
export function formatBytes(n) {
  const b = Number(n) || 0;
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KB`;
  return `${(b / 1024 / 1024).toFixed(1)} MB`;
}

/* ---- a case linked to a problem --------------------------------------------------------- */

/* s cut to at most max bytes of UTF-8, never inside a character (the API counts bytes). */
export function clipBytes(s, max) {
  const enc = new TextEncoder();
  let out = '';
  let n = 0;
  for (const ch of String(s || '')) {
    const b = enc.encode(ch).length;
    if (n + b > max) break;
    out += ch;
    n += b;
  }
  return out;
}

const bytes = (s) => new TextEncoder().encode(s).length;
export const PROBLEM_TITLE_MAX = 200; // POST /api/v1/problems: title ≤ 200 bytes, category ≤ 64, product ≤ 256

/* The title a new problem made from this case starts with: its category path, then its title
 * (or the start of its text), cut to what the API takes. */
export function problemTitleFor(rec) {
  const r = rec || {};
  const cat = [...new Set([r.category_l1, r.category_l2].filter(Boolean))].join(' / ');
  const what = String(r.title || r.text || '').replace(/\s+/g, ' ').trim();
  const s = cat && what ? `${cat}：${what}` : cat || what || (r.id ? `#${r.id}` : '');
  return clipBytes(s, PROBLEM_TITLE_MAX);
}

/* The body of POST /api/v1/problems for a problem made from this case, or { field, error }
 * when the title will not do (the field named as the API would name it). Category and product
 * come from the case when they fit the API's limits. */
export function newProblemBody(rec, title) {
  const r = rec || {};
  const tt = String(title || '').trim();
  if (!tt) return { field: 'title', error: 'empty' };
  if (bytes(tt) > PROBLEM_TITLE_MAX) return { field: 'title', error: 'too_long' };
  const body = { title: tt };
  if (r.category_l1 && bytes(r.category_l1) <= 64) body.category = r.category_l1;
  if (r.product && bytes(r.product) <= 256) body.product = r.product;
  return { body };
}

/* The body of POST /api/v1/problems/{id}/cases adding one case. */
export function addCaseBody(feedbackId) {
  const n = Number(feedbackId);
  if (!Number.isInteger(n) || n < 1) return null;
  return { add: [n] };
}

/* Problems a case can still be linked to: not closed, not holding it already, newest first,
 * each once. */
export function linkableProblems(items, linked = []) {
  const have = new Set((linked || []).map((p) => p.id));
  const seen = new Set();
  return (items || [])
    .filter((p) => p && p.status !== 'closed' && !have.has(p.id) && !seen.has(p.id) && seen.add(p.id))
    .sort((a, b) => b.id - a.id);
}
