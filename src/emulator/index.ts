/**
 * `lro-cancel/emulator`: a local emulator of google.longrunning.Operations for tests, demos and benchmarks. gRPC and
 * the REST surface of cloudaicompanion v1 on 127.0.0.1 over one in-memory store, with fault injection, auth checks
 * and counters of what reached the server. It shares only the Code table, name parsing and the protos with the
 * client, so a bug in one cannot hide a bug in the other.
 */
export { startEmulator, type Emulator } from './emulator.js';
export type { EmulatorOptions, FaultSettings, ResolvedFaults } from './options.js';
export type { CreateOperationsSpec, OperationRecord } from './store.js';
export type { CancelCount, EmulatorStats } from './stats.js';
export type { Method, Transport } from './methods.js';
export type { ReceivedTraceContext } from './trace-log.js';
export { PERMISSIONS } from './auth.js';
export { FAULT_HEADER, DELAY_HEADER } from './faults.js';
