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
  main(ctx) {
    startRelay(ctx);
  },
});
