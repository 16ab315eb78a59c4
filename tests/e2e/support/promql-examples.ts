import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** One PromQL example as a document shows it. */
export interface PromqlExample {
  /** `README.md` or `docs/metrics.md`, and the line the expression is on. */
  where: string;
  /** The `#` comment line above it (what it claims to answer), or '' when there is none. */
  says: string;
  expr: string;
}

/**
 * The part of a Markdown document under a `## heading`, up to the next `## ` heading; the whole
 * document when `heading` is undefined. Throws when the heading is gone, so a renamed section
 * fails the test instead of leaving nothing to check.
 */
function section(text: string, heading: string | undefined, file: string): { body: string; firstLine: number } {
  if (heading === undefined) return { body: text, firstLine: 1 };
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`${file} has no "## ${heading}" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return { body: lines.slice(start, end < 0 ? undefined : end).join('\n'), firstLine: start + 1 };
}

/**
 * Every expression in the ```promql blocks of one document (of one section of it): one expression
 * per line, `#` lines are the comments that say what the next expression answers. Read from the
 * file at test time, so an edited example is what gets run.
 */
export function promqlExamples(file: string, heading?: string): PromqlExample[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const { body, firstLine } = section(text, heading, file);
  const examples: PromqlExample[] = [];
  let inBlock = false;
  let says = '';
  for (const [i, raw] of body.split('\n').entries()) {
    const line = raw.trim();
    if (line.startsWith('```')) {
      inBlock = !inBlock && line === '```promql';
      says = '';
      continue;
    }
    if (!inBlock || line === '') continue;
    if (line.startsWith('#')) {
      says = line.replace(/^#\s*/, '');
      continue;
    }
    examples.push({ where: `${file}:${firstLine + i}`, says, expr: line });
    says = '';
  }
  return examples;
}
