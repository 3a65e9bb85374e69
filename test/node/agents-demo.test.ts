// The newcomer demo, as `npm start` then `npm run agents -- all` gives it: a real node with the
// bundled Logseq graph imported (as its first start does), the bundled agents started with npm
// against it with the admin URL, and curate, link-pages and summarise-pages submitted over REST.
// Within a bounded time the tasks are done, the agents' KnowledgeShare nodes (kind knowledge, by
// their author) are in the graph, and the agent nodes show their status: what a newcomer watches
// in the viewer within a minute.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { importExampleGraph } from '../../src/cli/first-start.ts';
import type { GraphNodeView } from '../../src/gateway/ports.ts';
import { boot, submit, taskIn, type Booted } from '../fixtures/bad-agent-node.ts';
import { pollUntil } from '../helpers/poll.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Every node of `type`, from the graph's node list page by page. */
async function listed(b: Booted, type: string): Promise<GraphNodeView[]> {
  const out: GraphNodeView[] = [];
  // Each round moves `offset` forward by a page: bounded by the graph's size.
  for (let offset: number | undefined = 0; offset !== undefined;) {
    const page = await b.graph.nodePage(offset, 1000, type);
    out.push(...page.nodes);
    offset = page.next;
  }
  return out;
}

test('a newcomer’s node with the example graph: the bundled agents curate, link and summarise it', async (t) => {
  t.timeout(400_000);
  // The node's own heartbeat bounds, as npm start has them: the agents read the whole graph, on a
  // machine that may be busy, and are not to be declared down for a slow second.
  const b = await boot(t, 'demo', { heartbeatMs: 5_000 }, null);
  const imported = await importExampleGraph(b.node.system, b.node.graphRouterPath);
  t.true(imported.nodes > 1000, `imported ${imported.nodes} nodes`);

  const admin = b.tokens.mint({ sub: 'admin', role: 'admin', ttlSeconds: 600 });
  // Its own process group (npm, its shell, node), so that the teardown stops all of it by the group's id.
  const agents = spawn('npm', ['run', '--silent', 'agents', '--', 'all', '--url', `${b.base}/?token=${admin}`], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  agents.stdout.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-20_000)));
  agents.stderr.on('data', (d: Buffer) => void (output = (output + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => agents.once('exit', () => resolve()));
  t.teardown(async () => {
    if (agents.pid === undefined || agents.exitCode !== null || agents.signalCode !== null) return;
    process.kill(-agents.pid, 'SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 15_000))]);
    if (!stopped) process.kill(-agents.pid, 'SIGKILL');
  });

  // Three agents registered: their nodes show a status.
  const shown = await pollUntil(
    async () => {
      const nodes = await listed(b, 'agent');
      return nodes.length >= 3 && nodes.every((n) => n.metadata?.status === 'idle' || n.metadata?.status === 'working') && nodes;
    },
    { limitMs: 120_000, everyMs: 500, what: `the three agents registered:\n${output}` },
  ).catch((error: unknown) => {
    t.log(output);
    throw error;
  });
  t.deepEqual(shown.map((n) => n.metadata?.agent_type).sort(), ['curator', 'linker', 'summariser']);

  const pages = await listed(b, 'page');
  const byTitle = new Map(pages.map((p) => [(p.title ?? '').toLowerCase(), p.id]));
  const chosen = ['advanced queries', 'filename format', 'start here', 'contents'].flatMap((title) => byTitle.get(title) ?? []);
  t.true(chosen.length >= 3, `pages found: ${chosen.length}`);

  const submitted = [
    await submit(b, '', {}, { recipe: 'curate', description: 'tidy the docs' }),
    await submit(b, '', { pages: chosen, batch: 2 }, { recipe: 'link-pages', description: 'link the docs' }),
    await submit(b, '', { pages: chosen.slice(0, 3) }, { recipe: 'summarise-pages', description: 'summarise the docs' }),
  ];
  for (const id of submitted) {
    const done = await taskIn(b, id, 'done', 180_000).catch((error: unknown) => {
      t.log(output);
      throw error;
    });
    t.log(`${done.id} done`);
  }

  const knowledge = await pollUntil(
    async () => {
      const nodes = await listed(b, 'knowledge');
      const by = (type: string): GraphNodeView[] => nodes.filter((n) => n.metadata?.author?.startsWith(`${type}-`) === true);
      return ['curator', 'linker', 'summariser'].every((type) => by(type).length > 0) && { nodes, by };
    },
    { limitMs: 60_000, everyMs: 500, what: 'the agents’ knowledge in the graph' },
  );
  t.true(knowledge.nodes.every((n) => n.kind === 'knowledge'));
  t.true(
    knowledge.by('curator').some((n) => n.title === 'Curation report'),
    'the curator’s report',
  );
  t.true(
    knowledge.by('summariser').every((n) => n.title?.startsWith('Summary of ') === true),
    'the summariser’s summaries',
  );
  t.true(
    knowledge.by('linker').every((n) => n.title?.startsWith('Unlinked mentions in ') === true),
    'the linker’s proposals',
  );
  t.log(`knowledge nodes: ${knowledge.nodes.map((n) => `${n.title} by ${n.metadata?.author}`).join('; ')}`);
  const after = await listed(b, 'agent');
  t.true(after.every((n) => typeof n.metadata?.status === 'string' && n.metadata.status !== ''));
});
