// The README is an entry point: short, and every file it or the other pages link to exists (a
// clone shows no dead link), anchors within the pages included.
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PAGES = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  'samples/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_]/g, '')
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(page: string): Set<string> {
  const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));
}

test("every relative link in the project's pages reaches a file, and every anchor a heading", (t) => {
  const dead: string[] = [];
  for (const page of PAGES) {
    const text = readFileSync(join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = match[1]!;
      if (/^[a-z]+:/i.test(link)) continue;
      const [path, fragment] = link.split('#') as [string, string | undefined];
      const target = path === '' ? page : normalize(join(dirname(page), path));
      if (!existsSync(join(ROOT, target))) dead.push(`${page}: ${link} (no ${target})`);
      else if (fragment !== undefined && target.endsWith('.md') && !anchors(target).has(fragment))
        dead.push(`${page}: ${link} (no heading #${fragment} in ${target})`);
    }
  }
  t.deepEqual(dead, []);
});

test('the README fits on about two screens and links to the docs', (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const lines = readme.split('\n').length;
  t.true(lines <= 160, `README.md has ${lines} lines`);
  for (const doc of ['docs/benchmarks.md', 'docs/protocol.md', 'docs/operations.md', 'CHANGELOG.md', 'CONTRIBUTING.md'])
    t.true(readme.includes(`](${doc})`), `README links ${doc}`);
});
