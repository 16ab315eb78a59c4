import { browser } from 'wxt/browser';
import { createSettingsStore } from '../settings/settings-store';
import { defaultSettings, type Settings } from '../settings/settings-schema';
import type { LoadedSettings } from '../settings/settings-store-types';
import { createDurableArea, createResilientArea } from '../storage/resilient-area';
import { createDropCounter } from '../resilience/drop-counter';
import { createResourceManager } from '../resilience/resource-manager';
import { createMessageQueue } from '../resilience/message-queue';
import { createRateLimiter } from '../resilience/rate-limiter';
import { createNetworkCircuitBreaker } from '../resilience/network-circuit-breaker';
import { createOutbox, OUTBOX_DROPS } from '../export/outbox';
import { createPushgatewayClient } from '../export/pushgateway-client';
import { createGatewayTargets, sameGatewayAndJob, targetKey, MAX_RETIRED_CREDENTIALS, type GatewayTarget } from '../export/gateway-targets';
import { createMemoryArea } from '../storage/memory-area';
import { createDelivery, DELIVERY_DROPS } from '../export/delivery';
import { createExportState } from '../export/export-state';
import { createExportSink } from '../export/export-sink';
import { createSampleBuffer, SAMPLE_BUFFER_DROPS } from '../export/sample-buffer';
import { createRemoteWriteClient } from '../export/remote-write-client';
import { createRemoteWriteDelivery, REMOTE_WRITE_STATS_CORRUPT } from '../export/remote-write-delivery';
import { hasGatewayPermission, testConnection, testRemoteWrite } from '../export/connection-test';
import { cleartextCredentialsWarning } from '../export/credential-exposure';
import { createConnectionTracker } from '../integrity/connection-tracker';
import { createIntegrityChecker, tabExistsVia } from '../integrity/data-integrity-manager';
import { createInitializationManager } from '../init/initialization-manager';
import { createQualityHistory } from '../quality/quality-history';
import { createQualityWindow } from '../quality/quality-window';
import { createContentScriptRegistrar } from '../platforms/content-script-registrar';
import { decideCapture } from '../platforms/capture-scope';
import type { HookConfig } from '../messaging/hook-config';
import { sendMessage } from '../messaging/extension-protocol';
import type { Health } from '../messaging/health';
import type { ConnectionTestResult, TabStatus } from '../messaging/ui-types';
import { hookConfigFor } from './hook-config-for';
import { parseInboundBatch, parseRelayDrops, senderFrameUrl, type SenderLike } from './inbound-reports';
import { batchCost, measureBatch } from './inbound-budget';
import { createReportProcessor, type InboundReport } from './report-processor';
import { createEndedConnections } from './ended-connections';
import { createSelfMetricsPublisher, SELF_GROUP_ID } from './self-metrics-publisher';
import { takeOverOpenTabs } from './open-tabs-takeover';
import { createBadge, type BadgeTabState } from './badge';
import {
  captureUrlOf,
  isEndedByNavigation,
  isEndedBySettings,
  isFromLeavingDocument,
  deletesForTargetChange,
  isOrphanedAtInstall,
  tabCapture,
  type DocumentCommit,
} from './group-lifecycle';

/** Longest a message waits for start-up before it is answered from the degraded state. */
const READY_WAIT_MS = 10_000;
/** Chart points kept per connection (about 3 minutes at the default 2 s interval). */
const CHART_POINTS = 90;
/** Tabs the per-tab rate limiter remembers (a closed tab is forgotten at once). */
const RATE_LIMITER_MAX_KEYS = 1_000;
/** Where the remote-write breaker keeps its state (the Pushgateway breaker has its own key). */
const REMOTE_WRITE_BREAKER_KEY = 'exporter.remoteWriteBreaker';

/**
 * The background's one owner of state: it composes settings, storage, the tracker, the
 * outbox and delivery, and answers the messages that start-background wires to it. Every
 * message handler awaits initialisation (bounded), so nothing that arrives early is lost.
 */
