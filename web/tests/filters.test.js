import { describe, it, expect } from 'vitest';
import {
  filtersFromQuery, filtersToQuery, apiParams, emptyFilters, nextDay, activeCount, exportParams, sortFromTable, tableSort,
} from '../src/lib/filters.js';

describe('filters ↔ query string', () => {
  it('round-trips every kind of filter', () => {
    const f = {
      ...emptyFilters(), q: '退款 物流', channel: ['web', 'hotline'], status: ['received'], category: '物流配送',
      severity: 'high', sentiment: 'negative', product: '扫地机器人', store: '上海徐汇店', region: '华东',
      assignee: 'agent', team: 'kefu', since: '2026-11-01', until: '2026-11-30',
    };
    const q = filtersToQuery(f);
    expect(q).toEqual({
      q: '退款 物流', channel: 'web,hotline', status: 'received', category: '物流配送', severity: 'high',
      sentiment: 'negative', product: '扫地机器人', store: '上海徐汇店', region: '华东', assignee: 'agent',
      team: 'kefu', since: '2026-11-01', until: '2026-11-30',
    });
    expect(filtersFromQuery(q)).toEqual(f);
  });

  it('leaves empty filters out of the query', () => {
    expect(filtersToQuery(emptyFilters())).toEqual({});
    expect(filtersToQuery({ ...emptyFilters(), q: '   ', channel: [] })).toEqual({});
  });

  it('drops values the API does not know and junk dates', () => {
    const f = filtersFromQuery({ channel: 'web,fax,,app', status: 'nonsense', severity: 'huge', sentiment: 'angry',
      since: '2026-13-45', until: 'yesterday' });
    expect(f.channel).toEqual(['web', 'app']);
    expect(f.status).toEqual([]);
    expect(f.severity).toBe('');
    expect(f.sentiment).toBe('');
    expect(f.since).toBe('');
    expect(f.until).toBe('');
  });

  it('takes repeated parameters (vue-router gives arrays) and removes duplicates', () => {
    const f = filtersFromQuery({ channel: ['web', 'web,sms'], q: ['first', 'second'] });
    expect(f.channel).toEqual(['web', 'sms']);
    expect(f.q).toBe('first');
  });

  it('swaps a range given backwards', () => {
    const f = filtersFromQuery({ since: '2026-11-30', until: '2026-11-01' });
    expect([f.since, f.until]).toEqual(['2026-11-01', '2026-11-30']);
  });

  it('counts active filters other than the search', () => {
    expect(activeCount({ ...emptyFilters(), q: 'x', channel: ['web'], store: 'a' })).toBe(2);
  });
});

describe('API parameters', () => {
  it('turns days into whole days in +08:00, until exclusive', () => {
    const p = apiParams({ ...emptyFilters(), since: '2026-11-01', until: '2026-11-30' }, { limit: 20 });
    expect(p.get('since')).toBe('2026-11-01T00:00:00+08:00');
    expect(p.get('until')).toBe('2026-12-01T00:00:00+08:00');
    expect(p.get('limit')).toBe('20');
    expect(p.has('cursor')).toBe(false);
  });
  it('adds cursor and total only when asked', () => {
    const p = apiParams({ ...emptyFilters(), channel: ['web', 'app'], q: '退款' }, { limit: 50, cursor: 'r123.4', total: true });
    expect(p.toString()).toBe('q=%E9%80%80%E6%AC%BE&channel=web%2Capp&limit=50&cursor=r123.4&total=true');
  });
  it('asks for the page\'s SLA clocks only when told (the list\'s badges)', () => {
    const f = { ...emptyFilters(), sla: ['breached'] };
    expect(apiParams(f, { limit: 20, withSla: true }).toString()).toBe('sla=breached&limit=20&with_sla=true');
    expect(apiParams(f, { limit: 20 }).has('with_sla')).toBe(false);
    expect(apiParams(f, { limit: 1, total: true }).has('with_sla')).toBe(false);
  });
  it('nextDay crosses months and years', () => {
    expect(nextDay('2026-02-28')).toBe('2026-03-01');
    expect(nextDay('2028-02-28')).toBe('2028-02-29');
    expect(nextDay('2026-12-31')).toBe('2027-01-01');
  });
});

describe('SLA state filter and sort ↔ query string', () => {
  it('round-trips SLA states as a comma list, in the order given, without repeats', () => {
    const f = filtersFromQuery({ sla: 'breached,warning,breached' });
    expect(f.sla).toEqual(['breached', 'warning']);
    expect(filtersToQuery(f)).toEqual({ sla: 'breached,warning' });
    expect(filtersFromQuery(filtersToQuery(f))).toEqual(f);
  });
  it('drops SLA states and sorts the API does not know', () => {
    const f = filtersFromQuery({ sla: 'ok,late,,PAUSED,none', sort: 'id' });
    expect(f.sla).toEqual(['ok', 'none']);
    expect(f.sort).toBe('');
    expect(filtersFromQuery({ sort: '-severity;drop' }).sort).toBe('');
  });
  it('keeps a sort in the URL, the default one left out', () => {
    expect(filtersToQuery({ ...emptyFilters(), sort: '-priority' })).toEqual({ sort: '-priority' });
    expect(filtersFromQuery({ sort: '-received_at' }).sort).toBe('');
    for (const s of ['received_at', '-severity', 'severity', '-priority', 'priority'])
      expect(filtersFromQuery(filtersToQuery({ ...emptyFilters(), sort: s })).sort).toBe(s);
  });
  it('sends both to the list and to the export, and counts the SLA state as a filter, not the sort', () => {
    const f = { ...emptyFilters(), sla: ['paused', 'ok'], sort: 'severity', q: '退款' };
    const p = apiParams(f, { limit: 20 });
    expect(p.get('sla')).toBe('paused,ok');
    expect(p.get('sort')).toBe('severity');
    const e = exportParams(f, 'xlsx');
    expect(e.get('sla')).toBe('paused,ok');
    expect(e.get('sort')).toBe('severity');
    expect(activeCount(f)).toBe(1);
  });
  it('turns a column header click into the API sort and back', () => {
    expect(sortFromTable({ prop: 'severity', order: 'descending' })).toBe('-severity');
    expect(sortFromTable({ prop: 'priority', order: 'ascending' })).toBe('priority');
    expect(sortFromTable({ prop: 'received_at', order: 'descending' })).toBe('');
    expect(sortFromTable({ prop: 'received_at', order: 'ascending' })).toBe('received_at');
    expect(sortFromTable({ prop: 'severity', order: null })).toBe('');
    expect(sortFromTable({ prop: 'assignee', order: 'ascending' })).toBe('');
    expect(tableSort('')).toEqual({ prop: 'received_at', order: 'descending' });
    expect(tableSort('priority')).toEqual({ prop: 'priority', order: 'ascending' });
    expect(tableSort('-severity')).toEqual({ prop: 'severity', order: 'descending' });
    expect(tableSort('nonsense')).toEqual({ prop: 'received_at', order: 'descending' });
  });
});
