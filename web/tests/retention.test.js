import { describe, it, expect } from 'vitest';
import { formFromSettings, settingsFromForm, RetentionError, CLASSES, unitsOf } from '../src/lib/retention.js';

describe('retention settings ↔ form', () => {
  it('reads the API settings into amount and unit, blank for kept for ever', () => {
    const f = formFromSettings({ closed_complaints: '3y', pii: '2w', audit: null, archive_after: '6m', every: '12h' });
    expect(f.closed_complaints).toEqual({ n: '3', unit: 'y' });
    expect(f.pii).toEqual({ n: '2', unit: 'w' });
    expect(f.audit).toEqual({ n: '', unit: 'y' });
    expect(f.archive_after).toEqual({ n: '6', unit: 'm' });
    expect(f.every).toEqual({ n: '12', unit: 'h' });
  });
  it('round-trips through the PUT body', () => {
    const settings = { closed_complaints: '3y', pii: '30d', audit: '7y', archive_after: null, every: '1d' };
    expect(settingsFromForm(formFromSettings(settings))).toEqual(settings);
  });
  it('tolerates junk from the server (a unit the class does not take, markup, numbers)', () => {
    const f = formFromSettings({ pii: '5h', audit: '<img src=x onerror=alert(1)>', every: 24, closed_complaints: '1y ' });
    for (const c of ['pii', 'audit', 'every', 'closed_complaints']) expect(f[c].n).toBe('');
    expect(Object.keys(f)).toEqual(CLASSES);
  });
  it('refuses a bad amount or unit, naming the class', () => {
    const f = formFromSettings({});
    f.pii = { n: '1.5', unit: 'y' };
    expect(() => settingsFromForm(f)).toThrow(RetentionError);
    try {
      settingsFromForm(f);
    } catch (e) {
      expect(e.field).toBe('pii');
    }
    const g = formFromSettings({});
    g.audit = { n: '2', unit: 'h' };
    expect(() => settingsFromForm(g)).toThrow(/unit/);
    const h = formFromSettings({});
    h.every = { n: '0', unit: 'h' };
    expect(() => settingsFromForm(h)).toThrow(RetentionError);
  });
  it('offers hours only for the schedule', () => {
    expect(unitsOf('every')).toContain('h');
    expect(unitsOf('pii')).not.toContain('h');
  });
  it('an all-blank form keeps everything for ever', () => {
    expect(settingsFromForm(formFromSettings({}))).toEqual(
      { closed_complaints: null, pii: null, audit: null, archive_after: null, every: null });
  });
});
