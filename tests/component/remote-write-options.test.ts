// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { isProxy } from 'vue';
import { flushPromises, mount } from '@vue/test-utils';
import OptionsApp from '@/entrypoints/options/App.vue';
import { createFakeBackend, createFakeStore } from './ui-fixtures';

async function mountOptions(overrides = {}) {
  const store = createFakeStore();
  const backend = createFakeBackend(store, overrides);
  const wrapper = mount(OptionsApp, { props: { backend }, attachTo: document.body });
  await flushPromises();
  return { wrapper, backend, store };
}

describe('options page, remote-write sink', () => {
  it('shows the Pushgateway fields by default and the remote-write fields once chosen', async () => {
    const { wrapper } = await mountOptions();
    expect(wrapper.find('#f-gateway-url').exists()).toBe(true);
    expect(wrapper.find('#f-remoteWrite-url').exists()).toBe(false);

    await wrapper.get('#f-sink-remote-write').setValue(true);

    expect(wrapper.find('#f-gateway-url').exists()).toBe(false);
    expect(wrapper.find('#f-gateway-gzip').exists()).toBe(false);
    expect(wrapper.find('#f-remoteWrite-url').exists()).toBe(true);
    expect(wrapper.find('#f-gateway-job').exists()).toBe(true);
    wrapper.unmount();
  });

  it('saves the receiver, bearer token and static labels, asking for the receiver’s host first', async () => {
    const { wrapper, store, backend } = await mountOptions();
    await wrapper.get('#f-sink-remote-write').setValue(true);
    await wrapper.get('#f-remoteWrite-url').setValue('https://vm.example.com/api/v1/write');
    await wrapper.get('#f-remoteWrite-auth-bearer').setValue(true);
    await wrapper.get('#f-remoteWrite-bearerToken').setValue('t0ken');
    await wrapper.get('#f-remoteWrite-staticLabels').setValue('site=paris\nteam = blue\n');
    await wrapper.get('form').trigger('submit');
    await flushPromises();

    expect(backend.requestOrigins).toHaveBeenCalledWith(['https://vm.example.com/*']);
    expect(store.current()).toMatchObject({
      sink: 'remote-write',
      remoteWrite: { url: 'https://vm.example.com/api/v1/write', auth: 'bearer', bearerToken: 't0ken', staticLabels: { site: 'paris', team: 'blue' } },
    });
    expect(wrapper.get('[data-test="save-status"]').text()).toBe('Saved');
    wrapper.unmount();
  });

  it.each([
    ['a reserved label name', 'job=x', 'set by the exporter itself'],
    ['a label without a value', 'site', 'needs a value'],
    ['a bad label name', 'my-site=x', 'not a label name'],
  ])('refuses %s at the static-labels field and does not save', async (_name, text, message) => {
    const { wrapper, store } = await mountOptions();
    await wrapper.get('#f-sink-remote-write').setValue(true);
    await wrapper.get('#f-remoteWrite-staticLabels').setValue(text);

    expect(wrapper.get('#f-remoteWrite-staticLabels-error').text()).toContain(message);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(store.save).not.toHaveBeenCalled();
    wrapper.unmount();
  });

  it('says at the field that bearer auth needs a token', async () => {
    const { wrapper } = await mountOptions();
    await wrapper.get('#f-sink-remote-write').setValue(true);
    await wrapper.get('#f-remoteWrite-auth-bearer').setValue(true);
    expect(wrapper.get('#f-remoteWrite-bearerToken-error').text()).toBe('Bearer auth needs a token');
    wrapper.unmount();
  });

  it('tests the receiver, not the gateway, and shows what it answered', async () => {
    const { wrapper, backend } = await mountOptions({
      testRemoteWrite: vi.fn(async () => ({
        ok: true as const,
        value: { ok: false, kind: 'not-found' as const, status: 404, message: 'The test sample got 404: no remote-write endpoint there.', elapsedMs: 4 },
      })),
    });
    await wrapper.get('#f-sink-remote-write').setValue(true);
    await wrapper.get('#f-remoteWrite-url').setValue('http://127.0.0.1:9090/api/v1/wrong');
    await wrapper.get('[data-test="test-connection"]').trigger('click');
    await flushPromises();

    expect(backend.requestOrigins).toHaveBeenCalledWith(['http://127.0.0.1/*']);
    expect(backend.testConnection).not.toHaveBeenCalled();
    expect(isProxy(vi.mocked(backend.testRemoteWrite).mock.calls[0]![0])).toBe(false);
    expect(wrapper.get('[data-test="test-result"]').text()).toContain('no remote-write endpoint there');
    expect(wrapper.get('[data-test="test-result"]').text()).toContain('HTTP 404');
    wrapper.unmount();
  });
});
