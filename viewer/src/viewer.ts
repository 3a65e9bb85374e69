// The viewer, joined up: the connection feeds the position and graph stores (and the agents'
// status), the render loop interpolates and draws, the pointer and the panels act on the node
// through the same connection and the HTTP API.
import * as pc from 'playcanvas';
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import type { EnvelopeT, ErrorReplyT, PositionIdTableT, SettingsDeltaT, SsspResultT } from '../../src/protocol/index.ts';
import { ErrorCode, NodeDragT, Payload, SubscribeT, Topic, Vec3T } from '../../src/protocol/index.ts';
import type { SettingsClient } from '../../src/settings/client.ts';
import { AgentStatus, type AgentPayload } from './agent-status.ts';
import { Api } from './api.ts';
import { AGENT_KIND, BUCKET, bucketColours, hexToRgb } from './colours.ts';
import { Connection } from './connection.ts';
import { el } from './dom.ts';
import { EdgeRenderer } from './edge-renderer.ts';
import { EmptyHint } from './empty-hint.ts';
import { GraphStore, isGraphChange } from './graph-store.ts';
import { hubs, Labels } from './labels.ts';
import { NodeRenderer, SHAPE } from './node-renderer.ts';
import { OrbitCamera } from './orbit-camera.ts';
import { pickNode, pointerOnPlane } from './picking.ts';
import { bindPointer } from './pointer-input.ts';
import { PositionStore } from './position-store.ts';
import { chooseRenderMode, POINTS_THRESHOLD } from './render-mode.ts';
import type { Scene } from './scene.ts';
import { searchBox } from './search-box.ts';
import { settingsPanel } from './settings-panel.ts';
import { applyWireDelta, openSettings, settingOf } from './settings-sync.ts';
import { PANEL_CONTENT_CHARS, SidePanel } from './side-panel.ts';
import { SsspState } from './sssp-state.ts';
import { StatsOverlay } from './stats-overlay.ts';
import { NodeDetails } from './titles.ts';

const EDGE_PAGE = 20_000;
const DRAG_SEND_MS = 80;
/** Hubs (most edges) that carry a label wherever the camera looks. */
const HUB_LABELS = 10;

const AGENT_PAYLOADS = new Set<Payload>([
  Payload.AgentRegister, Payload.AgentHeartbeat, Payload.TaskAssigned, Payload.TaskProgress, Payload.TaskCompleted, Payload.AgentError,
]);

export interface ViewerOptions {
  /** Node count above which 'auto' draws point sprites (render-mode.ts). */
  readonly pointsAbove: number;
}

export class Viewer {
  readonly api: Api;
  readonly conn: Connection;
  readonly positions = new PositionStore();
  readonly graph = new GraphStore();
  readonly sssp = new SsspState();
  readonly agents = new AgentStatus();
  readonly details: NodeDetails;
  private readonly nodes: NodeRenderer;
  private readonly edges: EdgeRenderer;
  private readonly orbit: OrbitCamera;
  private readonly labels: Labels;
  private readonly stats: StatsOverlay;
  private readonly panel: SidePanel;
  private readonly toast = el('div', { id: 'toast' });
  /** How to load a graph, shown while the server's node set is empty. */
  readonly emptyHint = new EmptyHint();
  settings: SettingsClient | undefined;
  selected: number | undefined;
  hovered: number | undefined;
  private framed = false;
  private lastFrameAt = -Infinity;
  private dragSentAt = 0;
  private readonly bucketCache: { version: string; buckets: Uint8Array } = { version: '', buckets: new Uint8Array(0) };
  errors: string[] = [];

