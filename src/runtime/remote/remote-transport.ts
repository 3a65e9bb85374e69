// Remote actors across processes: one of these per actor system joins it to actor systems in other
// processes over WebSocket (wss with a certificate). It listens (optionally), dials the peers it is
// told about when there is something to send or watch, authenticates both ends of every connection
// (handshake.ts), and keeps one association per pair of systems (association.ts), which the
// runtime's refs reach through the Transport seam: `system.resolve('vf://node-b/app/x')` is a
// RemoteRef whose tells land here. docs/protocol.md ("Remote actors") is the wire and the semantics.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { EventStream } from '../event-stream.ts';
import type { ActorSystem } from '../system.ts';
import { AcceptHandshake, type TokenVerifier } from './accept-handshake.ts';
import { Association, type AssociationHost } from './association.ts';
import { RemoteCloseCode } from './close-codes.ts';
import type { CodecRegistry } from './codec-registry.ts';
import { DialHandshake, type DialIdentity, type DialTls } from './dial-handshake.ts';
import { MIN_SECRET_BYTES, newIncarnation } from './handshake.ts';
import { PeerSocket, type SocketOwner } from './peer-socket.ts';
import type { RemoteEvent } from './remote-events.ts';
import { remoteLimits, type RemoteLimits } from './remote-limits.ts';

export interface RemoteListen {
  /**
   * 'external': open no port; another HTTP server (a node's gateway) hands its upgrades to
   * `handleUpgrade`, so agents reach the node on the port its clients already use. Default 'own'.
   */
  readonly server?: 'own' | 'external';
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: any free port (read it back from `port`). */
  readonly port?: number;
  /** A certificate and key in PEM: listen with wss. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

export interface RemoteTransportOptions {
  /** Accept connections from other systems; omit for a system that only dials (an agent). */
  readonly listen?: RemoteListen;
  /** Where to dial other systems: address -> ws:// or wss:// URL. More with addPeer. */
  readonly peers?: Readonly<Record<string, string>>;
  /** The messages that may cross, from the actor modules that declare them. */
  readonly codecs: CodecRegistry;
  /** Nodes: the cluster's shared secret (at least 32 bytes); proves each end to the other. */
  readonly clusterSecret?: Uint8Array;
  /** How this system proves itself when it dials; default a node (needs clusterSecret). */
  readonly identity?: DialIdentity;
  /** Accept agents and clients whose token verifies and whose role may act as an agent. */
  readonly tokens?: TokenVerifier;
  /** Local paths (prefixes) agents and clients may send to, besides replies to asks; default /app/agents. */
  readonly clientRecipients?: readonly string[];
  /** For wss:// peers. */
  readonly tls?: DialTls;
  readonly limits?: Partial<RemoteLimits>;
}

/** A read-only view of one association, for metrics, the status page and tests. */
export interface AssociationInfo {
  readonly address: string;
  readonly state: Association['state'];
  readonly incarnation: number | undefined;
  readonly kind: Association['kind'];
  readonly queue: Association['queueDepth'];
  readonly stats: Association['stats'];
}

const DEFAULT_CLIENT_RECIPIENTS = ['/app/agents'];

/** Transports by system: one each. */
const started = new WeakSet<ActorSystem>();

export class RemoteTransport {
  /** Random per start of this process (of this transport): a restart is a new incarnation. */
  readonly incarnation = newIncarnation();
  readonly events = new EventStream<RemoteEvent>();
  readonly limits: RemoteLimits;
  /** Sockets this end closed, by close code (failed handshakes, hostile peers, quarantine). */
  readonly refusals = new Map<number, number>();

  private readonly associations = new Map<string, Association>();
  private readonly handshakes = new Set<AcceptHandshake>();
  private readonly quarantined = new Map<string, number>();
  /** Our local paths watched from elsewhere, and by which associations. */
  private readonly remoteWatchers = new Map<string, Set<Association>>();
  private readonly host: AssociationHost;
  private server: Server | undefined;
  private wss: WebSocketServer | undefined;
  private tlsListen = false;
  private stopped = false;
  private readonly unsubscribe: () => void;

