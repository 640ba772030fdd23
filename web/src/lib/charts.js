// ECharts options from the /api/v1/stats/* answers (the shapes in the stats contract).
// Pure: data and labels in, option objects out; tooltips that show names escape them.
import { escapeHtml } from './highlight.js';

const PALETTE = ['#d9363e', '#3b7ddd', '#f0a020', '#2fa36b', '#8e5cd9', '#1fa6b8', '#e0682b',
  '#6b7785', '#c2417a', '#7da83a'];

/* The days of a volume answer, with the total of every series per day. */
export function volumeTotals(vol) {
  const byDay = new Map();
  for (const s of (vol && vol.series) || [])
    for (const p of s.points || []) byDay.set(p.t, (byDay.get(p.t) || 0) + (p.n || 0));
  const days = [...byDay.keys()].sort();
  return { days, counts: days.map((d) => byDay.get(d)) };
}

export function volumeOption(vol, { count = 'Count' } = {}) {
  const { days, counts } = volumeTotals(vol);
  return {
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 24, bottom: 32 },
    xAxis: { type: 'category', data: days, boundaryGap: false },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ name: count, type: 'line', smooth: true, areaStyle: { opacity: 0.12 }, data: counts, symbolSize: 6 }],
  };
}

export function channelMix(vol, nameOf = (k) => k) {
  return ((vol && vol.series) || [])
    .map((s) => ({ key: s.key, name: nameOf(s.key), value: (s.points || []).reduce((a, p) => a + (p.n || 0), 0) }))
    .filter((x) => x.value > 0)
    .sort((a, b) => b.value - a.value);
}

export function channelOption(vol, nameOf) {
  const data = channelMix(vol, nameOf);
  return {
    color: PALETTE,
    tooltip: { trigger: 'item', formatter: (p) => `${escapeHtml(p.name)}: ${p.value} (${p.percent}%)` },
    legend: { type: 'scroll', bottom: 0 },
    series: [{ type: 'pie', radius: ['38%', '66%'], center: ['50%', '45%'], data, label: { formatter: '{b}' } }],
  };
}

export function paretoOption(par, { count = 'Count', cumulative = 'Cumulative' } = {}) {
  const items = (par && par.items) || [];
  const cut = par && par.cut80 ? par.cut80 : 0;
  return {
    color: PALETTE,
    tooltip: {
      trigger: 'axis',
      formatter: (ps) => ps.map((p) => `${escapeHtml(p.seriesName)} ${escapeHtml(p.name)}: ` +
        (p.seriesIndex === 1 ? `${(p.value * 100).toFixed(1)}%` : p.value)).join('<br>'),
    },
    legend: { data: [count, cumulative], top: 0 },
    grid: { left: 48, right: 48, top: 30, bottom: 60 },
    xAxis: { type: 'category', data: items.map((i) => i.key), axisLabel: { interval: 0, rotate: items.length > 6 ? 30 : 0 } },
    yAxis: [
      { type: 'value', minInterval: 1 },
      { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v) => `${Math.round(v * 100)}%` } },
    ],
    series: [
      {
        name: count, type: 'bar', data: items.map((i, k) => ({ value: i.n, itemStyle: k < cut ? undefined : { color: '#c0c4cc' } })),
      },
      {
        name: cumulative, type: 'line', yAxisIndex: 1, data: items.map((i) => i.cum_share), symbolSize: 6,
        markLine: { silent: true, symbol: 'none', data: [{ yAxis: 0.8 }], lineStyle: { type: 'dashed' }, label: { formatter: '80%' } },
      },
    ],
  };
}

export function gaugeOption(value, { name = '', min = 0, max = 1, percent = true } = {}) {
  return {
    series: [{
      type: 'gauge', min, max, progress: { show: true, width: 14 }, axisLine: { lineStyle: { width: 14 } },
      axisLabel: { formatter: (v) => (percent ? `${Math.round(v * 100)}%` : String(Math.round(v))), distance: 18 },
      pointer: { width: 4 }, title: { offsetCenter: [0, '70%'] },
      detail: { valueAnimation: false, fontSize: 22, offsetCenter: [0, '38%'],
        formatter: (v) => (percent ? `${(v * 100).toFixed(1)}%` : v.toFixed(1)) },
      data: [{ value: value ?? 0, name }],
      itemStyle: { color: '#d9363e' },
    }],
  };
}

export function satisfactionOption(sat, { csat = 'CSAT', nps = 'NPS' } = {}) {
  const g = (v, name, min, max, pct, center) => ({
    type: 'gauge', min, max, center, radius: '70%', progress: { show: true, width: 10 },
    axisLine: { lineStyle: { width: 10 } }, splitNumber: 4,
    axisLabel: { distance: 14, fontSize: 10, formatter: (x) => (pct ? `${Math.round(x * 100)}%` : String(Math.round(x))) },
    pointer: { width: 3 }, title: { offsetCenter: [0, '78%'], fontSize: 13 },
    detail: { fontSize: 18, offsetCenter: [0, '42%'], formatter: (x) => (pct ? `${(x * 100).toFixed(1)}%` : x.toFixed(1)) },
    data: [{ value: v ?? 0, name }],
  });
  return {
    color: PALETTE,
    series: [g(sat && sat.csat, csat, 0, 1, true, ['27%', '55%']), g(sat && sat.nps, nps, -100, 100, false, ['75%', '55%'])],
  };
}

/* weekday 1..7 (Monday first) × hour 0..23 */
export function heatmapOption(hm, weekdays) {
  const data = ((hm && hm.cells) || []).map((c) => [c.hour, ((c.weekday + 6) % 7), c.n]);
  const max = data.reduce((m, d) => Math.max(m, d[2]), 0);
  return {
    tooltip: { formatter: (p) => `${escapeHtml(weekdays[p.value[1]])} ${p.value[0]}:00 — ${p.value[2]}` },
    grid: { left: 48, right: 16, top: 10, bottom: 78 },
    xAxis: { type: 'category', data: [...Array(24).keys()].map(String), splitArea: { show: true } },
    yAxis: { type: 'category', data: weekdays, splitArea: { show: true }, inverse: true },
    visualMap: { min: 0, max: Math.max(1, max), calculable: true, orient: 'horizontal', left: 'center', bottom: 0,
      itemHeight: 160, itemWidth: 12,
      inRange: { color: ['#fff5f5', '#f7a8ab', '#d9363e'] } },
    series: [{ type: 'heatmap', data, emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } } }],
  };
}
