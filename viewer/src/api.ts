// The node's HTTP API as the viewer uses it: the token from the page's URL as a bearer token (the
// API never accepts the page's cookie).
import type { GraphEdgePage, GraphNodeView } from '../../src/gateway/ports.ts';
import type { SetResult, SettingChange, SettingsSnapshot } from '../../src/settings/protocol.ts';

export class Api {
  constructor(private readonly token: string) {}

  private async get<T>(path: string): Promise<T> {
    const res = await fetch(path, { headers: { authorization: `Bearer ${this.token}` } });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** The node with at most `contentChars` of its content (none by default: labels need titles only). */
  node(id: number, contentChars = 0): Promise<GraphNodeView> {
    return this.get(`/api/graph/node/${id}?content=${Math.max(0, Math.floor(contentChars))}`);
  }

  async neighbours(id: number, limit = 50): Promise<readonly GraphNodeView[]> {
    return (await this.get<{ neighbours: GraphNodeView[] }>(`/api/graph/node/${id}/neighbours?limit=${limit}`)).neighbours;
  }

  /** Up to 1000 nodes by id (absent ones are left out), with at most `contentChars` of their content. */
  async nodes(ids: readonly number[], contentChars = 0): Promise<readonly GraphNodeView[]> {
    if (ids.length === 0) return [];
    return (
      await this.get<{ nodes: GraphNodeView[] }>(`/api/graph/nodes?ids=${ids.join(',')}&content=${Math.max(0, Math.floor(contentChars))}`)
    ).nodes;
  }

  async search(query: string, limit = 12): Promise<readonly GraphNodeView[]> {
    return (await this.get<{ nodes: GraphNodeView[] }>(`/api/graph/search?q=${encodeURIComponent(query)}&limit=${limit}`)).nodes;
  }

  /** `version`: the graph version the page reflects (it holds at least every change up to it). */
  edgePage(offset: number, limit: number): Promise<GraphEdgePage & { readonly version: number }> {
    return this.get(`/api/graph/edges?offset=${offset}&limit=${limit}`);
  }

  settings(): Promise<SettingsSnapshot> {
    return this.get('/api/settings');
  }

  async setSettings(changes: readonly SettingChange[]): Promise<SetResult> {
    const res = await fetch('/api/settings', {
      method: 'PUT',
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ changes }),
    });
    // Refusals (403, 404, 409, 400) carry a SetResult too.
    if (res.headers.get('content-type')?.startsWith('application/json') === true) return (await res.json()) as SetResult;
    throw new Error(`settings: ${res.status} ${await res.text()}`);
  }
}
