import { describe, it, expect } from 'vitest';
import { clipBytes, problemTitleFor, newProblemBody, addCaseBody, linkableProblems, PROBLEM_TITLE_MAX } from '../src/lib/ops.js';

const bytes = (s) => new TextEncoder().encode(s).length;

describe('linking a case to a problem', () => {
  it('cuts to a byte limit without splitting a character', () => {
    expect(clipBytes('abc', 2)).toBe('ab');
    expect(clipBytes('漏水漏水', 7)).toBe('漏水'); // 3 bytes each
    expect(clipBytes('a😀b', 4)).toBe('a'); // a 4-byte character is not split
    expect(clipBytes(null, 5)).toBe('');
  });

  it('prefills the title from the category path and the title, within the API limit', () => {
    expect(problemTitleFor({ id: 7, category_l1: '物流', category_l2: '破损', title: '箱子压坏了' })).toBe('物流 / 破损：箱子压坏了');
    expect(problemTitleFor({ id: 7, category_l1: '物流', title: '' })).toBe('物流');
    expect(problemTitleFor({ category_l1: '安装', category_l2: '安装', title: 'x' })).toBe('安装：x'); // a level named as its parent once
    expect(problemTitleFor({ id: 7, text: '  空调\n漏水  ' })).toBe('空调 漏水');
    expect(problemTitleFor({ id: 7 })).toBe('#7');
    expect(problemTitleFor(null)).toBe('');
    const long = problemTitleFor({ category_l1: '质量', title: '漏'.repeat(300) });
    expect(bytes(long)).toBeLessThanOrEqual(PROBLEM_TITLE_MAX);
    expect(long.startsWith('质量：漏')).toBe(true);
    // markup stays a string: nothing here is HTML
    expect(problemTitleFor({ title: '<img src=x onerror=alert(1)>' })).toBe('<img src=x onerror=alert(1)>');
  });

  it('builds the new problem body, refusing a bad title by field', () => {
    const rec = { id: 3, category_l1: '安装', product: '空调 KFR-35', title: 't' };
    expect(newProblemBody(rec, '  安装漏水  ')).toEqual({ body: { title: '安装漏水', category: '安装', product: '空调 KFR-35' } });
    expect(newProblemBody({}, 'x')).toEqual({ body: { title: 'x' } });
    expect(newProblemBody(rec, '   ')).toEqual({ field: 'title', error: 'empty' });
    expect(newProblemBody(rec, '漏'.repeat(67))).toEqual({ field: 'title', error: 'too_long' }); // 201 bytes
    expect(newProblemBody(rec, '漏'.repeat(66)).body.title).toHaveLength(66);
    // a category or product beyond the API's limits is left out rather than refused
    expect(newProblemBody({ category_l1: 'c'.repeat(65), product: 'p'.repeat(257) }, 'x')).toEqual({ body: { title: 'x' } });
  });

  it('adds one case by id', () => {
    expect(addCaseBody(42)).toEqual({ add: [42] });
    expect(addCaseBody('42')).toEqual({ add: [42] });
    for (const bad of [0, -1, 1.5, '', 'abc', '12abc', null, undefined]) expect(addCaseBody(bad)).toBeNull();
  });

  it('offers open problems not already holding the case, newest first, each once', () => {
    const items = [
      { id: 1, status: 'open' }, { id: 5, status: 'investigating' }, { id: 3, status: 'closed' },
      { id: 4, status: 'open' }, { id: 5, status: 'investigating' },
    ];
    expect(linkableProblems(items, [{ id: 4 }]).map((p) => p.id)).toEqual([5, 1]);
    expect(linkableProblems(null)).toEqual([]);
  });
});
