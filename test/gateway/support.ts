// A gateway on 127.0.0.1:0 with fake ports, on the test system's virtual clock, and a WebSocket
// client that decodes everything it receives.
import type { ExecutionContext } from 'ava';
import { Registry } from 'prom-client';
import WebSocket from 'ws';
import { gateway, GATEWAY_SCHEDULING, type GatewayMsg, type GatewayOptions, type GatewayStatsView } from '../../src/actors/gateway.ts';
import type { Role } from '../../src/auth/roles.ts';
import { TokenAuthority } from '../../src/auth/token.ts';
import type {
  AgentEvent,
  FrameSource,
  GraphApplyRequest,
  GraphApplyResult,
  GraphChanged,
  GraphEdgePage,
  GraphNodePage,
  GraphMutation,
  GraphNodeView,
  GraphPort,
  LayoutPort,
  PositionSnapshot,
  PositionTick,
  SsspPort,
  SsspResultMsg,
} from '../../src/gateway/ports.ts';
import { SsspResultWire } from '../../src/gateway/sssp-result-wire.ts';
import type { Ref } from '../../src/runtime/ref.ts';
import type { ActorFactory } from '../../src/runtime/actor.ts';
import {
  encodeEnvelope,
  HandshakeT,
  isPositionFrame,
  Payload,
  SubscribeT,
  unpackEnvelope,
  type EnvelopeT,
  type PayloadT,
  type PositionFilterT,
  type Topic,
} from '../../src/protocol/index.ts';
import type { SettingsBroadcast, SettingsMsg } from '../../src/settings/protocol.ts';
import type { SettingsDelta, SettingValue } from '../../src/settings/delta.ts';
import type { Hlc } from '../../src/crdt/hlc.ts';
import { NODE_KINDS, type NodeKind } from '../../src/graph/topology.ts';
import { scopesOf } from '../fixtures/change-scopes.ts';
import { pollUntil } from '../helpers/poll.ts';
import { testSystem, type TestSystem } from '../helpers/system.ts';

export const KEY = Buffer.alloc(32, 7);
export const WALL_START = 1_700_000_000_000;

export class FakeFrames implements FrameSource {
  readonly subscribers = new Set<Ref<PositionTick>>();
  latest: PositionSnapshot | undefined;
  subscribe(subscriber: Ref<PositionTick>): void {
    this.subscribers.add(subscriber);
    if (this.latest !== undefined) subscriber.tell({ type: 'positions', snapshot: this.latest });
  }
  unsubscribe(subscriber: Ref<PositionTick>): void {
    this.subscribers.delete(subscriber);
  }
  push(snapshot: PositionSnapshot): void {
    this.latest = snapshot;
    for (const s of this.subscribers) s.tell({ type: 'positions', snapshot });
  }
}

/** n nodes; node i has id 1000 + i and kind i % 7, at (i, 2i, 3i) + offset. */
/**
 * n nodes on a line, every `moveEvery`-th of them shifted by `offset` (the others stay put, so that
 * a change of offset makes a delta; when every node moves the encoder sends a keyframe instead).
 */
export function snapshot(n: number, offset = 0, epoch = 1, moveEvery = 1): PositionSnapshot {
  const ids = new Uint32Array(n);
  const kinds = new Uint8Array(n);
  const positions = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    ids[i] = 1000 + i;
    kinds[i] = i % 7;
    const shift = i % moveEvery === 0 ? offset : 0;
    positions[3 * i] = i + shift;
    positions[3 * i + 1] = 2 * i + shift;
    positions[3 * i + 2] = 3 * i - shift;
  }
  return { epoch, ids, kinds, positions };
}

export class FakeGraph implements GraphPort {
  readonly applied: { mutation: GraphMutation; session: string; stamp?: Hlc }[] = [];
  readonly subscribers = new Set<Ref<GraphChanged>>();
  committed = 0;
  nextResult: GraphApplyResult | undefined;
  nodes = new Map<number, GraphNodeView>([
    [1, { id: 1, kind: 'knowledge', title: 'Alpha' }],
    [2, { id: 2, kind: 'file', title: 'Beta' }],
    [3, { id: 3, kind: 'concept', title: 'Alphabet' }],
  ]);
  edges: [number, number][] = [
    [1, 2],
    [1, 3],
  ];

