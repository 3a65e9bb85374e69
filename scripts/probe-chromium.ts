// `node --import=tsx scripts/probe-chromium.ts`: which Chromium the browser tests will drive, and
// whether it runs here (its version). Exit 1 when it does not, so that .ci/run can fall back to
// Debian's chromium package.
import { execFileSync } from 'node:child_process';
import { chromiumBinary } from '../test/viewer/chromium-binary.ts';

try {
  const binary = await chromiumBinary();
  const version = execFileSync(binary.executablePath, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
  console.log(`chromium: ${version} (${binary.origin}: ${binary.executablePath})`);
} catch (error) {
  console.error(`chromium: none that runs here: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
