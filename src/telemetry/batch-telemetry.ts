import type * as OtelApi from '@opentelemetry/api';
import { channels, type BatchPassMessage, type BatchPauseMessage, type BatchResumeMessage } from './channels.js';
import { otel, type Instruments } from './otel.js';

/**
 * A batch's events and metrics: passes and pauses on their channels, names recorded (by outcome) and pauses as
 * counters, and the rate of the running batches as a gauge. Each is asked for when it happens, so a subscriber or an
 * SDK that comes while a long batch runs is served from then on; without either each costs a property read or two.
 */

/** Rates of the batches running in this process, observed together by one gauge callback. */
const running = new Set<() => number>();
/** The gauges that have the callback (one per meter provider). */
const observedGauges = new WeakSet<OtelApi.ObservableGauge>();

function observeRates(result: OtelApi.ObservableResult): void {
  let total = 0;
  for (const rate of running) total += rate();
  result.observe(total);
}

function withGauge(instruments: Instruments | undefined): void {
  if (instruments === undefined || observedGauges.has(instruments.batchRate)) return;
  observedGauges.add(instruments.batchRate);
  instruments.batchRate.addCallback(observeRates);
}

/** A batch starts: its names/s joins the gauge until the returned function is called. */
export function batchStarted(ratePerSecond: () => number): () => void {
  running.add(ratePerSecond);
  withGauge(otel()?.instruments);
  return () => {
    running.delete(ratePerSecond);
  };
}

export function batchPassStarted(pass: number, names: number): void {
  if (channels.pass.hasSubscribers) channels.pass.publish({ pass, names } satisfies BatchPassMessage);
}

/** A name's record was written. */
export function batchRecorded(outcome: string): void {
  const instruments = otel()?.instruments;
  if (instruments === undefined) return;
  withGauge(instruments);
  instruments.batchNames.add(1, { 'lro_cancel.outcome': outcome });
}

export function batchPaused(message: BatchPauseMessage): void {
  otel()?.instruments?.batchPauses.add(1, { 'lro_cancel.pause.reason': message.reason });
  if (channels.pause.hasSubscribers) channels.pause.publish(message);
}

export function batchResumed(message: BatchResumeMessage): void {
  if (channels.resume.hasSubscribers) channels.resume.publish(message);
}
