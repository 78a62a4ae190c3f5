/**
 * The checks of a soak run, made after it from what the batch wrote (output and journal) and what the emulator saved
 * (its state file, written on its last close): every claim is checked against the server's side.
 */
import { readFileSync } from 'node:fs';
import { readJsonLines } from '../src/batch/jsonl.js';
import { decodeState } from '../src/emulator/state-file.js';
import { StatsRecorder, type EmulatorStats } from '../src/emulator/stats.js';
import { OperationStore } from '../src/emulator/store.js';
import { parentOf, parseOperationName } from '../src/names.js';

export interface SoakEvidence {
  readonly names: readonly string[];
  readonly outputPath: string;
  readonly journalPath: string;
  /** The emulator's state file after its last close. */
  readonly statePath: string;
  /** Cancels each name had received when it was first seen accepted or final in the journal. */
  readonly frozen: ReadonlyMap<string, number>;
  /** Names retried by passes 2, 3, ...; undefined entries for passes that did not run. */
  readonly passSizes: readonly (number | undefined)[];
  /** What the batch says it sent (its summary); undefined when it printed no summary. */
  readonly sent: { readonly attempts: number; readonly retries: number; readonly readBacks: number } | undefined;
  /** Times the batch paused for the service. */
  readonly pauses: number;
  readonly verify: boolean;
  /** No restarts and no dropped connections: every attempt the batch sends reaches the emulator, exactly. */
  readonly everyCallArrives: boolean;
}

export interface SoakFigures {
  names: number;
  results: number;
  resultsMissing: number;
  resultsDuplicated: number;
  resultsUnknown: number;
  journalRecords: number;
  outcomes: Record<string, number>;
  storeDisagreements: number;
  /** Names seen accepted or final in the journal during the run whose cancel count grew afterwards. */
  cancelledAfterFinal: number;
  namesWatchedAfterFinal: number;
  passes: number;
  pauses: number;
  requestsReceived: number;
  getsReceived: number;
  /** CancelOperation attempts and retries the batch says it sent (GetOperation retries are not in its summary). */
  cancelAttemptsSent: number;
  cancelRetriesSent: number;
  /** Calls that only read back an accepted cancel (no second cancel). */
  readBacks: number;
  cancelsReceived: number;
  faults: { unavailable: number; resourceExhausted: number; dropped: number };
  /** Cancels that found their operation already done: a resend after an answer lost to a dropped connection or restart. */
  cancelsAfterDone: number;
}

function restoredEmulator(statePath: string): { store: OperationStore; stats: EmulatorStats } {
  const recorder = new StatsRecorder();
  const saved = decodeState(readFileSync(statePath), statePath, recorder.exportState().calls.length);
  const store = new OperationStore(() => 0, { doneFraction: 0, durationMs: 0, uncancellableFraction: 0 });
  store.restoreState(saved.store);
  recorder.restoreState(saved.stats);
  return { store, stats: recorder.snapshot(index => store.names.nameAt(index)) };
}

/** What the store must say for each outcome (every seeded operation can be cancelled and runs for a day). */
const EXPECTED_STATE: Readonly<Record<string, string>> = { cancelled: 'cancelled', requested: 'cancelled', completed: 'succeeded', failed: 'failed' };

