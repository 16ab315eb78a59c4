import { describe, expect, it } from 'vitest';
import { defaultSettings, type Settings } from '@/utils/settings/settings-schema';
import { exportFileName, exportSettingsJson, previewImport } from '@/utils/ui/settings-transfer';

function current(): Settings {
  const s = defaultSettings();
  s.gateway.url = 'https://pg.example.com';
  s.gateway.password = 'secret';
  return s;
}

describe('settings-transfer', () => {
  it('exports without the password unless asked', () => {
    const without = JSON.parse(exportSettingsJson(current(), { includePassword: false }));
    expect(without.gateway).not.toHaveProperty('password');
    expect(without.gateway.url).toBe('https://pg.example.com');
    const withIt = JSON.parse(exportSettingsJson(current(), { includePassword: true }));
    expect(withIt.gateway.password).toBe('secret');
  });

  it('names the file with the date', () => {
    expect(exportFileName(new Date('2025-03-04T10:00:00Z'))).toBe('webrtc-stats-exporter-settings-2025-03-04.json');
  });

  it('round-trips an export with no changes and keeps the current password', () => {
    const text = exportSettingsJson(current(), { includePassword: false });
    const preview = previewImport(text, current());
    expect(preview.ok).toBe(true);
    if (!preview.ok) return;
    expect(preview.changes).toEqual([]);
    expect(preview.settings.gateway.password).toBe('secret');
    expect(preview.notes.join(' ')).toContain('current password is kept');
  });

  it.each([
    ['{ not json', 'not valid JSON'],
    ['[1,2]', 'not a settings object'],
    ['"text"', 'not a settings object'],
    ['null', 'not a settings object'],
  ])('refuses %s with a clear error', (text, message) => {
    const preview = previewImport(text, current());
    expect(preview.ok).toBe(false);
    if (preview.ok) return;
    expect(preview.error).toContain(message);
    expect(preview.error).toContain('Nothing was changed');
  });

  it('lists every invalid setting of a file by path', () => {
    const preview = previewImport(
      JSON.stringify({ gateway: { url: 'ftp://x' }, reliability: { queueMaxSize: 0 } }),
      current(),
    );
    expect(preview.ok).toBe(false);
    if (preview.ok) return;
    expect(preview.error).toContain('2 invalid settings');
    expect(preview.issues.map((i) => i.path)).toEqual(['gateway.url', 'reliability.queueMaxSize']);
  });

  it('lists what changes, fills missing settings with defaults and ignores unknown keys', () => {
    const preview = previewImport(
      JSON.stringify({ gateway: { url: 'https://other.example.com', job: 'calls' }, intervalMs: 5000, shiny: 1 }),
      current(),
    );
    expect(preview.ok).toBe(true);
    if (!preview.ok) return;
    expect(preview.changes.map((c) => `${c.path}:${String(c.before)}->${String(c.after)}`)).toEqual([
      'gateway.url:https://pg.example.com->https://other.example.com',
      'gateway.job:webrtc-internals-exporter->calls',
      'intervalMs:2000->5000',
    ]);
    expect(preview.notes.join(' ')).toContain('Unknown settings ignored: shiny');
  });

  it('keeps locked fields at their current value and says so', () => {
    const preview = previewImport(JSON.stringify({ gateway: { url: 'https://evil.example.com' } }), current(), [
      'gateway.url',
    ]);
    expect(preview.ok).toBe(true);
    if (!preview.ok) return;
    expect(preview.settings.gateway.url).toBe('https://pg.example.com');
    expect(preview.changes).toEqual([]);
    expect(preview.notes.join(' ')).toContain('administrator');
  });
});
