import { describe, it, expect } from 'vitest';
import { formatDuration, slaState, currentTarget } from '../src/lib/sla.js';

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
