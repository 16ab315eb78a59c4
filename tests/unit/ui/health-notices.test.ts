import { describe, expect, it } from 'vitest';
import { healthNotices } from '@/utils/ui/health-notices';
import { healthyHealth } from '../../component/ui-fixtures';

describe('healthNotices', () => {
  it('says nothing when all is well', () => {
    expect(healthNotices(healthyHealth(), 2_000)).toEqual([]);
  });

  it('shows each configuration warning of the background as a warning', () => {
    const h = healthyHealth();
    h.warnings = ['Basic auth over http:// to pg.corp: the user name and password cross the network unencrypted. Use https://.'];
    expect(healthNotices(h, 0)).toContainEqual({ level: 'warning', text: h.warnings[0] });
  });

  it('lists each degraded reason', () => {
    const h = healthyHealth();
    h.status = 'degraded';
    h.degradedReasons = ['storage unavailable: using defaults'];
    expect(healthNotices(h, 0)).toContainEqual({ level: 'warning', text: 'Degraded: storage unavailable: using defaults' });
  });

  it.each([
    ['open', 'error', 'paused'],
    ['half-open', 'warning', 'again'],
    ['isolated', 'error', 'stopped'],
  ] as const)('explains a %s breaker', (breaker, level, word) => {
    const h = healthyHealth();
    h.delivery.breaker = breaker;
    const notice = healthNotices(h, 10_000)[0];
    expect(notice?.level).toBe(level);
    expect(notice?.text).toContain(word);
  });

  it('tells an unconfigured gateway apart from a failing one', () => {
    const h = healthyHealth();
    h.delivery.configured = false;
    h.delivery.breaker = 'open';
    const texts = healthNotices(h, 0).map((n) => n.text);
    expect(texts.join(' ')).toContain('No gateway is set');
    expect(texts.join(' ')).not.toContain('paused');
  });

  it('reports storage falling back, repairs and drops with counts', () => {
    const h = healthyHealth();
    h.storage.tier = 'memory';
    h.storage.lastError = 'QUOTA_BYTES quota exceeded';
    h.integrity.repaired = { stale: 2, 'closed-tab': 1 };
    h.integrity.invalidSettingsFields = ['intervalMs'];
    h.drops = { 'rate-limit': 7, 'queue-full': 0 };
    const texts = healthNotices(h, 0).map((n) => n.text).join('\n');
    expect(texts).toContain('QUOTA_BYTES quota exceeded');
    expect(texts).toContain('stale 2, closed-tab 1');
    expect(texts).toContain('reset to their defaults: intervalMs');
    expect(texts).toContain('rate-limit 7');
    expect(texts).not.toContain('queue-full');
  });
});
