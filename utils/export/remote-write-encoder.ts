import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { compress } from 'snappyjs';

/**
 * Prometheus remote-write 1.0 bodies: a `prometheus.WriteRequest` protobuf, snappy block
 * compressed. Only the fields remote-write 1.0 receivers read are written:
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms
 *
 * (prometheus/prompb/remote.proto and types.proto; the spec: prometheus.io/docs/specs/remote_write_spec/)
 */

/** One sample: its value and the Unix time in ms when it was measured. */
export interface RemoteWriteSample {
  value: number;
  timestampMs: number;
}

/** One series: metric name, its labels (without `__name__`) and its samples, oldest first. */
export interface RemoteWriteSeries {
  name: string;
  labels: Readonly<Record<string, string>>;
  samples: readonly RemoteWriteSample[];
}

/** The headers remote-write 1.0 requires on every request. */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

/**
 * Encodes series as a WriteRequest. Labels are written sorted by name with `__name__`
 * among them (receivers require sorted label names); samples keep their order, which must be
 * oldest first (receivers refuse out-of-order samples of a series).
 */
export function encodeWriteRequest(series: readonly RemoteWriteSeries[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const entry of series) {
    writer.tag(1, WireType.LengthDelimited).fork();
    const labels: [string, string][] = [['__name__', entry.name], ...Object.entries(entry.labels)];
    labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [name, value] of labels) {
      writer.tag(1, WireType.LengthDelimited).fork();
      writer.tag(1, WireType.LengthDelimited).string(name);
      writer.tag(2, WireType.LengthDelimited).string(value);
      writer.join();
    }
    for (const sample of entry.samples) {
      writer.tag(2, WireType.LengthDelimited).fork();
      writer.tag(1, WireType.Bit64).double(sample.value);
      writer.tag(2, WireType.Varint).int64(Math.round(sample.timestampMs));
      writer.join();
    }
    writer.join();
  }
  return writer.finish();
}

/** The request body: the WriteRequest, snappy block-compressed (not the framed format). */
export function encodeRemoteWriteBody(series: readonly RemoteWriteSeries[]): Uint8Array {
  return compress(encodeWriteRequest(series));
}