  private constructor(
    readonly system: ActorSystem,
    private readonly options: RemoteTransportOptions,
  ) {
    this.limits = remoteLimits(options.limits);
    const identity = options.identity ?? { kind: 'node' };
    if (options.clusterSecret !== undefined && options.clusterSecret.length < MIN_SECRET_BYTES) {
      throw new RangeError(`a cluster secret needs at least ${MIN_SECRET_BYTES} bytes`);
    }
    if (identity.kind === 'node' && options.clusterSecret === undefined && Object.keys(options.peers ?? {}).length > 0) {
      throw new Error('a node dials other nodes with the cluster secret: give clusterSecret, or an agent identity with a token');
    }
    if (options.listen !== undefined && options.clusterSecret === undefined && options.tokens === undefined) {
      throw new Error('a system that listens needs a cluster secret (to accept nodes) or a token verifier (to accept agents)');
    }
    this.host = {
      system,
      clock: system.clock,
      limits: this.limits,
      codecs: options.codecs,
      clientRecipients: options.clientRecipients ?? DEFAULT_CLIENT_RECIPIENTS,
      publish: (event) => this.publish(event),
      quarantine: (address, incarnation) => this.quarantine(address, incarnation),
      isQuarantined: (address, incarnation) => this.quarantined.has(quarantineKey(address, incarnation)),
      dial: (association) => this.dial(association),
      watchedBy: (association, added, removed) => this.watchedBy(association, added, removed),
      idle: (association) => this.idle(association),
    };
    for (const [address, url] of Object.entries(options.peers ?? {})) this.addPeer(address, url);
    this.unsubscribe = system.events.subscribe((event) => {
      if (event.type === 'actor-stopped') {
        const watchers = this.remoteWatchers.get(event.path);
        if (watchers === undefined) return;
        this.remoteWatchers.delete(event.path);
        for (const association of watchers) association.terminatedHere(event.path);
      } else if (event.type === 'system-terminated') void this.stop();
    });
  }

  /** Joins `system` to other processes; resolves once it listens (when told to). */
  static async start(system: ActorSystem, options: RemoteTransportOptions): Promise<RemoteTransport> {
    if (started.has(system)) throw new Error(`actor system ${system.name} already has a remote transport`);
    const transport = new RemoteTransport(system, options);
    started.add(system);
    if (options.listen !== undefined) await transport.listen(options.listen);
    return transport;
  }

  /** The port it listens on, once listening. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address !== null && typeof address === 'object' ? (address as AddressInfo).port : undefined;
  }

  /** The URL other systems dial to reach this one, once listening. */
  get url(): string | undefined {
    const address = this.server?.address();
    if (address === null || typeof address !== 'object') return undefined;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `${this.tlsListen ? 'wss' : 'ws'}://${host}:${address.port}`;
  }

