import { OperationsError, type TransportName } from '../errors.js';
import { debugLog } from '../log.js';
import { now } from '../policy/deadline.js';
import type { AttemptInfo, Served, ServerAddress } from '../policy/retry.js';
import { channels, type TransportMessage } from '../telemetry/channels.js';
import type { Transport } from './transport.js';

const log = debugLog('transport');

/**
 * Chooses the wire for each attempt. With `auto`, gRPC goes first; when a gRPC attempt provably did not reach a gRPC
 * server (`reachedServer === false`: refused, HTTP/2 refused, a proxy's non-gRPC answer, no connection before the
 * deadline) this client switches to REST and marks the attempt `switchedTransport`, so the retry loop records it and
 * makes the call again there at once; gRPC is probed again after `probeIntervalMs`. A status that a gRPC server sent
 * (NOT_FOUND, UNAVAILABLE from the service itself...) never switches: it is the answer.
 */
export class TransportSelector {
  readonly #grpc: Transport | undefined;
  readonly #rest: Transport | undefined;
  readonly #probeIntervalMs: number;
  #onRest = false;
  #probeAt = 0;
  /** When the client last switched to REST: a gRPC call started before it says nothing about gRPC now. */
  #switchedAt = -Infinity;

  constructor(grpc: Transport | undefined, rest: Transport | undefined, probeIntervalMs: number) {
    if (grpc === undefined && rest === undefined) throw new Error('TransportSelector needs at least one transport');
    this.#grpc = grpc;
    this.#rest = rest;
    this.#probeIntervalMs = probeIntervalMs;
  }

  /** Which transport the next call will try first (a read: it changes nothing, the probe slot included). */
  get current(): TransportName {
    if (this.#grpc === undefined) return 'rest';
    if (this.#rest === undefined || !this.#onRest) return 'grpc';
    return now() < this.#probeAt ? 'rest' : 'grpc';
  }

  /** The configured host and port of a wire this client has (telemetry attributes). */
  serverOf(transport: TransportName): ServerAddress | undefined {
    return (transport === 'grpc' ? this.#grpc : this.#rest)?.server;
  }

  async run<T>(info: AttemptInfo, op: (transport: Transport) => Promise<T>): Promise<Served<T>> {
    const first = this.#pick();
    info.observer?.wire(first.name, first.server);
    const startedAt = now();
    try {
      const value = await op(first);
      // A gRPC answer brings the client back to gRPC, unless the call was sent before the switch (it was slow).
      if (first === this.#grpc && startedAt >= this.#switchedAt) this.#backOnGrpc();
      return { value, transport: first.name };
    } catch (error) {
      if (first !== this.#grpc || this.#rest === undefined) throw error;
      if (!(error instanceof OperationsError) || error.reachedServer !== false) {
        if (startedAt >= this.#switchedAt) this.#backOnGrpc();
        throw error;
      }
      if (log.enabled) log.debug(`gRPC did not reach a server (${error.codeName}: ${error.rawMessage}): this call and the next ones go over REST; gRPC is probed again in ${this.#probeIntervalMs} ms`);
      if (channels.fallback.hasSubscribers) {
        channels.fallback.publish({ transport: 'rest', codeName: error.codeName, message: error.rawMessage, probeAfterMs: this.#probeIntervalMs } satisfies TransportMessage);
      }
      this.#onRest = true;
      this.#switchedAt = now();
      this.#probeAt = this.#switchedAt + this.#probeIntervalMs;
      info.switchedTransport = true;
      throw error;
    }
  }

  #pick(): Transport {
    if (this.#grpc === undefined) return this.#rest as Transport;
    if (this.#rest === undefined || !this.#onRest) return this.#grpc;
    if (now() < this.#probeAt) return this.#rest;
    // One call probes gRPC on a fresh channel; the ones right behind it stay on REST until the probe answers.
    if (log.enabled) log.debug('probing gRPC again on a fresh channel');
    if (channels.probe.hasSubscribers) channels.probe.publish({ transport: 'grpc' } satisfies TransportMessage);
    this.#probeAt = now() + this.#probeIntervalMs;
    this.#grpc.reconnect?.();
    return this.#grpc;
  }

  /** A gRPC server answered (with a value or a status of its own): calls go over gRPC again. */
  #backOnGrpc(): void {
    if (!this.#onRest) return;
    if (log.enabled) log.debug('gRPC reached its server again: calls go over gRPC');
    if (channels.restore.hasSubscribers) channels.restore.publish({ transport: 'grpc' } satisfies TransportMessage);
    this.#onRest = false;
  }

  async close(): Promise<void> {
    await Promise.all([this.#grpc?.close(), this.#rest?.close()]);
  }
}
