import { describe, expect, it, vi } from 'vitest';
import { defaultSettings } from '@/utils/settings/settings-schema';
import { createSettingsForm, deferredStore } from '@/utils/ui/settings-form';
import { createFakeStore } from '../../component/ui-fixtures';

async function readyForm(options: Parameters<typeof createFakeStore>[0] = {}, granted = true) {
  const store = createFakeStore(options);
  const requestOrigins = vi.fn(async () => granted);
  const releaseOrigins = vi.fn(async (_origins: string[]) => true);
  const form = createSettingsForm({ store, requestOrigins, releaseOrigins });
  await form.load();
  return { form, store, requestOrigins, releaseOrigins };
}

describe('createSettingsForm', () => {
  it('loads the stored settings into the draft and is clean', async () => {
    const settings = defaultSettings();
    settings.agentId = 'a-1';
    const { form } = await readyForm({ settings });
    expect(form.status.value).toBe('ready');
    expect(form.draft.value.agentId).toBe('a-1');
    expect(form.dirty.value).toBe(false);
  });

  it('does not save an invalid draft', async () => {
    const { form, store } = await readyForm();
    form.draft.value.gateway.url = 'nope';
    expect(form.isValid.value).toBe(false);
    expect(form.errorFor('gateway.url')).toContain('http://');
    await expect(form.save()).resolves.toBe('invalid');
    expect(store.save).not.toHaveBeenCalled();
  });

  it('asks for the gateway host before saving a new URL, synchronously', async () => {
    const { form, store, requestOrigins } = await readyForm();
    form.draft.value.gateway.url = 'https://pg.example.com:9091';
    const pending = form.save();
    // Called before save() returned: still inside the click's user gesture.
    expect(requestOrigins).toHaveBeenCalledWith(['https://pg.example.com/*']);
    await expect(pending).resolves.toBe('saved');
    expect(store.current().gateway.url).toBe('https://pg.example.com:9091');
    expect(form.statusText.value).toBe('Saved');
  });

  it('keeps the old URL when access is refused, saves the rest and says so at the field', async () => {
    const { form, store } = await readyForm({}, false);
    form.draft.value.gateway.url = 'https://pg.example.com';
    form.draft.value.agentId = 'agent-7';
    await expect(form.save()).resolves.toBe('partly-saved');
    expect(store.current().gateway.url).toBe('');
    expect(store.current().agentId).toBe('agent-7');
    expect(form.draft.value.gateway.url).toBe('https://pg.example.com');
    expect(form.errorFor('gateway.url')).toContain('was refused');
    form.draft.value.gateway.url = 'https://pg2.example.com';
    expect(form.errorFor('gateway.url')).toBeUndefined();
  });

  it('does not ask again when the URL did not change', async () => {
    const { form, requestOrigins } = await readyForm();
    form.draft.value.agentId = 'x';
    await form.save();
    expect(requestOrigins).not.toHaveBeenCalled();
  });

  it('adds a custom origin only once access is granted, and rejects bad patterns with the reason', async () => {
    const { form, requestOrigins } = await readyForm();
    await expect(form.addCustomOrigin('calls.example.com')).resolves.toContain('Use an origin such as');
    expect(requestOrigins).not.toHaveBeenCalled();
    await expect(form.addCustomOrigin('https://calls.example.com')).resolves.toBeUndefined();
    expect(requestOrigins).toHaveBeenCalledWith(['https://calls.example.com/*']);
    expect(form.draft.value.customOrigins).toEqual(['https://calls.example.com/*']);
    await expect(form.addCustomOrigin('https://calls.example.com/*')).resolves.toContain('already');
  });

  it('leaves a refused custom origin out', async () => {
    const { form } = await readyForm({}, false);
    await expect(form.addCustomOrigin('https://calls.example.com')).resolves.toContain('refused');
    expect(form.draft.value.customOrigins).toEqual([]);
  });

  it('gives back the host permission of a removed custom origin once the removal is saved', async () => {
    const { form, store, releaseOrigins } = await readyForm({
      settings: { ...defaultSettings(), customOrigins: ['https://calls.example.com/*', 'https://*.example.org/*'] },
    });
    form.removeCustomOrigin('https://calls.example.com/*');
    expect(releaseOrigins).not.toHaveBeenCalled();
    await expect(form.save()).resolves.toBe('saved');
    expect(releaseOrigins).toHaveBeenCalledExactlyOnceWith(['https://calls.example.com/*']);
    expect(store.current().customOrigins).toEqual(['https://*.example.org/*']);
  });

  it('keeps the permission of a removed custom origin that the gateway still needs', async () => {
    const { form, releaseOrigins } = await readyForm({
      settings: {
        ...defaultSettings(),
        gateway: { ...defaultSettings().gateway, url: 'https://calls.example.com:9091' },
        customOrigins: ['https://calls.example.com/*'],
      },
    });
    form.removeCustomOrigin('https://calls.example.com/*');
    await form.save();
    expect(releaseOrigins).not.toHaveBeenCalled();
  });

  it('keeps the save when the browser refuses to give a permission back', async () => {
    const { form, releaseOrigins } = await readyForm({
      settings: { ...defaultSettings(), customOrigins: ['https://calls.example.com/*'] },
    });
    releaseOrigins.mockResolvedValueOnce(false);
    form.removeCustomOrigin('https://calls.example.com/*');
    await expect(form.save()).resolves.toBe('saved');
    expect(form.saved.value.customOrigins).toEqual([]);
  });

  it('resets reliability to defaults except locked fields', async () => {
    const settings = defaultSettings();
    settings.reliability.queueMaxSize = 9;
    settings.reliability.outboxMaxGroups = 9;
    const { form } = await readyForm({ settings, lockedFields: ['reliability.outboxMaxGroups'] });
    form.resetReliability();
    expect(form.draft.value.reliability.queueMaxSize).toBe(200);
    expect(form.draft.value.reliability.outboxMaxGroups).toBe(9);
  });

  it('takes changes made elsewhere without losing the edit in progress', async () => {
    const { form, store } = await readyForm();
    form.draft.value.agentId = 'typing';
    const elsewhere = defaultSettings();
    elsewhere.disabledOrigins = ['https://meet.google.com'];
    store.emit(elsewhere);
    expect(form.draft.value.agentId).toBe('typing');
    expect(form.draft.value.disabledOrigins).toEqual(['https://meet.google.com']);
  });

  it('shows a store that cannot start as a load error', async () => {
    const form = createSettingsForm({
      store: deferredStore(() => {
        throw new Error('storage is disabled');
      }),
      requestOrigins: async () => true,
      releaseOrigins: async () => true,
    });
    await form.load();
    expect(form.status.value).toBe('failed');
    expect(form.loadError.value).toContain('storage is disabled');
  });

  it('shows issues the store refuses at their fields', async () => {
    const { form, store } = await readyForm();
    store.save.mockResolvedValueOnce({ ok: false, issues: [{ path: 'gateway.job', message: 'Taken by policy' }] });
    form.draft.value.gateway.job = 'other';
    await expect(form.save()).resolves.toBe('failed');
    expect(form.errorFor('gateway.job')).toBe('Taken by policy');
  });
});
