// The node's graph, read over its HTTP API with the agent's token (role agent may read): a node
// with its content, nodes by id in chunks of 1000, the node list and the edge list page by page,
// search. Every answer
// is untrusted: its shape is checked, and what it may hold is bounded.

export interface NodeInfo {
  readonly id: number;
  readonly title: string;
  readonly type?: string;
  readonly content?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface EdgeInfo {
  readonly source: number;
  readonly target: number;
  readonly directed: boolean;
}

export interface GraphClientOptions {
  /** The node's HTTP base, e.g. http://127.0.0.1:8080. */
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs?: number;
  /** Edges read at most (a bigger graph is read up to here). */
  readonly maxEdges?: number;
  /** Nodes listed at most (a bigger graph is listed up to here). */
  readonly maxNodes?: number;
}

const NODES_PER_REQUEST = 1000;
/** The node list's page: the API's most. */
const NODES_PER_PAGE = 1000;
const EDGES_PER_PAGE = 100_000;
/** Content characters per node asked for one at a time (the API's most). */
const NODE_CONTENT_CHARS = 262_144;
/** Content characters per node in a bulk answer (the API's most). */
const BULK_CONTENT_CHARS = 4_000;

export class GraphReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphReadError';
  }
}

export class GraphClient {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly maxEdges: number;
  private readonly maxNodes: number;

  constructor(private readonly options: GraphClientOptions) {
    const url = new URL(options.baseUrl);
    const scheme = url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
    this.base = `${scheme}//${url.host}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxEdges = options.maxEdges ?? 5_000_000;
    this.maxNodes = options.maxNodes ?? 1_000_000;
  }

  /** One node with its content (undefined when there is none with that id). */
  async node(id: number, signal?: AbortSignal): Promise<NodeInfo | undefined> {
    const body = await this.get(`/api/graph/node/${id}?content=${NODE_CONTENT_CHARS}`, signal, true);
    return body === undefined ? undefined : nodeInfo(body);
  }

  /** The nodes among `ids` that exist, in chunks of 1000 per request. */
  async nodes(ids: readonly number[], withContent: boolean, signal?: AbortSignal): Promise<NodeInfo[]> {
    const out: NodeInfo[] = [];
    for (let i = 0; i < ids.length; i += NODES_PER_REQUEST) {
      const chunk = ids.slice(i, i + NODES_PER_REQUEST);
      const body = await this.get(`/api/graph/nodes?ids=${chunk.join(',')}&content=${withContent ? BULK_CONTENT_CHARS : 0}`, signal);
      const list = (body as { nodes?: unknown }).nodes;
      if (!Array.isArray(list)) throw new GraphReadError('GET /api/graph/nodes answered without a nodes list');
      for (const n of list) {
        const info = nodeInfo(n);
        if (info !== undefined) out.push(info);
      }
    }
    return out;
  }

  /** Every node (id, title, type; no content), from the node list page by page, up to maxNodes. */
  async list(signal?: AbortSignal): Promise<NodeInfo[]> {
    const out: NodeInfo[] = [];
    let offset: number | undefined = 0;
    // Each round moves `offset` forward by a page (`next` must grow), and stops at maxNodes.
    while (offset !== undefined && out.length < this.maxNodes) {
      const body = (await this.get(`/api/graph/nodes?offset=${offset}&limit=${NODES_PER_PAGE}`, signal)) as {
        nodes?: unknown;
        next?: unknown;
      };
      if (!Array.isArray(body.nodes)) throw new GraphReadError('GET /api/graph/nodes answered without a nodes list');
      for (const n of body.nodes as unknown[]) {
        const info = nodeInfo(n);
        if (info !== undefined) out.push(info);
      }
      const next: unknown = body.next;
      offset = typeof next === 'number' && Number.isSafeInteger(next) && next > offset ? next : undefined;
    }
    return out.slice(0, this.maxNodes);
  }

  /** Every edge, page by page, up to maxEdges. */
  async edges(signal?: AbortSignal): Promise<EdgeInfo[]> {
    const out: EdgeInfo[] = [];
    let offset: number | undefined = 0;
    while (offset !== undefined && out.length < this.maxEdges) {
      const body = (await this.get(`/api/graph/edges?offset=${offset}&limit=${EDGES_PER_PAGE}`, signal)) as {
        edges?: unknown;
        next?: unknown;
      };
      if (!Array.isArray(body.edges)) throw new GraphReadError('GET /api/graph/edges answered without an edges list');
      for (const e of body.edges as unknown[]) {
        const edge = e as { source?: unknown; target?: unknown; directed?: unknown };
        if (isNodeId(edge.source) && isNodeId(edge.target))
          out.push({ source: edge.source, target: edge.target, directed: edge.directed !== false });
      }
      const next: unknown = body.next;
      offset = typeof next === 'number' && Number.isSafeInteger(next) && next > offset && body.edges.length > 0 ? next : undefined;
    }
    return out.slice(0, this.maxEdges);
  }

  /** Nodes whose title contains `query`. */
  async search(query: string, limit = 20, signal?: AbortSignal): Promise<NodeInfo[]> {
    const body = (await this.get(`/api/graph/search?q=${encodeURIComponent(query)}&limit=${limit}`, signal)) as { nodes?: unknown };
    return Array.isArray(body.nodes) ? body.nodes.map(nodeInfo).filter((n): n is NodeInfo => n !== undefined) : [];
  }

  private async get(path: string, signal: AbortSignal | undefined, allowMissing = false): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const response = await fetch(`${this.base}${path}`, {
      headers: { authorization: `Bearer ${this.options.token}`, accept: 'application/json' },
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    }).catch((error: unknown) => {
      throw new GraphReadError(`GET ${path.split('?')[0]}: ${error instanceof Error ? error.message : String(error)}`);
    });
    if (allowMissing && response.status === 404) return undefined;
    if (!response.ok) {
      const text = (await response.text()).slice(0, 300);
      throw new GraphReadError(`GET ${path.split('?')[0]} answered ${response.status}: ${text}`);
    }
    try {
      return (await response.json()) as unknown;
    } catch (error) {
      // A body cut short by the task's abort or the timeout is not a bad answer: say what it was.
      if (signal?.aborted === true || timeout.aborted) {
        throw new GraphReadError(`GET ${path.split('?')[0]}: ${error instanceof Error ? error.message : String(error)}`);
      }
      throw new GraphReadError(`GET ${path.split('?')[0]} answered with something that is not JSON`);
    }
  }
}

function isNodeId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

function nodeInfo(raw: unknown): NodeInfo | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const n = raw as Record<string, unknown>;
  if (!isNodeId(n.id)) return undefined;
  const metadata: Record<string, string> = {};
  if (typeof n.metadata === 'object' && n.metadata !== null) {
    for (const [k, v] of Object.entries(n.metadata as Record<string, unknown>).slice(0, 1024)) if (typeof v === 'string') metadata[k] = v;
  }
  return {
    id: n.id,
    title: typeof n.title === 'string' ? n.title : '',
    ...(typeof n.type === 'string' ? { type: n.type } : {}),
    ...(typeof n.content === 'string' ? { content: n.content } : {}),
    metadata,
  };
}
