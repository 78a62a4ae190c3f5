import { OperationsError, type TransportName } from '../errors.js';
import type { Served } from '../policy/retry.js';
import type { Transport } from './transport.js';

/**
 * Chooses the wire for each attempt. With `auto`, gRPC goes first; when a gRPC attempt provably did not reach a gRPC
 * server (`reachedServer === false`: refused, HTTP/2 refused, a proxy's non-gRPC answer) this client switches to REST,
 * the same attempt is made again there at once, and gRPC is probed again after `probeIntervalMs`. A status that a
 * gRPC server sent (NOT_FOUND, UNAVAILABLE from the service itself...) never switches: it is the answer.
 */
export class TransportSelector {
  readonly #grpc: Transport | undefined;
  readonly #rest: Transport | undefined;
  readonly #probeIntervalMs: number;
  #onRest = false;
  #probeAt = 0;

  constructor(grpc: Transport | undefined, rest: Transport | undefined, probeIntervalMs: number) {
    if (grpc === undefined && rest === undefined) throw new Error('TransportSelector needs at least one transport');
    this.#grpc = grpc;
    this.#rest = rest;
    this.#probeIntervalMs = probeIntervalMs;
  }

  /** Which transport the next call will try first. */
  get current(): TransportName {
    return this.#pick().name;
  }

  async run<T>(op: (transport: Transport) => Promise<T>): Promise<Served<T>> {
    const first = this.#pick();
    try {
      const value = await op(first);
      if (first === this.#grpc) this.#onRest = false;
      return { value, transport: first.name };
    } catch (error) {
      if (first !== this.#grpc || this.#rest === undefined) throw error;
      if (!(error instanceof OperationsError) || error.reachedServer !== false) {
        this.#onRest = false;
        throw error;
      }
      this.#onRest = true;
      this.#probeAt = Date.now() + this.#probeIntervalMs;
      return { value: await op(this.#rest), transport: this.#rest.name };
    }
  }

  #pick(): Transport {
    if (this.#grpc === undefined) return this.#rest as Transport;
    if (this.#rest === undefined || !this.#onRest) return this.#grpc;
    if (Date.now() < this.#probeAt) return this.#rest;
    // One call probes gRPC on a fresh channel; the ones right behind it stay on REST until the probe answers.
    this.#probeAt = Date.now() + this.#probeIntervalMs;
    this.#grpc.reconnect?.();
    return this.#grpc;
  }

  async close(): Promise<void> {
    await Promise.all([this.#grpc?.close(), this.#rest?.close()]);
  }
}
