import { describe, it, expect } from 'vitest';
import { volumeTotals, channelMix, paretoOption, heatmapOption, channelOption } from '../src/lib/charts.js';

const vol = { by: 'channel', bucket: 'day', series: [
  { key: 'web', points: [{ t: '2026-11-02', n: 3 }, { t: '2026-11-01', n: 2 }] },
  { key: 'hotline', points: [{ t: '2026-11-01', n: 6 }] },
  { key: 'sms', points: [] },
] };

describe('stats answers → chart data', () => {
  it('sums series per day, days in order', () => {
    expect(volumeTotals(vol)).toEqual({ days: ['2026-11-01', '2026-11-02'], counts: [8, 3] });
    expect(volumeTotals(null)).toEqual({ days: [], counts: [] });
  });
  it('channel mix: totals per channel, largest first, empty channels left out', () => {
    expect(channelMix(vol, (k) => k.toUpperCase())).toEqual([
      { key: 'hotline', name: 'HOTLINE', value: 6 },
      { key: 'web', name: 'WEB', value: 5 },
    ]);
  });
  it('pareto: bars beyond the 80 % cut are greyed, the line is the cumulative share', () => {
    const o = paretoOption({ items: [{ key: '物流', n: 6, share: 0.6, cum_share: 0.6 }, { key: '质量', n: 3, share: 0.3, cum_share: 0.9 },
      { key: '其他', n: 1, share: 0.1, cum_share: 1 }], total: 10, cut80: 2 });
    expect(o.xAxis.data).toEqual(['物流', '质量', '其他']);
    expect(o.series[0].data.map((d) => d.value)).toEqual([6, 3, 1]);
    expect(o.series[0].data[2].itemStyle.color).toBe('#c0c4cc');
    expect(o.series[0].data[0].itemStyle).toBeUndefined();
    expect(o.series[1].data).toEqual([0.6, 0.9, 1]);
  });
  it('heatmap: ISO weekday (1 Monday) to row 0, Sunday to row 6', () => {
    const o = heatmapOption({ cells: [{ weekday: 1, hour: 9, n: 14 }, { weekday: 7, hour: 23, n: 2 }] }, ['一', '二', '三', '四', '五', '六', '日']);
    expect(o.series[0].data).toEqual([[9, 0, 14], [23, 6, 2]]);
    expect(o.visualMap.max).toBe(14);
  });
  it('tooltips escape names that come from data', () => {
    const o = channelOption({ series: [{ key: '<img src=x onerror=alert(1)>', points: [{ t: 'd', n: 1 }] }] });
    expect(o.series[0].tooltip).toBeUndefined();
    expect(o.tooltip.formatter({ name: '<img src=x onerror=alert(1)>', value: 1, percent: 100 })).toBe('&lt;img src=x onerror=alert(1)&gt;: 1 (100%)');
  });
});
