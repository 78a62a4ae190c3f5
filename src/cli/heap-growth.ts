/**
 * Old space may grow this much past what survived the last full GC before V8 collects again. A batch keeps little
 * alive (about 20 MB after every full GC, whatever the input's length), but V8 lets the old space grow up to four
 * times the live heap between full GCs when the process is busy: over a million names the peak RSS varied from 147 to
 * 198 MB from run to run on Node 20. With 20% growth the same runs peaked at 151-152 MB every time, at the same
 * names/s (a full GC of a 20 MB heap takes a few ms).
 */
export const BATCH_HEAP_GROWING_PERCENT = 20;

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
 * generation only then, and both are given as node's own command-line flags rather than changed under a running V8
 * (`v8.setFlagsFromString`, which Node documents as unsafe once the heap exists). Each is left out when the user
 * chose it, or the whole heap's size, themselves, on node's command line or in NODE_OPTIONS (V8 refuses
 * --max-heap-size next to the semi-space flags; Node refuses --heap-growing-percent in NODE_OPTIONS, so it can only
 * come from the command line, in any spelling V8 accepts).
 */
export function missingBatchNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  const heapSized = given.some(arg => /^--?max[-_]heap[-_]size\b/.test(arg));
  const flags: string[] = [];
  if (!heapSized && !given.some(arg => /^--?(max|min)[-_]semi[-_]space[-_]size\b/.test(arg))) flags.push(`--max-semi-space-size=${BATCH_MAX_SEMI_SPACE_MB}`);
  if (!execArgv.some(arg => /^--?heap[-_]growing[-_]percent\b/.test(arg))) flags.push(`--heap-growing-percent=${BATCH_HEAP_GROWING_PERCENT}`);
  return flags;
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
