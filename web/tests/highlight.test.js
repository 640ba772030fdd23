import { describe, it, expect } from 'vitest';
import { escapeHtml, queryTerms, highlightSegments, highlightHtml } from '../src/lib/highlight.js';

describe('escapeHtml', () => {
  it('escapes the five HTML specials', () => {
    expect(escapeHtml(`<img src=x onerror="alert('1')">&`)).toBe(
      '&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;',
    );
  });
  it('takes null and numbers', () => {
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(42)).toBe('42');
  });
});

describe('queryTerms', () => {
  it('splits on any whitespace, drops empties', () => {
    expect(queryTerms('  退款  物流\t慢 ')).toEqual(['退款', '物流', '慢']);
    expect(queryTerms('')).toEqual([]);
    expect(queryTerms(undefined)).toEqual([]);
  });
});

describe('highlightSegments', () => {
  it('marks every occurrence and keeps the rest as plain text', () => {
    expect(highlightSegments('退款慢，申请退款三次', ['退款'])).toEqual([
      { text: '退款', match: true },
      { text: '慢，申请', match: false },
      { text: '退款', match: true },
      { text: '三次', match: false },
    ]);
  });
  it('is case-insensitive for Latin letters and keeps the original case', () => {
    expect(highlightSegments('The APP crashed, app again', ['app'])).toEqual([
      { text: 'The ', match: false },
      { text: 'APP', match: true },
      { text: ' crashed, ', match: false },
      { text: 'app', match: true },
      { text: ' again', match: false },
    ]);
  });
  it('prefers the longest of overlapping terms', () => {
    expect(highlightSegments('快递员态度差', ['快递', '快递员'])).toEqual([
      { text: '快递员', match: true },
      { text: '态度差', match: false },
    ]);
  });
  it('without terms gives the whole text, without text nothing', () => {
    expect(highlightSegments('abc', [])).toEqual([{ text: 'abc', match: false }]);
    expect(highlightSegments('', ['a'])).toEqual([]);
  });
});

describe('highlightHtml', () => {
  it('escapes before marking, so markup in the text stays text', () => {
    const html = highlightHtml('<script>alert(1)</script> 退款', ['退款', 'script']);
    expect(html).toBe(
      '&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; <mark>退款</mark>',
    );
    expect(html).not.toMatch(/<script/i);
  });
  it('a term that is itself markup is matched as text and escaped', () => {
    expect(highlightHtml('a <b> c', ['<b>'])).toBe('a <mark>&lt;b&gt;</mark> c');
  });
});