  /** As the real graph: the change to every subscriber (the asker too), then the asker's answer. */
  apply({ mutation, origin, stamp, replyTo, tag }: GraphApplyRequest): void {
    const answer = (result: GraphApplyResult): void => replyTo.tell({ type: 'graph-applied', answerTo: tag, result });
    const forced = this.nextResult;
    this.nextResult = undefined;
    if (forced !== undefined) return answer(forced);
    this.applied.push(stamp === undefined ? { mutation, session: origin.session } : { mutation, session: origin.session, stamp });
    const version = ++this.committed;
    const scopes = scopesOf(
      mutation,
      (id) => this.kindOf(id),
      (e) => this.edgeEnds.get(e),
    );
    for (const s of this.subscribers) s.tell({ type: 'graph-changed', version, change: mutation, scopes, origin: origin.session });
    answer({ ok: true, version });
  }
  async version(): Promise<number> {
    return this.committed;
  }
  /** Endpoints of edges by id, for the scopes of edge removals and weight changes. */
  readonly edgeEnds = new Map<bigint, readonly [number, number]>();

  /** Wire kinds for the scopes: snapshot() nodes (id 1000 + i has kind i % 7), then the nodes map. */
  private kindOf(id: number): number {
    if (id >= 1000) return (id - 1000) % 7;
    const kind = this.nodes.get(id)?.kind;
    return kind === undefined ? -1 : NODE_KINDS.indexOf(kind as NodeKind);
  }

  async node(id: number) {
    return this.nodes.get(id);
  }
  async neighbours(id: number, limit: number) {
    if (!this.nodes.has(id)) return undefined;
    const ids = this.edges.flatMap(([a, b]) => (a === id ? [b] : b === id ? [a] : []));
    return ids.slice(0, limit).map((n) => this.nodes.get(n)!);
  }
  async nodesById(ids: readonly number[], withContent = false) {
    return ids.flatMap((id) => {
      const n = this.nodes.get(id);
      if (n === undefined) return [];
      if (withContent) return [n];
      const { content: _content, ...brief } = n;
      return [brief];
    });
  }
  async search(query: string, limit: number) {
    const q = query.toLowerCase();
    return [...this.nodes.values()].filter((n) => n.title?.toLowerCase().includes(q)).slice(0, limit);
  }
  async edgePage(offset: number, limit: number): Promise<GraphEdgePage> {
    const edges = this.edges
      .slice(offset, offset + limit)
      .map(([source, target], i) => ({ id: String(offset + i + 1), source, target, directed: false }));
    const end = offset + edges.length;
    return end < this.edges.length ? { total: this.edges.length, offset, edges, next: end } : { total: this.edges.length, offset, edges };
  }
  async nodePage(offset: number, limit: number, type?: string): Promise<GraphNodePage> {
    const all = [...this.nodes.values()];
    const page = all.slice(offset, offset + limit);
    const nodes = page.filter((n) => type === undefined || (n.type ?? '') === type).map(({ content: _content, ...brief }) => brief);
    const end = offset + page.length;
    return end < all.length ? { total: all.length, offset, nodes, next: end } : { total: all.length, offset, nodes };
  }
  subscribe(subscriber: Ref<GraphChanged>): void {
    this.subscribers.add(subscriber);
  }
  unsubscribe(subscriber: Ref<GraphChanged>): void {
    this.subscribers.delete(subscriber);
  }
}

/** Records what reaches the layout, in order. */
export class FakeLayout implements LayoutPort {
  readonly calls: ({ kind: 'drag'; id: number; position: { x: number; y: number; z: number } } | { kind: 'release'; id: number })[] = [];
  drag(id: number, position: { readonly x: number; readonly y: number; readonly z: number }): void {
    this.calls.push({ kind: 'drag', id, position: { ...position } });
  }
  release(id: number): void {
    this.calls.push({ kind: 'release', id });
  }
}

