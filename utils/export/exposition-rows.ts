import type { BufferedRow } from './sample-buffer';

/**
 * Reads a push body the exporter's own encoders wrote (Prometheus text 0.0.4, no timestamps)
 * back into rows: metric name, labels, value. This is what makes a remote-write sample carry
 * exactly the names, labels and values a Pushgateway push of the same window carries: both
 * sinks take the same body from the one encoder, so they cannot drift apart.
 *
 * `common` labels (the grouping key, `job`, static labels) are put on every row; a label of
 * the same name written on the sample itself wins (as `honor_labels` would have it at a
 * Pushgateway scrape). Lines that are not samples (`# HELP`, `# TYPE`, blank) are skipped; a
 * sample line that does not parse, or whose value is not finite, is counted in `malformed` and
 * left out.
 */
export function rowsFromExposition(
  body: string,
  common: Readonly<Record<string, string>>,
): { rows: BufferedRow[]; malformed: number } {
  const rows: BufferedRow[] = [];
  let malformed = 0;
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const row = parseSampleLine(line, common);
    if (row) rows.push(row);
    else malformed++;
  }
  return { rows, malformed };
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseSampleLine(line: string, common: Readonly<Record<string, string>>): BufferedRow | null {
  const name = NAME.exec(line)?.[0];
  if (!name) return null;
  let at = name.length;
  const labels: Record<string, string> = { ...common };
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const labelName = LABEL_NAME.exec(line.slice(at))?.[0];
      if (!labelName || line[at + labelName.length] !== '=' || line[at + labelName.length + 1] !== '"') return null;
      at += labelName.length + 2;
      let value = '';
      for (;;) {
        const char = line[at];
        if (char === undefined) return null;
        at++;
        if (char === '"') break;
        if (char === '\\') {
          const escaped = line[at++];
          value += escaped === 'n' ? '\n' : escaped === '\\' ? '\\' : escaped === '"' ? '"' : `\\${escaped ?? ''}`;
        } else {
          value += char;
        }
      }
      labels[labelName] = value;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') return null;
    }
    at++;
  }
  if (line[at] !== ' ') return null;
  const value = parseValue(line.slice(at + 1).trim());
  return value === null ? null : { name, labels, value };
}

// Finite values only: the buffer is persisted as JSON, which has no NaN or Inf (and the encoders
// leave non-finite values out anyway), so such a line counts as malformed.
function parseValue(text: string): number | null {
  if (text === '' || text.includes(' ')) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}
