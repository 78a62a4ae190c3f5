import type { BatchSummary } from './runner.js';

function table(map: ReadonlyMap<string, number>): string {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

/** The end-of-batch report: what happened to every name, how fast, and what it cost in retries. */
export function formatSummary(summary: BatchSummary): string {
  const { stats } = summary;
  const seconds = (Date.now() - stats.startedAt) / 1000;
  const lines = [
    `${summary.interrupted ? 'Interrupted' : 'Done'}: ${stats.finished} names in ${seconds.toFixed(1)} s (${stats.ratePerSecond().toFixed(0)}/s)`,
    `  outcomes:   ${table(stats.byOutcome)}`,
    `  codes:      ${table(stats.byCode)}`,
    `  latency:    p50 ${fmt(stats.percentileMs(50))} ms, p99 ${fmt(stats.percentileMs(99))} ms`,
    `  requests:   ${stats.attempts} cancel attempts, ${stats.retries} retries, ${stats.deferred} deferred to a later pass`,
    `  transports: ${table(stats.byTransport)}`,
  ];
  const skipped = [
    stats.duplicates > 0 ? `${stats.duplicates} duplicate${stats.duplicates === 1 ? '' : 's'}` : '',
    stats.skippedFromJournal > 0 ? `${stats.skippedFromJournal} already final in the journal` : '',
    stats.otherShards > 0 ? `${stats.otherShards} in other shards` : '',
  ].filter(s => s !== '');
  if (skipped.length > 0) lines.push(`  skipped:    ${skipped.join(', ')}`);
  if (summary.unfinished > 0) lines.push(`  unfinished: ${summary.unfinished} names read but not final`);
  // Stopped early, the input after the stop was never read either; the journal is what makes a rerun cheap.
  if (summary.interrupted) lines.push('  resume:     run the same command with the same --journal; names already final are not sent again');
  if (summary.dedupeCapacityReached) lines.push('  note:       the duplicate filter is full; later duplicates may be sent twice (harmless)');
  return lines.join('\n');
}

function fmt(ms: number): string {
  return Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}
