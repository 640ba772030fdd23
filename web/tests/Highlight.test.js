// @vitest-environment happy-dom
import { describe, it, expect } from 'vitest';
import { mount } from '@vue/test-utils';
import Highlight from '../src/components/Highlight.vue';

describe('<Highlight>', () => {
  it('marks matches and renders markup in the text as text', () => {
    const w = mount(Highlight, { props: { text: '<img src=x onerror=alert(1)>退款<script>x()</script>', terms: ['退款', 'img'] } });
    expect(w.findAll('mark').map((m) => m.text())).toEqual(['img', '退款']);
    expect(w.find('img').exists()).toBe(false);
    expect(w.find('script').exists()).toBe(false);
    expect(w.text()).toBe('<img src=x onerror=alert(1)>退款<script>x()</script>');
  });
  it('cuts a long text around the first match', () => {
    const text = 'a'.repeat(200) + '退款' + 'b'.repeat(200);
    const w = mount(Highlight, { props: { text, terms: ['退款'], max: 50 } });
    expect(w.text().startsWith('…')).toBe(true);
    expect(w.text().endsWith('…')).toBe(true);
    expect(w.find('mark').text()).toBe('退款');
  });
});
