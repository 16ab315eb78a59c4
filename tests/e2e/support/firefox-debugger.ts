import net from 'node:net';
import { waitFor } from './free-port';

/**
 * A minimal client of Firefox's remote debugging protocol (RDP, what about:debugging speaks), for
 * the one thing WebDriver BiDi cannot do: terminate an MV3 extension's background event page, as
 * about:debugging's "Terminate background script" button does.
 *
 * What works with Firefox ESR 153 (measured): launch with `--start-debugger-server PORT` and the
 * prefs of `firefoxDebuggerPrefs()`; connect over TCP; packets are `<byte length>:<JSON>`; the
 * server greets first; `{ to: 'root', type: 'listAddons' }` lists webExtensionDescriptor actors
 * with `backgroundScriptStatus` ('RUNNING' / 'STOPPED'); `terminateBackgroundScript` on the
 * descriptor stops the event page within ~30 ms, and the next extension event (a content
 * script's message, a tab closing, an extension page's message) starts it again.
 * Not it: `runtime.reload()` (reinstalls the extension: storage.session is cleared, content
 * scripts are orphaned) and `extensions.background.idle.timeout` (suspends only an idle page, and
 * a call's reports keep it busy).
 */

/** Prefs that let the debugger server accept a local client without a prompt. */
export function firefoxDebuggerPrefs(): Record<string, boolean> {
  return {
    'devtools.debugger.remote-enabled': true,
    'devtools.chrome.enabled': true,
    'devtools.debugger.prompt-connection': false,
  };
}

export type BackgroundStatus = 'RUNNING' | 'STOPPED' | 'unknown';

export interface FirefoxDebugger {
  /** The event page's status as about:debugging shows it. */
  backgroundStatus(addonId: string): Promise<BackgroundStatus>;
  /** Terminates the add-on's background event page and waits until it reads STOPPED. */
  terminateBackground(addonId: string): Promise<void>;
  close(): void;
}

interface Packet {
  from?: string;
  error?: string;
  message?: string;
  addons?: { actor: string; id: string; backgroundScriptStatus?: string }[];
}

/** Connects to the debugger server on 127.0.0.1:`port` (retrying while Firefox opens it). */
export async function connectFirefoxDebugger(port: number): Promise<FirefoxDebugger> {
  const socket = await waitFor(
    () =>
      new Promise<net.Socket | undefined>((resolve) => {
        const attempt = net.connect(port, '127.0.0.1');
        attempt.once('connect', () => resolve(attempt));
        attempt.once('error', () => resolve(undefined));
      }),
    { timeoutMs: 10_000, intervalMs: 200, what: `the Firefox debugger server on port ${port}` },
  );
  let buffer = Buffer.alloc(0);
  // The protocol answers requests to one actor in order: one FIFO of waiters is enough for a
  // client that sends one request at a time (requests below are serialised through `queue`).
  const waiters: ((packet: Packet) => void)[] = [];
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const colon = buffer.indexOf(':');
      if (colon < 0) return;
      const length = Number(buffer.subarray(0, colon).toString());
      if (buffer.length < colon + 1 + length) return;
      const packet = JSON.parse(buffer.subarray(colon + 1, colon + 1 + length).toString()) as Packet;
      buffer = buffer.subarray(colon + 1 + length);
      // Unsolicited notifications (no request of ours) carry a `type`; answers do not.
      if ((packet as { type?: string }).type !== undefined) continue;
      waiters.shift()?.(packet);
    }
  });
  const nextPacket = () =>
    new Promise<Packet>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Firefox debugger: no answer in 10 s')), 10_000);
      waiters.push((packet) => {
        clearTimeout(timer);
        resolve(packet);
      });
    });
  const greeting = nextPacket();
  await greeting;

  let queue: Promise<unknown> = Promise.resolve();
  function request(to: string, type: string): Promise<Packet> {
    const run = queue.then(async () => {
      const answer = nextPacket();
      const text = JSON.stringify({ to, type });
      socket.write(`${Buffer.byteLength(text)}:${text}`);
      const packet = await answer;
      if (packet.error) throw new Error(`Firefox debugger: ${type} to ${to} failed: ${packet.error} ${packet.message ?? ''}`);
      return packet;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  async function descriptor(addonId: string) {
    const { addons = [] } = await request('root', 'listAddons');
    const addon = addons.find((candidate) => candidate.id === addonId);
    if (!addon) throw new Error(`Firefox debugger: no add-on ${addonId}`);
    return addon;
  }

  const client: FirefoxDebugger = {
    async backgroundStatus(addonId) {
      const status = (await descriptor(addonId)).backgroundScriptStatus;
      return status === 'RUNNING' || status === 'STOPPED' ? status : 'unknown';
    },
    async terminateBackground(addonId) {
      const { actor } = await descriptor(addonId);
      await waitFor(
        async () => {
          await request(actor, 'terminateBackgroundScript');
          // A page's report may start it again at once: then it is terminated once more.
          return (await client.backgroundStatus(addonId)) === 'STOPPED';
        },
        { timeoutMs: 10_000, intervalMs: 100, what: 'the background event page to stop' },
      );
    },
    close() {
      socket.destroy();
    },
  };
  return client;
}
