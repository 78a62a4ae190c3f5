/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`, e.g. a bench worker run with LRO_BENCH_PROFILE_DIR): the
 * functions with the most self time, self time by module (a package under node_modules, or one of our files), and
 * the inclusive time of our own functions.
 *
 *   node dist/scripts/bench-profile.js FILE.cpuprofile [--top N] [--match TEXT]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function moduleOf(url: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules !== null) return inModules[1] as string;
  const ours = /\/dist\/(.+)$/.exec(url);
  if (ours !== null) return ours[1] as string;
  return url === '' ? '(native/gc/idle)' : url.replace(/^node:/, 'node:');
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName === '' ? '(anonymous)' : functionName} ${moduleOf(url)}:${lineNumber + 1}`;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

function top(map: Map<string, number>, totalUs: number, count: number, match?: string): string[] {
  return [...map.entries()]
    .filter(([key]) => match === undefined || key.includes(match))
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, us]) => `${(100 * us / totalUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
}

function main(): void {
  const args = process.argv.slice(2);
  const file = args.find(a => !a.startsWith('--'));
  if (file === undefined) throw new Error('usage: bench-profile FILE.cpuprofile [--top N] [--match TEXT]');
  const count = Number(args[args.indexOf('--top') + 1] ?? 25) || 25;
  const matchAt = args.indexOf('--match');
  const match = matchAt === -1 ? undefined : args[matchAt + 1];
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map(node => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => add(selfUs as unknown as Map<string, number>, id as unknown as string, profile.timeDeltas[i] ?? 0));
  let totalUs = 0;
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    add(byFunction, frameName(node), us);
    add(byModule, moduleOf(node.callFrame.url), us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame === undefined) break;
      const name = frameName(frame);
      if (!seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      seen.add(name);
    }
  }
  const lines = [
    `${file}: ${(totalUs / 1000).toFixed(0)} ms sampled`,
    '', 'self time by function:', ...top(byFunction, totalUs, count, match),
    '', 'self time by module:', ...top(byModule, totalUs, count),
    '', 'inclusive time, our code (src/):', ...top(new Map([...inclusive].filter(([k]) => k.includes(' src/'))), totalUs, count, match),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
