// Which Chromium the browser tests drive. A system Chromium wins when there is one (VF_CHROMIUM, or
// Debian's /usr/bin/chromium); otherwise the one that the npm package @sparticuz/chromium carries (a
// headless build, with SwiftShader for WebGL2), unpacked once into node_modules/.cache. Nothing is
// downloaded: a clone that ran `npm install` has a browser.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** Flags every launch gets: no sandbox (root in CI), no GPU, and no network beyond the test's own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The bundled build has no GPU process to fall back from: it is told to draw WebGL on SwiftShader. */
const BUNDLED_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--no-zygote'];

export interface ChromiumBinary {
  readonly executablePath: string;
  readonly args: readonly string[];
  readonly origin: 'VF_CHROMIUM' | 'system' | '@sparticuz/chromium';
}

let bundled: Promise<string> | undefined;

export async function chromiumBinary(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumBinary> {
  const given = env.VF_CHROMIUM;
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`VF_CHROMIUM names ${given}, which does not exist`);
    return { executablePath: given, args: CHROMIUM_ARGS, origin: 'VF_CHROMIUM' };
  }
  if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, args: CHROMIUM_ARGS, origin: 'system' };
  bundled ??= unpackBundledChromium();
  return { executablePath: await bundled, args: [...CHROMIUM_ARGS, ...BUNDLED_ARGS], origin: '@sparticuz/chromium' };
}

/**
 * The package's brotli-compressed browser and SwiftShader libraries, unpacked side by side (the
 * browser loads its GL libraries from its own folder). Test files run in parallel processes, and a
 * run may be killed half-way: each process unpacks into a folder of its own and renames it into
 * place whole, so a folder that exists is complete, and the loser of a race uses the winner's.
 */
async function unpackBundledChromium(): Promise<string> {
  // build/cjs/index.cjs inside the package: the package's `exports` hide its package.json and bin/.
  const packageDir = dirname(dirname(dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium'))));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const target = join(packageDir, '..', '..', '.cache', `vf-chromium-${version}`);
  const executable = join(target, 'chromium');
  if (existsSync(executable)) return executable;

  await mkdir(dirname(target), { recursive: true });
  const stage = await mkdtemp(`${target}.partial-`);
  try {
    const bin = join(packageDir, 'bin');
    await pipeline(
      createReadStream(join(bin, 'chromium.br')),
      createBrotliDecompress(),
      createWriteStream(join(stage, 'chromium'), { mode: 0o755 }),
    );
    await untarBrotli(join(bin, 'swiftshader.tar.br'), stage);
    try {
      await rename(stage, target);
    } catch (error) {
      if (!existsSync(executable)) throw error;
    }
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
  return executable;
}

/** Unpacks a brotli-compressed tar file into `dir` with the system's tar. */
async function untarBrotli(file: string, dir: string): Promise<void> {
  const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', resolve);
  });
  await pipeline(createReadStream(file), createBrotliDecompress(), tar.stdin);
  const code = await exited;
  if (code !== 0) throw new Error(`tar could not unpack ${file} (exit ${code}): ${stderr.trim()}`);
}
