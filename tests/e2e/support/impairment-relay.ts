import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';

/**
 * A UDP relay on 127.0.0.1 that impairs a real WebRTC call: it drops a set share of datagrams
 * and delays the rest (RECIPES "Impairing a real call": Chromium's fake-network field trials do
 * nothing on a loopback call).
 *
 * How media gets into it. The relay has no fixed UDP port: `port` is an HTTP control port. The call
 * page (tests/e2e/pages/loopback.js with `?relay=PORT`) asks `GET /forward?to=IP:PORT` for each IPv4
 * UDP host candidate one connection gathers, and hands the other connection `127.0.0.1:<answer>`
 * instead. So every relay port stands for exactly one real destination, and the relay never has to
 * guess where a datagram goes. Like a tiny NAT, each source that writes to a relay port gets its own
 * outbound socket towards the destination; what the destination answers on that socket goes back
 * out of the relay port to that source. ICE sees the outbound sockets as peer-reflexive candidates,
 * so every path between the two connections (checks, media, RTCP) crosses the relay both ways and
 * every datagram in either direction gets the same impairment: RTT ≈ 2 × delayMs.
 */
export interface ImpairmentOptions {
  /**
   * Share of datagrams dropped, 0–1: of every {@link DROP_BLOCK} datagrams of one RTP stream (SSRC;
   * the rest of the traffic counts as one stream), that share rounded, at random places in the block.
   */
  dropRatio: number;
  /** Delay added to every forwarded datagram, ms (each direction). */
  delayMs: number;
  /** Up to this many ms more or less than `delayMs`, uniform per datagram (reorders packets). Default 0. */
  jitterMs?: number;
}

export interface ImpairmentStats {
  /** Datagrams that reached the relay, both directions. */
  received: number;
  /** Datagrams sent on after their delay. */
  forwarded: number;
  /** Datagrams dropped on purpose (the impairment). */
  dropped: number;
  /** Datagrams refused because a cap was reached (never part of the impairment; 0 in a sane test). */
  refused: number;
  /**
   * Sum of the time forwarded datagrams really spent in the relay, ms: `delayMs` plus however late
   * the test process's timers fired (a loaded machine makes them late). Divide by `forwarded`.
   */
  heldMs: number;
}

/** RTP packets of one SSRC that reached the relay, and how many of them it dropped. */
export interface SsrcCounts {
  received: number;
  dropped: number;
}

export interface ImpairmentRelay {
  /** HTTP control port on 127.0.0.1: the value of the call page's `?relay=` parameter. */
  port: number;
  stats(): ImpairmentStats;
  /**
   * RTP packets per SSRC (read from the RTP header, which SRTP leaves in the clear), so a test can
   * hold a stream's `packetsLost` against what the relay dropped of exactly that stream. At most
   * MAX_SSRCS SSRCs are counted; RTCP, STUN and DTLS are not RTP and not in here.
   */
  rtpBySsrc(): Map<number, SsrcCounts>;
  close(): Promise<void>;
}

/** Most destinations (one relay port each) and sources per destination: a call has a few of each. */
const MAX_DESTINATIONS = 32;
const MAX_SOURCES_PER_DESTINATION = 16;
const MAX_SSRCS = 64;

/**
 * The SSRC of an RTP packet, or undefined for anything else: RTP/RTCP have version 2 in the first
 * two bits (RFC 3550), and RTCP packet types 200–207 sit where RTP has marker + payload type
 * (RFC 5761 §4: RTP payload types 64–95 are avoided for exactly this reason).
 */
function rtpSsrc(message: Buffer): number | undefined {
  if (message.length < 12 || (message[0]! & 0xc0) !== 0x80) return undefined;
  const second = message[1]!;
  if (second >= 192 && second <= 223) return undefined;
  return message.readUInt32BE(8);
}

interface Forward {
  socket: dgram.Socket;
  port: number;
  /** Outbound socket per source address ("ip:port"). */
  sources: Map<string, dgram.Socket>;
}

function bindUdp(): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      socket.off('error', reject);
      // A late ICMP "port unreachable" (a closed browser socket) must not crash the test process.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

/** Parses "IPv4:port"; undefined when it is anything else. */
function parseDestination(value: string | null): { address: string; port: number } | undefined {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(value ?? '');
  if (!match || !net.isIPv4(match[1]!)) return undefined;
  const port = Number(match[2]);
  return port >= 1 && port <= 65_535 ? { address: match[1]!, port } : undefined;
}

/**
 * Datagrams per drop block. Why blocks, not a coin per datagram: the loss a test reads over a
 * window of ~1,000 packets then sits within a few packets of the set share, where independent coins
 * left it ±0.7 point (one σ at 5 %), and a 5 % window read 3.3 % often enough to fail a MOS bound.
 */
export const DROP_BLOCK = 100;

