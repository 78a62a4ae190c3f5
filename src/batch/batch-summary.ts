import { describeRun } from './journal.js';
import type { BatchSummary } from './runner.js';

/** Why a batch ended before every name was recorded: its signal, a reader that left, or a systemic failure. */
export type BatchStop = 'signal' | 'consumer' | 'systemic';

/**
 * What a batch did, for a service's logs or a Job's (`batch --summary-json FILE` writes this object). Counts of names
 * are one per name recorded this run; counts of requests are every call of every pass. JSON-ready: absent values are
 * null.
 */
export interface CancelManySummary {
  /** Names recorded this run, invalid input included. */
  readonly names: number;
  /** Names by outcome (`cancelled`, `requested`, `not_found`, ...). */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Names by the code of their CancelOperation call (OK when accepted). */
  readonly codes: Readonly<Record<string, number>>;
  /** CancelOperation attempts sent, every pass, retries included. */
  readonly attempts: number;
  /** Of those, the ones after a call's first. */
  readonly retries: number;
  /** Attempts by the wire that carried them. */
  readonly attemptsByTransport: Readonly<Record<string, number>>;
  /** Calls that only read back a cancel accepted earlier (a later pass, a rerun, a name a listing did not settle). */
  readonly readBacks: number;
  /** Names whose outcome a ListOperations page showed (verify by listing), and the pages it took. */
  readonly verifiedByListing: number;
  readonly listPages: number;
  /** Times a name went to a later pass. */
  readonly deferred: number;
  readonly passes: number;
  /** Times the batch paused for the service (an outage, a quota without RetryInfo). */
  readonly pauses: number;
  readonly skipped: { readonly duplicates: number; readonly finalInJournal: number; readonly otherShards: number };
  /** Of the names sent, sampled uniformly; null before any. */
  readonly latencyMs: { readonly p50: number | null; readonly p99: number | null };
  readonly wallMs: number;
  readonly namesPerSecond: number;
  /** Names recorded whose outcome is not final (error, denied, unimplemented, running, unverified): a rerun retries them. */
  readonly notFinal: number;
  /** Names read but not recorded (the batch was stopped); a rerun with the journal picks them up. */
  readonly unfinished: number;
  /** Why the batch stopped early, or null. */
  readonly stopped: BatchStop | null;
  /** With `stopped: 'systemic'`: the failure every call met, and its fix. */
  readonly systemic: { readonly code: number; readonly codeName: string; readonly message: string } | null;
  /** True when the time bound ended names that kept meeting a degraded service. */
  readonly gaveUp: boolean;
  /**
   * True when a name filter was full (100 million names: the input's, or those the journal holds as final or
   * accepted): later duplicates, and names final in the journal, may have been sent again (harmless).
   */
  readonly dedupeFull: boolean;
  /** The journal, and the run that began it when that was another input's. */
  readonly journal: { readonly path: string; readonly otherRun: string | null } | null;
  /** Every name of the input is final (the ones the journal already held included) and nothing stopped the batch. */
  readonly complete: boolean;
}

function record(map: ReadonlyMap<string, number>): Record<string, number> {
  return Object.fromEntries([...map.entries()].sort((a, b) => b[1] - a[1]));
}

function orNull(value: number): number | null {
  return Number.isNaN(value) ? null : Math.round(value * 100) / 100;
}

/** The public summary of a run, from the runner's own; `stopped` is decided by the caller, which knows who stopped it. */
export function summarize(summary: BatchSummary, stopped: BatchStop | null, journalPath: string | undefined): CancelManySummary {
  const { stats } = summary;
  const wallMs = Date.now() - stats.startedAt;
  return {
    names: stats.finished,
    outcomes: record(stats.byOutcome),
    codes: record(stats.byCode),
    attempts: stats.attempts,
    retries: stats.retries,
    attemptsByTransport: record(stats.byTransport),
    readBacks: stats.verifyOnly,
    verifiedByListing: stats.verifiedByListing,
    listPages: stats.listPages,
    deferred: stats.deferred,
    passes: summary.passes,
    pauses: summary.pauses,
    skipped: { duplicates: stats.duplicates, finalInJournal: stats.skippedFromJournal, otherShards: stats.otherShards },
    latencyMs: { p50: orNull(stats.percentileMs(50)), p99: orNull(stats.percentileMs(99)) },
    wallMs,
    namesPerSecond: Math.round(stats.ratePerSecond(stats.startedAt + wallMs) * 10) / 10,
    notFinal: summary.notFinal,
    unfinished: summary.unfinished,
    stopped,
    systemic: summary.systemic === undefined ? null : { code: summary.systemic.code, codeName: summary.systemic.codeName, message: summary.systemic.message },
    gaveUp: summary.gaveUp,
    dedupeFull: summary.dedupeFull,
    journal: journalPath === undefined ? null : {
      path: journalPath,
      otherRun: summary.journal?.otherDefinition === undefined ? null : describeRun(summary.journal.otherDefinition),
    },
    complete: stopped === null && summary.notFinal === 0 && summary.unfinished === 0,
  };
}
