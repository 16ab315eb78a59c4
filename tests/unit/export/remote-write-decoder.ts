import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { uncompress } from 'snappyjs';
import type { RemoteWriteSeries } from '../../../utils/export/remote-write-encoder';

/** Reads a snappy-compressed WriteRequest back, the way a receiver does (test helper). */
export function decodeRemoteWriteBody(body: Uint8Array): RemoteWriteSeries[] {
  return decodeWriteRequest(uncompress(body));
}

/** Reads a WriteRequest's time series; fields other than labels and samples are skipped. */
export function decodeWriteRequest(bytes: Uint8Array): RemoteWriteSeries[] {
  const reader = new BinaryReader(bytes);
  const series: RemoteWriteSeries[] = [];
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    if (field !== 1) {
      reader.skip(wire);
      continue;
    }
    series.push(readSeries(new BinaryReader(reader.bytes())));
  }
  return series;
}

function readSeries(reader: BinaryReader): RemoteWriteSeries {
  const labels: Record<string, string> = {};
  const order: string[] = [];
  const samples: { value: number; timestampMs: number }[] = [];
  while (reader.pos < reader.len) {
    const [field, wire] = reader.tag();
    const inner = field === 1 || field === 2 ? new BinaryReader(reader.bytes()) : (reader.skip(wire), undefined);
    if (!inner) continue;
    if (field === 1) {
      let name = '';
      let value = '';
      while (inner.pos < inner.len) {
        const [f] = inner.tag();
        if (f === 1) name = inner.string();
        else value = inner.string();
      }
      labels[name] = value;
      order.push(name);
    } else {
      let value = 0;
      let timestampMs = 0;
      while (inner.pos < inner.len) {
        const [f, w] = inner.tag();
        if (f === 1 && w === WireType.Bit64) value = inner.double();
        else timestampMs = Number(inner.int64());
      }
      samples.push({ value, timestampMs });
    }
  }
  const { __name__: name = '', ...rest } = labels;
  return { name, labels: { ...rest, __order__: order.join(',') }, samples };
}
