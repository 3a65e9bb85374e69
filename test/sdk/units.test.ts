// The SDK's small parts: reading a token's claims, the node's remote URL, telemetry.
import test from 'ava';
import { Telemetry } from '../../src/sdk/telemetry.ts';
import { AgentConfigError, readTokenClaims, remoteUrlOf } from '../../src/sdk/index.ts';
import { TEST_TOKENS } from './support/fake-node.ts';

test('a token’s claims are read without its key; anything else is an AgentConfigError', (t) => {
  const token = TEST_TOKENS.mint({ sub: 'linker-1', role: 'agent', ttlSeconds: 60 });
  t.like(readTokenClaims(token), { sub: 'linker-1', role: 'agent' });
  for (const bad of [
    '',
    'abc',
    '.sig',
    `${Buffer.from('not json').toString('base64url')}.x`,
    `${Buffer.from('{"sub":1}').toString('base64url')}.x`,
  ]) {
    t.throws(() => readTokenClaims(bad), { instanceOf: AgentConfigError }, bad);
  }
  t.throws(() => readTokenClaims(`${'a'.repeat(3000)}.x`), { instanceOf: AgentConfigError });
});

test('the remote URL is /remote on the node’s port, ws for http and wss for https', (t) => {
  t.is(remoteUrlOf('http://127.0.0.1:8080/?token=x'), 'ws://127.0.0.1:8080/remote');
  t.is(remoteUrlOf('ws://[::1]:9000/ws'), 'ws://[::1]:9000/remote');
  t.is(remoteUrlOf('https://vf.example.org'), 'wss://vf.example.org/remote');
  t.throws(() => remoteUrlOf('not a url'));
});

test('telemetry: health is the share of the last 20 tasks that succeeded; CPU and memory are sane', (t) => {
  const telemetry = new Telemetry();
  t.is(telemetry.health(), 1);
  telemetry.taskEnded(false);
  telemetry.taskEnded(true);
  t.is(telemetry.health(), 0.5);
  for (let i = 0; i < 20; i++) telemetry.taskEnded(true);
  t.is(telemetry.health(), 1, 'only the last 20 count');
  t.true(telemetry.cpuPercent() >= 0);
  t.true(telemetry.memoryBytes() > 0);
  telemetry.useTokens(5);
  telemetry.useTokens(-3);
  telemetry.useTokens(Number.NaN);
  t.is(telemetry.tokenUsage, 5);
});