  /** Where to dial `address` from now on (a node learns of another, or a peer moved). */
  addPeer(address: string, url: string): void {
    if (address === this.system.name) throw new Error(`${address} is this system`);
    if (!/^wss?:\/\//.test(url)) throw new Error(`a peer URL is ws:// or wss://, got ${url}`);
    const existing = this.associations.get(address);
    if (existing !== undefined) existing.url = url;
    else this.register(new Association(address, this.host, url));
  }

  association(address: string): AssociationInfo | undefined {
    const a = this.associations.get(address);
    return a === undefined ? undefined : info(a);
  }

  associationList(): AssociationInfo[] {
    return [...this.associations.values()].map(info);
  }

  /**
   * Runs `bytes` through the live association with `address` as if its peer had sent them, and
   * returns the close code and reason the peer would be closed with (undefined: accepted). The
   * socket is left alone, so a fuzz run can push any number of frames through the real inbound
   * path of one association. Throws when no association with `address` is up.
   */
  receiveAsFrom(address: string, bytes: Uint8Array): { readonly code: number; readonly reason: string } | undefined {
    const association = this.associations.get(address);
    if (association?.state !== 'up') throw new Error(`no association with ${address} is up`);
    return association.receive(bytes);
  }

  /**
   * Takes a WebSocket upgrade another HTTP server received (listen.server 'external'); the socket
   * then goes through the handshake as one accepted on a port of its own would. Without an external
   * listener, or once stopped, the upgrade is refused with 503.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const wss = this.wss;
    if (wss === undefined || this.server !== undefined || this.stopped) {
      const body = this.stopped ? `${this.system.name} is shutting down\n` : 'this system takes no handed-over upgrades\n';
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => this.accepted(ws, remoteOf(req)));
  }

  /** Closes every association (pending messages and terminations are sent first) and the listener. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    for (const handshake of this.handshakes) handshake.socket.close(RemoteCloseCode.GoingAway, `${this.system.name} is shutting down`);
    for (const association of this.associations.values()) association.shutdown();
    for (const association of this.associations.values()) this.system.removeTransport(association.address);
    const wss = this.wss;
    const server = this.server;
    if (wss !== undefined) await new Promise<void>((resolve) => wss.close(() => resolve()));
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  // ---- listening -------------------------------------------------------------------------------------

  private async listen(options: RemoteListen): Promise<void> {
    if (options.server === 'external') {
      this.wss = new WebSocketServer({
        noServer: true,
        clientTracking: false,
        maxPayload: this.limits.maxFrameBytes,
        perMessageDeflate: false,
      });
      return;
    }
    const refuseHttp = (_req: IncomingMessage, res: ServerResponse): void => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('VisionFlow remote actors: WebSocket only\n');
    };
    this.tlsListen = options.tls !== undefined;
    const server =
      options.tls === undefined
        ? createHttpServer(refuseHttp)
        : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, refuseHttp);
    const wss = new WebSocketServer({ server, maxPayload: this.limits.maxFrameBytes, perMessageDeflate: false });
    wss.on('connection', (ws, req) => this.accepted(ws, remoteOf(req)));
    this.server = server;
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  private accepted(ws: WebSocket, remote: string): void {
    const nobody: SocketOwner = { frame: () => undefined, closed: () => undefined };
    const socket = new PeerSocket(ws, 'accepted', remote, this.limits.maxFrameBytes, nobody);
    if (this.stopped) {
      socket.close(RemoteCloseCode.GoingAway, `${this.system.name} is shutting down`);
      return;
    }
    if (this.handshakes.size >= this.limits.maxHandshakes) {
      this.refused(remote, undefined, RemoteCloseCode.PolicyViolation, `too many handshakes at once (${this.limits.maxHandshakes})`);
      socket.close(RemoteCloseCode.PolicyViolation, `too many handshakes at once (${this.limits.maxHandshakes})`);
      return;
    }
    const handshake = new AcceptHandshake(
      socket,
      {
        address: this.system.name,
        incarnation: this.incarnation,
        limits: this.limits,
        clusterSecret: this.options.clusterSecret,
        tokens: this.options.tokens,
        now: () => this.system.clock.now(),
        publish: (event) => this.publish(event),
        isQuarantined: (address, incarnation) => this.quarantined.has(quarantineKey(address, incarnation)),
        isNode: (address) => {
          const a = this.associations.get(address);
          return a !== undefined && (a.url !== undefined || (a.kind === 'node' && a.remoteIncarnation !== undefined));
        },
        associationFor: (address) => this.associationFor(address),
        finished: (h) => this.handshakes.delete(h),
      },
      (ms, f) => this.system.clock.setTimer(ms, f),
    );
    this.handshakes.add(handshake);
  }

  private associationFor(address: string): Association | string {
    const existing = this.associations.get(address);
    if (existing !== undefined) return existing;
    if (this.associations.size >= this.limits.maxAssociations) return `too many associations (${this.limits.maxAssociations})`;
    return this.register(new Association(address, this.host, undefined));
  }

  private register(association: Association): Association {
    this.associations.set(association.address, association);
    this.system.addTransport(association);
    return association;
  }

  // ---- dialing ------------------------------------------------------------------------------------------

  private dial(association: Association): boolean {
    if (this.stopped || association.url === undefined) return false;
    if (association.dialing !== undefined) return true;
    association.dialing = new DialHandshake(
      association,
      association.url,
      {
        address: this.system.name,
        incarnation: this.incarnation,
        limits: this.limits,
        clusterSecret: this.options.clusterSecret,
        identity: this.options.identity ?? { kind: 'node' },
        tls: this.options.tls,
        now: () => this.system.clock.now(),
        publish: (event) => this.publish(event),
        isQuarantined: (address, incarnation) => this.quarantined.has(quarantineKey(address, incarnation)),
      },
      (ms, f) => this.system.clock.setTimer(ms, f),
    );
    return true;
  }

  // ---- bookkeeping ---------------------------------------------------------------------------------------

  private quarantine(address: string, incarnation: number): void {
    const key = quarantineKey(address, incarnation);
    if (this.quarantined.has(key)) return;
    this.quarantined.set(key, incarnation);
    // Bounded: the oldest quarantined incarnations are forgotten first (Map keeps insertion order).
    while (this.quarantined.size > this.limits.quarantineSize) this.quarantined.delete(this.quarantined.keys().next().value!);
    this.publish({ type: 'quarantined', address, incarnation, time: this.system.clock.now() });
  }

  private watchedBy(association: Association, added: readonly string[], removed: readonly string[]): void {
    for (const path of removed) {
      const set = this.remoteWatchers.get(path);
      set?.delete(association);
      if (set?.size === 0) this.remoteWatchers.delete(path);
    }
    for (const path of added) {
      let set = this.remoteWatchers.get(path);
      if (set === undefined) {
        set = new Set();
        this.remoteWatchers.set(path, set);
      }
      set.add(association);
    }
  }

  /** An association with nothing left: one nobody can dial (an agent's) is forgotten. */
  private idle(association: Association): void {
    if (association.url !== undefined) return;
    setImmediate(() => {
      if (association.state !== 'idle' || association.remoteIncarnation !== undefined || association.queueDepth.messages > 0) return;
      if (this.associations.get(association.address) !== association) return;
      this.associations.delete(association.address);
      this.system.removeTransport(association.address);
    });
  }

  private publish(event: RemoteEvent): void {
    if (event.type === 'connection-refused') this.refusals.set(event.code, (this.refusals.get(event.code) ?? 0) + 1);
    this.events.publish(event);
  }

  private refused(remote: string, address: string | undefined, code: number, reason: string): void {
    this.publish({ type: 'connection-refused', remote, address, code, reason, time: this.system.clock.now() });
  }
}

function remoteOf(req: IncomingMessage): string {
  return `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
}

/** Unambiguous: the address grammar (path.ts) has no '#'. */
function quarantineKey(address: string, incarnation: number): string {
  return `${address}#${incarnation}`;
}

function info(a: Association): AssociationInfo {
  return { address: a.address, state: a.state, incarnation: a.remoteIncarnation, kind: a.kind, queue: a.queueDepth, stats: a.stats };
}
