import { describe, it, expect } from 'vitest';
import { formatDuration, slaState, currentTarget, listBadge, listBadges, listTick } from '../src/lib/sla.js';

const H = 3600e3;
const M = 60e3;
const now = Date.parse('2026-11-22T10:00:00+08:00');

describe('formatDuration', () => {
  it('shows the two largest units', () => {
    expect(formatDuration(26 * H + 5 * M)).toBe('1天2小时');
    expect(formatDuration(3 * H + 20 * M)).toBe('3小时20分');
    expect(formatDuration(45 * M)).toBe('45分');
    expect(formatDuration(3 * 24 * H)).toBe('3天');
    expect(formatDuration(2 * H)).toBe('2小时');
  });
  it('under a minute, negative values and English', () => {
    expect(formatDuration(30e3)).toBe('不到1分钟');
    expect(formatDuration(-(3 * H + 20 * M))).toBe('3小时20分');
    expect(formatDuration(26 * H, 'en')).toBe('1d 2h');
    expect(formatDuration(3 * H + 20 * M, 'en')).toBe('3h 20m');
    expect(formatDuration(10e3, 'en')).toBe('<1m');
  });
  it('a day and minutes leaves the minutes out', () => {
    expect(formatDuration(24 * H + 30 * M)).toBe('1天');
  });
});

describe('slaState', () => {
  const due = (ms) => new Date(now + ms).toISOString();
  it('counts down while in time, warns near the end, counts up when breached', () => {
    expect(slaState({ due: due(5 * H) }, now)).toEqual({ state: 'ok', ms: 5 * H, text: '剩余 5小时' });
    expect(slaState({ due: due(90 * M) }, now).state).toBe('warn');
    expect(slaState({ due: due(-(2 * H + 5 * M)) }, now)).toEqual({ state: 'breached', ms: -(2 * H + 5 * M), text: '超时 2小时5分' });
  });
  it('uses the server warn time when there is one', () => {
    expect(slaState({ due: due(5 * H), warn_at: due(-1) }, now).state).toBe('warn');
    expect(slaState({ due: due(1 * H), warn_at: due(30 * M) }, now).state).toBe('ok');
  });
  it('met, paused, missing and the breached flag', () => {
    expect(slaState({ due: due(-H), met: true }, now).state).toBe('met');
    expect(slaState({ due: due(H) }, now, { paused: true }).state).toBe('paused');
    expect(slaState(null, now).state).toBe('none');
    expect(slaState({ due: null }, now).state).toBe('none');
    expect(slaState({ due: due(H), breached: true }, now).state).toBe('breached');
    expect(slaState({ due: due(H) }, now, { locale: 'en' }).text).toBe('Due in 1h');
  });
});

describe('currentTarget', () => {
  it('takes the first target not met, in order', () => {
    const sla = { targets: {
      acknowledgement: { due: '2026-11-22T09:00:00+08:00', met: true },
      response: { due: '2026-11-22T12:00:00+08:00', met: false },
      resolution: { due: '2026-11-25T12:00:00+08:00', met: false },
    } };
    expect(currentTarget(sla).name).toBe('response');
    expect(currentTarget({ targets: {} })).toBe(null);
    expect(currentTarget(null)).toBe(null);
  });
});

describe('listBadge (the complaint list)', () => {
  const at = (ms) => new Date(now + ms).toISOString();
  const clock = (targets, extra = {}) => ({ policy: 'std', paused: false, targets, ...extra });
  it('counts down the first target not met, short words', () => {
    const c = clock({ acknowledgement: { due: at(-H), met: true }, response: { due: at(2 * H + 13 * M), met: false } });
    expect(listBadge(c, now)).toEqual({ state: 'ok', target: 'response', due: at(2 * H + 13 * M), text: '剩 2小时13分' });
    expect(listBadge(c, now, 'en').text).toBe('2h 13m left');
  });
  it('amber in the warning, red when breached, grey when paused', () => {
    expect(listBadge(clock({ resolution: { due: at(H), warn_at: at(-M) } }), now).state).toBe('warn');
    const late = listBadge(clock({ acknowledgement: { due: at(-35 * M), breached: true } }), now);
    expect([late.state, late.text]).toEqual(['breached', '已超时 35分']);
    expect(listBadge(clock({ acknowledgement: { due: at(-35 * M) } }), now, 'en').text).toBe('Overdue 35m');
    // breached, then a pause moved the due time past now: no negative duration
    expect(listBadge(clock({ response: { due: at(H), breached: true } }), now).text).toBe('已超时');
    const p = listBadge(clock({ response: { due: at(H) } }, { paused: true }), now);
    expect([p.state, p.text]).toEqual(['paused', '暂停']);
    expect(listBadge(clock({ response: { due: at(H) } }, { paused: true }), now, 'en').text).toBe('Paused');
  });
  it('nothing without a clock or when every target is met', () => {
    expect(listBadge(null, now)).toBe(null);
    expect(listBadge(undefined, now)).toBe(null);
    expect(listBadge(clock({}), now)).toBe(null);
    expect(listBadge(clock({ resolution: { due: at(H), met: true } }), now)).toBe(null);
    expect(listBadge(clock({ resolution: { due: null } }), now)).toBe(null);
  });
  it('moves with the one clock of the list', () => {
    const c = clock({ resolution: { due: at(3 * H) } });
    expect(listBadge(c, now).text).toBe('剩 3小时');
    expect(listBadge(c, now + 2 * H + 30 * M).text).toBe('剩 30分');
    expect(listBadge(c, now + 3 * H + 35 * M).text).toBe('已超时 35分');
  });
});

describe('listBadges and listTick', () => {
  const at = (ms) => new Date(now + ms).toISOString();
  it('one badge per record with a clock, keyed by id', () => {
    const items = [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }];
    const sla = {
      1: { paused: false, targets: { response: { due: at(H) } } },
      2: null,
      3: { paused: true, targets: { response: { due: at(H) } } },
    };
    const b = listBadges(items, sla, now);
    expect(Object.keys(b).sort()).toEqual(['1', '3']);
    expect(b[1].text).toBe('剩 1小时');
    expect(b[3].state).toBe('paused');
    expect(listBadges(items, undefined, now)).toEqual({});
    // a closed case's clock does not run: no badge
    const closed = [{ id: 1, status: 'closed' }, { id: 3, status: 'closed_unaccepted' }, { id: 5, status: 'reopened' }];
    expect(Object.keys(listBadges(closed, { ...sla, 5: sla[1] }, now))).toEqual(['5']);
    expect(listTick(b)).toBe(30000);
    expect(listTick({ 3: b[3] })).toBe(0);
    expect(listTick({})).toBe(0);
  });
});
