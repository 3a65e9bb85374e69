// The gateway benchmark's client side, forked by bench/gateway.ts in two processes so that the
// probes do not share an event loop with the load:
//  - 'load': N WebSocket clients subscribed to the position stream; measures frame lag (receipt
//    time minus the time the server's layout made the snapshot, both on this machine's clock:
//    performance.timeOrigin + performance.now()), frames per second per client, sequence gaps;
//    plus readers that stop reading (stalled).
//  - 'probe': client A (editor) moves a node and changes a setting every 150 ms; client B (viewer)
//    decodes its position stream and times when the move shows there, when the graph event
//    arrives and when the settings broadcast arrives. Between those it times a bare relay: a
//    message from A' to B' through a plain `ws` server in the server process that forwards it at
//    once (the floor for a message in from one client and out to another, on this machine under
//    this load).
// Talks to its parent over IPC only.
import WebSocket from 'ws';
import {
  GraphOp,
  GraphUpdateT,
  HandshakeT,
  NodeKind,
  NodeT,
  NumberValueT,
  Payload,
  PositionStreamReader,
  SettingValue,
  SettingsSetT,
  SubscribeT,
  Topic,
  UpdateNodeT,
  Vec3T,
  decodeEnvelope,
  encodeEnvelope,
  isPositionFrame,
  unpackEnvelope,
  type PositionIdTableT,
  type PayloadT,
} from '../src/protocol/index.ts';

export interface LoadStart {
  readonly type: 'start';
  readonly url: string;
  readonly viewers: readonly string[];
  readonly editor: string;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** Node id the update probe moves, and its index in the stream. */
  readonly probeNode: number;
  readonly stalled: number;
  readonly role: 'load' | 'probe';
  /** The bare relay the probe times (a plain ws server that forwards every message to the others). */
  readonly relayUrl: string;
}

export type LoadToParent =
  | { readonly type: 'connected'; readonly clients: number }
  | { readonly type: 'measuring' }
  | { readonly type: 'done'; readonly result: LoadResult };

export type ParentToLoad = LoadStart | { readonly type: 'frame-times'; readonly seqs: number[]; readonly times: number[] };

export interface LoadResult {
  readonly clients: number;
  readonly frameLagsMs: number[];
  readonly fpsPerClient: number[];
  readonly gapsPerClient: number[];
  readonly updateToClientMs: number[];
  readonly graphEventMs: number[];
  readonly settingsMs: number[];
  readonly relayMs: number[];
  readonly bytesReceived: number;
}

const now = (): number => performance.timeOrigin + performance.now();

class LoadClient {
  seq = 1;
  measuring = false;
  frames = 0;
  gaps = 0;
  lastFrameSeq = -1;
  readonly recvSeq: number[] = [];
  readonly recvTime: number[] = [];
  bytes = 0;
  onEnvelope: ((type: Payload, env: ReturnType<typeof unpackEnvelope>) => void) | undefined;
  onFrame: ((bytes: Uint8Array) => void) | undefined;

  constructor(readonly ws: WebSocket) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => {
      const t = now();
      this.bytes += data.byteLength;
      if (isPositionFrame(data)) {
        const seq = data.readUInt32LE(8);
        if (this.measuring) {
          this.frames++;
          this.recvSeq.push(seq);
          this.recvTime.push(t);
          if (this.lastFrameSeq >= 0 && seq !== this.lastFrameSeq + 1 && seq !== this.lastFrameSeq) this.gaps++;
        }
        this.lastFrameSeq = seq;
        this.onFrame?.(data);
        return;
      }
      if (this.onEnvelope !== undefined) {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        const env = decodeEnvelope(bytes);
        if (env.ok) this.onEnvelope(env.value.payloadType(), unpackEnvelope(bytes));
      }
    });
    ws.on('error', () => undefined);
  }

  send(payload: PayloadT): void {
    this.ws.send(encodeEnvelope({ seq: this.seq++, payload }));
  }
}

function open(url: string, token: string, topics: Topic[], pause = false): Promise<LoadClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const c = new LoadClient(ws);
    ws.once('open', () => {
      c.send(new HandshakeT(token, 0, 0n, 'bench'));
      for (const topic of topics) c.send(new SubscribeT(topic));
      if (pause) ws.pause();
      resolve(c);
    });
    ws.once('error', reject);
  });
}

/** As big as the settings delta the probe times. */
const RELAY_PING = Buffer.alloc(120, 7);

