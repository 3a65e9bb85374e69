// The viewer, joined up: the connection feeds the position and graph stores (and the agents'
// status); the visible graph folds and filters what the server streams; the render loop
// interpolates and draws nodes, edges, the focus, the path, labels and the legend; the pointer, the
// keys and the panels act on the node through the same connection and the HTTP API.
import * as pc from 'playcanvas';
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import type { EnvelopeT, ErrorReplyT, PositionIdTableT, SettingsDeltaT, SsspResultT } from '../../src/protocol/index.ts';
import { ErrorCode, NodeDragT, Payload, SubscribeT, Topic, Vec3T } from '../../src/protocol/index.ts';
import type { SettingsClient } from '../../src/settings/client.ts';
import { AgentStatus, type AgentPayload } from './agent-status.ts';
import { Api } from './api.ts';
import { AGENT_KIND, BUCKET, bucketColours, dimmed, hexToRgb, KIND_NAMES, type Rgb } from './colours.ts';
import { attributeKeys, computeColouring, type Colouring, type ColourBy } from './colouring.ts';
import { Connection } from './connection.ts';
import { el } from './dom.ts';
import { EdgeRenderer } from './edge-renderer.ts';
import { EdgeTubes } from './edge-tubes.ts';
import { EmptyHint } from './empty-hint.ts';
import { download, toGexf, toGraphML, viewPng, type ExportGraph } from './export.ts';
import { FiltersPanel } from './filters-panel.ts';
import { Focus } from './focus.ts';
import { GraphStore, isGraphChange } from './graph-store.ts';
import { HelpOverlay } from './help-overlay.ts';
import { bindKeys, type KeyAction } from './keyboard.ts';
import { Labels, ranked, RANKED } from './labels.ts';
import { LegendView } from './legend.ts';
import { LocalSettings, type ViewSettings } from './local-settings.ts';
import { DIM, HIDDEN, NodeRenderer, SHAPE } from './node-renderer.ts';
import { OrbitCamera } from './orbit-camera.ts';
import { pageBlocks } from './page-blocks.ts';
import { pickNode, pointerOnPlane } from './picking.ts';
import { bindPointer } from './pointer-input.ts';
import { PositionStore } from './position-store.ts';
import { chooseRenderMode, POINTS_THRESHOLD } from './render-mode.ts';
import type { Scene } from './scene.ts';
import { searchBox } from './search-box.ts';
import { SettingsPanel } from './settings-panel.ts';
import { applyWireDelta, openSettings, settingOf } from './settings-sync.ts';
import { PANEL_CONTENT_CHARS, SidePanel, type PathHop } from './side-panel.ts';
import { SsspState } from './sssp-state.ts';
import { StatsOverlay } from './stats-overlay.ts';
import { NodeDetails } from './titles.ts';
import { toolbar } from './toolbar.ts';
import { positionFilter } from './view-filter.ts';
import { VisibleGraph } from './visible-graph.ts';

const EDGE_PAGE = 20_000;
const DRAG_SEND_MS = 80;
/** Graphs up to this many shown nodes have every node's details fetched (titles, metadata) in bulk. */
const PREFETCH_MAX = 20_000;
/** Characters of each folded block's content the page's side panel shows. */
const BLOCK_CONTENT_CHARS = 2_000;
/** A colouring that depends on the drawn graph is redone at most this often while it changes. */
const RECOLOUR_MS = 1_000;

const AGENT_PAYLOADS = new Set<Payload>([
  Payload.AgentRegister,
  Payload.AgentHeartbeat,
  Payload.TaskAssigned,
  Payload.TaskProgress,
  Payload.TaskCompleted,
  Payload.AgentError,
]);

/** The view settings the server's filter is made from (a change of any resubscribes). */
const FILTER_FIELDS: readonly (keyof ViewSettings)[] = ['showBlocks', 'hiddenTypes', 'hideAgents', 'hideOrphans', 'minDegree', 'maxDegree'];

export interface ViewerOptions {
  /** Node count above which 'auto' draws point sprites (render-mode.ts). */
  readonly pointsAbove: number;
}

