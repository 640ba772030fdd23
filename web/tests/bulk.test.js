import { describe, it, expect } from 'vitest';
import { runBulk, bulkBody } from '../src/lib/bulk.js';
import { exportParams, filtersFromQuery } from '../src/lib/filters.js';

describe('bulk actions', () => {
  it('runs one call per case and keeps every failure', async () => {
    const seen = [];
    const progress = [];
    const r = await runBulk([1, 2, 3], async (id) => {
      seen.push(id);
      if (id === 2) throw new Error('illegal_transition');
    }, (done, total) => progress.push(`${done}/${total}`));
    expect(seen).toEqual([1, 2, 3]);
    expect(r).toEqual({ ok: [1, 3], failed: [{ id: 2, message: 'illegal_transition' }] });
    expect(progress).toEqual(['1/3', '2/3', '3/3']);
  });

  it('checks each action body and names the missing field', () => {
    expect(bulkBody('assign', { assignee: ' agent2 ', note: '' })).toEqual({ assignee: 'agent2' });
    expect(() => bulkBody('assign', { assignee: '' })).toThrow(/^assignee/);
    expect(() => bulkBody('transfer', { team: 'quality', reason: '' })).toThrow(/^reason/);
    expect(bulkBody('transfer', { team: 'quality', reason: '质量问题', assignee: '' })).toEqual({ team: 'quality', reason: '质量问题' });
    expect(bulkBody('category', { category: ['物流', '配送延迟'] })).toEqual({ category_l1: '物流', category_l2: '配送延迟', category_l3: null });
    expect(() => bulkBody('category', { category: [] })).toThrow(/^category/);
    expect(bulkBody('merge', { into: '7' })).toEqual({ into: 7 });
    expect(() => bulkBody('merge', { into: null })).toThrow(/^into/);
    expect(() => bulkBody('delete', {})).toThrow(/unknown/);
  });
});

describe('export query', () => {
  it('carries the same filters as the list, without paging', () => {
    const f = filtersFromQuery({ channel: 'web,app', category: '物流', since: '2026-11-01', until: '2026-11-30', q: '退款' });
    const p = exportParams(f, 'xlsx');
    expect(p.get('format')).toBe('xlsx');
    expect(p.get('channel')).toBe('web,app');
    expect(p.get('category')).toBe('物流');
    expect(p.get('q')).toBe('退款');
    expect(p.get('since')).toBe('2026-11-01T00:00:00+08:00');
    expect(p.get('until')).toBe('2026-12-01T00:00:00+08:00');
    expect(p.has('limit')).toBe(false);
    expect(exportParams(f, 'exe').get('format')).toBe('csv');
  });
});
