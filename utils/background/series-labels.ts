import type { Settings } from '../settings/settings-schema';

/**
 * Labels every series of a connection carries. Few and bounded: the agent, the platform and
 * where the call ran, the latter reduced per the privacy setting so that query strings and
 * fragments (meeting secrets, tokens) never become label values.
 */
export function connectionLabels(
  settings: Pick<Settings, 'agentId' | 'urlLabelMode' | 'exportProfile'>,
  connection: { platform: string; pageUrl: string },
): Record<string, string> {
  const labels: Record<string, string> = {};
  if (settings.agentId) labels.agent_id = settings.agentId;
  labels.platform = connection.platform;
  const page = pageLabel(connection.pageUrl, settings.urlLabelMode);
  if (page !== undefined) labels[pageLabelName(settings)] = page;
  return labels;
}

// The older exporters' dashboards filter on `pageUrl`; the legacy profile keeps that name (the value is still reduced).
function pageLabelName(settings: Pick<Settings, 'urlLabelMode' | 'exportProfile'>): string {
  if (settings.exportProfile === 'legacy') return 'pageUrl';
  return settings.urlLabelMode === 'path' ? 'page' : 'origin';
}

function pageLabel(pageUrl: string, mode: Settings['urlLabelMode']): string | undefined {
  if (mode === 'off') return undefined;
  let url: URL;
  try {
    url = new URL(pageUrl);
  } catch {
    return undefined;
  }
  if (url.origin === 'null') return undefined;
  return mode === 'origin' ? url.origin : `${url.origin}${url.pathname}`;
}
