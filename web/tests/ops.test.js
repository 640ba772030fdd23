import { describe, it, expect } from 'vitest';
import {
  newWhys, addWhy, removeWhy, moveWhy, rootCauseBody, fishboneLabel, MAX_WHYS,
  mentionsOf, mentionPieces, alertSeries, alertOption, seriesText,
  effectRows, effectOption, cronValid, formatBytes,
} from '../src/lib/ops.js';

describe('5-Why editor', () => {
  it('adds, removes and moves whys within bounds', () => {
    let w = newWhys();
    expect(w).toEqual(['', '', '', '', '']);
    w = ['a', 'b', 'c'];
    expect(addWhy(w, 0)).toEqual(['a', '', 'b', 'c']);
    expect(addWhy(w)).toEqual(['a', 'b', 'c', '']);
    expect(addWhy(newWhys(MAX_WHYS))).toHaveLength(MAX_WHYS);
    expect(removeWhy(w, 1)).toEqual(['a', 'c']);
    expect(removeWhy(['only'], 0)).toEqual(['']);
    expect(moveWhy(w, 0, 1)).toEqual(['b', 'a', 'c']);
    expect(moveWhy(w, 0, -1)).toEqual(['a', 'b', 'c']);
    expect(moveWhy(w, 2, 1)).toEqual(['a', 'b', 'c']);
    expect(w).toEqual(['a', 'b', 'c']); // never changed in place
  });
  it('builds the root-cause body: trimmed, trailing blanks dropped, last why as summary', () => {
    const r = rootCauseBody({ whys: [' 快递晚到 ', '仓库漏发', '拣货单错', '', ''], fishbone: 'method', evidence: '单号 1\n\n 截图 2 ' });
    expect(r.body).toEqual({ whys: ['快递晚到', '仓库漏发', '拣货单错'], fishbone: 'method', summary: '拣货单错', evidence: ['单号 1', '截图 2'] });
    const s = rootCauseBody({ whys: ['a'], fishbone: 'man', summary: ' 培训不足 ', verified_by: ' quality1 ' });
    expect(s.body).toEqual({ whys: ['a'], fishbone: 'man', summary: '培训不足', verified_by: 'quality1' });
  });
  it('names what is missing: no why, a gap in the chain, no fishbone category', () => {
    expect(rootCauseBody({ whys: ['', ' '], fishbone: 'man' })).toEqual({ error: 'empty', field: 'whys', index: 0 });
    expect(rootCauseBody({ whys: ['a', '', 'c'], fishbone: 'man' })).toEqual({ error: 'gap', field: 'whys', index: 1 });
    expect(rootCauseBody({ whys: ['a'], fishbone: '' })).toEqual({ error: 'required', field: 'fishbone' });
    expect(rootCauseBody({ whys: ['a'], fishbone: '人' }).error).toBe('required'); // keys only from the picker
    expect(rootCauseBody({ whys: Array(11).fill('x'), fishbone: 'man' }).error).toBe('too_many');
  });
  it('labels fishbone categories in both languages, English keys and Chinese characters alike', () => {
    expect(fishboneLabel('machine')).toBe('机（machine）');
    expect(fishboneLabel('环', 'en')).toBe('Environment');
    expect(fishboneLabel('other')).toBe('other');
  });
});

describe('mentions', () => {
  it('finds each @name once, not e-mail addresses', () => {
    expect(mentionsOf('@agent2 请看，抄送 @quality1 和 @agent2。mail a@b.com')).toEqual(['agent2', 'quality1']);
    expect(mentionsOf('no mentions')).toEqual([]);
  });
  it('splits a body into text and mention pieces that join back to it', () => {
    const s = '<b>@agent2</b> 看 @x.';
    const p = mentionPieces(s);
    expect(p.map((x) => x.text).join('')).toBe(s);
    expect(p.filter((x) => x.mention).map((x) => x.text)).toEqual(['@agent2', '@x.']);
  });
});

describe('alerts', () => {
  const spike = { detail: { points: [{ t: '2026-11-01', n: 10, expected: 9.5, ucl: 16 }, { t: '2026-11-02', n: 30, expected: 9.8, ucl: 16.2 }] } };
  const ratio = { detail: { points: [{ t: '2026-11-01', n: 3, d: 100, value: 0.03, expected: 0.02 }] } };
  it('reads spike and threshold series', () => {
    expect(alertSeries(spike)).toEqual({ days: ['2026-11-01', '2026-11-02'], values: [10, 30], baseline: [9.5, 9.8], upper: [16, 16.2], ratio: false });
    expect(alertSeries(ratio)).toMatchObject({ values: [0.03], baseline: [0.02], upper: null, ratio: true });
    expect(alertSeries({})).toMatchObject({ days: [], values: [] });
  });
  it('charts the metric against its baseline and escapes names in the tooltip', () => {
    const o = alertOption(spike, { metric: '<i>m</i>' });
    expect(o.series.map((s) => s.data)).toEqual([[10, 30], [9.5, 9.8], [16, 16.2]]);
    const html = o.tooltip.formatter([{ axisValue: '2026-11-02', seriesName: '<i>m</i>', value: 30 }]);
    expect(html).toContain('&lt;i&gt;m&lt;/i&gt;: 30.00');
    expect(seriesText({ store: 'S01', product: 'P' })).toBe('store=S01, product=P');
    expect(seriesText({ category_l1: null })).toBe('category_l1=∅');
  });
});

describe('CAPA effect', () => {
  const result = {
    metric: 'complaint_rate', verdict: 'effective',
    tests: {
      complaint_rate: { before: 0.2, after: 0.1, change: -0.5, p: 0.001, significant: true },
      csat: { before: 0.6, after: null, change: null, p: null, significant: false },
    },
  };
  it('lists tests in metric order with the primary one marked', () => {
    expect(effectRows(result)).toEqual([
      { metric: 'complaint_rate', before: 0.2, after: 0.1, change: -0.5, p: 0.001, significant: true, primary: true },
      { metric: 'csat', before: 0.6, after: null, change: null, p: null, significant: false, primary: false },
    ]);
  });
  it('charts before and after as percentages', () => {
    const o = effectOption(result, { complaint_rate: '投诉率' });
    expect(o.xAxis.data).toEqual(['投诉率', 'csat']);
    expect(o.series[0].data).toEqual([20, 60]);
    expect(o.series[1].data).toEqual([10, null]);
  });
});

describe('reports', () => {
  it('checks five-field cron expressions', () => {
    for (const ok of ['0 8 * * 1', '*/15 * * * *', '0 8 1 * *', '30 7 * * 1-5', '0 0,12 * * *']) expect(cronValid(ok), ok).toBe(true);
    for (const bad of ['', '0 8 * *', '60 * * * *', '0 24 * * *', '0 8 0 * *', '* * * * 8', '*/0 * * * *', '5-1 * * * *', 'a b c d e']) expect(cronValid(bad), bad).toBe(false);
  });
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(12345)).toBe('12.1 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
  });
});
