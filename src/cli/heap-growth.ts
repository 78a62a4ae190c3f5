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
