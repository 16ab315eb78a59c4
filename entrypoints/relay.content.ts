import { BUILTIN_MATCHES } from '@/utils/platforms/builtin-platforms';
import { startRelay } from '@/utils/webrtc/relay';

/**
 * The relay: an isolated-world content script beside the hook that validates the hook's
 * reports and forwards them to the background, and tells the hook to stop when this
 * extension context is invalidated (update, reload, uninstall).
 */
export default defineContentScript({
  matches: BUILTIN_MATCHES,
  runAt: 'document_start',
  allFrames: true,
  matchAboutBlank: true,
  matchOriginAsFallback: true,
  registration: 'runtime',
  // WXT would also announce this script's start (event name with the extension id) to the page by
  // window.postMessage: a fingerprint, and the name a page needs to forge that event.
  noScriptStartedPostMessage: true,
  main(ctx) {
    startRelay(ctx);
  },
});
