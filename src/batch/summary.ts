import type { CancelManySummary } from './batch-summary.js';

function table(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
}

export interface SummaryContext {
  /** The --journal given, if any: a rerun with it resumes. */
  readonly journal?: string | undefined;
  readonly giveUpAfterMs?: number | undefined;
}

/** The end-of-batch report: what happened to every name, how fast, what it cost, and what a rerun would do. */
export function formatSummary(summary: CancelManySummary, context: SummaryContext = {}): string {
  const state = summary.stopped === 'signal' || summary.stopped === 'consumer' ? 'Interrupted' : summary.stopped === 'systemic' ? 'Stopped' : 'Done';
  const lines = [
    `${state}: ${summary.names} names in ${wallTime(summary.wallMs)} (${summary.namesPerSecond.toFixed(0)}/s)`,
    `  outcomes:   ${table(summary.outcomes)}`,
    `  codes:      ${table(summary.codes)}`,
    `  latency:    p50 ${fmt(summary.latencyMs.p50)} ms, p99 ${fmt(summary.latencyMs.p99)} ms`,
    `  requests:   ${summary.attempts} cancel attempts, ${summary.retries} retries, ${summary.readBacks} read-backs of accepted cancels, ${summary.deferred} deferred to a later pass`,
    `  transports: ${table(summary.attemptsByTransport)} (attempts)`,
  ];
  if (summary.verifiedByListing > 0 || summary.listPages > 0 || summary.readBacks > 0) {
    lines.push(`  verify:     ${summary.verifiedByListing} by listing in ${summary.listPages} page${summary.listPages === 1 ? '' : 's'}, ${summary.readBacks} by GetOperation`);
  }
  if (summary.pauses > 0) lines.push(`  paused:     ${summary.pauses} time${summary.pauses === 1 ? '' : 's'} for the service (an outage, or a quota without RetryInfo)`);
  const { duplicates, finalInJournal, otherShards } = summary.skipped;
  const skipped = [
    duplicates > 0 ? `${duplicates} duplicate${duplicates === 1 ? '' : 's'}` : '',
    finalInJournal > 0 ? `${finalInJournal} already final in the journal` : '',
    otherShards > 0 ? `${otherShards} in other shards` : '',
  ].filter(s => s !== '');
  if (skipped.length > 0) lines.push(`  skipped:    ${skipped.join(', ')}`);
  const rerun = context.journal === undefined ? 'a rerun with --journal FILE would resume' : `rerun the same command with --journal ${context.journal} to try them again`;
  if (summary.gaveUp) {
    const bound = context.giveUpAfterMs === undefined ? 'the time bound' : `--give-up-after ${Math.round(context.giveUpAfterMs / 1000)} s`;
    lines.push(`  gave up:    names still meeting a degraded service after ${bound} ended as they last were`);
  }
  if (summary.notFinal > 0) lines.push(`  not final:  ${summary.notFinal} names (error, denied, unimplemented, running, unverified): ${rerun}`);
  // Stopped early, the input after the stop was never read either; the journal is what makes a rerun cheap.
  if (summary.unfinished > 0 || summary.stopped === 'signal' || summary.stopped === 'consumer') {
    lines.push(`  unfinished: ${summary.unfinished} names read but not recorded, and the input after them: ${context.journal === undefined ? 'run with --journal FILE so that a rerun resumes' : `rerun the same command with --journal ${context.journal}; names already final are not sent again`}`);
  }
  if (summary.dedupeFull) lines.push('  note:       a name filter is full (100 million names): later duplicates and names final in the journal may be sent again (harmless)');
  return lines.join('\n');
}

/** A run's wall time: ms below a second (a small run said "0.0 s"), seconds with one decimal above. */
function wallTime(ms: number): string {
  return ms < 999.5 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function fmt(ms: number | null): string {
  return ms === null ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(0);
}
