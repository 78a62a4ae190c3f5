// Cheap guards that run in `npm test` after the type-check (the build): the Node running the suite is one the package
// supports, no focused or skipped-by-accident tests, no circular imports in src/, no console output from library code
// outside cli/, emulator/ and scripts.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const problems = [];

// npm scripts run on node_modules/.bin/node (the `node` devDependency) ahead of the machine's own Node. When that is
// missing (its install script did not run), the suite would quietly run on whatever Node is on PATH.
const engines = JSON.parse(readFileSync(join(rootDir, 'package.json'), 'utf8')).engines.node;
const floor = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(engines);
if (floor === null) problems.push(`package.json engines.node is "${engines}"; this check reads only ">=X.Y.Z"`);
else {
  const running = process.versions.node.split('.').map(Number);
  const wanted = floor.slice(1).map(Number);
  const index = running.findIndex((part, i) => part !== wanted[i]);
  if (index !== -1 && (running[index] ?? 0) < (wanted[index] ?? 0)) {
    problems.push(`running on Node ${process.version}, but package.json engines.node is "${engines}": npm scripts use ` +
      'node_modules/.bin/node from the `node` devDependency; run `npm install` (its install script must be allowed: ' +
      '"allowScripts" in package.json) or put a supported Node first on PATH');
  }
}

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (path.endsWith('.ts')) out.push(path);
  }
  return out;
}

for (const file of walk(join(rootDir, 'test'))) {
  const text = readFileSync(file, 'utf8');
  if (/\b(it|test|describe|suite)\.only\s*\(|\{\s*only:\s*true/.test(text)) problems.push(`${relative(rootDir, file)}: .only left in a test`);
}

const srcFiles = walk(join(rootDir, 'src'));
const graph = new Map();
for (const file of srcFiles) {
  const text = readFileSync(file, 'utf8');
  const deps = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)) {
    deps.push(resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
  }
  for (const m of text.matchAll(/import\(\s*'(\.{1,2}\/[^']+)'\s*\)/g)) {
    // Dynamic imports are lazy by intent (start-up time); they do not form load-time cycles.
    void m;
  }
  graph.set(file, deps);
  const rel = relative(rootDir, file);
  if (!/^src\/(cli|emulator)\//.test(rel) && /\bconsole\.(log|info|warn|error|debug)\(/.test(text)) {
    problems.push(`${rel}: library code writes to the console (return data or take a logger instead)`);
  }
}

const state = new Map();
function visit(file, stack) {
  state.set(file, 'visiting');
  for (const dep of graph.get(file) ?? []) {
    if (!graph.has(dep)) continue;
    if (state.get(dep) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(dep)), dep].map(f => relative(rootDir, f));
      problems.push(`circular import: ${cycle.join(' -> ')}`);
    } else if (!state.has(dep)) visit(dep, [...stack, dep]);
  }
  state.set(file, 'done');
}
for (const file of graph.keys()) if (!state.has(file)) visit(file, [file]);

if (problems.length > 0) {
  console.error(`check: ${problems.length} problem(s)\n${problems.map(p => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`check: Node ${process.version}, ${srcFiles.length} source files, no focused tests, no circular imports`);
