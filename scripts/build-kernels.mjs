// `npm run build:kernels`: compiles every src/gpu/*.cu with nvcc into build/gpu/ (committed, so
// that a machine without nvcc loads them; src/gpu/kernel-image.ts reads them):
//   <name>.fatbin  cubins for sm_75, sm_80 and sm_90, and the PTX below
//   <name>.ptx     PTX for compute_75 at PTX ISA 7.0 (CUDA 11.0): any driver from R450 on can
//                  JIT-compile it, whatever toolkit built it
//   <name>.sha256  the hash of the source they were built from (the loader and a test check it)
// nvcc 13 writes PTX ISA 9.0, which only an R580 driver reads; no nvcc option asks for an older
// ISA, so the `.version` line is lowered and ptxas checks that the text is valid at that ISA (it
// refuses any instruction the ISA lacks). A kernel that needs something newer fails the build
// here, with ptxas's message, rather than on a user's driver.
// nvcc comes from $NVCC, then PATH, then /usr/local/cuda/bin; ptxas and fatbinary from beside it.
// Names limit the build (`npm run build:kernels -- physics`); `--check` only reports stale
// outputs and exits 1 if any; `--force` rebuilds fresh ones too.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src', 'gpu');
const outDir = join(root, 'build', 'gpu');
const checkOnly = process.argv.includes('--check');
const force = process.argv.includes('--force');

/** The PTX ISA the committed PTX declares, and the oldest driver that reads it (docs/operations.md). */
const PTX_ISA = '7.0';
const PTX_ARCH = 'compute_75';
const CUBIN_ARCHS = ['sm_75', 'sm_80', 'sm_90'];
const FLAGS = ['-O3', '-std=c++17', '--use_fast_math'];

function runs(tool) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function findNvcc() {
  return [process.env.NVCC, 'nvcc', '/usr/local/cuda/bin/nvcc'].filter(Boolean).find(runs);
}

/** ptxas or fatbinary: beside nvcc (through a wrapper script too), then PATH. */
function findTool(nvcc, tool) {
  const beside = [];
  try {
    beside.push(join(dirname(realpathSync(nvcc)), tool));
  } catch {
    // nvcc came from PATH
  }
  for (const wrapped of [nvcc, '/usr/local/cuda/bin/nvcc']) {
    try {
      const text = readFileSync(wrapped, 'utf8');
      const m = /exec\s+(\S+)\/nvcc\b/.exec(text);
      if (m !== null) beside.push(join(m[1], tool));
    } catch {
      // not a readable script
    }
  }
  return [...beside, tool, `/usr/local/cuda/bin/${tool}`].find((t) => (t.includes('/') ? existsSync(t) : runs(t)));
}

const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const sources = readdirSync(srcDir).filter((f) => f.endsWith('.cu') && (names.length === 0 || names.includes(f.slice(0, -3))));
if (names.length > 0 && sources.length !== names.length) {
  console.error(`unknown kernel source among: ${names.join(', ')}`);
  process.exit(2);
}
const stale = [];
for (const file of sources) {
  const name = file.slice(0, -3);
  const hash = createHash('sha256')
    .update(readFileSync(join(srcDir, file)))
    .digest('hex');
  const hashFile = join(outDir, `${name}.sha256`);
  const fresh =
    existsSync(hashFile) &&
    readFileSync(hashFile, 'utf8').trim() === hash &&
    existsSync(join(outDir, `${name}.fatbin`)) &&
    existsSync(join(outDir, `${name}.ptx`));
  if (!fresh || force) stale.push({ file, name, hash });
}

if (checkOnly) {
  for (const s of stale) console.log(`stale: ${s.file}`);
  process.exit(stale.length === 0 ? 0 : 1);
}
if (stale.length === 0) {
  console.log('kernels up to date');
  process.exit(0);
}

const nvcc = findNvcc();
if (nvcc === undefined) {
  console.error('nvcc not found (set NVCC, or put the CUDA toolkit on PATH)');
  process.exit(1);
}
const ptxas = findTool(nvcc, 'ptxas');
const fatbinary = findTool(nvcc, 'fatbinary');
if (ptxas === undefined || fatbinary === undefined) {
  console.error(`ptxas or fatbinary not found beside ${nvcc}`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'vf-kernels-'));
try {
  for (const { file, name, hash } of stale) {
    const input = join(srcDir, file);
    const rawPtx = join(work, `${name}.raw.ptx`);
    const ptx = join(work, `${name}.ptx`);
    execFileSync(nvcc, [...FLAGS, '-ptx', `-arch=${PTX_ARCH}`, '-o', rawPtx, input], { stdio: 'inherit' });
    const text = readFileSync(rawPtx, 'utf8');
    if (!/^\.version \d+\.\d+$/m.test(text)) throw new Error(`${rawPtx} has no .version line`);
    writeFileSync(ptx, text.replace(/^\.version \d+\.\d+$/m, `.version ${PTX_ISA}`));
    try {
      for (const arch of CUBIN_ARCHS)
        execFileSync(ptxas, [`-arch=${arch}`, ptx, '-o', join(work, `${name}.check.cubin`)], { stdio: 'pipe' });
    } catch (error) {
      const why = error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error);
      throw new Error(
        `${file} needs a PTX ISA newer than ${PTX_ISA} (raising it raises the minimum driver in docs/operations.md):\n${why}`,
      );
    }
    const images = [];
    for (const arch of CUBIN_ARCHS) {
      const cubin = join(work, `${name}.${arch}.cubin`);
      execFileSync(nvcc, [...FLAGS, '-cubin', `-arch=${arch}`, '-o', cubin, input], { stdio: 'inherit' });
      images.push(`--image3=kind=elf,sm=${arch.slice(3)},file=${cubin}`);
    }
    images.push(`--image3=kind=ptx,sm=${PTX_ARCH.slice(8)},file=${ptx}`);
    // Uncompressed: every driver reads it, and so does the test emulator.
    execFileSync(fatbinary, ['-64', '--compress=false', `--create=${join(outDir, `${name}.fatbin`)}`, ...images], { stdio: 'inherit' });
    writeFileSync(join(outDir, `${name}.ptx`), readFileSync(ptx));
    writeFileSync(join(outDir, `${name}.sha256`), `${hash}\n`);
    console.log(`built ${file} -> build/gpu/${name}.{fatbin,ptx} (cubins ${CUBIN_ARCHS.join(', ')}; PTX ${PTX_ISA} for ${PTX_ARCH})`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
