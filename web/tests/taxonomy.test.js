import { describe, it, expect } from 'vitest';
import {
  toTree, findNode, addNode, renameNode, removeNode, moveNode, setRules, ruleToForm, formToRule, checkTaxonomy,
  categoryOptions, splitTerms,
} from '../src/lib/taxonomy.js';

const doc = () => ({
  version: 1,
  categories: [
    { name: '物流', rules: [{ id: 'l', any: ['快递'] }], children: [{ name: '配送延迟', rules: [{ id: 'late', any: ['延迟'], priority: 10 }] }] },
    { name: '服务态度', rules: [] },
  ],
  severity: { rules: [] },
});

describe('taxonomy tree editing', () => {
  it('turns the document into tree nodes addressed by path', () => {
    const t = toTree(doc());
    expect(t.map((n) => n.id)).toEqual(['物流', '服务态度']);
    expect(t[0].children[0]).toMatchObject({ id: '物流/配送延迟', label: '配送延迟', depth: 2, rules: 1 });
  });

  it('adds children without touching the input and refuses duplicates, slashes and a fourth level', () => {
    const d = doc();
    const a = addNode(d, '物流/配送延迟', '超过三天');
    expect(findNode(a, '物流/配送延迟/超过三天')).toEqual({ name: '超过三天', rules: [] });
    expect(findNode(d, '物流/配送延迟/超过三天')).toBeNull();
    expect(() => addNode(a, '物流/配送延迟/超过三天', 'x')).toThrow(/depth/);
    expect(() => addNode(d, '物流', '配送延迟')).toThrow(/exists/);
    expect(() => addNode(d, '', 'a/b')).toThrow(/name/);
    expect(() => addNode(d, '', '  ')).toThrow(/required/);
    expect(() => addNode(d, '没有', 'x')).toThrow(/no such/);
    expect(addNode(d, '', '新分类').categories.map((c) => c.name)).toEqual(['物流', '服务态度', '新分类']);
  });

  it('renames, moves and removes by path', () => {
    let d = renameNode(doc(), '物流/配送延迟', '配送慢');
    expect(findNode(d, '物流/配送慢').rules[0].id).toBe('late');
    expect(() => renameNode(d, '服务态度', '物流')).toThrow(/exists/);
    d = moveNode(d, '服务态度', -1);
    expect(d.categories.map((c) => c.name)).toEqual(['服务态度', '物流']);
    expect(moveNode(d, '服务态度', -1).categories.map((c) => c.name)).toEqual(['服务态度', '物流']);
    d = removeNode(d, '物流/配送慢');
    expect(findNode(d, '物流').children).toEqual([]);
  });

  it('round-trips rules through the form and leaves empty members out', () => {
    const r = { id: 'x', any: ['a', 'b'], none: ['c'], regex: '[0-9]+天', priority: 5, confidence: 0.7 };
    expect(formToRule(ruleToForm(r))).toEqual(r);
    expect(formToRule({ id: '', any: '退款，没到账\n退款', all: '', none: '', regex: '', priority: 0, confidence: null }))
      .toEqual({ any: ['退款', '没到账'] });
    expect(splitTerms(' a, ,b，a ')).toEqual(['a', 'b']);
    const d = setRules(doc(), '服务态度', [ruleToForm({ id: 'rude', any: ['态度差'] })]);
    expect(findNode(d, '服务态度').rules).toEqual([{ id: 'rude', any: ['态度差'] }]);
  });

  it('finds what the server would refuse before sending', () => {
    expect(checkTaxonomy(doc())).toEqual([]);
    const d = doc();
    d.categories[1].rules = [{ id: 'empty' }, { any: ['x'], confidence: 2 }];
    d.categories.push({ name: '物流' });
    expect(checkTaxonomy(d)).toEqual([
      'categories[1].rules[0]: needs a term or a regex',
      'categories[1].rules[1].confidence: from 0 to 1',
      'categories[2].name: 物流 twice',
    ]);
  });

  it('gives cascader options by name', () => {
    expect(categoryOptions(doc())).toEqual([
      { value: '物流', label: '物流', children: [{ value: '配送延迟', label: '配送延迟', children: undefined }] },
      { value: '服务态度', label: '服务态度', children: undefined },
    ]);
  });
});