/** Starts the relay; see {@link ImpairmentOptions}. Close it to free every socket and pending timer. */
export async function startImpairmentRelay(options: ImpairmentOptions): Promise<ImpairmentRelay> {
  if (!(options.dropRatio >= 0 && options.dropRatio <= 1)) throw new Error(`dropRatio must be within 0–1, got ${options.dropRatio}`);
  if (!(options.delayMs >= 0)) throw new Error(`delayMs must be ≥ 0, got ${options.delayMs}`);
  const jitterMs = options.jitterMs ?? 0;
  if (!(jitterMs >= 0)) throw new Error(`jitterMs must be ≥ 0, got ${jitterMs}`);
  const counts: ImpairmentStats = { received: 0, forwarded: 0, dropped: 0, refused: 0, heldMs: 0 };
  const forwards = new Map<string, Forward>();
  const bySsrc = new Map<number, SsrcCounts>();
  const pending = new Set<NodeJS.Timeout>();
  const dropsPerBlock = Math.round(options.dropRatio * DROP_BLOCK);
  /** Per stream (SSRC, or -1 for the rest): the place in its block, and the places to drop there. */
  const blocks = new Map<number, { index: number; drop: Set<number> }>();
  let closed = false;

  /** Whether the next datagram of `key` is dropped (a new block draws its drop places at random). */
  function dropNext(key: number): boolean {
    let block = blocks.get(key);
    if (!block || block.index >= DROP_BLOCK) {
      const drop = new Set<number>();
      // Not seeded: the call's own timing differs every run anyway.
      while (drop.size < dropsPerBlock) drop.add(Math.floor(Math.random() * DROP_BLOCK));
      block = { index: 0, drop };
      if (blocks.size < MAX_SSRCS + 1 || blocks.has(key)) blocks.set(key, block);
    }
    return block.drop.has(block.index++);
  }

  /** Drops or delays one datagram, then sends it from `via` to `port`/`address`. */
  function impair(message: Buffer, via: dgram.Socket, port: number, address: string): void {
    counts.received += 1;
    const ssrc = rtpSsrc(message);
    let stream = ssrc === undefined ? undefined : bySsrc.get(ssrc);
    if (ssrc !== undefined && !stream && bySsrc.size < MAX_SSRCS) {
      stream = { received: 0, dropped: 0 };
      bySsrc.set(ssrc, stream);
    }
    if (stream) stream.received += 1;
    if (dropNext(stream ? ssrc! : -1)) {
      counts.dropped += 1;
      if (stream) stream.dropped += 1;
      return;
    }
    const delay = Math.max(0, options.delayMs + (Math.random() * 2 - 1) * jitterMs);
    const arrived = performance.now();
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (closed) return;
      counts.forwarded += 1;
      counts.heldMs += performance.now() - arrived;
      via.send(message, port, address);
    }, delay);
    pending.add(timer);
  }

  async function forwardTo(destination: { address: string; port: number }): Promise<Forward | undefined> {
    const key = `${destination.address}:${destination.port}`;
    const known = forwards.get(key);
    if (known) return known;
    if (forwards.size >= MAX_DESTINATIONS) return undefined;
    const socket = await bindUdp();
    const forward: Forward = { socket, port: (socket.address() as net.AddressInfo).port, sources: new Map() };
    forwards.set(key, forward);
    socket.on('message', (message, from) => {
      const sourceKey = `${from.address}:${from.port}`;
      let outbound = forward.sources.get(sourceKey);
      if (!outbound) {
        if (forward.sources.size >= MAX_SOURCES_PER_DESTINATION) {
          counts.refused += 1;
          return;
        }
        // Node queues a send issued while the socket is still binding, so no datagram waits on this.
        outbound = dgram.createSocket('udp4');
        outbound.on('error', () => {});
        outbound.bind(0, '127.0.0.1');
        // What the destination answers on this socket goes back to this source, out of the relay port.
        outbound.on('message', (reply) => impair(reply, socket, from.port, from.address));
        forward.sources.set(sourceKey, outbound);
      }
      impair(message, outbound, destination.port, destination.address);
    });
    return forward;
  }

  const control = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers = { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
    if (url.pathname === '/stats') {
      res.writeHead(200, headers).end(JSON.stringify(counts));
      return;
    }
    if (url.pathname !== '/forward') {
      res.writeHead(404, headers).end(JSON.stringify({ error: 'use /forward?to=IPv4:port or /stats' }));
      return;
    }
    const destination = parseDestination(url.searchParams.get('to'));
    if (!destination) {
      res.writeHead(400, headers).end(JSON.stringify({ error: 'to must be IPv4:port' }));
      return;
    }
    forwardTo(destination).then(
      (forward) =>
        forward
          ? res.writeHead(200, headers).end(JSON.stringify({ port: forward.port }))
          : res.writeHead(429, headers).end(JSON.stringify({ error: `at most ${MAX_DESTINATIONS} destinations` })),
      (error: unknown) => res.writeHead(500, headers).end(JSON.stringify({ error: String(error) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    control.once('error', reject);
    control.listen(0, '127.0.0.1', () => resolve());
  });

  return {
    port: (control.address() as net.AddressInfo).port,
    stats: () => ({ ...counts }),
    rtpBySsrc: () => new Map([...bySsrc].map(([ssrc, stream]) => [ssrc, { ...stream }])),
    async close() {
      closed = true;
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      for (const forward of forwards.values()) {
        for (const outbound of forward.sources.values()) outbound.close();
        forward.socket.close();
      }
      forwards.clear();
      control.closeAllConnections();
      await new Promise<void>((resolve) => control.close(() => resolve()));
    },
  };
}