export class FakeSssp implements SsspPort {
  readonly subscribers = new Set<Ref<SsspResultMsg>>();
  /** The nodes every answer reaches (at distance 1.5 each, parent the source); default just 7. */
  reached: number[] = [7];
  request(request: { source: number }, replyTo: Ref<SsspResultMsg>, tag: number): void {
    const s = request.source;
    const reached = [s, ...this.reached];
    const result = new SsspResultWire(
      s,
      Uint32Array.from(reached),
      Float32Array.from(reached, (id) => (id === s ? 0 : 1.5)),
      Uint32Array.from(reached, () => s),
      true,
    );
    replyTo.tell({ type: 'sssp-result', result, answerTo: tag });
    for (const s of this.subscribers) if (s !== replyTo) s.tell({ type: 'sssp-result', result });
  }
  subscribe(subscriber: Ref<SsspResultMsg>): void {
    this.subscribers.add(subscriber);
  }
  unsubscribe(subscriber: Ref<SsspResultMsg>): void {
    this.subscribers.delete(subscriber);
  }
}

/**
 * A small settings actor speaking src/settings/protocol.ts: last writer wins, compare-and-set by
 * version, broadcasts each change at once to the other subscribers.
 */
export function fakeSettings(
  initial: Record<string, SettingValue> = { 'physics.damping': 0.9, 'ui.theme': 'dark' },
): ActorFactory<SettingsMsg> {
  return () => {
    let version = 0;
    const values = new Map(Object.entries(initial).map(([k, v]) => [k, { value: v, version: 0 }]));
    const subs = new Map<Ref<SettingsBroadcast>, string>();
    return {
      receive(msg) {
        switch (msg.type) {
          case 'get': {
            const paths = msg.paths ?? [...values.keys()];
            msg.replyTo.tell({ version, values: Object.fromEntries(paths.filter((p) => values.has(p)).map((p) => [p, values.get(p)!])) });
            return;
          }
          case 'set': {
            for (const c of msg.changes) {
              const cur = values.get(c.path);
              if (cur === undefined)
                return msg.replyTo?.tell({ ok: false, errors: [{ path: c.path, code: 'unknown-path', message: 'no such setting' }] });
              if (c.ifVersion !== undefined && c.ifVersion !== cur.version) {
                return msg.replyTo?.tell({
                  ok: false,
                  errors: [{ path: c.path, code: 'conflict', message: 'changed meanwhile', current: cur }],
                });
              }
            }
            const deltas: SettingsDelta[] = msg.changes.map((c) => {
              const old = values.get(c.path)!.value;
              values.set(c.path, { value: c.value, version: ++version });
              return {
                path: c.path,
                old,
                new: c.value,
                timestamp: { wallMs: WALL_START, logical: 0, node: 0 },
                client: msg.client,
                version,
              };
            });
            msg.replyTo?.tell({ ok: true, deltas, version });
            for (const [ref, client] of subs) if (client !== msg.client) ref.tell({ type: 'settings-deltas', deltas });
            return;
          }
          case 'subscribe':
            subs.set(msg.subscriber, msg.client);
            return;
          case 'unsubscribe':
            subs.delete(msg.subscriber);
            return;
        }
      },
    };
  };
}

export interface Harness extends TestSystem {
  readonly ref: Ref<GatewayMsg>;
  readonly port: number;
  readonly base: string;
  readonly tokens: TokenAuthority;
  readonly frames: FakeFrames;
  readonly graph: FakeGraph;
  readonly layout: FakeLayout;
  readonly sssp: FakeSssp;
  readonly registry: Registry;
  wall: number;
  token(role: Role, ttlSeconds?: number, sub?: string): string;
  stats(): Promise<GatewayStatsView>;
  connect(options?: ClientOptions): Promise<Client>;
  /** Connects and completes the handshake (resuming `options.resume` when given). */
  session(role?: Role, options?: ClientOptions): Promise<Client>;
}

