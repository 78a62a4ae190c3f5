/**
 * lro-cancel: cancel Google long-running operations reliably and fast.
 * User-facing names first; everything exported here is public API, guarded by test/exports.test.ts and
 * test/exports-types.ts, and listed in the README's "Exports" tables (the exports test compares the two).
 */
export { createCanceller } from './client/canceller.js';
export { cancelMany } from './batch/cancel-many.js';
export type { CancelManyOptions, CancelManyRun } from './batch/cancel-many.js';
export type { BatchStop, CancelManySummary } from './batch/batch-summary.js';
export type { CallOptions, Canceller, CancelOptions, ListOptions, WaitOptions } from './client/canceller.js';
export type { CancellerOptions, TransportChoice } from './client/options.js';
export { CANCEL_OUTCOMES } from './client/outcome.js';
export type { CancelAccepted, CancelNotAccepted, CancelOutcome, CancelResult } from './client/outcome.js';
export { DELETE_OUTCOMES } from './client/delete.js';
export type { DeleteAccepted, DeleteOutcome, DeleteResult } from './client/delete.js';
export { OperationsError } from './errors.js';
export type { AttemptRecord, ErrorDetail, TransportName } from './errors.js';
export { Code, codeName, codeFromName, httpStatusOf } from './code.js';
export type { CodeName } from './code.js';
export { parseOperationName, parseParentName, OPERATION_NAME_FORM, PARENT_NAME_FORM } from './names.js';
export type { OperationName, ParentName } from './names.js';
export type { AnyMessage, ListOperationsPage, Operation, OperationStatus } from './transport/transport.js';
export type { RetryOptions, RetryPolicy } from './policy/retry-policy.js';
export type { AdaptiveBudgetOptions, RetryBudgetOptions, TokenBudgetOptions } from './policy/retry-budget.js';
export { DEFAULT_RETRY_POLICY } from './policy/retry-policy.js';
export type { AuthHeaderSource } from './client/credentials.js';
// The type of the `profile` option (a REST surface of your own) and of its rules.
export type { ServiceProfile, HttpRule } from './protos.js';
export { CHANNELS } from './telemetry/channels.js';
export type {
  AttemptMessage, BatchPassMessage, BatchPauseMessage, BatchResumeMessage, OperationsMethod, RetryMessage, TransportMessage,
} from './telemetry/channels.js';
export { VERSION } from './version.js';