/** Runs every check; `problems` says what failed, in words, with a few examples each. */
export async function verifySoak(evidence: SoakEvidence): Promise<{ figures: SoakFigures; problems: string[] }> {
  const problems: string[] = [];
  const wanted = new Set(evidence.names);
  const results = new Map<string, { outcome: string; code: unknown }>();
  let duplicated = 0;
  let unknown = 0;
  let lines = 0;
  for await (const record of readJsonLines(evidence.outputPath)) {
    lines += 1;
    if (!wanted.has(record.name)) unknown += 1;
    else if (results.has(record.name)) duplicated += 1;
    else results.set(record.name, { outcome: record.outcome, code: record['code'] });
  }
  // One final record per name; before it, at most an attempt (an accepted cancel waiting for verification by listing).
  let journalRecords = 0;
  const finalRecords = new Map<string, number>();
  for await (const record of readJsonLines(evidence.journalPath)) {
    journalRecords += 1;
    if (record.outcome !== 'requested' || !evidence.verify) finalRecords.set(record.name, (finalRecords.get(record.name) ?? 0) + 1);
  }
  const twice = [...finalRecords.values()].filter(count => count > 1).length;
  if (finalRecords.size !== evidence.names.length || twice > 0 || journalRecords > 2 * evidence.names.length) {
    problems.push(`the journal holds ${journalRecords} records, final ones for ${finalRecords.size} names (${twice} twice) of ${evidence.names.length} input names`);
  }
  const missing = evidence.names.filter(name => !results.has(name));
  if (missing.length > 0) problems.push(`${missing.length} names have no result, e.g. ${missing.slice(0, 3).join(', ')}`);
  if (duplicated > 0) problems.push(`${duplicated} names have more than one result`);
  if (unknown > 0) problems.push(`${unknown} results name something that was not in the input`);

  const { store, stats } = restoredEmulator(evidence.statePath);
  const outcomes: Record<string, number> = {};
  const disagreements: string[] = [];
  for (const [name, result] of results) {
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
    const parsed = parseOperationName(name);
    const index = store.names.indexOf(parentOf(parsed), parsed.operation);
    const state = index < 0 ? 'missing' : store.record(index, Date.now()).state;
    const expected = EXPECTED_STATE[result.outcome];
    if (expected === undefined ? result.outcome !== 'error' : state !== expected) disagreements.push(`${name}: ${result.outcome}, store ${state}`);
  }
  if (disagreements.length > 0) problems.push(`${disagreements.length} results disagree with the store, e.g. ${disagreements.slice(0, 3).join('; ')}`);
  if ((outcomes['error'] ?? 0) > 0) problems.push(`${outcomes['error'] ?? 0} names ended in error`);

  const afterFinal: string[] = [];
  for (const [name, count] of evidence.frozen) {
    const now = stats.cancels.byName.get(name)?.received ?? 0;
    if (now !== count) afterFinal.push(`${name}: ${count} -> ${now}`);
  }
  if (afterFinal.length > 0) problems.push(`${afterFinal.length} names got cancels after the journal had them accepted or final, e.g. ${afterFinal.slice(0, 3).join('; ')}`);

  const passes = evidence.passSizes.reduce<number>((last, size, pass) => (size === undefined ? last : pass), 1);
  if (evidence.verify && (outcomes['requested'] ?? 0) > 0) problems.push(`${outcomes['requested'] ?? 0} names ended requested: their verification never finished`);
  const sent = evidence.sent ?? { attempts: -1, retries: -1, readBacks: -1 };
  if (evidence.sent === undefined) problems.push('the batch printed no summary of the requests it sent');
  else if (evidence.everyCallArrives ? stats.byMethod.CancelOperation !== sent.attempts : stats.byMethod.CancelOperation > sent.attempts) {
    problems.push(`the emulator received ${stats.byMethod.CancelOperation} cancels for the ${sent.attempts} the batch sent`);
  }
  return {
    figures: {
      names: evidence.names.length,
      results: lines,
      resultsMissing: missing.length,
      resultsDuplicated: duplicated,
      resultsUnknown: unknown,
      journalRecords,
      outcomes,
      storeDisagreements: disagreements.length,
      cancelledAfterFinal: afterFinal.length,
      namesWatchedAfterFinal: evidence.frozen.size,
      passes,
      pauses: evidence.pauses,
      requestsReceived: stats.byMethod.CancelOperation + stats.byMethod.GetOperation,
      getsReceived: stats.byMethod.GetOperation,
      cancelAttemptsSent: sent.attempts,
      cancelRetriesSent: sent.retries,
      readBacks: sent.readBacks,
      cancelsReceived: stats.byMethod.CancelOperation,
      faults: {
        unavailable: (stats.byCode.UNAVAILABLE ?? 0) - stats.dropped,
        resourceExhausted: stats.byCode.RESOURCE_EXHAUSTED ?? 0,
        dropped: stats.dropped,
      },
      cancelsAfterDone: stats.cancels.afterDone,
    },
    problems,
  };
}
