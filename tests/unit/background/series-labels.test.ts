import { describe, expect, it } from 'vitest';
import { connectionLabels } from '@/utils/background/series-labels';

const pageUrl = 'https://teams.microsoft.com/v2/meeting/123?token=secret#frag';

describe('connectionLabels', () => {
  it.each([
    ['origin', 'quality', { platform: 'teams', origin: 'https://teams.microsoft.com' }],
    ['path', 'quality', { platform: 'teams', page: 'https://teams.microsoft.com/v2/meeting/123' }],
    ['off', 'quality', { platform: 'teams' }],
    ['origin', 'legacy', { platform: 'teams', pageUrl: 'https://teams.microsoft.com' }],
    ['path', 'legacy', { platform: 'teams', pageUrl: 'https://teams.microsoft.com/v2/meeting/123' }],
  ] as const)('in %s mode with %s naming never carries the query or fragment', (urlLabelMode, exportProfile, expected) => {
    expect(connectionLabels({ agentId: '', urlLabelMode, exportProfile }, { platform: 'teams', pageUrl })).toEqual(expected);
  });

  it('adds the agent id when one is set', () => {
    const labels = connectionLabels(
      { agentId: 'agent "7"', urlLabelMode: 'off', exportProfile: 'quality' },
      { platform: 'custom', pageUrl },
    );
    expect(labels).toEqual({ agent_id: 'agent "7"', platform: 'custom' });
  });

  it('leaves out the page of an opaque URL', () => {
    expect(
      connectionLabels({ agentId: '', urlLabelMode: 'origin', exportProfile: 'quality' }, { platform: 'custom', pageUrl: 'about:blank' }),
    ).toEqual({ platform: 'custom' });
  });
});
