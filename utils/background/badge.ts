/** Capture state of a tab as the badge title says it. */
export type BadgeCapture = 'on' | 'off' | 'degraded';

/** What the badge shows for one tab; `reason` says why capture is degraded. */
export interface BadgeTabState {
  capture: BadgeCapture;
  reason?: string;
}

/** The part of `browser.action` the badge uses (`fakeBrowser.action` implements it too). */
export interface BadgeAction {
  setBadgeText(details: { tabId: number; text: string }): Promise<void>;
  setTitle(details: { tabId: number; title: string }): Promise<void>;
  setBadgeBackgroundColor?(details: { tabId: number; color: string }): Promise<void>;
}

export interface BadgeOptions {
  /** `browser.action`; undefined (an MV2 build without it) makes the badge a no-op. */
  action: BadgeAction | undefined;
  /** Live connections of a tab, from the tracker: the badge never keeps its own count. */
  countForTab(tabId: number): number;
  /** Tabs that have live connections now. */
  tabsWithConnections(): Iterable<number>;
  /** Capture state of a tab that has connections. */
  stateFor(tabId: number): BadgeTabState;
  /** The extension's name, the start of every title. */
  name?: string;
  onError?(error: unknown): void;
}

export interface Badge {
  /**
   * Brings the badge of every tab with connections (and of every tab that had some) up to
   * date. Only tabs whose count or state changed since the last call cost a browser call;
   * `force` re-sends all of them (the browser resets a tab's badge when it navigates).
   */
  update(options?: { force?: boolean }): void;
  /** A tab closed: the browser dropped its badge, so nothing is sent for it. */
  forget(tabId: number): void;
  /** Tabs whose badge currently shows a count. */
  shownTabs(): number[];
}

const COLORS: Record<BadgeCapture, string> = { on: '#1b7f3b', off: '#6b6b6b', degraded: '#c25e00' };

/** The badge title of a tab with `count` live connections. */
export function badgeTitle(name: string, count: number, state: BadgeTabState): string {
  const connections = `${count} connection${count === 1 ? '' : 's'}`;
  switch (state.capture) {
    case 'on':
      return `${name}: capture on, ${connections} in this tab`;
    case 'off':
      return `${name}: capture off for this site, ${connections} ending`;
    case 'degraded':
      return `${name}: capture degraded, ${connections} in this tab${state.reason ? ` (${state.reason})` : ''}`;
  }
}

/**
 * Creates the action badge: each tab's live connection count, computed from the tracker on
 * every update, with a title saying whether capture is on, off or degraded there. What was
 * last sent per tab is remembered only to skip browser calls that would change nothing; it
 * holds no more tabs than the tracker does (a tab is dropped once its badge is cleared).
 */
export function createBadge(options: BadgeOptions): Badge {
  const name = options.name ?? 'WebRTC Stats Exporter';
  const onError = options.onError ?? ((error: unknown) => console.warn('[badge]', error));
  const shown = new Map<number, string>();

  function send(tabId: number, text: string, title: string, color: string | undefined): void {
    const action = options.action;
    if (!action) return;
    const calls = [action.setBadgeText({ tabId, text }), action.setTitle({ tabId, title })];
    if (color && action.setBadgeBackgroundColor) calls.push(action.setBadgeBackgroundColor({ tabId, color }));
    Promise.all(calls).catch((error: unknown) => {
      // A tab that closed meanwhile refuses; anything else is tried again on the next update.
      if (shown.get(tabId) === signatureOf(text, title)) shown.delete(tabId);
      if (!/no tab with id/i.test(error instanceof Error ? error.message : String(error))) onError(error);
    });
  }

  function signatureOf(text: string, title: string): string {
    return `${text}\u0000${title}`;
  }

  return {
    update({ force = false } = {}) {
      if (!options.action) return;
      const tabs = new Set(options.tabsWithConnections());
      for (const tabId of shown.keys()) tabs.add(tabId);
      for (const tabId of tabs) {
        const count = options.countForTab(tabId);
        if (count === 0) {
          if (!shown.has(tabId)) continue;
          shown.delete(tabId);
          // Back to the default title: the tab has nothing to report.
          send(tabId, '', name, undefined);
          continue;
        }
        const state = options.stateFor(tabId);
        const text = count > 99 ? '99+' : String(count);
        const title = badgeTitle(name, count, state);
        const signature = signatureOf(text, title);
        if (!force && shown.get(tabId) === signature) continue;
        shown.set(tabId, signature);
        send(tabId, text, title, COLORS[state.capture]);
      }
    },
    forget(tabId) {
      shown.delete(tabId);
    },
    shownTabs() {
      return [...shown.keys()];
    },
  };
}
