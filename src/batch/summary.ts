import type { BatchSummary } from './runner.js';

function table(map: ReadonlyMap<string, number>): string {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

export interface SummaryContext {
  /** The --journal given, if any: a rerun with it resumes. */
  readonly journal?: string | undefined;
  readonly giveUpAfterMs?: number | undefined;
}

/** The end-of-batch report: what happened to every name, how fast, what it cost, and what a rerun would do. */
export function formatSummary(summary: BatchSummary, context: SummaryContext = {}): string {
  const { stats } = summary;
  const seconds = (Date.now() - stats.startedAt) / 1000;
  const state = summary.interrupted ? 'Interrupted' : summary.systemic !== undefined ? 'Stopped' : 'Done';
  const lines = [
    `${state}: ${stats.finished} names in ${seconds.toFixed(1)} s (${stats.ratePerSecond().toFixed(0)}/s)`,
    `  outcomes:   ${table(stats.byOutcome)}`,
    `  codes:      ${table(stats.byCode)}`,
    `  latency:    p50 ${fmt(stats.percentileMs(50))} ms, p99 ${fmt(stats.percentileMs(99))} ms`,
    `  requests:   ${stats.attempts} cancel attempts, ${stats.retries} retries, ${stats.verifyOnly} read-backs of accepted cancels, ${stats.deferred} deferred to a later pass`,
    `  transports: ${table(stats.byTransport)} (attempts)`,
  ];
  if (stats.verifiedByListing > 0 || stats.listPages > 0 || stats.verifyOnly > 0) {
    lines.push(`  verify:     ${stats.verifiedByListing} by listing in ${stats.listPages} page${stats.listPages === 1 ? '' : 's'}, ${stats.verifyOnly} by GetOperation`);
  }
  if (summary.pauses > 0) lines.push(`  paused:     ${summary.pauses} time${summary.pauses === 1 ? '' : 's'} for the service (an outage, or a quota without RetryInfo)`);
  const skipped = [
    stats.duplicates > 0 ? `${stats.duplicates} duplicate${stats.duplicates === 1 ? '' : 's'}` : '',
    stats.skippedFromJournal > 0 ? `${stats.skippedFromJournal} already final in the journal` : '',
    stats.otherShards > 0 ? `${stats.otherShards} in other shards` : '',
  ].filter(s => s !== '');
  if (skipped.length > 0) lines.push(`  skipped:    ${skipped.join(', ')}`);
  const rerun = context.journal === undefined ? 'a rerun with --journal FILE would resume' : `rerun the same command with --journal ${context.journal} to try them again`;
  if (summary.gaveUp) {
    const bound = context.giveUpAfterMs === undefined ? 'the time bound' : `--give-up-after ${Math.round(context.giveUpAfterMs / 1000)} s`;
    lines.push(`  gave up:    names still meeting a degraded service after ${bound} ended as they last were`);
  }
  if (summary.notFinal > 0) lines.push(`  not final:  ${summary.notFinal} names (error, denied, unimplemented, running, unverified): ${rerun}`);
  // Stopped early, the input after the stop was never read either; the journal is what makes a rerun cheap.
  if (summary.unfinished > 0 || summary.interrupted) {
    lines.push(`  unfinished: ${summary.unfinished} names read but not recorded, and the input after them: ${context.journal === undefined ? 'run with --journal FILE so that a rerun resumes' : `rerun the same command with --journal ${context.journal}; names already final are not sent again`}`);
  }
  if (summary.dedupeFull) lines.push('  note:       the duplicate filter is full; later duplicates may be sent twice (harmless)');
  return lines.join('\n');
}

function fmt(ms: number): string {
  return Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}
