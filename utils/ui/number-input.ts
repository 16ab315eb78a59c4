/**
 * Reads a number input's text for the draft: blank or unreadable becomes NaN, which the settings
 * schema rejects with "Enter a number", instead of silently becoming 0.
 */
export function parseNumberInput(text: string, scale = 1): number {
  const trimmed = text.trim();
  if (trimmed === '') return Number.NaN;
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return Number.NaN;
  // Scaling seconds to ms: round away float noise (1.1 * 1000 = 1100.0000000000002).
  return scale === 1 ? value : Math.round(value * scale * 1e6) / 1e6;
}

/** What a number input shows for a draft value: blank for NaN, the value divided by the scale otherwise. */
export function formatNumberInput(value: number, scale = 1): string {
  if (!Number.isFinite(value)) return '';
  return String(value / scale);
}
