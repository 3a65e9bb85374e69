// Part of `npm run check`: no function in the actor and gateway layers may be longer than the limit,
// so that each actor reads as a set of small message handlers over a state record.
// A function's length is counted from its first line to its last, nested functions included.
// Usage: node scripts/check-function-length.mjs [--max N] [--list] [dir ...]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
let max = 80;
let listOnly = false;
const dirs = [];
for (let i = 0; i < args.length; i += 1) {
  const arg = args[i];
  if (arg === '--max') {
    max = Number(args[i + 1]);
    i += 1;
  } else if (arg === '--list') {
    listOnly = true;
  } else {
    dirs.push(arg);
  }
}
if (dirs.length === 0) dirs.push('src/actors', 'src/gateway');
if (!Number.isInteger(max) || max <= 0) {
  console.error('check-function-length: --max needs a positive integer');
  process.exit(2);
}

function sourceFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

function nameOf(node) {
  if (node.name !== undefined) return node.name.getText();
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    return parent.name.getText();
  }
  if (ts.isCallExpression(parent)) return `<callback of ${parent.expression.getText().slice(0, 40)}>`;
  return '<anonymous>';
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

const found = [];
for (const dir of dirs) {
  for (const path of sourceFiles(dir)) {
    const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node) => {
      if (isFunctionLike(node) && node.body !== undefined) {
        const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
        const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
        const lines = last - first + 1;
        if (lines > max) found.push({ where: `${relative(process.cwd(), path)}:${first + 1}`, name: nameOf(node), lines });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
}

found.sort((a, b) => b.lines - a.lines);
for (const f of found) console.log(`${String(f.lines).padStart(4)} lines  ${f.name}  (${f.where})`);
if (found.length === 0) {
  console.log(`function length: ok (none over ${max} lines in ${dirs.join(', ')})`);
} else if (!listOnly) {
  console.error(`function length: ${found.length} function(s) over ${max} lines`);
  process.exit(1);
}
