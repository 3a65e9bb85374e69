// wss with a configured certificate, and agents as remote actors: an agent process dials a node
// with a signed token (it listens for nobody), both ends ask each other over that one connection,
// and an agent that addresses what it may not is cut off without the message looping back.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenAuthority } from '../../../src/auth/token.ts';
import { RecipientUnavailableError } from '../../../src/runtime/errors.ts';
import type { Ref } from '../../../src/runtime/ref.ts';
import type { ActorSystem } from '../../../src/runtime/system.ts';
import type { Done, Task } from '../../fixtures/remote-worker.ts';
import { startLocal } from './support/local.ts';
import { eventually, FAST_LIMITS, SHORT_BOUND_MS, startPeer } from './support/peers.ts';

const TOKEN_KEY = Buffer.alloc(32, 5);
const tokens = new TokenAuthority(TOKEN_KEY);

/** A self-signed certificate for 127.0.0.1, made for this run (nothing secret is committed). */
function certificate(): { dir: string; cert: string; key: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'vf-remote-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=visionflow-test',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  return { dir, cert, key };
}

const ask = (system: ActorSystem, ref: Ref<Task>, text: string, ms = 5_000): Promise<Done> =>
  system.ask<Task, Done>(ref, (replyTo) => ({ kind: 'task', id: text, text, replyTo }), ms);

test.serial('over wss with a configured certificate: a node that trusts it asks across, one that does not is never let in', async (t) => {
  const tls = certificate();
  if (tls === undefined) {
    t.pass('openssl is not installed: no certificate to test wss with');
    return;
  }
  t.teardown(() => rmSync(tls.dir, { recursive: true, force: true }));
  const a = await startLocal(t, 'node-a', { listen: { tls: { cert: readFileSync(tls.cert), key: readFileSync(tls.key) } } });
  t.regex(a.transport.url!, /^wss:\/\/127\.0\.0\.1:\d+$/);
  const b = await startPeer(t, { name: 'node-b', peers: { 'node-a': a.transport.url! }, caFile: tls.cert, limits: FAST_LIMITS });
  const answer = await b.must<{ reply: Done }>({ op: 'ask', target: 'vf://node-a/app/worker', text: 'over tls', timeoutMs: 10_000 });
  t.is(answer.reply.result, 'node-a:over tls');
  // And back over the same connection: node-a never dials node-b (it has no URL for it).
  t.is((await ask(a.system, a.system.resolve<Task>('vf://node-b/app/worker')!, 'back')).result, 'node-b:back');

  const c = await startPeer(t, {
    name: 'node-c',
    peers: { 'node-a': a.transport.url! },
    limits: { ...FAST_LIMITS, downAfterMs: SHORT_BOUND_MS },
  });
  const refused = await c.call({ op: 'ask', target: 'vf://node-a/app/worker', text: 'untrusted', timeoutMs: 30_000 }, 40_000);
  t.false(refused.ok);
  t.regex(refused.error!, /transport-failed/, 'given up on at the detector bound, not after the ask timeout');
  t.is(a.transport.association('node-c'), undefined);
});

test.serial('an agent process dials a node with its token; both ask across it; a forbidden recipient closes it, once', async (t) => {
  const a = await startLocal(t, 'node-a', { tokens, limits: { downAfterMs: 3_000 } });
  const token = tokens.mint({ sub: 'agent-1', role: 'agent', ttlSeconds: 3_600 });
  const agent = await startPeer(t, {
    name: 'agent-1',
    secret: null,
    agentToken: token,
    peers: { 'node-a': a.transport.url! },
    limits: FAST_LIMITS,
  });

  const up = await agent.must<{ reply: Done }>({ op: 'ask', target: 'vf://node-a/app/agents/worker', text: 'register', timeoutMs: 10_000 });
  t.is(up.reply.result, 'node-a:register');
  t.is(a.transport.association('agent-1')?.kind, 'agent');
  // The node reaches the agent's actors over the agent's own connection.
  t.is((await ask(a.system, a.system.resolve<Task>('vf://agent-1/app/worker')!, 'work')).result, 'agent-1:work');

  // /app/worker is not the agents' corner: the node cuts the agent off with 1008, and the agent does
  // not send it again on reconnecting (it would be refused again, round and round).
  const refused = await agent.call({ op: 'ask', target: 'vf://node-a/app/worker', text: 'forbidden', timeoutMs: 10_000 });
  t.false(refused.ok);
  t.regex(refused.error!, /transport-failed: node-a closed the connection \(1008\): agents may not address \/app\/worker/);
  const refusals = () => a.events.filter((e) => e.type === 'connection-refused' && e.address === 'agent-1').length;
  t.is(refusals(), 1);
  // It reconnects and carries on.
  const again = await agent.must<{ reply: Done }>({ op: 'ask', target: 'vf://node-a/app/agents/worker', text: 'again', timeoutMs: 10_000 });
  t.is(again.reply.result, 'node-a:again');
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.is(refusals(), 1);
  // The agent's process going away ends its association: what the node watched there is Terminated.
  agent.signal('SIGKILL');
  await agent.exited;
  await eventually(() => a.events.find((e) => e.type === 'association-down' && e.address === 'agent-1'), 3_000 + 10_000, 'agent down');
  await t.throwsAsync(
    ask(
      a.system,
      a.system.resolve<Task>('vf://agent-1/app/worker') ?? a.system.remoteRef<Task>('vf://agent-1/app/worker', undefined),
      'after',
      5_000,
    ),
    {
      instanceOf: RecipientUnavailableError,
    },
  );
});
