import { channel } from 'node:diagnostics_channel';
import type { CodeName } from '../code.js';
import type { TransportName } from '../errors.js';

/**
 * Events for everything the library does at run time, on `node:diagnostics_channel` channels as undici publishes
 * its own: a service subscribes to the ones it wants and logs them its own way. A channel without subscribers costs
 * one property read where it would publish (`hasSubscribers`), and no message is built. Messages are plain objects,
 * made for the subscribers and never read again by the library; they hold no credentials.
 *
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { CHANNELS, type RetryMessage } from 'lro-cancel';
 * subscribe(CHANNELS.retry, message => logger.warn((message as RetryMessage), 'retrying'));
 * ```
 */
export const CHANNELS = {
  /** Every wire attempt of every call, when it ends: AttemptMessage. */
  attempt: 'lro-cancel:attempt',
  /** A failed attempt will be made again after a backoff: RetryMessage. */
  retry: 'lro-cancel:retry',
  /** The retry budget refused a retry the policy allowed (the service looks overloaded): RetryMessage. */
  retryRefused: 'lro-cancel:retry:refused',
  /** `auto` switched to REST: gRPC could not get through: TransportMessage. */
  fallback: 'lro-cancel:transport:fallback',
  /** `auto` tries gRPC again on a fresh channel, one call, after its probe interval: TransportMessage. */
  probe: 'lro-cancel:transport:probe',
  /** A gRPC server answered again: calls go over gRPC: TransportMessage. */
  restore: 'lro-cancel:transport:restore',
  /** A batch stopped sending for the service (an outage, a quota without RetryInfo): BatchPauseMessage. */
  pause: 'lro-cancel:batch:pause',
  /** The service answered a probe: the batch sends again: BatchResumeMessage. */
  resume: 'lro-cancel:batch:resume',
  /** A batch starts a pass (the first, or another for names that met a degraded service): BatchPassMessage. */
  pass: 'lro-cancel:batch:pass',
} as const;

/** The Operations method a call made. */
export type OperationsMethod = 'CancelOperation' | 'GetOperation' | 'ListOperations' | 'DeleteOperation';

export interface AttemptMessage {
  readonly method: OperationsMethod;
  /** The operation, or the parent for ListOperations. */
  readonly name: string;
  /** 1-based. */
  readonly attempt: number;
  /** Undefined when the attempt ended before a wire was chosen. */
  readonly transport: TransportName | undefined;
  readonly codeName: CodeName;
  readonly code: number;
  readonly durationMs: number;
}

export interface RetryMessage {
  readonly method: OperationsMethod;
  readonly name: string;
  /** The attempt that failed. */
  readonly attempt: number;
  readonly codeName: CodeName;
  readonly code: number;
  /** The wait before the next attempt (`retry` only). */
  readonly delayMs?: number;
}

export interface TransportMessage {
  /** The wire calls go over from now on (for `probe`, the one being tried). */
  readonly transport: TransportName;
  /** `fallback`: why gRPC could not get through. */
  readonly codeName?: CodeName;
  readonly message?: string;
  /** `fallback`: when gRPC is probed again. */
  readonly probeAfterMs?: number;
}

export interface BatchPauseMessage {
  /** `unavailable`: nearly every answer was UNAVAILABLE or DEADLINE_EXCEEDED; `quota`: a refusal without RetryInfo. */
  readonly reason: 'unavailable' | 'quota';
  /** Epoch ms. */
  readonly sinceMs: number;
  readonly nextProbeAtMs: number;
  /** Names read and not yet recorded. */
  readonly waitingNames: number;
}

export interface BatchResumeMessage {
  readonly reason: 'unavailable' | 'quota';
  readonly pausedMs: number;
}

export interface BatchPassMessage {
  /** 1-based. */
  readonly pass: number;
  /** Names the pass takes up again (0 for the first pass, which reads the input). */
  readonly names: number;
}

/** The channels, made once (diagnostics_channel keeps one object per name). */
export const channels = {
  attempt: channel(CHANNELS.attempt),
  retry: channel(CHANNELS.retry),
  retryRefused: channel(CHANNELS.retryRefused),
  fallback: channel(CHANNELS.fallback),
  probe: channel(CHANNELS.probe),
  restore: channel(CHANNELS.restore),
  pause: channel(CHANNELS.pause),
  resume: channel(CHANNELS.resume),
  pass: channel(CHANNELS.pass),
};
