import { z } from 'zod';
import type { KeyValueArea } from '../storage/key-value-area';
import type { DropCounter } from '../resilience/drop-counter';
import { readPersisted } from '../storage/read-persisted';

/**
 * Where an outbox entry goes: gateway URL, job and a reference to the credentials it was pushed
 * with. The credentials themselves stay in the target book (storage.local), never in the outbox.
 */
export const gatewayTargetSchema = z.object({
  url: z.string().max(2_048),
  job: z.string().max(1_000),
  credentialsRef: z.string().max(64),
});
export type GatewayTarget = z.infer<typeof gatewayTargetSchema>;

/** Gateway settings as the book reads them. */
export interface GatewayAccess {
  url: string;
  job: string;
  username: string;
  password: string;
}

export const GATEWAY_TARGETS_STORAGE_KEY = 'exporter.gatewayTargets';
/** Credentials of earlier targets kept for their pending deletes; the oldest beyond this is forgotten (counted). */
export const MAX_RETIRED_CREDENTIALS = 8;
export const GATEWAY_TARGET_DROPS = { credentialsEvicted: 'gateway-target-credentials-evicted', corrupt: 'gateway-targets-corrupt' } as const;

const credentialsSchema = z.object({ ref: z.string().max(64), username: z.string().max(1_000), password: z.string().max(10_000) });
const storedSchema = z.object({
  format: z.literal(1),
  current: credentialsSchema.extend({ url: z.string().max(2_048), job: z.string().max(1_000) }).nullable(),
  retired: z.array(credentialsSchema).max(MAX_RETIRED_CREDENTIALS),
});
type Stored = z.infer<typeof storedSchema>;

/** A stable text key of a target, for maps and outbox ids. */
export function targetKey(target: GatewayTarget): string {
  return `${target.url}\u0000${target.job}\u0000${target.credentialsRef}`;
}

/** True when two targets are the same gateway and job (credentials may differ: the same gateway takes the newest). */
export function sameGatewayAndJob(a: Pick<GatewayTarget, 'url' | 'job'>, b: Pick<GatewayTarget, 'url' | 'job'>): boolean {
  return normalUrl(a.url) === normalUrl(b.url) && a.job === b.job;
}

function normalUrl(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

export interface GatewayTargets {
  /** Loads the book; call once before `sync`. */
  restore(): Promise<void>;
  /**
   * Records the gateway the settings name now. Returns the target the live groups were pushed to
   * when the URL or job changed since the last call (also across worker restarts), else null.
   */
  sync(gateway: GatewayAccess): GatewayTarget | null;
  /** The target of the current settings. */
  current(): GatewayTarget;
  /**
   * URL, job and credentials to send an entry for `target` with: the current settings' for the
   * current gateway and job, the kept credentials for an earlier one (none when forgotten).
   */
  resolve(target: GatewayTarget): GatewayAccess;
  /** Forgets the credentials of earlier targets that no pending entry uses any more. */
  prune(inUse: Iterable<GatewayTarget>): void;
  flush(): Promise<void>;
}

/**
 * Creates the gateway target book: the current target and the credentials of earlier targets
 * that still have pending deletes, persisted in `area` (storage.local: it holds secrets, which
 * must never reach storage.sync).
 */
export function createGatewayTargets(options: {
  area: KeyValueArea;
  drops: DropCounter;
  newRef?: () => string;
  storageKey?: string;
}): GatewayTargets {
  const storageKey = options.storageKey ?? GATEWAY_TARGETS_STORAGE_KEY;
  const newRef = options.newRef ?? (() => Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => (b % 36).toString(36)).join(''));
  let state: Stored = { format: 1, current: null, retired: [] };
  let access: GatewayAccess = { url: '', job: '', username: '', password: '' };
  let dirty = false;

  function save(): void {
    dirty = true;
    void flush();
  }

  async function flush(): Promise<void> {
    if (!dirty) return;
    dirty = false;
    try {
      await options.area.set({ [storageKey]: state });
    } catch {
      // Kept in memory; the next change or flush writes it again.
      dirty = true;
    }
  }

  function retire(credentials: z.infer<typeof credentialsSchema>): void {
    if (state.retired.some((entry) => entry.ref === credentials.ref)) return;
    state.retired = [...state.retired, credentials];
    while (state.retired.length > MAX_RETIRED_CREDENTIALS) {
      state.retired.shift();
      options.drops.count(GATEWAY_TARGET_DROPS.credentialsEvicted);
    }
  }

  function current(): GatewayTarget {
    return { url: state.current?.url ?? access.url, job: state.current?.job ?? access.job, credentialsRef: state.current?.ref ?? '' };
  }

  return {
    async restore() {
      const parsed = await readPersisted(options.area, storageKey, storedSchema);
      if (parsed.status === 'corrupt') options.drops.count(GATEWAY_TARGET_DROPS.corrupt);
      if (parsed.status === 'ok') state = parsed.value;
    },
    sync(gateway) {
      access = { ...gateway };
      const previous = state.current;
      if (
        previous &&
        previous.url === gateway.url &&
        previous.job === gateway.job &&
        previous.username === gateway.username &&
        previous.password === gateway.password
      ) {
        return null;
      }
      const sameCredentials = previous && previous.username === gateway.username && previous.password === gateway.password;
      const ref = sameCredentials ? previous.ref : newRef();
      if (previous && !sameCredentials) retire({ ref: previous.ref, username: previous.username, password: previous.password });
      state = { ...state, current: { ref, ...gateway } };
      save();
      if (!previous || previous.url === '' || sameGatewayAndJob(previous, gateway)) return null;
      return { url: previous.url, job: previous.job, credentialsRef: previous.ref };
    },
    current,
    resolve(target) {
      if (sameGatewayAndJob(target, current())) return { ...access };
      const credentials =
        state.current?.ref === target.credentialsRef ? state.current : state.retired.find((entry) => entry.ref === target.credentialsRef);
      return { url: target.url, job: target.job, username: credentials?.username ?? '', password: credentials?.password ?? '' };
    },
    prune(inUse) {
      const used = new Set([...inUse].map((target) => target.credentialsRef));
      const kept = state.retired.filter((entry) => used.has(entry.ref));
      if (kept.length === state.retired.length) return;
      state = { ...state, retired: kept };
      save();
    },
    flush,
  };
}