export class Viewer {
  readonly api: Api;
  readonly conn: Connection;
  readonly positions = new PositionStore();
  readonly graph = new GraphStore();
  readonly visible = new VisibleGraph();
  readonly sssp = new SsspState();
  readonly agents = new AgentStatus();
  readonly details: NodeDetails;
  readonly local = new LocalSettings();
  readonly focus = new Focus();
  private readonly nodes: NodeRenderer;
  readonly edges: EdgeRenderer;
  private readonly litEdges: EdgeRenderer;
  private readonly pathTubes: EdgeTubes;
  private readonly orbit: OrbitCamera;
  readonly labels: Labels;
  private readonly stats: StatsOverlay;
  private readonly panel: SidePanel;
  readonly legend = new LegendView();
  readonly filters: FiltersPanel;
  readonly help = new HelpOverlay();
  private settingsPanel: SettingsPanel | undefined;
  private readonly toast = el('div', { id: 'toast' });
  /** How to load a graph, shown while the server's node set is empty. */
  readonly emptyHint = new EmptyHint();
  settings: SettingsClient | undefined;
  selected: number | undefined;
  hovered: number | undefined;
  /** The ids the search box lists now: labelled while listed. */
  searchHits: readonly number[] = [];
  /** An end picked before any start: the path is drawn once a start is. */
  private pendingEnd: number | undefined;
  private framed = false;
  private lastFrameAt = -Infinity;
  private dragSentAt = 0;
  private filterKey = '';
  private typeNamesKey = '';
  colouring: Colouring | undefined;
  private colouringKey = '';
  private colouredAt = -Infinity;
  private paletteKey = '';
  private readonly bucketCache: { key: string; buckets: Int16Array } = { key: '', buckets: new Int16Array(0) };
  /** The path as drawn: its hops on the shown graph (blocks folded into their pages), start first. */
  shownPath: readonly number[] = [];
  private shownPathKey = '';
  private shownPathSet = new Set<number>();
  private rankedCache: { key: string; at: number; ids: readonly number[] } = { key: '', at: -Infinity, ids: [] };
  private attributeCache: { version: number; keys: readonly string[] } = { version: -1, keys: [] };
  private prefetchedTable = -1;
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
    this.litEdges = new EdgeRenderer(scene.app, scene.root, 'lit-edges');
    this.litEdges.drawLast();
    this.pathTubes = new EdgeTubes(scene.app, scene.root, [0.2, 1, 0.4]);
    this.orbit = new OrbitCamera(scene.camera);
    this.labels = new Labels(ui.querySelector<HTMLElement>('#labels') ?? ui);
    this.stats = new StatsOverlay(ui);
    this.filters = new FiltersPanel(this.local);
    this.panel = new SidePanel({
      select: (id) => this.select(id, true),
      distancesFrom: (id) => this.distancesFrom(id),
      pathTo: (id) => this.pathTo(id),
      clearPaths: () => this.clearPath(),
      setIgnoreDirection: (on) => {
        if (this.sssp.setIgnoreDirection(on)) this.askDistances();
        this.refreshPanel();
      },
      setIsolate: (on, hops) => {
        this.focus.isolate = on;
        this.focus.hops = hops;
        this.local.set({ isolateHops: hops });
        if (on && this.selected !== undefined) this.flyToNeighbourhood(this.selected);
        this.refreshPanel();
      },
      openPage: (title) => void this.openPage(title),
      views: (ids) => this.viewsOf(ids),
      contents: (ids) => this.contentsOf(ids),
    });
    this.focus.hops = this.local.value.isolateHops;
    const search = searchBox(this.api, {
      pick: (n) => this.select(n.id, true),
      start: (n) => this.distancesFrom(n.id),
      end: (n) => this.pathTo(n.id),
      hits: (ids) => (this.searchHits = ids),
    });
    const tools = toolbar({
      png: () =>
        void this.exportPng().then(
          (png) => download('visionflow.png', png),
          (e: unknown) => this.say(String(e)),
        ),
      graphml: () => download('visionflow.graphml', toGraphML(this.visibleSubgraph())),
      gexf: () => download('visionflow.gexf', toGexf(this.visibleSubgraph())),
      help: () => this.help.toggle(),
    });
    ui.append(
      el('div', { id: 'left' }, [search, this.filters.root]),
      tools,
      this.panel.root,
      this.toast,
      this.emptyHint.root,
      this.legend.root,
      this.help.root,
    );
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
    this.local.onChange((v) => {
      this.filters.sync();
      this.subscribePositions();
      this.settingsPanel?.refreshColourChoices();
      this.focus.hops = v.isolateHops;
    });

