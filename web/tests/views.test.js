import { describe, it, expect, beforeEach } from 'vitest';
import { loadViews, saveView, removeView, MAX_VIEWS } from '../src/lib/views.js';

class Mem {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
}

describe('saved views', () => {
  let s;
  beforeEach(() => (s = new Mem()));

  it('saves newest first, replaces by name, drops empty values', () => {
    saveView('物流', { category: '物流', status: 'received,assigned', q: '' }, s);
    saveView('高危', { severity: 'critical' }, s);
    expect(loadViews(s)).toEqual([
      { name: '高危', query: { severity: 'critical' } },
      { name: '物流', query: { category: '物流', status: 'received,assigned' } },
    ]);
    saveView('物流', { category: '物流/配送延迟' }, s);
    expect(loadViews(s).map((v) => v.name)).toEqual(['物流', '高危']);
    expect(loadViews(s)[0].query).toEqual({ category: '物流/配送延迟' });
  });

  it('removes by name and keeps at most MAX_VIEWS', () => {
    for (let i = 0; i < MAX_VIEWS + 5; i++) saveView(`v${i}`, { q: String(i) }, s);
    expect(loadViews(s)).toHaveLength(MAX_VIEWS);
    expect(loadViews(s)[0].name).toBe(`v${MAX_VIEWS + 4}`);
    removeView(`v${MAX_VIEWS + 4}`, s);
    expect(loadViews(s)[0].name).toBe(`v${MAX_VIEWS + 3}`);
  });

  it('needs a name and survives junk in storage', () => {
    expect(() => saveView('  ', {}, s)).toThrow(/name/);
    s.setItem('kesu.views', '{not json');
    expect(loadViews(s)).toEqual([]);
    s.setItem('kesu.views', JSON.stringify([{ name: 'ok', query: { q: 'a' } }, { name: 'bad', query: { q: 1 } }, null, { query: {} }]));
    expect(loadViews(s)).toEqual([{ name: 'ok', query: { q: 'a' } }]);
  });
});
