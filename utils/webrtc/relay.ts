import type { ContentScriptContext } from 'wxt/utils/content-script-context';
/** Placeholder: replaced by the relay implementation. */
export function startRelay(_ctx: ContentScriptContext): void {}
