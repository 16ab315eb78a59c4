import type { DropCounter } from '../resilience/drop-counter';
import type { Settings } from '../settings/settings-schema';
import { rowsFromExposition } from './exposition-rows';
import type { Outbox } from './outbox';
import type { GroupingKey } from './pushgateway-client';
import type { SampleBuffer } from './sample-buffer';

/**
 * How a sink treats a group's pushes:
 * - `snapshots` (Pushgateway): the latest body replaces the previous one, an identical body can
 *   be skipped, and an ended connection's group is deleted.
 * - `samples` (remote-write): every window is history, kept with the time it was measured; no
 *   window is skipped (the receiver's timeline would have a gap), an ended connection gets its
 *   final window and then nothing (its series go stale at the receiver; nothing to delete).
 */
export type SinkMode = 'snapshots' | 'samples';

/** Where the push scheduler and the self-metrics publisher put what they encoded. */
export interface ExportSink {
  mode(): SinkMode;
  /** True when the chosen sink has somewhere to send to (a gateway URL, a receiver URL). */
  configured(): boolean;
  /** One group's body for the window taken at `at` (Unix ms). */
  put(groupId: string, groupingKey: GroupingKey, body: string, at: number): void;
  /** The group's connection ended (or its key changed): the Pushgateway group is deleted. */
  remove(groupId: string, groupingKey: GroupingKey): void;
}

/** Drop reason of a body line that could not become a sample (never expected: the body is the exporter's own). */
export const SINK_DROPS = { malformedLine: 'remote-write-malformed-line' } as const;

/**
 * The sink the settings choose (`sink`), in front of the Pushgateway outbox and the remote-write
 * sample buffer. For remote-write, each body becomes rows carrying the grouping key's labels as
 * ordinary labels, plus `job` and the configured static labels: the same names, labels and
 * values as the Pushgateway would serve for that group.
 */
export function createExportSink(options: {
  settings: () => Settings;
  outbox: Pick<Outbox, 'put' | 'remove'>;
  buffer: Pick<SampleBuffer, 'append'>;
  drops: DropCounter;
}): ExportSink {
  const remoteWrite = () => options.settings().sink === 'remote-write';
  return {
    mode: () => (remoteWrite() ? 'samples' : 'snapshots'),
    configured: () => {
      const settings = options.settings();
      return (remoteWrite() ? settings.remoteWrite.url : settings.gateway.url) !== '';
    },
    put(groupId, groupingKey, body, at) {
      if (!remoteWrite()) {
        options.outbox.put(groupId, groupingKey, body);
        return;
      }
      const settings = options.settings();
      // No receiver set: nothing is written (as with no gateway URL), and nothing piles up.
      if (settings.remoteWrite.url === '') return;
      const common = { ...settings.remoteWrite.staticLabels, ...groupingKey, job: settings.gateway.job };
      const { rows, malformed } = rowsFromExposition(body, common);
      if (malformed) options.drops.count(SINK_DROPS.malformedLine, malformed);
      options.buffer.append(at, rows);
    },
    remove(groupId, groupingKey) {
      if (!remoteWrite()) options.outbox.remove(groupId, groupingKey);
    },
  };
}
