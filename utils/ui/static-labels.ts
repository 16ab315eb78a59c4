/**
 * The options page's text form of remote-write static labels: one `name=value` per line. The
 * settings schema judges names and values (and says why at the field); this only splits lines.
 */

/** `{ site: 'paris' }` -> `site=paris`, one line per label. */
export function formatStaticLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}=${value}`)
    .join('\n');
}

/**
 * Lines to labels: blank lines are skipped, the first `=` splits name from value, both trimmed.
 * A line without `=` becomes a name with an empty value, which the schema refuses ("needs a
 * value") rather than this dropping it unseen.
 */
export function parseStaticLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const at = line.indexOf('=');
    const name = (at < 0 ? line : line.slice(0, at)).trim();
    labels[name] = at < 0 ? '' : line.slice(at + 1).trim();
  }
  return labels;
}
