// `npm test`: runs ava with the TAP reporter, passes its output through, and ends with the one line
// CI reads: `N passed, N failed[, N skipped]`. Exit status is non-zero when anything failed.
import { spawn } from 'node:child_process';

const args = ['ava', '--tap', ...process.argv.slice(2)];
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });

let passed = 0;
let failed = 0;
let skipped = 0;
let todo = 0;
let buffer = '';

function consume(line) {
  const m = /^(not ok|ok)\s+\d+\s+(.*)$/.exec(line);
  if (m === null) return;
  const directive = /#\s*(SKIP|TODO)/i.exec(m[2]);
  if (directive !== null) {
    if (directive[1].toUpperCase() === 'SKIP') skipped++;
    else todo++;
  } else if (m[1] === 'ok') passed++;
  else failed++;
}

child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  buffer += chunk.toString('utf8');
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    consume(buffer.slice(0, nl));
    buffer = buffer.slice(nl + 1);
  }
});

child.on('close', (code) => {
  if (buffer.length > 0) consume(buffer);
  // ava exits non-zero on uncaught errors and unhandled rejections too: count them as a failure.
  if (code !== 0 && failed === 0) failed = 1;
  const extra = skipped + todo > 0 ? `, ${skipped + todo} skipped` : '';
  console.log(`${passed} passed, ${failed} failed${extra}`);
  process.exit(failed > 0 ? 1 : 0);
});