export function createExporterService(options: { firefox: boolean; now?: () => number }) {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const drops = createDropCounter();
  const resources = createResourceManager({ drops, now });
  const area = createDurableArea();
  const settingsStore = createSettingsStore();
  let loaded: LoadedSettings = { settings: defaultSettings(), invalidFields: [], lockedFields: [] };
  const settings = (): Settings => loaded.settings;
  let settingsGeneration = 0;

  // The tracker outlives a reload or update (storage.session is cleared then): only it knows
  // which groups the previous version left in the gateway, so only it lets them be deleted.
  // Pending deletes live here too: a browser closed during an outage still deletes them later.
  const trackerArea = createResilientArea({ tiers: ['local', 'session'] });
  const tracker = createConnectionTracker({
    area: trackerArea,
    limits: () => settings().reliability,
    drops,
    now,
  });
  const outbox = createOutbox({
    area,
    deleteArea: trackerArea,
    limits: () => ({ maxGroups: settings().reliability.outboxMaxGroups, maxBytes: settings().reliability.outboxMaxBytes }),
    drops,
    now,
  });
  const breaker = createNetworkCircuitBreaker({ area, settings: settings().reliability });
  const client = createPushgatewayClient(() => ({
    ...settings().gateway,
    timeoutMs: settings().reliability.requestTimeoutMs,
  }));
  // Earlier gateways (URL or job changed) still get the deletes of the groups pushed there, with
  // the credentials used there, through breakers of their own.
  const targets = createGatewayTargets({ area: trackerArea, drops });
  const earlierBreakers = new Map<string, ReturnType<typeof createNetworkCircuitBreaker>>();
  function earlierBreaker(target: GatewayTarget) {
    const key = targetKey(target);
    let found = earlierBreakers.get(key);
    if (!found) {
      // One per earlier target the book keeps credentials for; more never coexist for long.
      if (earlierBreakers.size >= MAX_RETIRED_CREDENTIALS) earlierBreakers.delete(earlierBreakers.keys().next().value!);
      found = createNetworkCircuitBreaker({ area: createMemoryArea({ maxKeys: 1 }), settings: settings().reliability });
      earlierBreakers.set(key, found);
    }
    return found;
  }
  const delivery = createDelivery({
    outbox,
    client,
    breaker,
    drops,
    area,
    now,
    route: (target) =>
      sameGatewayAndJob(target, targets.current()) ? null : { to: targets.resolve(target), breaker: earlierBreaker(target) },
  });
  // Remote-write: every window's samples wait in a buffer that survives a browser restart (local
  // storage first, like the tracker), and go out through a breaker of their own, so a receiver
  // outage never holds up the Pushgateway deletes left from before a sink switch, nor the reverse.
  const sampleBuffer = createSampleBuffer({
    area: trackerArea,
    limits: () => ({
      maxBytes: settings().reliability.sampleBufferMaxBytes,
      maxAgeMs: settings().reliability.sampleBufferMaxAgeMs,
    }),
    drops,
    now,
    // Samples are history: a worker stopped before the write loses them for good, so they are
    // written within a quarter second (one write per push tick in practice, the tick's groups together).
    persistDelayMs: 250,
  });
  const remoteWriteBreaker = createNetworkCircuitBreaker({
    area,
    settings: settings().reliability,
    storageKey: REMOTE_WRITE_BREAKER_KEY,
  });
  const remoteWriteClient = createRemoteWriteClient(() => {
    const { url, auth, username, password, bearerToken } = settings().remoteWrite;
    return {
      url,
      username: auth === 'basic' ? username : '',
      password: auth === 'basic' ? password : '',
      bearerToken: auth === 'bearer' ? bearerToken : '',
      timeoutMs: settings().reliability.requestTimeoutMs,
    };
  });
  const remoteWriteDelivery = createRemoteWriteDelivery({
    buffer: sampleBuffer,
    client: remoteWriteClient,
    breaker: remoteWriteBreaker,
    drops,
    area,
    now,
  });
  const sink = createExportSink({ settings, outbox, buffer: sampleBuffer, drops });
  /** The delivery of the chosen sink: what health, the badge and the self-metrics report. */
  const activeDelivery = () => (settings().sink === 'remote-write' ? remoteWriteDelivery : delivery);
  const history = createQualityHistory({
    maxPointsPerGroup: CHART_POINTS,
    maxGroups: settings().reliability.maxConnectionsTotal,
  });
  const registrar = createContentScriptRegistrar({
    scripting: browser.scripting,
    permissions: browser.permissions,
  });

  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  function scheduleFlush(): void {
    if (flushTimer !== undefined) return;
    // Reports of several connections arrive together: one flush serves them all.
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      selfMetrics.maybePublish();
      badge.update();
      // The breaker may have opened or closed with this flush: the badge titles say so. Both
      // deliveries run whatever the sink: samples buffered before a switch still go out, and so
      // do the Pushgateway deletes a switch leaves.
      void Promise.all([delivery.flush(), remoteWriteDelivery.flush()]).finally(() => badge.update());
    }, 50);
  }

  // New connections per tab: a full tab's worth at once, then a tab's worth per minute. A call
  // opens a handful; a page that invents ids would otherwise churn groups without end.
  const newConnectionLimiter = createRateLimiter({
    ratePerSecond: () => settings().reliability.maxConnectionsPerTab / 60,
    burst: () => settings().reliability.maxConnectionsPerTab,
    maxKeys: RATE_LIMITER_MAX_KEYS,
    drops,
    dropReason: 'new-connection-rate-limited',
    now,
  });
  // Call ids, grouping keys and the call counters live beside the tracker: they must outlive a
  // worker restart exactly as long as the connections they describe.
  const exportState = createExportState({ area: trackerArea, drops, now });
  // In memory: a late report follows its document's end by milliseconds, not across a worker restart.
  const endedConnections = createEndedConnections({ drops });
  const processor = createReportProcessor({
    tracker,
    sink,
    exportState,
    history,
    drops,
    settings,
    now,
    createWindow: () => createQualityWindow({ thresholds: () => settings().quality }),
    onOutboxChanged: scheduleFlush,
    admitNewConnection: (tabId) => newConnectionLimiter.allow(`tab:${tabId}`),
    ended: endedConnections,
  });
  const queue = createMessageQueue<InboundReport>({
    maxSize: () => settings().reliability.queueMaxSize,
    concurrency: 1,
    keyOf: (item) => `${item.source.tabId}:${item.source.frameId}:${item.report.pcId}`,
    ownerOf: (item) => String(item.source.tabId),
    process: (item) => processor.process(item),
    drops,
  });
  const rateLimiter = createRateLimiter({
    ratePerSecond: () => settings().reliability.maxReportsPerTabPerSecond,
    drops,
    dropReason: 'rate-limited',
    maxKeys: RATE_LIMITER_MAX_KEYS,
    now,
  });
  const integrity = createIntegrityChecker({
    tracker,
    tabExists: tabExistsVia(browser.tabs),
    staleMs: () => settings().reliability.staleConnectionMs,
    now,
    onRemoved: (removed) => processor.deleteGroups(removed),
  });
  const health = (): Health => ({
    status: init.status(),
    degradedReasons: [...init.degradedReasons(), ...registrationProblems],
    startedAt,
    connections: { total: tracker.size(), tabs: tracker.tabCount() },
    delivery: activeDelivery().health(),
    storage: settingsStore.health(),
    integrity: { ...integrity.health(), invalidSettingsFields: loaded.invalidFields },
    drops: drops.snapshot(),
    reportsAccepted: processor.accepted(),
    resources: resources.snapshot(),
    warnings: [cleartextCredentialsWarning(settings().gateway)].filter((warning) => warning !== null),
  });
  /** Why capture is degraded for every tab, or null: start-up fell back, or metrics do not reach the gateway. */
  function degradedReason(): string | null {
    if (init.status() === 'degraded') return init.degradedReasons()[0] ?? 'start-up incomplete';
    if (registrationProblems.length > 0) return registrationProblems[0]!;
    const state = activeDelivery().health();
    const remoteWrite = settings().sink === 'remote-write';
    if (!state.configured) return remoteWrite ? 'no remote-write receiver configured' : 'no Pushgateway configured';
    if (state.breaker === 'open' || state.breaker === 'isolated') {
      return remoteWrite
        ? 'Remote-write receiver unreachable, samples wait in the buffer'
        : 'Pushgateway unreachable, metrics wait in the outbox';
    }
    return null;
  }
  function badgeStateFor(tabId: number): BadgeTabState {
    if (tabCapture(tracker.forTab(tabId), settings()) === 'off') return { capture: 'off' };
    const reason = degradedReason();
    return reason === null ? { capture: 'on' } : { capture: 'degraded', reason };
  }
  const badge = createBadge({
    action: browser.action,
    countForTab: (tabId) => tracker.countForTab(tabId),
    tabsWithConnections: () => tracker.tabIds(),
    stateFor: badgeStateFor,
  });
  const selfMetrics = createSelfMetricsPublisher({
    instanceArea: trackerArea,
    sink,
    settings,
    health,
    counters: () => exportState.counters(),
    now,
  });

  resources.register('tracker', {
    size: () => tracker.size(),
    cap: () => settings().reliability.maxConnectionsTotal,
    evicted: () => tracker.stats().evictedTabCap + tracker.stats().evictedTotalCap,
  });
  resources.register('outbox', { size: () => outbox.stats().groups, cap: () => settings().reliability.outboxMaxGroups });
  resources.register('sample-buffer-bytes', {
    size: () => sampleBuffer.stats().bytes,
    cap: () => settings().reliability.sampleBufferMaxBytes,
    evicted: () => drops.snapshot()[SAMPLE_BUFFER_DROPS.overflow] ?? 0,
  });
  resources.register('queue', { size: () => queue.size(), cap: () => queue.cap(), evicted: () => queue.stats().overflowed });
  resources.register('rate-limiter-keys', { size: () => rateLimiter.keyCount(), cap: () => RATE_LIMITER_MAX_KEYS });
  resources.register('new-connection-limiter-keys', {
    size: () => newConnectionLimiter.keyCount(),
    cap: () => RATE_LIMITER_MAX_KEYS,
  });
  resources.register('quality-windows', { size: () => processor.size(), cap: () => settings().reliability.maxConnectionsTotal });
  resources.register('ended-connections', { size: () => endedConnections.size(), cap: () => endedConnections.cap() });
  resources.register('chart-history', { size: () => history.size(), cap: () => settings().reliability.maxConnectionsTotal });

  /**
   * The sink changed from the Pushgateway to remote-write: the groups pushed there are deleted,
   * as after a gateway change, or they would stay there for good. (The other way round nothing
   * is left behind: samples already buffered still go to the receiver.)
   */
  function leavePushgateway(): void {
    for (const entry of tracker.list()) {
      const exported = exportState.get(entry.groupId);
      if (exported) outbox.remove(entry.groupId, exported.key);
    }
    const self = selfMetrics.lastGroupingKey();
    if (self) outbox.remove(SELF_GROUP_ID, self);
    scheduleFlush();
  }

  let settingsApplied = false;
  async function applySettings(next: LoadedSettings): Promise<void> {
    const previous = loaded.settings;
    loaded = next;
    const current = next.settings;
    // The first apply is start-up: `previous` is the defaults, not what was in effect before.
    const switchedAway = settingsApplied && previous.sink === 'pushgateway' && current.sink !== 'pushgateway';
    settingsApplied = true;
    if (switchedAway && previous.gateway.url !== '') leavePushgateway();
    breaker.updateSettings(current.reliability);
    remoteWriteBreaker.updateSettings(current.reliability);
    const earlier = targets.sync(current.gateway);
    if (earlier) {
      // Pending deletes were meant for the old gateway; live groups there are deleted too, first.
      outbox.pinDeletes(earlier);
      const pushed = tracker.list().flatMap((entry) => {
        const exported = exportState.get(entry.groupId);
        return exported ? [{ groupId: entry.groupId, groupingKey: exported.key }] : [];
      });
      // The exporter's own group was pushed there too.
      const self = selfMetrics.lastGroupingKey();
      if (self) pushed.push({ groupId: SELF_GROUP_ID, groupingKey: self });
      for (const item of deletesForTargetChange(pushed, earlier)) outbox.remove(item.outboxId, item.groupingKey, item.target);
      scheduleFlush();
    }
    // Connections on origins that are no longer captured end now: their groups are deleted.
    const ended = tracker.removeWhere((entry) => isEndedBySettings(entry, current));
    if (ended.length) processor.deleteGroups(ended);
    if (JSON.stringify(previous.gateway) !== JSON.stringify(current.gateway)) void delivery.retryRejected();
    await syncRegistrations(false);
    badge.update();
    await broadcastHookConfig();
  }

  let registrationProblems: string[] = [];
  async function syncRegistrations(force: boolean): Promise<void> {
    try {
      const result = await registrar.sync(settings(), { force });
      registrationProblems = result.missingPermission.map(
        (pattern) => `No host permission for ${pattern}: grant it in the options page to capture there`,
      );
    } catch (error) {
      drops.count('registrar-failed');
      registrationProblems = [`Capture scripts could not be registered: ${error instanceof Error ? error.message : String(error)}`];
      console.warn('[exporter] content-script registration failed', error);
    }
  }

  async function broadcastHookConfig(): Promise<void> {
    // Each relay asks again for its own frame's config; this only says that settings changed.
    const tabs = await browser.tabs.query({}).catch(() => []);
    const config = hookConfigFor(settings(), '');
    await Promise.all(
      tabs.map((tab) =>
        tab.id === undefined ? undefined : sendMessage('hookConfigChanged', config, tab.id).catch(() => undefined),
      ),
    );
  }

  const init = createInitializationManager({
    steps: [
      {
        name: 'storage',
        timeoutMs: 5_000,
        retries: 2,
        run: async () => {
          await area.get('probe');
          return true;
        },
        fallback: () => false,
      },
      {
        name: 'settings',
        dependsOn: ['storage'],
        timeoutMs: 5_000,
        retries: 2,
        run: async () => {
          const generation = settingsGeneration;
          const result = await settingsStore.load();
          // A change seen by the watcher while loading is newer than what the load read.
          if (generation === settingsGeneration) loaded = result;
          return loaded;
        },
        fallback: () => loaded,
      },
      {
        name: 'outbox',
        dependsOn: ['settings'],
        timeoutMs: 5_000,
        retries: 2,
        run: async () => {
          const corrupt = () => {
            const counts = drops.snapshot();
            return [
              counts[OUTBOX_DROPS.corrupt] ?? 0,
              (counts[DELIVERY_DROPS.statsCorrupt] ?? 0) + (counts[REMOTE_WRITE_STATS_CORRUPT] ?? 0),
            ] as const;
          };
          const before = corrupt();
          await Promise.all([
            outbox.restore(),
            breaker.restore(),
            delivery.restore(),
            targets.restore(),
            sampleBuffer.restore(),
            remoteWriteBreaker.restore(),
            remoteWriteDelivery.restore(),
          ]);
          // Unreadable stored state was dropped by the restores: health lists it with the other repairs.
          const after = corrupt();
          integrity.noteRepaired('outbox-entry', after[0] - before[0]);
          integrity.noteRepaired('delivery-stats', after[1] - before[1]);
          breaker.updateSettings(settings().reliability);
          remoteWriteBreaker.updateSettings(settings().reliability);
          return true;
        },
        fallback: () => false,
      },
      {
        name: 'tracker',
        dependsOn: ['settings'],
        timeoutMs: 5_000,
        retries: 2,
        run: async () => {
          const [restored] = await Promise.all([tracker.restore(), exportState.restore()]);
          return restored.restored;
        },
        fallback: () => 0,
      },
      {
        name: 'integrity',
        dependsOn: ['tracker', 'outbox'],
        timeoutMs: 10_000,
        retries: 1,
        run: async ({ isFallback }) => {
          // Repairs built from fallback (empty) state would overwrite the real state when it heals.
          if (isFallback('tracker') || isFallback('outbox')) throw new Error('working state not restored');
          return integrity.run();
        },
        fallback: () => null,
      },
      {
        name: 'scheduler',
        dependsOn: ['settings', 'integrity'],
        timeoutMs: 10_000,
        retries: 2,
        run: async () => {
          await applySettings(loaded);
          processor.start();
          scheduleFlush();
          return true;
        },
        fallback: () => false,
      },
    ],
  });

  init.onChange(() => badge.update());

  async function ready(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      init.whenReady(),
      new Promise((resolve) => (timer = setTimeout(resolve, READY_WAIT_MS))),
    ]);
    clearTimeout(timer);
  }

  return {
    drops,
    /** Starts initialisation and watches settings; call once at start, after listeners are registered. */
    start(): void {
      void init.start();
      settingsStore.watch((next) => {
        settingsGeneration++;
        void applySettings(next);
      });
    },
    /** A relay's own drops (rejected page messages, rate limits), so health shows what the page side lost. */
    /** Counts a drop seen outside the service (a refused report port), so that health shows it. */
    countDrop(reason: string): void {
      drops.count(reason);
    },
    relayDrops(data: unknown, sender: SenderLike): void {
      const counts = parseRelayDrops(data, sender);
      if (!counts) return drops.count('message-invalid-relay-drops');
      for (const [reason, count] of Object.entries(counts)) drops.count(reason, count);
    },
    async handleReports(data: unknown, sender: SenderLike): Promise<{ accepted: number; rejected: number }> {
      await ready();
      const count = Array.isArray(data) ? data.length : 1;
      // Cheap checks first, so a flooding page costs little before it is refused: who sent it,
      // counts and size, capture, then the tab's budget (shared by all its frames); the schema parse last.
      const tabId = sender.tab?.id;
      if (typeof tabId !== 'number' || tabId < 0) {
        drops.count('message-not-from-tab');
        return { accepted: 0, rejected: count };
      }
      const measure = measureBatch(data);
      if (!measure.ok) {
        drops.count(`message-${measure.reason}`);
        return { accepted: 0, rejected: count };
      }
      const decision = decideCapture(senderFrameUrl(sender), settings());
      if (!decision.enabled || !decision.platform || !decision.origin) {
        drops.count('capture-disabled', measure.reports);
        return { accepted: 0, rejected: measure.reports };
      }
      if (!rateLimiter.allow(`tab:${tabId}`, now(), batchCost(measure))) return { accepted: 0, rejected: measure.reports };
      const batch = parseInboundBatch(data, sender);
      if (!batch.ok) {
        drops.count(`message-${batch.reason}`);
        return { accepted: 0, rejected: count };
      }
      // A leaving document's connections ended with the navigation: only its "ended" reports still mean something.
      const reports = isFromLeavingDocument(sender) ? batch.reports.filter((report) => report.event === 'ended') : batch.reports;
      if (reports.length < batch.reports.length) drops.count('report-from-leaving-document', batch.reports.length - reports.length);
      let accepted = 0;
      for (const report of reports) {
        const status = queue.enqueue({ source: batch.source, platform: decision.platform, origin: decision.origin, report });
        if (status !== 'rejected') accepted++;
      }
      return { accepted, rejected: batch.reports.length - accepted };
    },
    async hookConfig(sender: SenderLike): Promise<HookConfig> {
      await ready();
      return hookConfigFor(settings(), senderFrameUrl(sender));
    },
    async health(): Promise<Health> {
      await ready();
      return health();
    },
    async tabStatus(tabId: number): Promise<TabStatus> {
      await ready();
      const connections = tracker.forTab(tabId);
      const tab = await browser.tabs.get(tabId).catch(() => undefined);
      const url = tab?.url ?? (connections[0] ? captureUrlOf(connections[0]) : '');
      const decision = decideCapture(url, settings());
      return {
        tabId,
        origin: decision.origin,
        platform: decision.platform,
        capture: decision.platform === null ? 'unsupported' : decision.enabled ? 'on' : 'off',
        connections: connections.map((entry) => ({
          groupId: entry.groupId,
          state: entry.state,
          origin: entry.origin,
          startedAt: entry.startedAt,
          lastReportAt: entry.lastReportAt,
          points: history.points(entry.groupId),
        })),
      };
    },
    testConnection(gateway: Settings['gateway']): Promise<ConnectionTestResult> {
      return testConnection(gateway, { hasPermission: hasGatewayPermission, timeoutMs: settings().reliability.requestTimeoutMs });
    },
    testRemoteWrite(remoteWrite: Settings['remoteWrite'], job: string): Promise<ConnectionTestResult> {
      return testRemoteWrite(remoteWrite, job, {
        hasPermission: hasGatewayPermission,
        timeoutMs: settings().reliability.requestTimeoutMs,
      });
    },
    async setOriginCapture(origin: string, enabled: boolean): Promise<void> {
      await ready();
      const current = settings();
      const others = current.disabledOrigins.filter((entry) => entry !== origin);
      const result = await settingsStore.save({ ...current, disabledOrigins: enabled ? others : [...others, origin] });
      if (!result.ok) throw new Error(result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
    },
    /** A tab closed: its connections ended without a word from the page. */
    tabClosed(tabId: number): void {
      badge.forget(tabId);
      rateLimiter.forget(`tab:${tabId}`);
      newConnectionLimiter.forget(`tab:${tabId}`);
      // A closed tab can wake a stopped worker: its connections are known once the tracker is restored.
      void ready().then(() => processor.endForGood(tracker.endTab(tabId)));
    },
    /**
     * A new document committed in a frame (navigation, reload): the connections of the document
     * it replaced have ended, so their groups are deleted now rather than by the stale sweep.
     */
    documentCommitted(commit: DocumentCommit): void {
      void ready().then(() => {
        const ended = tracker.removeWhere((entry) => isEndedByNavigation(entry, commit));
        if (ended.length === 0) return;
        processor.endForGood(ended);
        badge.update();
      });
    },
    /**
     * The extension was installed, updated or reloaded. Every content script of the previous
     * version is orphaned now, and its hooks come back (if at all) under new connection ids, so
     * the connections tracked before this worker started have ended: their groups are deleted
     * at once rather than left to the stale check. Then open tabs get new relays.
     */
    async installed(): Promise<void> {
      await ready();
      const orphaned = tracker.removeWhere((entry) => isOrphanedAtInstall(entry, startedAt));
      if (orphaned.length) processor.deleteGroups(orphaned);
      await syncRegistrations(true);
      await takeOverOpenTabs({ tabs: browser.tabs, scripting: browser.scripting, settings: settings(), drops });
    },
    /** Periodic housekeeping (alarm): integrity check, resource sweep, delivery retry, persistence. */
    async housekeeping(): Promise<void> {
      await ready();
      if (init.status() !== 'starting') await integrity.run().catch(() => drops.count('integrity-failed'));
      resources.sweep();
      // The browser resets a tab's badge when it navigates: re-send what the tracker says.
      badge.update({ force: true });
      selfMetrics.maybePublish();
      await Promise.all([delivery.flush(), remoteWriteDelivery.flush()]);
      targets.prune(outbox.pinnedTargets());
      await Promise.all([
        tracker.flush(),
        exportState.flush(),
        outbox.flush(),
        delivery.persist(),
        breaker.flush(),
        targets.flush(),
        sampleBuffer.flush(),
        remoteWriteBreaker.flush(),
        remoteWriteDelivery.persist(),
      ]);
    },
    /** Content scripts must be (re)registered after install, update and browser start. */
    async syncRegistrations(): Promise<void> {
      await ready();
      await syncRegistrations(true);
    },
    permissionsChanged(): void {
      void ready().then(() => syncRegistrations(true));
    },
    resources: () => resources.snapshot(),
  };
}
export type ExporterService = ReturnType<typeof createExporterService>;
