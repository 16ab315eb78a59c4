/**
 * A strict little reader of the exposition text the encoder writes, for assertions. It reads
 * what the writer produces (no timestamps, no comments other than HELP/TYPE) and throws on
 * anything else, so a malformed line fails the test that reads it.
 */
export interface ParsedLine {
  kind: 'help' | 'type' | 'sample';
  name: string;
  /** For help: the text; for type: the type. */
  text?: string;
  labels?: Record<string, string>;
  value?: string;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

export function parseExposition(text: string): ParsedLine[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error('exposition text must end with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (meta) return { kind: meta[1] === 'HELP' ? 'help' : 'type', name: meta[2]!, text: meta[3]! } as const;
      const sample = SAMPLE.exec(line);
      if (!sample) throw new Error(`not a sample line: ${line}`);
      return { kind: 'sample', name: sample[1]!, labels: parseLabels(sample[3] ?? ''), value: sample[4]! } as const;
    });
}

function parseLabels(body: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const match = LABEL.exec(body);
    if (!match) throw new Error(`bad label set: {${body}}`);
    if (match[1]! in labels) throw new Error(`label ${match[1]} repeated in {${body}}`);
    labels[match[1]!] = unescape(match[2]!);
  }
  return labels;
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

/** The samples only. */
export function samplesOf(text: string): ParsedLine[] {
  return parseExposition(text).filter((line) => line.kind === 'sample');
}
