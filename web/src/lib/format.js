// Dates in the configured zone (Asia/Shanghai), numbers and percentages as Chinese readers
// expect them. Pure functions: the locale and zone are arguments.
export const ZONE = 'Asia/Shanghai';

function tag(locale) {
  return locale === 'en' ? 'en-GB' : 'zh-CN';
}

/* "2026-11-22 09:30" in the zone, from an RFC 3339 string or ms; '' for nothing. */
export function formatTime(t, { zone = ZONE, seconds = false } = {}) {
  if (t === null || t === undefined || t === '') return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit',
      minute: '2-digit', second: '2-digit', hourCycle: 'h23',
    }).formatToParts(d).map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}${seconds ? ':' + p.second : ''}`;
}

/* The calendar day (YYYY-MM-DD) of a time in the zone. */
export function dayOf(t, zone = ZONE) {
  return formatTime(t, { zone }).slice(0, 10);
}

export function formatNumber(n, locale = 'zh-CN') {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  return new Intl.NumberFormat(tag(locale)).format(Number(n));
}

/* 0.823 → "82.3%"; null → "—". */
export function formatPercent(x, locale = 'zh-CN', digits = 1) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return '—';
  return new Intl.NumberFormat(tag(locale), {
    style: 'percent', minimumFractionDigits: digits, maximumFractionDigits: digits,
  }).format(Number(x));
}
