import { describe, it, expect } from 'vitest';
import { validateRecord, recordBody, utf8Length, TEXT_MAX } from '../src/lib/validate.js';

describe('validateRecord (the API checks, before sending)', () => {
  const ok = { channel: 'hotline', text: '快递三天没到' };
  it('accepts a minimal record', () => {
    expect(validateRecord(ok)).toEqual({});
  });
  it('channel and text are required; channel must be known', () => {
    expect(validateRecord({ text: 'x' })).toEqual({ channel: 'required' });
    expect(validateRecord({ channel: 'fax', text: 'x' })).toEqual({ channel: 'invalid' });
    expect(validateRecord({ channel: 'web', text: '  \n ' })).toEqual({ text: 'required' });
  });
  it('limits are in UTF-8 bytes, as the server counts', () => {
    expect(utf8Length('退款')).toBe(6);
    const big = '退'.repeat(Math.floor(TEXT_MAX / 3) + 1);
    expect(validateRecord({ ...ok, text: big })).toEqual({ text: 'tooLong' });
    expect(validateRecord({ ...ok, store: '店'.repeat(86) })).toEqual({ store: 'tooLong' });
    expect(validateRecord({ ...ok, store: '店'.repeat(85) })).toEqual({});
  });
  it('phone: digits, spaces and + - ( ) only; email needs @', () => {
    expect(validateRecord({ ...ok, phone: '+86 (21) 6888-1234' })).toEqual({});
    expect(validateRecord({ ...ok, phone: '138abc' })).toEqual({ phone: 'phone' });
    expect(validateRecord({ ...ok, email: 'a.example.com' })).toEqual({ email: 'email' });
  });
  it('rating 0..5 and received_at at most a day ahead', () => {
    const now = Date.parse('2026-11-22T10:00:00+08:00');
    expect(validateRecord({ ...ok, rating: 6 }, now)).toEqual({ rating: 'rating' });
    expect(validateRecord({ ...ok, received_at: '2026-11-24T10:00:00+08:00' }, now)).toEqual({ received_at: 'future' });
    expect(validateRecord({ ...ok, received_at: '2026-11-23T09:00:00+08:00' }, now)).toEqual({});
  });
});

describe('recordBody', () => {
  it('leaves out empty fields and an unset rating, trims text fields', () => {
    expect(recordBody({ channel: 'web', text: ' 内容 ', phone: '', rating: 0, store: null })).toEqual({ channel: 'web', text: '内容' });
    expect(recordBody({ channel: 'web', text: 'x', rating: 4 })).toEqual({ channel: 'web', text: 'x', rating: 4 });
  });
});
