// @vitest-environment happy-dom
import { describe, it, expect } from 'vitest';
import { mount } from '@vue/test-utils';
import ElementPlus from 'element-plus';
import RootCauseEditor from '../src/components/RootCauseEditor.vue';

// Element Plus puts the attributes of <el-input> on the native input, of <el-radio-button> on
// its label: the input is the element itself or inside it.
const input = (w, sel) => {
  const e = w.find(sel);
  return e.element.tagName === 'INPUT' ? e : e.find('input');
};
const mk = () => mount(RootCauseEditor, { global: { plugins: [ElementPlus] }, attachTo: document.body });

describe('<RootCauseEditor>', () => {
  it('refuses a broken chain and saves a complete one', async () => {
    const w = mk();
    expect(w.findAll('.why-row')).toHaveLength(5);
    await input(w, '[data-test="why-0"]').setValue('快递晚到');
    await input(w, '[data-test="why-2"]').setValue('拣货单错');
    await w.find('[data-test="save-root"]').trigger('click');
    expect(w.emitted('save')).toBeUndefined();
    expect(w.find('[data-test="rc-error"]').text()).toContain('2');
    await input(w, '[data-test="why-1"]').setValue('仓库漏发');
    await w.find('[data-test="save-root"]').trigger('click');
    expect(w.emitted('save')).toBeUndefined(); // no fishbone category yet
    await input(w, '[data-test="fb-material"]').setValue(true);
    await w.find('[data-test="save-root"]').trigger('click');
    expect(w.emitted('save')[0][0]).toEqual({ whys: ['快递晚到', '仓库漏发', '拣货单错'], fishbone: 'material', summary: '拣货单错' });
    expect(w.find('[data-test="rc-error"]').exists()).toBe(false);
    w.unmount();
  });
  it('adds whys up to ten', async () => {
    const w = mk();
    for (let i = 0; i < 8; i++) await w.find('[data-test="add-why"]').trigger('click');
    expect(w.findAll('.why-row')).toHaveLength(10);
    expect(w.find('[data-test="add-why"]').attributes('disabled')).toBeDefined();
    w.unmount();
  });
});