export async function startGateway(t: ExecutionContext, options: Partial<GatewayOptions> = {}, settings = true): Promise<Harness> {
  const ts = testSystem(t);
  const frames = new FakeFrames();
  const graph = new FakeGraph();
  const layout = new FakeLayout();
  const sssp = new FakeSssp();
  const registry = new Registry();
  const h = { wall: WALL_START } as { wall: number };
  const tokens = new TokenAuthority(KEY, () => h.wall);
  if (settings) ts.system.spawn(fakeSettings(), { name: 'settings' });
  const ref = ts.system.spawn(
    gateway({
      host: '127.0.0.1',
      port: 0,
      tokens,
      registry,
      frames,
      graph,
      layout,
      sssp,
      settingsPath: '/settings',
      wallClock: () => h.wall,
      ...options,
    }),
    { name: 'gateway', ...GATEWAY_SCHEDULING },
  );
  const address = await ts.system.ask<GatewayMsg, { port: number }>(ref, (replyTo) => ({ type: 'address', replyTo }), 5_000);
  const base = `127.0.0.1:${address.port}`;
  const clients: Client[] = [];
  t.teardown(() => {
    for (const c of clients) c.ws.terminate();
  });
  const harness: Harness = Object.assign(h, {
    ...ts,
    ref,
    port: address.port,
    base,
    tokens,
    frames,
    graph,
    layout,
    sssp,
    registry,
    token: (role: Role, ttlSeconds = 3600, sub = `user-${role}`) => tokens.mint({ sub, role, ttlSeconds }),
    stats: () => ts.system.ask<GatewayMsg, GatewayStatsView>(ref, (replyTo) => ({ type: 'stats', replyTo }), 5_000),
    connect: async (o: ClientOptions = {}) => {
      const c = await Client.open(`ws://${base}/ws${o.query ?? ''}`, o.headers);
      clients.push(c);
      return c;
    },
    session: async (role: Role = 'editor', o: ClientOptions = {}) => {
      const c = await harness.connect(o);
      c.send(new HandshakeT(o.token ?? harness.token(role), 0, BigInt(o.resumeFrom ?? 0), 'test', o.resume ?? null));
      await c.waitFor(() => c.envelopes.some((e) => e.payloadType === Payload.HandshakeAccepted));
      return c;
    },
  });
  return harness;
}

export interface ClientOptions {
  readonly query?: string;
  readonly headers?: Record<string, string>;
  readonly token?: string;
  /** Session id to resume (Handshake.session_id), with the last seq applied on it. */
  readonly resume?: string;
  readonly resumeFrom?: number;
}

export class Client {
  readonly envelopes: EnvelopeT[] = [];
  readonly frames: Uint8Array[] = [];
  /** Every binary message in arrival order, tagged. */
  readonly log: ({ kind: 'envelope'; env: EnvelopeT } | { kind: 'frame'; bytes: Uint8Array })[] = [];
  closed: { code: number; reason: string } | undefined;
  private seq = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      if (isPositionFrame(bytes)) {
        this.frames.push(bytes);
        this.log.push({ kind: 'frame', bytes });
        return;
      }
      const r = unpackEnvelope(bytes);
      if (r.ok) {
        this.envelopes.push(r.value);
        this.log.push({ kind: 'envelope', env: r.value });
      }
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString('utf8') }));
    ws.on('error', () => undefined);
  }

  static open(url: string, headers?: Record<string, string>): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      const client = new Client(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  /** Sends a payload in an envelope; returns the seq used (the server's correlation id). */
  send(payload: PayloadT): number {
    const seq = this.seq++;
    this.ws.send(encodeEnvelope({ seq, payload }));
    return seq;
  }

  subscribe(topic: Topic, withVelocity = false, rateHz = 0, filter: PositionFilterT | null = null): number {
    return this.send(new SubscribeT(topic, withVelocity, rateHz, filter));
  }

  of(type: Payload): EnvelopeT[] {
    return this.envelopes.filter((e) => e.payloadType === type);
  }

  get sessionId(): string {
    const accepted = this.of(Payload.HandshakeAccepted).at(-1);
    return String((accepted?.payload as { sessionId: string } | undefined)?.sessionId ?? '');
  }

  async waitFor(condition: () => boolean, limitMs = 3_000): Promise<void> {
    await pollUntil(condition, { limitMs, everyMs: 2, what: 'client condition' });
  }

  waitClosed(limitMs = 3_000): Promise<{ code: number; reason: string }> {
    return this.waitFor(() => this.closed !== undefined, limitMs).then(() => this.closed!);
  }
}

export type { AgentEvent };
