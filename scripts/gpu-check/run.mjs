// `npm run gpu:check`: everything a short device session should run, in one go, into the folder
// VF_GPU_CHECK_DIR (default .tmp/gpu-check/<time>): the driver and device, the GPU tests,
// compute-sanitizer (memcheck over physics steps at awkward sizes and shortest-path queries;
// racecheck and synccheck over the small ones), then the GPU sections of the physics and SSSP
// benchmarks (100k and 1M nodes; scale-free, uniform and road-like graphs). Each step has a time
// limit, and the limits add up to under 12 minutes, so that the whole fits a 15-minute session
// with the machine's start. Each step's output goes to <step>.log, the benchmarks' JSON lines to
// figures.jsonl, and a summary (step, exit status, seconds) to summary.txt and summary.json.
// Step names (or their first part: `sanitizer`, `bench`) run only those steps, into the same
// folder, its summary keeping the steps run before: a machine that allows 10 minutes a command
// takes `device tests sanitizer`, then `bench`. `--quick` runs the benchmarks' small sizes (a dry
// run, on the emulator say). Exits 1 when a step failed or ran out of time.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const out = resolve(process.env.VF_GPU_CHECK_DIR ?? join(root, '.tmp', 'gpu-check', stamp));
mkdirSync(out, { recursive: true });

function findSanitizer() {
  const candidates = ['compute-sanitizer', '/usr/local/cuda/bin/compute-sanitizer', '/usr/local/cuda/compute-sanitizer/compute-sanitizer'];
  for (const dir of existsSync('/usr/local') ? readdirSync('/usr/local') : []) {
    if (/^cuda-\d/.test(dir)) candidates.push(`/usr/local/${dir}/bin/compute-sanitizer`);
  }
  for (const c of candidates) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}

const quick = process.argv.includes('--quick') ? ['--quick'] : [];
const node = process.execPath;
const tsx = ['--import=tsx'];
const sanitizer = findSanitizer();
const sanitize = (tool, extra) =>
  sanitizer === undefined
    ? { missing: 'compute-sanitizer not found (PATH, /usr/local/cuda*/bin)' }
    : {
        command: [
          sanitizer,
          '--tool',
          tool,
          '--error-exitcode',
          '1',
          '--target-processes',
          'all',
          node,
          ...tsx,
          'scripts/gpu-check/sanitize.ts',
          ...extra,
        ],
      };

/** Name, command, limit in seconds: 20 + 210 + 120 + 45 + 45 + 90 + 170 = 700 s. */
const steps = [
  { name: 'device', limit: 20, command: [node, ...tsx, 'scripts/gpu-check/device.ts'] },
  { name: 'tests', limit: 210, command: ['npx', 'ava', '--verbose', 'test/gpu/', 'test/sssp/gpu.test.ts'] },
  { name: 'sanitizer-memcheck', limit: 120, ...sanitize('memcheck', []) },
  { name: 'sanitizer-racecheck', limit: 45, ...sanitize('racecheck', ['--small']) },
  { name: 'sanitizer-synccheck', limit: 45, ...sanitize('synccheck', ['--small']) },
  { name: 'bench-physics', limit: 90, command: ['npm', 'run', 'bench', '--', 'physics', '--gpu-only', ...quick] },
  { name: 'bench-sssp', limit: 170, command: ['npm', 'run', 'bench', '--', 'sssp', '--gpu-only', ...quick], env: { VF_SSSP_PEERS: '0' } },
];

function runStep(step) {
  const log = join(out, `${step.name}.log`);
  if (step.missing !== undefined) {
    writeFileSync(log, `${step.missing}\n`);
    return Promise.resolve({ status: 'missing', code: null, seconds: 0, note: step.missing });
  }
  return new Promise((resolvePromise) => {
    const file = createWriteStream(log);
    file.write(`$ ${step.command.join(' ')}\n`);
    const started = performance.now();
    // Its own process group, so that a step out of time is stopped with everything it started.
    const child = spawn(step.command[0], step.command.slice(1), {
      cwd: root,
      env: { ...process.env, ...step.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, step.limit * 1000);
    let pending = '';
    const figures = (chunk) => {
      pending += chunk.toString('utf8');
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('{"suite":')) appendFileSync(join(out, 'figures.jsonl'), `${line}\n`);
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        file.write(chunk);
        process.stdout.write(chunk);
        figures(chunk);
      });
    }
    child.on('close', (code) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      file.end(`\n[exit ${code ?? 'killed'} after ${seconds.toFixed(1)} s${timedOut ? `: out of time (${step.limit} s)` : ''}]\n`);
      resolvePromise({ status: timedOut ? 'timeout' : code === 0 ? 'ok' : 'failed', code, seconds });
    });
  });
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const chosen = steps.filter((s) => wanted.length === 0 || wanted.some((w) => s.name === w || s.name.startsWith(`${w}-`)));
if (chosen.length === 0) {
  console.error(`no step called ${wanted.join(', ')}; steps: ${steps.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
// Steps run into this folder before, by an earlier call, stay in the summary unless run again.
const summaryFile = join(out, 'summary.json');
const earlier = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')).steps : [];
const results = [];
const started = performance.now();
for (const step of chosen) {
  console.log(`\n== ${step.name} (at most ${step.limit} s)`);
  const r = await runStep(step);
  results.push({ step: step.name, ...r, log: `${step.name}.log` });
  console.log(`== ${step.name}: ${r.status} in ${r.seconds.toFixed(1)} s`);
}
const total = (performance.now() - started) / 1000;
const all = steps
  .map((s) => results.find((r) => r.step === s.name) ?? earlier.find((r) => r.step === s.name))
  .filter((r) => r !== undefined);
const lines = all.map((r) => `${r.step.padEnd(20)} ${r.status.padEnd(8)} ${r.seconds.toFixed(1).padStart(6)} s  ${r.note ?? r.log}`);
const seconds = all.reduce((sum, r) => sum + r.seconds, 0);
const summary = `gpu:check ${stamp}: ${total.toFixed(0)} s this call, ${seconds.toFixed(0)} s over the steps below\n${lines.join('\n')}\n`;
writeFileSync(join(out, 'summary.txt'), summary);
writeFileSync(summaryFile, `${JSON.stringify({ last: stamp, seconds, steps: all }, null, 2)}\n`);
console.log(`\n${summary}everything is in ${out}`);
process.exit(all.every((r) => r.status === 'ok') ? 0 : 1);