  constructor(
    private readonly scene: Scene,
    private readonly ui: HTMLElement,
    token: string,
    private readonly options: ViewerOptions = { pointsAbove: POINTS_THRESHOLD },
  ) {
    this.api = new Api(token);
    this.details = new NodeDetails(this.api);
    this.details.onView = (v) => {
      if (v.kind === 'agent') this.agents.fromMetadata(v.id, v.metadata);
    };
    this.nodes = new NodeRenderer(scene.app, scene.root);
    this.edges = new EdgeRenderer(scene.app, scene.root);
    this.orbit = new OrbitCamera(scene.camera);
    this.labels = new Labels(ui.querySelector<HTMLElement>('#labels') ?? ui);
    this.stats = new StatsOverlay(ui);
    this.panel = new SidePanel({
      select: (id) => this.select(id, true),
      distancesFrom: (id) => this.distancesFrom(id),
      pathTo: (id) => {
        if (!this.sssp.pickTarget(id)) this.say(`node ${id} is not reachable from ${this.sssp.source ?? '?'}`);
        this.refreshPanel();
      },
      clearPaths: () => {
        this.sssp.clear();
        this.refreshPanel();
      },
      setIgnoreDirection: (on) => {
        if (this.sssp.setIgnoreDirection(on)) this.askDistances();
        this.refreshPanel();
      },
    });
    ui.append(this.panel.root, searchBox(this.api, (n) => this.select(n.id, true)), this.toast, this.emptyHint.root);
    this.applyVisualSettings();

    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    this.conn = new Connection(url, token, {
      onSession: () => this.newSession(),
      onEnvelope: (env) => this.envelope(env),
      onFrame: (bytes) => this.frame(bytes),
      onState: (state, detail) => this.stats.setConnection(state, detail),
    });
    this.subscribePositions();
    this.conn.subscribe(new SubscribeT(Topic.Graph));
    this.conn.subscribe(new SubscribeT(Topic.Settings));
    // Live agent status where the node runs an agent swarm (answered Unsupported elsewhere).
    this.conn.subscribe(new SubscribeT(Topic.Agents));

    bindPointer(scene.app.graphicsDevice.canvas as HTMLCanvasElement, this.orbit, {
      pick: (x, y) => this.pick(x, y),
      hover: (id) => (this.hovered = id),
      click: (id) => (id === undefined ? this.deselect() : this.select(id, false)),
      dragStart: (id) => this.dragTo(id, undefined),
      dragMove: (id, x, y) => this.dragTo(id, [x, y]),
      dragEnd: (id, x, y) => this.dragEnd(id, x, y),
    });
    scene.app.on('update', () => this.render(performance.now()));
    window.addEventListener('keydown', (e) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
      if (e.key === 'f') this.frameAll();
      if (e.key === 'Escape') this.deselect();
    });
    void this.loadSettings();
  }

  // ---- the stream ---------------------------------------------------------------------------------

  private subscribePositions(): void {
    const hz = Number(settingOf(this.settings, 'visualisation.frameRateHz'));
    this.conn.subscribe(new SubscribeT(Topic.Positions, false, hz));
  }

  private newSession(): void {
    // A fresh session: the server holds nothing of ours; load the edge list again.
    void this.loadEdges();
  }

  /** Loads started so far: a load that a newer one replaced stops. */
  private edgeLoads = 0;

  private async loadEdges(): Promise<void> {
    const load = ++this.edgeLoads;
    this.graph.beginLoad();
    let from = 0;
    try {
      for (let offset: number | undefined = 0; offset !== undefined; ) {
        const page = await this.api.edgePage(offset, EDGE_PAGE);
        if (load !== this.edgeLoads) return;
        if (offset === 0) from = page.version;
        for (const e of page.edges) this.graph.addEdge(e.id, { source: e.source, target: e.target });
        offset = page.next;
      }
    } catch (error) {
      this.say(`could not load the edges: ${String(error)}`);
    }
    if (load === this.edgeLoads && !this.graph.endLoad(from)) void this.loadEdges();
  }

  private frame(bytes: Uint8Array): void {
    const now = performance.now();
    const ask = this.positions.accept(bytes, now);
    if (ask !== undefined) this.conn.send(ask);
    else this.lastFrameAt = now;
  }

  private envelope(env: EnvelopeT): void {
    const p = env.payload;
    switch (env.payloadType) {
      case Payload.PositionIdTable:
        this.positions.setIdTable(p as PositionIdTableT);
        return;
      case Payload.SettingsDelta:
        if (this.settings !== undefined) applyWireDelta(this.settings, p as SettingsDeltaT);
        return;
      case Payload.SsspResult:
        this.sssp.accept(p as SsspResultT, Number(env.correlationId));
        this.refreshPanel();
        return;
      case Payload.ErrorReply: {
        const e = p as ErrorReplyT;
        // Agents are optional: a node without a swarm is not an error worth showing.
        if (e.code === ErrorCode.Unsupported && this.conn.subscribedWith(Number(env.correlationId)) === Topic.Agents) return;
        this.say(typeof e.message === 'string' ? e.message : 'error from the server');
        return;
      }
      default:
        if (isGraphChange(p)) this.graph.apply(p);
        else if (AGENT_PAYLOADS.has(env.payloadType) && this.agents.accept(env.payloadType, p as AgentPayload)) {
          if (this.selected !== undefined && this.agents.get(this.selected) !== undefined) this.refreshPanel();
        }
    }
  }

  // ---- settings -----------------------------------------------------------------------------------

  private async loadSettings(): Promise<void> {
    try {
      const client = await openSettings(this.api);
      this.settings = client;
      client.onChange((path) => {
        if (path === 'visualisation.frameRateHz') this.subscribePositions();
        this.applyVisualSettings();
      });
      const body = this.ui.querySelector<HTMLElement>('#settings');
      body?.append(settingsPanel(client, (m) => this.say(m)));
      this.applyVisualSettings();
      this.subscribePositions();
    } catch (error) {
      this.say(`settings unavailable: ${String(error)}`);
    }
  }

  private applyVisualSettings(): void {
    const s = (path: string) => settingOf(this.settings, path);
    this.nodes.setColours(bucketColours(String(s('visualisation.nodes.knowledgeColor')), String(s('visualisation.nodes.agentColor'))));
    this.edges.visible = s('visualisation.edges.visible') === true;
    this.edges.setStyle(hexToRgb(String(s('visualisation.edges.color'))), Number(s('visualisation.edges.opacity')));
    this.size.base = Number(s('visualisation.nodes.baseSize'));
    this.size.byDegree = s('visualisation.nodes.sizeByDegree') === true;
    this.labels.visible = s('visualisation.labels.visible') === true;
    this.labels.maxVisible = Number(s('visualisation.labels.maxVisible'));
    const bg = hexToRgb(String(s('visualisation.background')));
    const camera = this.scene.camera.camera;
    if (camera) camera.clearColor = new pc.Color(bg[0], bg[1], bg[2]);
    this.bucketCache.version = '';
  }

  // ---- drawing ------------------------------------------------------------------------------------

  private readonly size = { base: 1, byDegree: true };

  /** Radius: the base size, grown with the degree, agents larger. */
  private radiusOf = (slot: number): number => {
    const id = this.positions.ids[slot]!;
    const degree = this.size.byDegree ? Math.sqrt(this.graph.degreeOf(id)) * 0.3 : 0;
    return this.size.base * (1 + degree) * (this.positions.kinds[slot] === AGENT_KIND ? 1.6 : 1);
  };

  private readonly style = {
    // render() refreshes the cache first; per slot this is a plain read.
    bucketOf: (slot: number): number => this.bucketCache.buckets[slot] ?? 0,
    radiusOf: this.radiusOf,
    shapeOf: (slot: number): number => (this.positions.kinds[slot] === AGENT_KIND ? SHAPE.agent : SHAPE.sphere),
  };

  private bucketOf(slot: number): number {
    const id = this.positions.ids[slot]!;
    if (id === this.selected) return BUCKET.selected;
    if (id === this.hovered) return BUCKET.hovered;
    if (settingOf(this.settings, 'visualisation.sssp.colorByDistance') === true) {
      const b = this.sssp.bucketOf(id);
      if (b !== undefined) return b;
    }
    return Math.min(BUCKET.ramp - 1, this.positions.kinds[slot] ?? 0);
  }

  private buckets(): Uint8Array {
    const key = `${this.positions.epoch}/${this.positions.count}/${this.selected}/${this.hovered}/${this.sssp.version}/${this.settings?.get('visualisation.sssp.colorByDistance')}`;
    const cache = this.bucketCache;
    if (cache.version !== key) {
      cache.version = key;
      cache.buckets = new Uint8Array(this.positions.count);
      for (let s = 0; s < this.positions.count; s++) cache.buckets[s] = this.bucketOf(s);
    }
    return cache.buckets;
  }

  private render(now: number): void {
    const store = this.positions;
    store.interpolate(now);
    // Empty only once an id table has said so (epoch -1: none yet), not while still connecting.
    this.emptyHint.update(store.epoch >= 0 && store.count === 0 && this.graph.edges.size === 0, now);
    if (!this.framed && store.frames > 0 && store.count > 0) {
      const b = store.bounds();
      this.orbit.target.set(b.centre[0], b.centre[1], b.centre[2]);
      this.orbit.distance = b.radius * 2.6 + 5;
      this.framed = true;
    }
    this.orbit.update(now);
    this.nodes.mode = chooseRenderMode(String(settingOf(this.settings, 'visualisation.nodes.renderMode')), store.count, this.options.pointsAbove);
    const camera = this.scene.camera.camera!;
    this.nodes.setProjection(this.scene.app.graphicsDevice.height, camera.fov);
    this.buckets();
    this.nodes.update(store.count, store.display, this.style);
    this.edges.update(this.graph, store);
    const agents: number[] = [];
    // Agents are always labelled while the graph is small enough for that to stay readable.
    if (store.count <= 500) for (let s = 0; s < store.count; s++) if (store.kinds[s] === AGENT_KIND) agents.push(store.ids[s]!);
    this.labels.update(camera, store, this.details, [this.hovered, this.selected, this.sssp.source, this.sssp.target], agents, this.hubLabels(now), this.orbit.target, (id) =>
      store.kinds[store.slotOf.get(id) ?? -1] === AGENT_KIND ? this.agents.describe(id) : undefined,
    );
    this.stats.tick(now, {
      nodes: store.count,
      edges: this.edges.count,
      bytesReceived: this.conn.bytesReceived,
      msSinceFrame: now - this.lastFrameAt,
      frameIntervalMs: store.meanIntervalMs,
      mode: this.nodes.mode,
    });
  }

  /**
   * The nodes with the most edges, labelled wherever the camera is: recomputed when the edge set
   * has changed, at most twice a second (edges stream in by the thousand while a graph loads).
   */
  private hubLabels(now: number): readonly number[] {
    const cache = this.hubCache;
    if (this.labels.visible && cache.version !== this.graph.version && now - cache.at >= 500) {
      cache.version = this.graph.version;
      cache.at = now;
      cache.ids = hubs(this.graph.degree, HUB_LABELS);
    }
    return cache.ids;
  }

  private readonly hubCache: { version: number; at: number; ids: readonly number[] } = { version: -1, at: -Infinity, ids: [] };

  // ---- interaction --------------------------------------------------------------------------------

  pick(x: number, y: number): number | undefined {
    const slot = pickNode(this.scene.camera.camera!, x, y, this.positions.count, this.positions.display, this.radiusOf);
    return slot === undefined ? undefined : this.positions.ids[slot];
  }

  /** Frames the whole graph again on the next rendered frame (the F key). */
  frameAll(): void {
    this.framed = false;
  }

  select(id: number, fly: boolean): void {
    this.selected = id;
    if (fly) {
      const p = this.positions.positionOf(id);
      if (p !== undefined) this.orbit.flyTo(p, Math.max(15, Math.min(this.orbit.distance, 40)), performance.now());
    }
    this.refreshPanel();
  }

  deselect(): void {
    this.selected = undefined;
    this.panel.hide();
  }

  private refreshPanel(): void {
    const id = this.selected;
    if (id === undefined) return;
    const full = this.api.node(id, PANEL_CONTENT_CHARS).catch(() => undefined);
    void Promise.all([full, this.api.neighbours(id).catch((): readonly GraphNodeView[] => [])]).then(([view, neighbours]) => {
      if (view === undefined || this.selected !== id) return;
      // Content stays out of the details cache (labels need titles only).
      const { content: _content, contentLength: _length, ...brief } = view;
      this.details.remember(brief);
      for (const n of neighbours) this.details.remember(n);
      const agent = view.kind === 'agent' ? this.agents.describe(id) : undefined;
      const extras = { source: this.sssp.source, distance: this.sssp.distanceOf(id), ignoreDirection: this.sssp.ignoreDirection };
      this.panel.show(view, neighbours, { ...extras, ...(agent === undefined ? {} : { agent }) });
    });
  }

  distancesFrom(id: number): void {
    this.sssp.pickSource(id);
    this.askDistances();
    this.refreshPanel();
  }

  /** Sends the request for the picked source in the chosen reading; only its answer is shown. */
  private askDistances(): void {
    const request = this.sssp.request();
    if (request !== undefined) this.sssp.sent(this.conn.send(request));
  }

  private dragTo(id: number, pointer: [number, number] | undefined): void {
    const current = this.positions.overrides.get(id) ?? this.positions.positionOf(id);
    if (current === undefined) return;
    const next = pointer === undefined ? current : (pointerOnPlane(this.scene.camera.camera!, pointer[0], pointer[1], current) ?? current);
    this.positions.overrides.set(id, next);
    const now = performance.now();
    if (now - this.dragSentAt >= DRAG_SEND_MS) {
      this.dragSentAt = now;
      this.sendMove(id, next);
    }
  }

  private dragEnd(id: number, x: number, y: number): void {
    this.dragTo(id, [x, y]);
    const p = this.positions.overrides.get(id);
    // The last drag is the drop: the server keeps the node pinned there for physics.pinTimeoutMs.
    if (p !== undefined) this.sendMove(id, p);
    // Draw it where it was dropped until the stream has caught up with the move.
    setTimeout(() => this.positions.overrides.delete(id), 1_000);
  }

  /**
   * A drag goes to the layout (NodeDrag): the physics pins the node at the position and the other
   * forces react; every viewer sees it in the position stream. Nothing is written to the graph.
   */
  private sendMove(id: number, p: readonly [number, number, number]): void {
    this.conn.send(new NodeDragT(id, new Vec3T(p[0], p[1], p[2])));
  }

  private say(message: string): void {
    this.errors.push(message);
    this.toast.textContent = message;
    this.toast.className = 'show';
    setTimeout(() => (this.toast.className = ''), 4_000);
  }

  /** For tests and tooling: where a node is drawn on screen (CSS pixels), if it is. */
  screenOf(id: number): [number, number] | undefined {
    const p = this.positions.positionOf(id);
    if (p === undefined) return undefined;
    const out = this.scene.camera.camera!.worldToScreen(new pc.Vec3(p[0], p[1], p[2]));
    return out.z > 0 ? [out.x, out.y] : undefined;
  }
}