    const canvas = scene.app.graphicsDevice.canvas as HTMLCanvasElement;
    bindPointer(canvas, this.orbit, {
      pick: (x, y) => this.pick(x, y),
      hover: (id) => (this.hovered = id),
      click: (id) => (id === undefined ? this.deselect() : this.select(id, false)),
      dragStart: (id) => this.dragTo(id, undefined),
      dragMove: (id, x, y) => this.dragTo(id, [x, y]),
      dragEnd: (id, x, y) => this.dragEnd(id, x, y),
    });
    canvas.addEventListener('dblclick', (e) => {
      const id = this.pick(e.offsetX, e.offsetY);
      if (id !== undefined) this.select(id, true);
    });
    scene.app.on('update', () => this.render(performance.now()));
    bindKeys(window, (action) => this.key(action));
    void this.loadSettings();
  }

  // ---- the stream ---------------------------------------------------------------------------------

  /** (Re)subscribes to positions with the rate from the settings and the filter from this browser's view. */
  private subscribePositions(): void {
    const hz = Number(settingOf(this.settings, 'visualisation.frameRateHz'));
    const view = this.local.value;
    const filter = positionFilter(view, this.positions.typeNames);
    // The type names matter only while some type is hidden (the filter lists the ones kept).
    const types = view.hiddenTypes.length > 0 ? this.positions.typeNames.join('\n') : '';
    const key = `${hz}/${JSON.stringify(FILTER_FIELDS.map((f) => view[f]))}/${types}`;
    if (key === this.filterKey) return;
    this.filterKey = key;
    this.conn.subscribe(new SubscribeT(Topic.Positions, false, hz, filter));
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
      for (let offset: number | undefined = 0; offset !== undefined;) {
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
        this.tableChanged();
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

  /** A new id table: the filter panel learns the graph's types; a type new to the filter resubscribes. */
  private tableChanged(): void {
    const names = this.positions.typeNames;
    this.filters.setTypes(
      names,
      this.positions.types.some((code) => code === 0),
      this.positions.kinds.some((k) => k === AGENT_KIND),
    );
    const key = names.join('\n');
    if (key !== this.typeNamesKey) {
      this.typeNamesKey = key;
      this.subscribePositions();
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
      this.settingsPanel = new SettingsPanel(client, this.local, {
        onError: (m) => this.say(m),
        colourChoices: () => this.colourChoices(),
      });
      this.ui.querySelector<HTMLElement>('#settings')?.append(this.settingsPanel.root);
      this.applyVisualSettings();
      this.subscribePositions();
    } catch (error) {
      this.say(`settings unavailable: ${String(error)}`);
    }
  }

  private applyVisualSettings(): void {
    const s = (path: string) => settingOf(this.settings, path);
    this.edges.visible = s('visualisation.edges.visible') === true;
    const edgeColour = hexToRgb(String(s('visualisation.edges.color')));
    this.edgeStyle = { colour: edgeColour, opacity: Number(s('visualisation.edges.opacity')) };
    this.litEdges.setStyle([Math.min(1, edgeColour[0] + 0.35), Math.min(1, edgeColour[1] + 0.35), Math.min(1, edgeColour[2] + 0.35)], 0.95);
    this.edgeDimmed = undefined;
    this.size.base = Number(s('visualisation.nodes.baseSize'));
    this.size.byDegree = s('visualisation.nodes.sizeByDegree') === true;
    this.labels.visible = s('visualisation.labels.visible') === true;
    this.labels.maxVisible = Number(s('visualisation.labels.maxVisible'));
    this.background = hexToRgb(String(s('visualisation.background')));
    const camera = this.scene.camera.camera;
    if (camera) camera.clearColor = new pc.Color(this.background[0], this.background[1], this.background[2]);
    this.colouringKey = '';
    this.paletteKey = '';
  }

  private background: Rgb = [0.06, 0.08, 0.1];
  private edgeStyle: { colour: Rgb; opacity: number } = { colour: [0.56, 0.64, 0.68], opacity: 0.35 };
  /** Whether the edge style in force is the dimmed one (undefined: not set yet). */
  private edgeDimmed: boolean | undefined;

  /** The colourings on offer: the built-in ones, then each metadata key the shown nodes carry. */
  colourChoices(): readonly (readonly [ColourBy, string])[] {
    if (this.attributeCache.version !== this.details.version)
      this.attributeCache = { version: this.details.version, keys: attributeKeys(this.positions, this.details) };
    return [
      ['type', 'type'],
      ['degree', 'degree (links)'],
      ['community', 'community'],
      ['distance', 'distance from the path start'],
      ...this.attributeCache.keys.map((k): readonly [ColourBy, string] => [`attribute:${k}`, `attribute: ${k}`]),
    ];
  }

  // ---- drawing ------------------------------------------------------------------------------------

  private readonly size = { base: 1, byDegree: true };

  /** Radius: the base size, grown with the degree on the drawn graph, agents larger. */
  private radiusOf = (slot: number): number => {
    const id = this.positions.ids[slot]!;
    const degree = this.size.byDegree ? Math.sqrt(this.visible.degreeOf(id)) * 0.3 : 0;
    return this.size.base * (1 + degree) * (this.positions.kinds[slot] === AGENT_KIND ? 1.6 : 1);
  };

  private readonly style = {
    // render() refreshes the cache first; per slot this is a plain read.
    bucketOf: (slot: number): number => this.bucketCache.buckets[slot] ?? 0,
    radiusOf: this.radiusOf,
    shapeOf: (slot: number): number => (this.positions.kinds[slot] === AGENT_KIND ? SHAPE.agent : SHAPE.sphere),
  };

  /** The colouring in force: distance while a path's distances are shown (when the settings say so). */
  private colourBy(): ColourBy {
    if (this.sssp.hasResult && settingOf(this.settings, 'visualisation.sssp.colorByDistance') === true) return 'distance';
    return this.local.value.colourBy;
  }

  private refreshColouring(now: number): Colouring {
    const by = this.colourBy();
    const store = this.positions;
    const graphDependent = by === 'community' || by === 'degree' || by.startsWith('attribute:');
    const key = `${by}/${store.tables}/${store.count}/${by === 'distance' ? this.sssp.version : ''}/${graphDependent ? `${this.visible.version}/${this.details.version}` : ''}`;
    const base = `${by}/${store.tables}/${store.count}`;
    const due = this.colouring === undefined || !this.colouringKey.startsWith(base) || now - this.colouredAt >= RECOLOUR_MS;
    if (key !== this.colouringKey && due) {
      this.colouringKey = key;
      this.colouredAt = now;
      this.colouring = computeColouring(by, {
        store,
        graph: this.visible,
        sssp: this.sssp,
        details: this.details,
        shownPath: this.shownPath.length,
        knowledgeColour: String(settingOf(this.settings, 'visualisation.nodes.knowledgeColor')),
        agentColour: String(settingOf(this.settings, 'visualisation.nodes.agentColor')),
      });
      if (by.startsWith('attribute:') && store.count <= PREFETCH_MAX) this.details.prefetch(store.ids);
    }
    const colouring = this.colouring!;
    const paletteKey = JSON.stringify([colouring.palette, this.background]);
    if (paletteKey !== this.paletteKey) {
      this.paletteKey = paletteKey;
      const colours = bucketColours(colouring.palette);
      this.nodes.setColours([...colours, ...colours.map((c) => dimmed(c, this.background))]);
    }
    return colouring;
  }

  /** The path as drawn: the raw path's nodes folded onto the shown graph, repeats dropped. */
  private refreshShownPath(): void {
    const key = `${this.sssp.version}/${this.positions.tables}`;
    if (key === this.shownPathKey) return;
    this.shownPathKey = key;
    const fold = this.positions.foldedInto;
    const out: number[] = [];
    for (const raw of this.sssp.pathInOrder()) {
      const id = fold.get(raw) ?? raw;
      if (!this.positions.slotOf.has(id) || out[out.length - 1] === id) continue;
      out.push(id);
    }
    // A path newly drawn comes into view whole.
    const ends = out.length > 1 ? `${out[0]}>${out[out.length - 1]}` : '';
    if (ends !== '' && ends !== this.framedPath) this.flyToFit(out);
    this.framedPath = ends;
    this.shownPath = out;
    this.shownPathSet = new Set(out);
  }

  private framedPath = '';

  /** Flies so that all these nodes are in view, centred on them. */
  flyToFit(ids: readonly number[]): void {
    const points = ids.map((id) => this.positions.positionOf(id)).filter((p): p is [number, number, number] => p !== undefined);
    if (points.length === 0) return;
    const centre: [number, number, number] = [0, 0, 0];
    for (const p of points) for (let k = 0; k < 3; k++) centre[k]! += p[k]! / points.length;
    const radius = Math.max(...points.map((p) => Math.hypot(p[0] - centre[0], p[1] - centre[1], p[2] - centre[2])));
    const fov = ((this.scene.camera.camera?.fov ?? 50) * Math.PI) / 180;
    this.orbit.flyTo(centre, Math.max(18 * this.size.base, (radius * 1.3) / Math.sin(fov / 2)), performance.now());
  }

  private bucketOf(slot: number, colouring: Colouring): number {
    const id = this.positions.ids[slot]!;
    const state = this.focus.state(id);
    if (state === 'hidden') return HIDDEN;
    if (id === this.selected) return BUCKET.selected;
    if (id === this.hovered) return BUCKET.hovered;
    if (id === this.sssp.source) return BUCKET.source;
    if (this.shownPathSet.has(id)) return BUCKET.path;
    const own = colouring.buckets[slot] ?? 0;
    return state === 'dim' && this.dimsRest() ? own + DIM : own;
  }

  /**
   * Whether the focus dims the rest of the graph: not while distances colour it (the distance map
   * is what was asked for; the focused node's links still light up).
   */
  private dimsRest(): boolean {
    return this.focus.active && this.colourBy() !== 'distance';
  }

  private buckets(colouring: Colouring): Int16Array {
    const key = `${this.colouringKey}/${this.positions.tables}/${this.positions.count}/${this.selected}/${this.hovered}/${this.sssp.source}/${this.shownPathKey}/${this.focus.version}/${this.paletteKey.length}`;
    const cache = this.bucketCache;
    if (cache.key !== key || cache.buckets.length !== this.positions.count) {
      cache.key = key;
      cache.buckets = new Int16Array(this.positions.count);
      for (let s = 0; s < this.positions.count; s++) cache.buckets[s] = this.bucketOf(s, colouring);
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
    if (this.visible.update(this.graph, store, now) && store.tables !== this.prefetchedTable && store.count <= PREFETCH_MAX) {
      this.prefetchedTable = store.tables;
      this.details.prefetch(store.ids);
    }
    this.focus.update(this.hovered, this.selected, this.visible, store);
    this.refreshShownPath();
    this.nodes.mode = chooseRenderMode(
      String(settingOf(this.settings, 'visualisation.nodes.renderMode')),
      store.count,
      this.options.pointsAbove,
    );
    const camera = this.scene.camera.camera!;
    this.nodes.setProjection(this.scene.app.graphicsDevice.height, camera.fov);
    const colouring = this.refreshColouring(now);
    this.buckets(colouring);
    this.nodes.update(store.count, store.display, this.style);

    const dim = this.dimsRest();
    if (dim !== this.edgeDimmed) {
      this.edgeDimmed = dim;
      const { colour, opacity } = this.edgeStyle;
      this.edges.setStyle(colour, dim ? opacity * 0.3 : opacity);
    }
    this.edges.update(this.focus.isolatedPairs ?? this.visible.pairs, store.display);
    this.litEdges.visible = this.edges.visible;
    this.litEdges.update(this.focus.active ? this.focus.litPairs : new Int32Array(0), store.display);
    const segments: number[] = [];
    for (let i = 1; i < this.shownPath.length; i++) {
      const a = store.slotOf.get(this.shownPath[i - 1]!);
      const b = store.slotOf.get(this.shownPath[i]!);
      if (a !== undefined && b !== undefined) segments.push(a, b);
    }
    const pixelsPerUnit = this.scene.app.graphicsDevice.clientRect.height / (2 * Math.tan((camera.fov * Math.PI) / 360));
    this.pathTubes.update(segments, store.display, camera.entity.getPosition(), pixelsPerUnit, 0.12 * this.size.base);

    this.labels.update({
      camera,
      store,
      details: this.details,
      always: [this.hovered, this.selected, ...this.searchHits, this.sssp.source, this.sssp.target, ...this.shownPath].filter(
        (id): id is number => id !== undefined,
      ),
      ranked: this.rankedLabels(now),
      target: this.orbit.target,
      radiusOf: (id) => this.radiusOf(store.slotOf.get(id) ?? 0),
      labelled: (id) => {
        const state = this.focus.state(id);
        return state !== 'hidden' && (state !== 'dim' || !dim);
      },
      caption: (id) => (store.kinds[store.slotOf.get(id) ?? -1] === AGENT_KIND ? this.agents.describe(id) : undefined),
    });
    const extra = dim ? ["dimmed: outside the focused node's neighbourhood"] : [];
    this.legend.show(
      colouring.legend,
      this.focus.isolatedSet === undefined
        ? extra
        : [`isolated: ${this.focus.isolatedSet.size.toLocaleString('en')} nodes within ${this.focus.hops} hop(s)`],
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
   * Who gets a label when there is room, best first: the focused node's neighbours, agents (on a
   * small graph), then the shown nodes with the most links; redone when the drawn graph or the focus
   * changes, at most twice a second.
   */
  private rankedLabels(now: number): readonly number[] {
    const store = this.positions;
    const key = `${this.visible.version}/${store.tables}/${this.focus.version}`;
    const cache = this.rankedCache;
    if (key !== cache.key && now - cache.at >= 500) {
      const focus = this.hovered ?? this.selected;
      const around = focus === undefined ? [] : this.visible.neighbours(focus).slice(0, 40);
      const agents: number[] = [];
      if (store.count <= 500) for (let s = 0; s < store.count; s++) if (store.kinds[s] === AGENT_KIND) agents.push(store.ids[s]!);
      const top = ranked(store.ids, (id) => this.visible.degreeOf(id), RANKED);
      this.rankedCache = { key, at: now, ids: [...around, ...agents, ...top] };
    }
    return this.rankedCache.ids;
  }

  // ---- interaction --------------------------------------------------------------------------------

  pick(x: number, y: number): number | undefined {
    const isolated = this.focus.isolatedSet;
    const slot = pickNode(this.scene.camera.camera!, x, y, this.positions.count, this.positions.display, (s) =>
      isolated !== undefined && !isolated.has(this.positions.ids[s]!) ? 0 : this.radiusOf(s),
    );
    return slot === undefined ? undefined : this.positions.ids[slot];
  }

  /** Frames the whole graph again on the next rendered frame (the F key). */
  frameAll(): void {
    this.framed = false;
  }

  select(id: number, fly: boolean): void {
    this.selected = id;
    if (fly) this.flyToNeighbourhood(id);
    this.refreshPanel();
  }

  /**
   * Flies to the node with its neighbours in view: centred on the node, far enough that the
   * farthest of them (the most distant tenth left out) fits, never so close that spheres fill the
   * screen.
   */
  flyToNeighbourhood(id: number): void {
    const p = this.positions.positionOf(id);
    if (p === undefined) return;
    const reach: number[] = [];
    for (const n of this.visible.neighbours(id).slice(0, 500)) {
      const q = this.positions.positionOf(n);
      if (q !== undefined) reach.push(Math.hypot(q[0] - p[0], q[1] - p[1], q[2] - p[2]));
    }
    reach.sort((a, b) => a - b);
    const radius = reach.length === 0 ? 0 : reach[Math.min(reach.length - 1, Math.floor(reach.length * 0.9))]!;
    const fov = ((this.scene.camera.camera?.fov ?? 50) * Math.PI) / 180;
    const own = this.radiusOf(this.positions.slotOf.get(id) ?? 0);
    const distance = Math.max(own * 12, 18 * this.size.base, (radius * 1.25) / Math.sin(fov / 2));
    this.orbit.flyTo(p, distance, performance.now());
  }

  deselect(): void {
    this.selected = undefined;
    this.focus.isolate = false;
    this.panel.hide();
  }

  private refreshPanel(): void {
    const id = this.selected;
    if (id === undefined) return;
    void this.api
      .node(id, PANEL_CONTENT_CHARS)
      .catch(() => undefined)
      .then((view) => {
        if (view === undefined || this.selected !== id) return;
        // Content stays out of the details cache (labels need titles only).
        const { content: _content, contentLength: _length, ...brief } = view;
        this.details.remember(brief);
        this.refreshShownPath();
        const path: PathHop[] = this.shownPath.map((hop) => ({
          id: hop,
          title: this.details.peek(hop)?.title ?? `#${hop}`,
          distance: this.sssp.distanceOf(hop),
        }));
        const agent = view.kind === 'agent' ? this.agents.describe(id) : undefined;
        this.panel.show(view, {
          source: this.sssp.source,
          target: this.sssp.target ?? this.pendingEnd,
          distance: this.sssp.distanceOf(id),
          ignoreDirection: this.sssp.ignoreDirection,
          degree: this.visible.degreeOf(id),
          neighbours: this.visible.neighbours(id),
          path,
          isolate: this.focus.isolate,
          isolateHops: this.focus.hops,
          blocks: this.positions.foldedInto.size === 0 ? [] : pageBlocks(id, this.graph, this.positions.foldedInto),
          ...(agent === undefined ? {} : { agent }),
        });
      });
  }

  /** Views of these nodes: what the details cache knows, the rest fetched in one request. */
  private async viewsOf(ids: readonly number[]): Promise<ReadonlyMap<number, GraphNodeView>> {
    const out = new Map<number, GraphNodeView>();
    const missing: number[] = [];
    for (const id of ids) {
      const v = this.details.peek(id, false);
      if (v === undefined) missing.push(id);
      else out.set(id, v);
    }
    for (let i = 0; i < missing.length; i += 500) {
      for (const v of await this.api.nodes(missing.slice(i, i + 500))) {
        this.details.remember(v);
        out.set(v.id, v);
      }
    }
    return out;
  }

  /** These nodes with their content (for a page's folded blocks), 200 a request. */
  private async contentsOf(ids: readonly number[]): Promise<ReadonlyMap<number, GraphNodeView>> {
    const out = new Map<number, GraphNodeView>();
    for (let i = 0; i < ids.length; i += 200)
      for (const v of await this.api.nodes(ids.slice(i, i + 200), BLOCK_CONTENT_CHARS)) out.set(v.id, v);
    return out;
  }

  /** A [[page]] or #tag in a node's content: the node titled so, if there is one. */
  private async openPage(title: string): Promise<void> {
    try {
      const hits = await this.api.search(title, 20);
      const exact =
        hits.find((n) => (n.title ?? '').toLowerCase() === title.toLowerCase() && n.type !== 'block') ??
        hits.find((n) => (n.title ?? '').toLowerCase() === title.toLowerCase());
      if (exact === undefined) return this.say(`no page titled "${title}"`);
      this.select(exact.id, true);
    } catch (error) {
      this.say(`search failed: ${String(error)}`);
    }
  }

  /** The path starts at `id`: distances from it colour the graph; an end already picked is kept. */
  distancesFrom(id: number): void {
    const end = this.sssp.target ?? this.pendingEnd;
    this.sssp.pickSource(id);
    this.pendingEnd = undefined;
    if (end !== undefined && end !== id) this.sssp.target = end;
    this.askDistances();
    this.refreshPanel();
  }

  /** The path ends at `id`: drawn from the start, or once a start is picked. */
  pathTo(id: number): void {
    if (this.sssp.source === undefined) {
      this.pendingEnd = id;
      this.say('end picked: now pick a start ("Start here", or "start" in the search)');
    } else if (!this.sssp.pickTarget(id) && this.sssp.hasResult) {
      this.say(`node ${id} is not reachable from ${this.sssp.source}`);
    }
    this.refreshPanel();
  }

  clearPath(): void {
    this.pendingEnd = undefined;
    this.sssp.clear();
    this.refreshPanel();
  }

  /** Sends the request for the picked source in the chosen reading; only its answer is shown. */
  private askDistances(): void {
    const request = this.sssp.request();
    if (request !== undefined) this.sssp.sent(this.conn.send(request));
  }

  private key(action: KeyAction): void {
    const selected = this.selected;
    switch (action) {
      case 'help':
        return this.help.toggle();
      case 'frame':
        return this.frameAll();
      case 'escape':
        if (this.help.visible) return this.help.toggle(false);
        return this.deselect();
      case 'search':
        return this.ui.querySelector<HTMLInputElement>('#search')?.focus();
      case 'isolate':
        this.focus.isolate = !this.focus.isolate && selected !== undefined;
        if (this.focus.isolate && selected !== undefined) this.flyToNeighbourhood(selected);
        return this.refreshPanel();
      case 'blocks':
        return this.local.set({ showBlocks: !this.local.value.showBlocks });
      case 'labels':
        this.labels.visible = !this.labels.visible;
        return;
      case 'colour': {
        const choices = this.colourChoices().map(([v]) => v);
        const at = choices.indexOf(this.local.value.colourBy);
        return this.local.set({ colourBy: choices[(at + 1) % choices.length]! });
      }
      case 'start':
        if (selected !== undefined) this.distancesFrom(selected);
        return;
      case 'end':
        if (selected !== undefined) this.pathTo(selected);
        return;
      case 'clear':
        return this.clearPath();
      case 'png':
        void this.exportPng().then(
          (png) => download('visionflow.png', png),
          (e: unknown) => this.say(String(e)),
        );
        return;
    }
  }

  // ---- exports ------------------------------------------------------------------------------------

  /** The view as a PNG, read right after the next frame is drawn. */
  exportPng(): Promise<Blob> {
    const canvas = this.scene.app.graphicsDevice.canvas as HTMLCanvasElement;
    return new Promise((resolve, reject) => {
      this.scene.app.once('frameend', () => viewPng(canvas, this.labels.placed).then(resolve, reject));
    });
  }

  /** The drawn nodes (the isolated neighbourhood, in isolate mode) and the drawn edges between them. */
  visibleSubgraph(): ExportGraph {
    const store = this.positions;
    const colouring = this.colouring;
    const isolated = this.focus.isolatedSet;
    const nodes = [];
    for (let slot = 0; slot < store.count; slot++) {
      const id = store.ids[slot]!;
      if (isolated !== undefined && !isolated.has(id)) continue;
      nodes.push({
        id,
        label: this.details.peek(id, false)?.title ?? `#${id}`,
        type: store.typeOf(id) ?? '',
        kind: KIND_NAMES[store.kinds[slot] ?? 0] ?? 'knowledge',
        position: store.positionOf(id)!,
        colour: colouring?.palette[colouring.buckets[slot] ?? 0] ?? [1, 1, 1],
        degree: this.visible.degreeOf(id),
      });
    }
    const pairs = this.focus.isolatedPairs ?? this.visible.pairs;
    const edges: [number, number][] = [];
    for (let i = 0; i < pairs.length; i += 2) edges.push([store.ids[pairs[i]!]!, store.ids[pairs[i + 1]!]!]);
    return { nodes, edges };
  }

  // ---- dragging -----------------------------------------------------------------------------------

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

  /** For tests and tooling: the camera's distance to its target. */
  get cameraDistance(): number {
    return this.orbit.distance;
  }
}
