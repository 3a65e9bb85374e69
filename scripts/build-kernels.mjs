// `npm run build:kernels`: compiles every src/gpu/*.cu with nvcc into src/gpu/kernels/ (committed):
//   <name>.ptx          PTX for compute_75, JIT-compiled by the driver on any GPU from Turing on
//   <name>.sm_90.cubin  machine code for Hopper (H100/H200), loaded as is there
//   <name>.sha256       the hash of the source they were built from (the loader and a test check it)
// nvcc comes from $NVCC, then PATH, then /usr/local/cuda/bin. Names limit the build
// (`npm run build:kernels -- physics`); `--check` only reports stale outputs and exits 1 if any.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src', 'gpu');
const outDir = join(srcDir, 'kernels');
const checkOnly = process.argv.includes('--check');

function findNvcc() {
  const candidates = [process.env.NVCC, 'nvcc', '/usr/local/cuda/bin/nvcc'].filter(Boolean);
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

const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const sources = readdirSync(srcDir).filter((f) => f.endsWith('.cu') && (names.length === 0 || names.includes(f.slice(0, -3))));
if (names.length > 0 && sources.length !== names.length) {
  console.error(`unknown kernel source among: ${names.join(', ')}`);
  process.exit(2);
}
const stale = [];
for (const file of sources) {
  const name = file.slice(0, -3);
  const hash = createHash('sha256').update(readFileSync(join(srcDir, file))).digest('hex');
  const hashFile = join(outDir, `${name}.sha256`);
  const fresh =
    existsSync(hashFile) &&
    readFileSync(hashFile, 'utf8').trim() === hash &&
    existsSync(join(outDir, `${name}.ptx`)) &&
    existsSync(join(outDir, `${name}.sm_90.cubin`));
  if (!fresh) stale.push({ file, name, hash });
}

if (checkOnly) {
  for (const s of stale) console.log(`stale: ${s.file}`);
  process.exit(stale.length === 0 ? 0 : 1);
}

const nvcc = findNvcc();
if (nvcc === undefined) {
  console.error('nvcc not found (set NVCC, or put the CUDA toolkit on PATH)');
  process.exit(1);
}
if (stale.length === 0) console.log('kernels up to date');
mkdirSync(outDir, { recursive: true });
const common = ['-O3', '-std=c++17', '--use_fast_math', '-lineinfo'];
for (const { file, name } of stale) {
  const input = join(srcDir, file);
  const hash = createHash('sha256').update(readFileSync(input)).digest('hex');
  execFileSync(nvcc, [...common, '-ptx', '-arch=compute_75', '-o', join(outDir, `${name}.ptx`), input], { stdio: 'inherit' });
  execFileSync(nvcc, [...common, '-cubin', '-arch=sm_90', '-o', join(outDir, `${name}.sm_90.cubin`), input], { stdio: 'inherit' });
  writeFileSync(join(outDir, `${name}.sha256`), `${hash}\n`);
  console.log(`built ${file} -> src/gpu/kernels/${name}.{ptx,sm_90.cubin}`);
}
