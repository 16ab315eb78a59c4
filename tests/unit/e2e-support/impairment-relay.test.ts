import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startImpairmentRelay, type ImpairmentRelay } from '../../e2e/support/impairment-relay';
import { waitFor } from '../../e2e/support/free-port';

/** A UDP socket on 127.0.0.1 that keeps what it receives, with the sender's port. */
async function endpoint() {
  const socket = dgram.createSocket('udp4');
  const received: Array<{ text: string; fromPort: number }> = [];
  socket.on('message', (message, from) => received.push({ text: message.toString(), fromPort: from.port }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return { socket, received, port: (socket.address() as AddressInfo).port };
}

/** An RTP header (version 2, payload type 111) with this SSRC, then a payload. */
function rtpPacket(ssrc: number, sequence: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 111;
  header.writeUInt16BE(sequence, 2);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, Buffer.from('media')]);
}

describe('startImpairmentRelay', () => {
  let relay: ImpairmentRelay | undefined;
  const sockets: dgram.Socket[] = [];

  afterEach(async () => {
    await relay?.close();
    relay = undefined;
    for (const socket of sockets.splice(0)) socket.close();
  });

  async function forwardTo(port: number): Promise<Response> {
    return fetch(`http://127.0.0.1:${relay!.port}/forward?to=127.0.0.1:${port}`);
  }

  it('forwards to the destination it was asked for and carries the answer back out of the same relay port', async () => {
    relay = await startImpairmentRelay({ dropRatio: 0, delayMs: 20 });
    const [a, b] = await Promise.all([endpoint(), endpoint()]);
    sockets.push(a.socket, b.socket);
    const { port: relayPort } = (await (await forwardTo(b.port)).json()) as { port: number };

    const sentAt = Date.now();
    a.socket.send('hello', relayPort, '127.0.0.1');
    await waitFor(() => b.received.length === 1, { what: 'the datagram at b' });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(19);
    expect(b.received[0]!.text).toBe('hello');
    // b sees the relay's outbound socket for a (like a NAT), never a itself.
    expect(b.received[0]!.fromPort).not.toBe(a.port);

    b.socket.send('hi back', b.received[0]!.fromPort, '127.0.0.1');
    await waitFor(() => a.received.length === 1, { what: 'the answer at a' });
    expect(a.received[0]).toEqual({ text: 'hi back', fromPort: relayPort });
    const { heldMs, ...counts } = relay.stats();
    expect(counts).toEqual({ received: 2, forwarded: 2, dropped: 0, refused: 0 });
    // Each of the two stayed at least its 20 ms delay (timers never fire early).
    expect(heldMs).toBeGreaterThanOrEqual(2 * 19);
  });

  it('drops the set share of every stream, counts every drop, and counts RTP per SSRC from the header', async () => {
    relay = await startImpairmentRelay({ dropRatio: 0.3, delayMs: 0 });
    const [a, b] = await Promise.all([endpoint(), endpoint()]);
    sockets.push(a.socket, b.socket);
    const { port: relayPort } = (await (await forwardTo(b.port)).json()) as { port: number };
    // In batches: a burst of 1 000 would overflow the sockets' kernel buffers, which is loss the relay did not make.
    for (let i = 0; i < 1_000; i++) {
      a.socket.send(rtpPacket(i % 2 ? 1111 : 2222, i), relayPort, '127.0.0.1');
      if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    a.socket.send(Buffer.from([0x00, 0x01, 0, 0]), relayPort, '127.0.0.1'); // STUN-like: not RTP

    await waitFor(() => relay!.stats().received === 1_001, { what: 'every datagram at the relay' });
    await waitFor(() => b.received.length === relay!.stats().forwarded && relay!.stats().forwarded + relay!.stats().dropped === 1_001, {
      what: 'every forwarded datagram at b',
    });
    const { dropped } = relay.stats();
    const bySsrc = relay.rtpBySsrc();
    expect([...bySsrc.keys()].sort()).toEqual([1111, 2222]);
    // 500 datagrams of each SSRC: five whole blocks of 100, 30 dropped in each, at random places.
    expect(bySsrc.get(1111)).toEqual({ received: 500, dropped: 150 });
    expect(bySsrc.get(2222)).toEqual({ received: 500, dropped: 150 });
    // The STUN-like datagram is the rest of the traffic's first: dropped or not, counted either way.
    expect([300, 301]).toContain(dropped);
  }, 30_000);

  it.each([
    ['an address that is not IPv4', '/forward?to=example.org:5000', 400],
    ['a port out of range', '/forward?to=127.0.0.1:70000', 400],
    ['an unknown path', '/nothing', 404],
  ])('answers %s with a clear error', async (_case, path, status) => {
    relay = await startImpairmentRelay({ dropRatio: 0, delayMs: 0 });
    const response = await fetch(`http://127.0.0.1:${relay.port}${path}`);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toMatch(/\w/);
  });

  it.each([
    [{ dropRatio: 1.5, delayMs: 0 }, /dropRatio/],
    [{ dropRatio: 0.1, delayMs: -1 }, /delayMs/],
    [{ dropRatio: 0.1, delayMs: 0, jitterMs: Number.NaN }, /jitterMs/],
  ])('refuses the settings %j', async (options, message) => {
    await expect(startImpairmentRelay(options)).rejects.toThrow(message);
  });
});
