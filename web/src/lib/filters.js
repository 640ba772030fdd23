// The inbox filters, kept in the URL's query string (so a view can be bookmarked, shared and
// reached from a chart) and turned into the API's query parameters.
//
//   filtersFromQuery(route.query) → filters      (tolerates junk: unknown values dropped)
//   filtersToQuery(filters)       → route query  (empty filters left out, lists joined)
//   apiParams(filters, {limit, cursor, total}) → URLSearchParams for GET /api/v1/feedback
//   sortFromTable / tableSort: an el-table sort-change ↔ the API's sort
// The sort travels with the filters (URL, request, export) but does not count as a filter.
import { CHANNELS, STATUSES, SEVERITIES, SENTIMENTS, SLA_STATES } from './labels.js';

// the API's sort values (GET /api/v1/feedback?sort=); '' is its default, newest received first
export const SORTS = ['-received_at', 'received_at', '-severity', 'severity', '-priority', 'priority'];
export const SORT_COLUMNS = ['received_at', 'severity', 'priority'];
export const LIST_KEYS = ['channel', 'status', 'sla'];
export const TEXT_KEYS = ['q', 'category', 'product', 'store', 'region', 'assignee', 'team'];
export const ONE_OF = { severity: SEVERITIES, sentiment: SENTIMENTS, sort: SORTS.slice(1) };
const ALLOWED = { channel: CHANNELS, status: STATUSES, sla: SLA_STATES };
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function emptyFilters() {
  return {
    q: '', channel: [], status: [], sla: [], category: '', severity: '', sentiment: '', product: '',
    store: '', region: '', assignee: '', team: '', since: '', until: '', sort: '',
  };
}

function first(v) {
  return Array.isArray(v) ? v[0] : v;
}

export function filtersFromQuery(query = {}) {
  const f = emptyFilters();
  for (const k of TEXT_KEYS) {
    const v = first(query[k]);
    if (typeof v === 'string') f[k] = v.trim().slice(0, 200);
  }
  for (const k of LIST_KEYS) {
    const raw = [].concat(query[k] ?? []).join(',');
    f[k] = [...new Set(raw.split(',').map((s) => s.trim()).filter((s) => ALLOWED[k].includes(s)))];
  }
  for (const [k, values] of Object.entries(ONE_OF)) {
    const v = first(query[k]);
    if (values.includes(v)) f[k] = v;
  }
  for (const k of ['since', 'until']) {
    const v = first(query[k]);
    if (typeof v === 'string' && DAY.test(v) && !Number.isNaN(Date.parse(v))) f[k] = v;
  }
  if (f.since && f.until && f.until < f.since) [f.since, f.until] = [f.until, f.since];
  return f;
}

export function filtersToQuery(f) {
  const q = {};
  for (const k of TEXT_KEYS) if (f[k] && f[k].trim()) q[k] = f[k].trim();
  for (const k of LIST_KEYS) if (f[k] && f[k].length) q[k] = f[k].join(',');
  for (const k of Object.keys(ONE_OF)) if (f[k]) q[k] = f[k];
  for (const k of ['since', 'until']) if (f[k]) q[k] = f[k];
  return q;
}

/* The day after YYYY-MM-DD (calendar arithmetic, no zone involved). */
export function nextDay(day) {
  const d = new Date(day + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/* Days are whole days in the zone (+08:00): since from 00:00 of its day, until up to and
 * including its day (the API's until is exclusive). */
export function apiParams(f, { limit = 50, cursor = '', total = false, withSla = false, offset = '+08:00' } = {}) {
  const p = new URLSearchParams();
  const q = filtersToQuery(f);
  for (const [k, v] of Object.entries(q)) {
    if (k === 'since') p.set('since', `${v}T00:00:00${offset}`);
    else if (k === 'until') p.set('until', `${nextDay(v)}T00:00:00${offset}`);
    else p.set(k, v);
  }
  p.set('limit', String(limit));
  if (cursor) p.set('cursor', cursor);
  if (total) p.set('total', 'true');
  if (withSla) p.set('with_sla', 'true'); // the page's SLA clocks in the same reply (list badges)
  return p;
}

export function activeCount(f) {
  return Object.keys(filtersToQuery(f)).filter((k) => k !== 'q' && k !== 'sort').length;
}

/* el-table's sort-change {prop, order: 'ascending'|'descending'|null} → the API's sort ('' =
 * the default order); columns the API cannot sort by give ''. */
export function sortFromTable({ prop, order } = {}) {
  if (!order || !SORT_COLUMNS.includes(prop)) return '';
  const s = order === 'descending' ? `-${prop}` : prop;
  return s === SORTS[0] ? '' : s;
}

/* The API's sort → el-table's default-sort {prop, order}. */
export function tableSort(sort) {
  const s = SORTS.includes(sort) ? sort : SORTS[0];
  return { prop: s.replace(/^-/, ''), order: s.startsWith('-') ? 'descending' : 'ascending' };
}

/* The query of GET /api/v1/feedback/export for the same filters (every matching record). */
export function exportParams(f, format = 'csv', offset = '+08:00') {
  const p = apiParams(f, { offset });
  p.delete('limit');
  p.set('format', format === 'xlsx' ? 'xlsx' : 'csv');
  return p;
}
