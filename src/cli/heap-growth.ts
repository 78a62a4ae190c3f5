import { setFlagsFromString } from 'node:v8';

/** Old space may grow this much past what survived the last full GC before V8 collects again. */
export const BATCH_HEAP_GROWING_PERCENT = 20;

/**
 * Holds a batch's peak memory to its live heap. A batch keeps little alive (about 20 MB after every full GC, whatever
 * the input's length), but V8 lets the old space grow up to four times the live heap between full GCs when the
 * process is busy. Over a million names the peak RSS then varied from 147 to 198 MB from run to run, against 128 MB
 * for 10,000 names. With 20% growth the same runs peaked at 151-152 MB every time, at the same names/s: a full GC
 * of a 20 MB heap takes a few ms.
 *
 * The V8 flag is read each time V8 sizes the heap, so it takes effect when set at run time. It is left alone when the
 * user gave it on node's command line (`node --heap-growing-percent=N`; V8 also takes one dash and underscores). Node
 * refuses it in NODE_OPTIONS, so the command line is the only place to look. Only the batch command sets it: it is a
 * property of this process, not something a library may change under its host.
 */
export function limitHeapGrowthForBatch(execArgv: readonly string[] = process.execArgv): boolean {
  const given = execArgv.some(arg => /^--?heap[-_]growing[-_]percent\b/.test(arg));
  if (given) return false;
  setFlagsFromString(`--heap-growing-percent=${BATCH_HEAP_GROWING_PERCENT}`);
  return true;
}

/**
 * The batch command's young generation: semi-spaces of at most this many MB. V8 in Node 22 and 24 sizes them from
 * the machine's memory, and on a 24 GB machine a million-name batch let new space take about 50 MB between scavenges
 * and 150 MB of committed heap in all, for a live heap of 20-30 MB: peak RSS 271-277 MB against 147 MB on Node 20.
 * With 16 MB (what Node 20 used here) the same batch commits about 60 MB of heap and peaks at about 190 MB; the
 * extra scavenges take about a millisecond each.
 */
export const BATCH_MAX_SEMI_SPACE_MB = 16;

/**
 * The node flags the batch command wants at start-up that this process did not start with: V8 sizes the young
 * generation only then, so unlike the heap growth above it cannot be set at run time. None when the user chose the
 * young generation or the whole heap's size themselves, on node's command line or in NODE_OPTIONS (V8 refuses
 * --max-heap-size next to both of the others).
 */
export function missingBatchNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (given.some(arg => /^--?(max|min)[-_]semi[-_]space[-_]size\b|^--?max[-_]heap[-_]size\b/.test(arg))) return [];
  return [`--max-semi-space-size=${BATCH_MAX_SEMI_SPACE_MB}`];
}

/**
 * Replaces this process with itself plus the flags of missingBatchNodeFlags, through execve: the same PID, stdio,
 * environment and arguments, so nothing a caller sees changes but the memory. Called before the batch reads or
 * writes anything. Returns (having done nothing) when no flag is missing, or where Node has no execve (Windows).
 */
export function restartWithBatchNodeFlags(): void {
  const flags = missingBatchNodeFlags(process.execArgv, process.env['NODE_OPTIONS']);
  if (flags.length === 0 || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], process.env);
}
