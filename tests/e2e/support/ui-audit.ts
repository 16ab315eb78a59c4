import type { Page } from 'playwright-core';

/** One place the focus landed on while tabbing. */
export interface FocusStop {
  /** The element's id, or its text when it has none (buttons). */
  key: string;
  tag: string;
  /** Whether the focused element draws an outline or a focus shadow (what :focus-visible gives). */
  outlineVisible: boolean;
}

/**
 * Presses Tab as a keyboard user does and records every stop, until `done(stop)` or `max` presses.
 * Real key presses, so `:focus-visible` applies as it does for a user.
 */
export async function pressTabUntil(page: Page, done: (stop: FocusStop) => boolean, max: number): Promise<FocusStop[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const stops: FocusStop[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate((): FocusStop | null => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
      return { key: el.id || (el.textContent ?? '').trim(), tag: el.tagName.toLowerCase(), outlineVisible: outline || shadow };
    });
    if (!stop) continue;
    stops.push(stop);
    if (done(stop)) break;
  }
  return stops;
}

/**
 * An axe-like label check: every visible input, select and textarea needs an accessible name from
 * a <label>, aria-label or aria-labelledby, and every button needs text or aria-label.
 * Returns how many controls were checked and a description of each one without a name.
 */
export async function unlabelledControls(page: Page): Promise<{ checked: number; unlabelled: string[] }> {
  return page.evaluate(() => {
    const textOf = (el: Element | null) => (el?.textContent ?? '').trim();
    const named = (el: HTMLElement): boolean => {
      if ((el.getAttribute('aria-label') ?? '').trim() !== '') return true;
      const labelledBy = (el.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean);
      if (labelledBy.some((id) => textOf(document.getElementById(id)) !== '')) return true;
      if (el instanceof HTMLButtonElement) return textOf(el) !== '';
      const labels = (el as HTMLInputElement).labels;
      return labels !== null && [...labels].some((label) => textOf(label) !== '');
    };
    const controls = [...document.querySelectorAll<HTMLElement>('input, select, textarea, button')].filter(
      (el) => !(el instanceof HTMLInputElement && el.type === 'hidden'),
    );
    return {
      checked: controls.length,
      unlabelled: controls.filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 160)),
    };
  });
}
