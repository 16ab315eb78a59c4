import type { Plugin } from 'vite';

/**
 * One source rewrite: which module (path suffix), the exact text to find, what replaces it, and
 * why the replacement changes nothing at run time.
 */
interface Rewrite {
  module: string;
  find: string;
  replace: string;
}

/**
 * The library code that `web-ext lint` (AMO) flags and that never runs in this extension:
 *
 * - zod's `allowsEval` probe calls `new Function("")` to decide whether to JIT-compile object
 *   parsers. MV3 extension pages and workers forbid `eval` by CSP, so the probe always fails
 *   there; in the relay's isolated world a strict page CSP would even report it. Answering
 *   `false` is zod's own jitless mode (`z.config({ jitless: true })` returns false at the same
 *   place), fixed at build time so the `Function` call is gone from the bundle.
 * - Vue's `insertStaticContent` sets `innerHTML` to insert stringified static template parts.
 *   The compiler emits those only when static hoisting is on; wxt.config.ts turns it off
 *   (`hoistStatic: false`), so this branch is unreachable and throws if it is ever reached.
 */
export const DYNAMIC_CODE_REWRITES: readonly Rewrite[] = [
  {
    module: '/zod/v4/core/util.js',
    find: 'try {\n        const F = Function;\n        new F("");\n        return true;\n    }\n    catch (_) {\n        return false;\n    }',
    replace: 'return false; // jitless at build time: see utils/build/no-dynamic-code.ts',
  },
  {
    module: '/@vue/runtime-dom/dist/runtime-dom.esm-bundler.js',
    find: 'templateContainer.innerHTML = unsafeToTrustedHTML(',
    replace: '((_content) => { throw new Error("static template content is compiled out (hoistStatic: false)"); })(',
  },
];

/**
 * Vite plugin that applies {@link DYNAMIC_CODE_REWRITES}. A rewrite whose text is not found
 * fails the build: after a library upgrade the pattern must be checked again, not silently
 * skipped (and the web-ext lint test would fail anyway).
 */
export function noDynamicCode(rewrites: readonly Rewrite[] = DYNAMIC_CODE_REWRITES): Plugin {
  return {
    name: 'webrtc-exporter:no-dynamic-code',
    enforce: 'pre',
    transform(code, id) {
      const path = id.split('?')[0] ?? id;
      const rewrite = rewrites.find((candidate) => path.endsWith(candidate.module));
      if (!rewrite) return null;
      if (!code.includes(rewrite.find)) {
        this.error(`no-dynamic-code: the text to rewrite is gone from ${rewrite.module} (library updated?): check it again`);
      }
      return { code: code.replace(rewrite.find, rewrite.replace), map: null };
    },
  };
}
