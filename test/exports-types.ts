/**
 * The exported types, checked by the compiler (`npm run build` type-checks this file with the tests): each name a
 * user needs resolves from the package's entry, and each internal one does not (a `@ts-expect-error` that stops
 * being an error fails the build). test/exports.test.ts guards the runtime names.
 */
import type {
  AttemptMessage, BatchPassMessage, BatchPauseMessage, BatchResumeMessage, BatchStop, CancelManyOptions, CancelManyRun,
  CancelManySummary, OperationsMethod, RetryMessage, TransportMessage,
  AdaptiveBudgetOptions, AnyMessage, AttemptRecord, AuthHeaderSource, CallOptions, CancelAccepted, Canceller, CancellerOptions,
  CancelNotAccepted, CancelOptions, CancelOutcome, CancelResult, CodeName, DeleteAccepted, DeleteOutcome, DeleteResult,
  ErrorDetail, HttpRule, ListOperationsPage, ListOptions, Operation, OperationName, OperationStatus, ParentName,
  RetryBudgetOptions, RetryOptions, RetryPolicy, ServiceProfile, TokenBudgetOptions, TransportChoice, TransportName, WaitOptions,
} from '../src/index.js';
// @ts-expect-error resolved options hold credentials and CA bytes: internal
import type { ResolvedCancellerOptions } from '../src/index.js';
// @ts-expect-error the batch's gate is internal
import type { AttemptGate } from '../src/index.js';
// @ts-expect-error the batch's call options are internal
import type { BatchCallOptions } from '../src/index.js';
// @ts-expect-error the engine's command-line hooks are internal
import type { BatchHooks } from '../src/index.js';
// @ts-expect-error the telemetry observers are internal
import type { CallObserver } from '../src/index.js';

/** Every public type, used once, so an unused import cannot hide a missing one. */
export type PublicTypes = [
  AdaptiveBudgetOptions, AnyMessage, AttemptRecord, AuthHeaderSource, CallOptions, CancelAccepted, Canceller, CancellerOptions,
  CancelNotAccepted, CancelOptions, CancelOutcome, CancelResult, CodeName, DeleteAccepted, DeleteOutcome, DeleteResult,
  ErrorDetail, HttpRule, ListOperationsPage, ListOptions, Operation, OperationName, OperationStatus, ParentName,
  RetryBudgetOptions, RetryOptions, RetryPolicy, ServiceProfile, TokenBudgetOptions, TransportChoice, TransportName, WaitOptions,
  ResolvedCancellerOptions, AttemptGate, BatchCallOptions,
  AttemptMessage, BatchPassMessage, BatchPauseMessage, BatchResumeMessage, BatchStop, CancelManyOptions, CancelManyRun,
  CancelManySummary, OperationsMethod, RetryMessage, TransportMessage, BatchHooks, CallObserver,
];

/** cancelMany's results are CancelResults, read with for await; its summary is JSON-ready. */
export async function firstOutcome(run: CancelManyRun): Promise<string> {
  for await (const result of run) return result.outcome;
  const summary: CancelManySummary = await run.summary();
  return JSON.stringify(summary.outcomes);
}

/** A result says which call an error came from: the type narrows on `accepted`. */
export function errorText(result: CancelResult): string {
  return result.accepted ? result.verifyError?.message ?? '' : result.error.message;
}

/** `delete` returns a DeleteResult, narrowed on `accepted` as a cancel's result is. */
export async function deleteOutcome(canceller: Canceller, name: string): Promise<DeleteOutcome | CancelOutcome> {
  const result: DeleteResult = await canceller.delete(name);
  const accepted: DeleteAccepted | undefined = result.accepted ? result : undefined;
  return accepted?.outcome ?? result.outcome;
}

/** ServiceProfile and HttpRule are public because the `profile` option takes a REST surface of your own. */
const cancelRule: HttpRule = { selector: 'google.longrunning.Operations.CancelOperation', method: 'POST', path: '/v1beta/{name=projects/*/locations/*/operations/*}:cancel', body: '*' };
const ownProfile: ServiceProfile = { host: 'example.googleapis.com', version: 'v1beta', rules: [cancelRule] };
export const withOwnProfile: CancellerOptions = { profile: ownProfile };

// @ts-expect-error the emulator variables are read from process.env: there is no `env` option (it was a test hook)
export const withEnv: CancellerOptions = { env: {} };

/** `canceller.retryPolicy` and DEFAULT_RETRY_POLICY have a type a user can name. */
export function attemptsOf(canceller: Canceller): RetryPolicy['maxAttempts'] {
  const policy: RetryPolicy = canceller.retryPolicy;
  return policy.maxAttempts;
}
