import { BUILTIN_MATCHES } from '@/utils/platforms/builtin-platforms';
import { installPeerConnectionHook } from '@/utils/webrtc/peer-connection-hook';

/**
 * The page hook: runs in the page's own JavaScript world before any page script, in every
 * frame (about:blank ones too), so it wraps RTCPeerConnection before the page can use it.
 * Registered at run time by the background for the enabled platforms and custom origins.
 */
export default defineContentScript({
  matches: BUILTIN_MATCHES,
  world: 'MAIN',
  runAt: 'document_start',
  allFrames: true,
  matchAboutBlank: true,
  matchOriginAsFallback: true,
  registration: 'runtime',
  // An anonymous IIFE: WXT's default `var hook = (function…)()` would declare a global `hook` in
  // the page's own world, and a page script with a top-level `let hook` would fail to run.
  globalName: false,
  main() {
    installPeerConnectionHook(window);
  },
});
