// The SDK as another project imports it: `import { connectAgent } from 'visionflow/sdk'` through the
// package's exports, from a project beside this one (node_modules/visionflow linked to it) that has
// none of this project's TypeScript settings: its types check strictly (library files included)
// and the module runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
// @ts-expect-error: a build script in JavaScript, without declarations.
import { buildSdk, pointAtJs } from '../../scripts/build-sdk.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('declarations point their relative imports at .js, and nothing else', (t) => {
  const point = pointAtJs as (text: string) => string;
  t.is(point(`export { A } from './a.ts';`), `export { A } from './a.js';`);
  t.is(point(`import type { B } from "../b/c.ts";`), `import type { B } from "../b/c.js";`);
  t.is(point(`type C = import('./c.ts').C;`), `type C = import('./c.js').C;`);
  t.is(point(`import { D } from 'flatbuffers';`), `import { D } from 'flatbuffers';`);
  t.is(point(`const s = 'x.ts';`), `const s = 'x.ts';`);
});

test.serial('another project imports the SDK by the package name: its types check and it runs', async (t) => {
  await (buildSdk as () => Promise<void>)();
  const dir = mkdtempSync(join(tmpdir(), 'vf-sdk-consumer-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules', 'visionflow'), 'dir');
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'an-agent', type: 'module', private: true }));
  writeFileSync(
    join(dir, 'agent.ts'),
    [
      "import { connectAgent, TaskError, type TaskContext, type AgentTask } from 'visionflow/sdk';",
      'export async function onTask(task: AgentTask, ctx: TaskContext): Promise<string> {',
      '  ctx.progress(0.5, task.taskId);',
      "  if (task.input === '') throw new TaskError('no input', false);",
      '  return task.input;',
      '}',
      'export const connect: typeof connectAgent = connectAgent;',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] },
      files: ['agent.ts'],
    }),
  );
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')], {
    cwd: dir,
    stdio: 'pipe',
  });
  writeFileSync(
    join(dir, 'run.mjs'),
    "import { connectAgent, TaskError } from 'visionflow/sdk';\nconsole.log(typeof connectAgent, new TaskError('x', true).recoverable);\n",
  );
  const out = execFileSync(process.execPath, [join(dir, 'run.mjs')], { cwd: dir, encoding: 'utf8' });
  t.is(out.trim(), 'function true');
});
