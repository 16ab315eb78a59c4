// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import PopupApp from '@/entrypoints/popup/App.vue';
import { createFakeBackend, createFakeStore, teamsTabStatus } from './ui-fixtures';

describe('popup', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function mountPopup(overrides = {}) {
    const backend = createFakeBackend(createFakeStore(), {
      getTabStatus: vi.fn(async () => ({ ok: true as const, value: teamsTabStatus() })),
      ...overrides,
    });
    const wrapper = mount(PopupApp, { props: { backend } });
    return { wrapper, backend };
  }

  it('renders each live connection with its bitrate and charts', async () => {
    const { wrapper } = mountPopup();
    await flushPromises();
    expect(wrapper.get('[data-test="origin"]').text()).toBe('https://teams.microsoft.com');
    expect(wrapper.text()).toContain('Microsoft Teams');
    const card = wrapper.get('article.connection');
    expect(card.text()).toContain('in 1.2 Mbit/s, out 400 kbit/s');
    expect(card.text()).toContain('1.5 %');
    expect(card.text()).toContain('42 ms');
    expect(card.text()).toContain('5.1 ms');
    const lines = card.findAll('polyline');
    expect(lines.length).toBe(5);
    expect(lines[0]?.attributes('points')?.split(' ')).toHaveLength(3);
    wrapper.unmount();
  });

  it('polls the tab every 2 s while open and stops when closed', async () => {
    const { wrapper, backend } = mountPopup();
    await flushPromises();
    expect(backend.getTabStatus).toHaveBeenCalledTimes(1);
    expect(backend.getTabStatus).toHaveBeenCalledWith(7);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(backend.getTabStatus).toHaveBeenCalledTimes(2);
    wrapper.unmount();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(backend.getTabStatus).toHaveBeenCalledTimes(2);
  });

  it('switches capture for the origin from the toggle', async () => {
    const { wrapper, backend } = mountPopup();
    await flushPromises();
    const toggle = wrapper.get('#capture-toggle');
    expect((toggle.element as HTMLInputElement).checked).toBe(true);
    await toggle.setValue(false);
    await flushPromises();
    expect(backend.setOriginCapture).toHaveBeenCalledWith('https://teams.microsoft.com', false);
    expect(wrapper.text()).toContain('Capture off for https://teams.microsoft.com');
    wrapper.unmount();
  });

  it('shows gateway health with the last error message', async () => {
    const { healthyHealth } = await import('./ui-fixtures');
    const health = healthyHealth();
    health.delivery.breaker = 'open';
    health.delivery.lastError = { at: Date.now(), status: 400, kind: 'http', message: 'text format parsing error in line 3' };
    const { wrapper } = mountPopup({ getHealth: vi.fn(async () => ({ ok: true as const, value: health })) });
    await flushPromises();
    expect(wrapper.text()).toContain('open (paused after failures)');
    expect(wrapper.text()).toContain('HTTP 400: text format parsing error in line 3');
    expect(wrapper.text()).toContain('Pushing is paused');
    wrapper.unmount();
  });

  it('says the background is not reachable instead of breaking', async () => {
    const { wrapper } = mountPopup({
      getTabStatus: vi.fn(async () => ({ ok: false as const, error: 'Background not reachable: x' })),
      getHealth: vi.fn(async () => ({ ok: false as const, error: 'Background not reachable: x' })),
    });
    await flushPromises();
    expect(wrapper.get('[data-test="tab-error"]').text()).toContain('Background not reachable');
    expect(wrapper.get('[data-test="health-error"]').text()).toContain('Background not reachable');
    wrapper.unmount();
  });

  it('opens the options page from the link', async () => {
    const { wrapper, backend } = mountPopup();
    await flushPromises();
    await wrapper.get('button.link').trigger('click');
    expect(backend.openOptionsPage).toHaveBeenCalled();
    wrapper.unmount();
  });
});