function openPlain(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function main(start: LoadStart): Promise<void> {
  const send = (m: LoadToParent): void => void process.send!(m);
  const clients: LoadClient[] = [];
  const viewers = start.role === 'load' ? start.viewers : [];
  for (let i = 0; i < viewers.length; i += 25) {
    clients.push(...(await Promise.all(viewers.slice(i, i + 25).map((t) => open(start.url, t, [Topic.Positions])))));
  }
  const stalled =
    start.role === 'load'
      ? await Promise.all(Array.from({ length: start.stalled }, () => open(start.url, start.viewers[0]!, [Topic.Positions], true)))
      : [];
  // Probe clients: A (editor) moves a node and sets a setting; B (viewer) watches. The relay pair
  // connects first: B's handlers are set right after it opens, before anything else is awaited.
  const probing = start.role === 'probe';
  const relayA = probing ? await openPlain(start.relayUrl) : undefined;
  const relayB = probing ? await openPlain(start.relayUrl) : undefined;
  const a = probing ? await open(start.url, start.editor, []) : undefined;
  const b = probing ? await open(start.url, start.viewers[0]!, [Topic.Positions, Topic.Graph, Topic.Settings]) : undefined;
  send({ type: 'connected', clients: clients.length });

  const serverTimes = new Map<number, number>();
  process.on('message', (m: ParentToLoad) => {
    if (m.type === 'frame-times') for (let i = 0; i < m.seqs.length; i++) serverTimes.set(m.seqs[i]!, m.times[i]!);
  });

  // B decodes its stream to see the probe node move.
  const reader = new PositionStreamReader();
  let probeIndex = -1;
  let pending: { target: number; sentAt: number } | undefined;
  let pendingEvent: { sentAt: number } | undefined;
  let pendingSetting: { value: number; sentAt: number } | undefined;
  const updateToClientMs: number[] = [];
  const graphEventMs: number[] = [];
  const settingsMs: number[] = [];
  const relayMs: number[] = [];
  let pendingRelay: number | undefined;
  relayB?.on('message', () => {
    if (pendingRelay !== undefined) relayMs.push(now() - pendingRelay);
    pendingRelay = undefined;
  });
  if (b !== undefined)
    b.onEnvelope = (type, env) => {
      if (!env.ok) return;
      if (type === Payload.PositionIdTable) {
        const table = env.value.payload as PositionIdTableT;
        reader.setIdTable(table.epoch, table.ids.length);
        probeIndex = table.ids.indexOf(start.probeNode);
      } else if (type === Payload.GraphUpdate && pendingEvent !== undefined) {
        graphEventMs.push(now() - pendingEvent.sentAt);
        pendingEvent = undefined;
      } else if (type === Payload.SettingsDelta && pendingSetting !== undefined) {
        settingsMs.push(now() - pendingSetting.sentAt);
        pendingSetting = undefined;
      }
    };
  if (b !== undefined)
    b.onFrame = (bytes) => {
      reader.accept(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      if (pending !== undefined && probeIndex >= 0 && Math.abs(reader.positions[3 * probeIndex]! - pending.target) < 1) {
        updateToClientMs.push(now() - pending.sentAt);
        pending = undefined;
      }
    };

  await new Promise((r) => setTimeout(r, start.warmupMs));
  for (const c of clients) c.measuring = true;
  send({ type: 'measuring' });
  const t0 = now();
  let k = 0;
  // Three probes share the 150 ms period, a third of it apart, so none waits behind another's
  // traffic: A's node move at 0, A's settings change at 50 ms, the bare relay at 100 ms.
  const every = (offsetMs: number, fn: () => void): (() => void) => {
    let timer: NodeJS.Timeout | undefined;
    const start = setTimeout(() => (timer = setInterval(fn, 150)), offsetMs);
    return () => {
      clearTimeout(start);
      clearInterval(timer);
    };
  };
  const stops = [
    every(0, () => {
      if (a === undefined || pending !== undefined || pendingEvent !== undefined) return;
      const target = k++ % 2 === 0 ? 777 : -777;
      const t = now();
      pending = { target, sentAt: t };
      pendingEvent = { sentAt: t };
      a.send(
        new GraphUpdateT(
          GraphOp.UpdateNode,
          new UpdateNodeT(new NodeT(start.probeNode, NodeKind.Knowledge, null, null, null, new Vec3T(target, 0, 0))),
        ),
      );
    }),
    every(50, () => {
      if (a === undefined || pendingSetting !== undefined) return;
      const value = 0.5 + (k % 40) / 100;
      pendingSetting = { value, sentAt: now() };
      a.send(new SettingsSetT('physics.damping', SettingValue.NumberValue, new NumberValueT(value)));
    }),
    every(100, () => {
      if (relayA === undefined || pendingRelay !== undefined) return;
      pendingRelay = now();
      relayA.send(RELAY_PING);
    }),
  ];
  await new Promise((r) => setTimeout(r, start.measureMs));
  for (const stop of stops) stop();
  const elapsed = (now() - t0) / 1000;
  for (const c of clients) c.measuring = false;
  // Let the last frame times arrive.
  await new Promise((r) => setTimeout(r, 300));
  const frameLagsMs: number[] = [];
  for (const c of clients) {
    for (let i = 0; i < c.recvSeq.length; i++) {
      const sent = serverTimes.get(c.recvSeq[i]!);
      if (sent !== undefined) frameLagsMs.push(c.recvTime[i]! - sent);
    }
  }
  send({
    type: 'done',
    result: {
      clients: clients.length,
      frameLagsMs,
      fpsPerClient: clients.map((c) => c.frames / elapsed),
      gapsPerClient: clients.map((c) => c.gaps),
      updateToClientMs,
      graphEventMs,
      settingsMs,
      relayMs,
      bytesReceived: clients.reduce((s, c) => s + c.bytes, 0),
    },
  });
  for (const c of [...clients, ...stalled]) c.ws.terminate();
  a?.ws.terminate();
  b?.ws.terminate();
  relayA?.terminate();
  relayB?.terminate();
}

/** As a suite of `npm run bench`, this file only explains itself: bench/gateway.ts forks it. */
export async function run(): Promise<void> {
  console.log('gateway-load is the load generator of the gateway suite: run `npm run bench -- gateway`.');
}

if (process.send !== undefined && process.env.VF_GATEWAY_LOAD === '1') {
  process.once('message', (m: ParentToLoad) => {
    if (m.type === 'start') {
      main(m).catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
    }
  });
}
