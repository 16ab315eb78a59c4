// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest';
import { isProxy } from 'vue';
import { flushPromises, mount } from '@vue/test-utils';
import OptionsApp from '@/entrypoints/options/App.vue';
import { defaultSettings, reliabilitySchema } from '@/utils/settings/settings-schema';
import { createFakeBackend, createFakeStore, type FakeStore } from './ui-fixtures';

async function mountOptions(store: FakeStore = createFakeStore(), overrides = {}) {
  const backend = createFakeBackend(store, overrides);
  const wrapper = mount(OptionsApp, { props: { backend }, attachTo: document.body });
  await flushPromises();
  return { wrapper, backend, store };
}

describe('options page', () => {
  it('shows an invalid gateway URL at the field and does not save', async () => {
    const { wrapper, store } = await mountOptions();
    const input = wrapper.get('#f-gateway-url');
    await input.setValue('pushgateway:9091');

    const error = wrapper.get('#f-gateway-url-error');
    expect(error.text()).toContain('Enter an http:// or https:// URL');
    expect(input.attributes('aria-invalid')).toBe('true');
    expect(input.attributes('aria-describedby')).toContain('f-gateway-url-error');
    expect(wrapper.get('[data-test="save"]').attributes('disabled')).toBeDefined();

    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(store.save).not.toHaveBeenCalled();
    wrapper.unmount();
  });

  it('saves a valid edit, says "Saved" and asks for the gateway host first', async () => {
    const { wrapper, store, backend } = await mountOptions();
    await wrapper.get('#f-gateway-url').setValue('https://pg.example.com:9091');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(backend.requestOrigins).toHaveBeenCalledWith(['https://pg.example.com/*']);
    expect(store.save).toHaveBeenCalledTimes(1);
    expect(store.current().gateway.url).toBe('https://pg.example.com:9091');
    expect(wrapper.get('[data-test="save-status"]').text()).toBe('Saved');
    wrapper.unmount();
  });

  it.each([
    ['http to another host with a user name', 'http://pg.corp:9091', 'agent', true],
    ['https with a user name', 'https://pg.corp:9091', 'agent', false],
    ['http to loopback with a user name', 'http://127.0.0.1:9091', 'agent', false],
    ['http to another host without a user name', 'http://pg.corp:9091', '', false],
  ])('warns about clear-text credentials only for %s', async (_name, url, username, warned) => {
    const { wrapper } = await mountOptions();
    await wrapper.get('#f-gateway-url').setValue(url);
    await wrapper.get('#f-gateway-username').setValue(username);
    const warning = wrapper.find('[data-test="cleartext-credentials"]');
    expect(warning.exists()).toBe(warned);
    if (warned) expect(warning.text()).toContain('unencrypted');
    wrapper.unmount();
  });

  it('says at the field when access to the gateway is refused, and keeps the old URL', async () => {
    const { wrapper, store } = await mountOptions(createFakeStore(), { requestOrigins: async () => false });
    await wrapper.get('#f-gateway-url').setValue('https://pg.example.com');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(wrapper.get('#f-gateway-url-error').text()).toContain('was refused');
    expect(store.current().gateway.url).toBe('');
    wrapper.unmount();
  });

  it('says at the password field that the password stays on this device and is not synced', async () => {
    const { wrapper } = await mountOptions();
    const describedBy = wrapper.get('#f-gateway-password').attributes('aria-describedby') ?? '';
    const help = describedBy
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' ');
    expect(help).toMatch(/this device only/);
    expect(help).toMatch(/never synced/);
    wrapper.unmount();
  });

  it('resets the reliability thresholds to their defaults', async () => {
    const settings = defaultSettings();
    settings.reliability.breakerFailureThreshold = 9;
    const { wrapper, store } = await mountOptions(createFakeStore({ settings }));
    expect((wrapper.get('#f-reliability-breakerFailureThreshold').element as HTMLInputElement).value).toBe('9');
    await wrapper.get('#f-reliability-queueMaxSize').setValue('12');

    await wrapper.get('[data-test="reset-reliability"]').trigger('click');
    const defaults = reliabilitySchema.parse({});
    for (const [key, value] of Object.entries(defaults)) {
      expect((wrapper.get(`#f-reliability-${key}`).element as HTMLInputElement).value).toBe(String(value));
    }
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(store.current().reliability).toEqual(defaults);
    wrapper.unmount();
  });

  it('shows at the stale-timeout field that it no longer covers three polls once the interval grows, and does not save', async () => {
    const { wrapper, store } = await mountOptions();
    await wrapper.get('#f-intervalMs').setValue('30');
    const error = wrapper.get('#f-reliability-staleConnectionMs-error');
    expect(error.text()).toContain('at least 3 poll intervals (90 s)');
    expect(wrapper.get('#f-pushIntervalMs-error').text()).toContain('cannot be shorter than the poll interval (30 s)');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(store.save).not.toHaveBeenCalled();
    wrapper.unmount();
  });

  it('edits quality thresholds in the units users read and stores base units', async () => {
    const { wrapper, store } = await mountOptions();
    const loss = wrapper.get('#f-quality-lossPoor');
    expect((loss.element as HTMLInputElement).value).toBe('5');
    expect((wrapper.get('#f-quality-rttPoorSeconds').element as HTMLInputElement).value).toBe('400');
    await loss.setValue('7');
    await wrapper.get('#f-quality-rttFairSeconds').setValue('300');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(store.current().quality).toMatchObject({ lossPoor: 0.07, rttFairSeconds: 0.3 });
    wrapper.unmount();
  });

  it('refuses a fair threshold past the poor one at the field', async () => {
    const { wrapper, store } = await mountOptions();
    await wrapper.get('#f-quality-lossFair').setValue('9');
    expect(wrapper.get('#f-quality-lossPoor-error').text()).toContain('at or above the fair one');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(store.save).not.toHaveBeenCalled();
    wrapper.unmount();
  });

  it('rejects bad JSON on import with a clear error and changes nothing', async () => {
    const { wrapper, store } = await mountOptions();
    const before = JSON.stringify(store.current());
    await wrapper.get('#import-text').setValue('{ "gateway": ');
    await wrapper.get('[data-test="preview-import"]').trigger('click');

    expect(wrapper.get('[data-test="import-error"]').text()).toContain('This is not valid JSON');
    expect(wrapper.find('[data-test="import-diff"]').exists()).toBe(false);
    expect(wrapper.get('#import-text').attributes('aria-invalid')).toBe('true');
    expect(store.save).not.toHaveBeenCalled();
    expect(JSON.stringify(store.current())).toBe(before);
    expect((wrapper.get('#f-gateway-url').element as HTMLInputElement).value).toBe('');
    wrapper.unmount();
  });

  it('shows the diff of a valid import and applies it only on confirm', async () => {
    const { wrapper, store, backend } = await mountOptions();
    const file = JSON.stringify({ gateway: { url: 'https://pg.example.com', job: 'calls' }, intervalMs: 5000 });
    await wrapper.get('#import-text').setValue(file);
    await wrapper.get('[data-test="preview-import"]').trigger('click');

    const diff = wrapper.get('[data-test="import-diff"]');
    const lines = diff.findAll('li').map((li) => li.text());
    expect(lines).toEqual([
      'gateway.url: (empty) -> "https://pg.example.com"',
      'gateway.job: "webrtc-internals-exporter" -> "calls"',
      'intervalMs: 2000 -> 5000',
    ]);
    expect(store.save).not.toHaveBeenCalled();

    await wrapper.get('[data-test="confirm-import"]').trigger('click');
    await flushPromises();
    expect(backend.requestOrigins).toHaveBeenCalledWith(['https://pg.example.com/*']);
    expect(store.current()).toMatchObject({ intervalMs: 5000, gateway: { url: 'https://pg.example.com', job: 'calls' } });
    wrapper.unmount();
  });

  it('disables locked fields with the administrator note', async () => {
    const { wrapper } = await mountOptions(createFakeStore({ lockedFields: ['gateway.url'] }));
    const input = wrapper.get('#f-gateway-url');
    expect(input.attributes('disabled')).toBeDefined();
    expect(wrapper.get('#f-gateway-url-locked').text()).toBe('Set by your administrator');
    expect(wrapper.get('#f-gateway-job').attributes('disabled')).toBeUndefined();
    wrapper.unmount();
  });

  it('says the background is not reachable when it does not answer', async () => {
    const { wrapper } = await mountOptions(createFakeStore(), {
      getHealth: async () => ({ ok: false as const, error: 'Background not reachable: no listener' }),
    });
    expect(wrapper.text()).toContain('Background not reachable');
    expect(wrapper.find('#f-gateway-url').exists()).toBe(true);
    wrapper.unmount();
  });

  it('shows the exact message of a connection test', async () => {
    const { wrapper, backend } = await mountOptions(createFakeStore(), {
      testConnection: vi.fn(async () => ({
        ok: true as const,
        value: { ok: false, message: 'The gateway refused the credentials (HTTP 401)', kind: 'auth' as const, status: 401, elapsedMs: 20 },
      })),
    });
    await wrapper.get('#f-gateway-url').setValue('https://pg.example.com');
    await wrapper.get('[data-test="test-connection"]').trigger('click');
    await flushPromises();
    expect(backend.requestOrigins).toHaveBeenCalledWith(['https://pg.example.com/*']);
    expect(wrapper.get('[data-test="test-result"]').text()).toContain('The gateway refused the credentials (HTTP 401)');
    // A plain object: Firefox cannot clone the form's reactive Proxy into a message.
    expect(isProxy(vi.mocked(backend.testConnection).mock.calls[0]![0])).toBe(false);
    wrapper.unmount();
  });

  it('rejects an invalid custom origin with the reason and adds a valid one', async () => {
    const { wrapper } = await mountOptions();
    await wrapper.get('#f-newCustomOrigin').setValue('calls.example.com');
    await wrapper.get('#f-newCustomOrigin').trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(wrapper.get('#f-newCustomOrigin-error').text()).toContain('Use an origin such as');

    await wrapper.get('#f-newCustomOrigin').setValue('https://calls.example.com');
    await wrapper.get('#f-newCustomOrigin').trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(wrapper.get('[data-test="custom-origins"]').text()).toContain('https://calls.example.com/*');
    wrapper.unmount();
  });
});
