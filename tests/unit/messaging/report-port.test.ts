import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeBrowser } from 'wxt/testing/fake-browser';
import { createReportPortClient, createReportPortServer, REPORT_PORT_NAME, type PortLike } from '@/utils/messaging/report-port';

interface TestPort extends PortLike {
  /** Delivers a message as the other end would. */
  receive(message: unknown): void;
  /** The other end went away. */
  drop(): void;
  posted: unknown[];
}

function testPort(name = REPORT_PORT_NAME, sender: unknown = { tab: { id: 7 }, frameId: 0 }): TestPort {
  const onMessage: ((message: unknown) => void)[] = [];
  const onDisconnect: (() => void)[] = [];
  const port: TestPort = {
    name,
    sender,
    posted: [],
    postMessage: (message) => void port.posted.push(message),
    disconnect: vi.fn(),
    onMessage: { addListener: (listener) => void onMessage.push(listener) },
    onDisconnect: { addListener: (listener) => void onDisconnect.push(listener) },
    receive: (message) => onMessage.forEach((listener) => listener(message)),
    drop: () => onDisconnect.forEach((listener) => listener()),
  };
  return port;
}

beforeEach(() => {
  fakeBrowser.reset();
});

describe('createReportPortServer', () => {
  it('hands every batch of a report port on with the port’s sender', () => {
    const onBatch = vi.fn();
    const server = createReportPortServer({ onBatch, onRefused: vi.fn() });
    const port = testPort();
    server.accept(port);
    port.receive([{ event: 'ended' }]);
    port.receive('junk');
    expect(onBatch.mock.calls).toEqual([
      [[{ event: 'ended' }], port.sender],
      ['junk', port.sender],
    ]);
  });

  it('leaves ports of other names alone', () => {
    const onBatch = vi.fn();
    const server = createReportPortServer({ onBatch, onRefused: vi.fn() });
    const port = testPort('something-else');
    server.accept(port);
    port.receive([]);
    expect(onBatch).not.toHaveBeenCalled();
    expect(server.size()).toBe(0);
  });

  it('refuses ports beyond the cap, counts each, and takes new ones once others closed', () => {
    const onRefused = vi.fn();
    const server = createReportPortServer({ onBatch: vi.fn(), onRefused, maxPorts: 2 });
    const [a, b, c, d] = [testPort(), testPort(), testPort(), testPort()];
    server.accept(a);
    server.accept(b);
    server.accept(c);
    expect(c.disconnect).toHaveBeenCalled();
    expect(onRefused).toHaveBeenCalledWith('report-port-cap');
    expect(server.size()).toBe(2);
    a.drop();
    server.accept(d);
    expect(d.disconnect).not.toHaveBeenCalled();
    expect(server.size()).toBe(2);
  });
});

describe('createReportPortClient', () => {
  it('opens one port on the first post and keeps using it', () => {
    const opened: TestPort[] = [];
    const client = createReportPortClient(() => opened[opened.push(testPort()) - 1]!);
    expect(client.connected()).toBe(false);
    client.post([1]);
    client.post([2]);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.posted).toEqual([[1], [2]]);
  });

  it('connects again after its port was disconnected', () => {
    const opened: TestPort[] = [];
    const client = createReportPortClient(() => opened[opened.push(testPort()) - 1]!);
    client.post([1]);
    opened[0]!.drop();
    expect(client.connected()).toBe(false);
    client.post([2]);
    expect(opened.map((port) => port.posted)).toEqual([[[1]], [[2]]]);
  });

  it('throws when neither its port nor a fresh one takes the batch', () => {
    const client = createReportPortClient(() => {
      throw new Error('Extension context invalidated.');
    });
    expect(() => client.post([1])).toThrow(/context invalidated/);
  });

  it('closes its port and opens a new one on the next post', () => {
    const opened: TestPort[] = [];
    const client = createReportPortClient(() => opened[opened.push(testPort()) - 1]!);
    client.post([1]);
    client.close();
    expect(opened[0]!.disconnect).toHaveBeenCalled();
    client.post([2]);
    expect(opened).toHaveLength(2);
  });
});
