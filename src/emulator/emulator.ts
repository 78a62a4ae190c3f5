import { TraceLog, type ReceivedTraceContext } from './trace-log.js';
import { setMaxListeners } from 'node:events';
import { parentOf, parseOperationName } from '../names.js';
import { CLOUDAICOMPANION_V1, profileFor } from '../protos.js';
import { controlHandler, type ControlTarget } from './control.js';
import { Faults } from './faults.js';
import { startGrpcServer, type GrpcEndpoint } from './grpc-server.js';
import { MAX_SEED_OPS, resolveEmulatorOptions, type EmulatorOptions, type FaultSettings, type ResolvedFaults } from './options.js';
import { seededRandom } from './random.js';
import { startRestServer, type RestEndpoint } from './rest-server.js';
import { loadState, StateSaver } from './state-file.js';
import { compileRoutes } from './routes.js';
import { OperationsService } from './service.js';
import { StatsRecorder, type EmulatorStats } from './stats.js';
import { OperationStore, type CreateOperationsSpec, type OperationRecord } from './store.js';

/** A running emulator: gRPC and REST on 127.0.0.1 over one store. */
export interface Emulator extends ControlTarget {
  /** `127.0.0.1:PORT`, for a plaintext gRPC channel. */
  readonly grpcAddress: string;
  /** `http://127.0.0.1:PORT`, the REST base URL (API paths are `/v1/...`, control endpoints `/emulator/...`). */
  readonly restUrl: string;
  /** The W3C trace contexts (`traceparent`, `tracestate`) the latest calls carried, oldest first (at most 1,000). */
  traceContexts(): readonly ReceivedTraceContext[];
  /**
   * Closes both servers and every connection at once, ending delayed and waiting calls unserved, then writes the state
   * file if there is one (rejecting if that fails). Safe to call twice.
   */
  close(): Promise<void>;
}

/** The store-facing half of an emulator; the control endpoints use one before the servers exist. */
class EmulatorState implements ControlTarget {
  constructor(
    protected readonly store: OperationStore,
    private readonly recorder: StatsRecorder,
    private readonly faultState: Faults,
  ) {}

  stats(): EmulatorStats {
    return this.recorder.snapshot(index => this.store.names.nameAt(index));
  }

  resetStats(): void {
    this.recorder.reset();
  }

  createOperations(spec: CreateOperationsSpec): string[] {
    const first = this.store.create(spec, Date.now());
    return this.store.namesFrom(first, spec.count);
  }

  getOperation(name: string): OperationRecord | undefined {
    let index: number;
    try {
      const parsed = parseOperationName(name);
      index = this.store.names.indexOf(parentOf(parsed), parsed.operation);
    } catch {
      return undefined;
    }
    return index < 0 ? undefined : this.store.record(index, Date.now());
  }

  setFaults(update: FaultSettings): void {
    this.faultState.update(update);
  }

  get faults(): ResolvedFaults {
    return this.faultState.settings;
  }
}

class RunningEmulator extends EmulatorState implements Emulator {
  readonly grpcAddress: string;
  readonly restUrl: string;
  readonly #traces: TraceLog;
  private closed = false;
  private restClosed: Promise<void> = Promise.resolve();

  constructor(
    store: OperationStore,
    recorder: StatsRecorder,
    faults: Faults,
    private readonly closing: AbortController,
    private readonly grpc: GrpcEndpoint,
    private readonly rest: RestEndpoint,
    private readonly saver: StateSaver | undefined,
    traces: TraceLog,
  ) {
    super(store, recorder, faults);
    this.grpcAddress = `127.0.0.1:${grpc.port}`;
    this.restUrl = `http://127.0.0.1:${rest.port}`;
    this.#traces = traces;
  }

  traceContexts(): readonly ReceivedTraceContext[] {
    return this.#traces.latest();
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.closing.abort();
      this.grpc.close();
      // The state is written last, once no call can be served any more, so it holds everything a client was told.
      this.restClosed = this.rest.close().then(() => this.saver?.close());
    }
    return this.restClosed;
  }
}

/**
 * Starts the emulator of google.longrunning.Operations: gRPC, and the REST surface of cloudaicompanion v1 (routes
 * compiled from its google.api.http rules), both on 127.0.0.1 over one in-memory store. Throws OperationsError INVALID_ARGUMENT naming a
 * bad option.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const resolved = resolveEmulatorOptions(options);
  const random = seededRandom(resolved.seed);
  const store = new OperationStore(random, resolved);
  const recorder = new StatsRecorder();
  const saved = resolved.stateFile === undefined ? undefined : await loadState(resolved.stateFile, recorder.exportState().calls.length);
  if (saved !== undefined) {
    store.restoreState(saved.store);
    recorder.restoreState(saved.stats);
  } else if (resolved.ops > 0) {
    store.create({ count: resolved.ops }, Date.now(), MAX_SEED_OPS);
  }
  const faults = new Faults(resolved, random);
  const closing = new AbortController();
  // Every delayed or waiting call listens for the close: hundreds at once under load are expected, not a leak.
  setMaxListeners(0, closing.signal);
  const traces = new TraceLog();
  const service = new OperationsService(store, recorder, faults, resolved, closing.signal, traces);
  const routes = compileRoutes(profileFor(CLOUDAICOMPANION_V1));
  // Ports not asked for are the saved ones, so a restarted emulator is found where its clients left it.
  const grpc = await startGrpcServer(service, options.grpcPort ?? saved?.grpcPort ?? resolved.grpcPort);
  let rest: RestEndpoint | undefined;
  let saver: StateSaver | undefined;
  try {
    rest = await startRestServer(service, recorder, routes, controlHandler(new EmulatorState(store, recorder, faults)), options.restPort ?? saved?.restPort ?? resolved.restPort);
    const path = resolved.stateFile;
    if (path !== undefined) {
      const ports = { grpcPort: grpc.port, restPort: rest.port };
      saver = await StateSaver.start({
        path,
        intervalMs: resolved.stateIntervalMs,
        snapshot: () => ({ ...ports, store: store.exportState(), stats: recorder.exportState() }),
        changeMark: () => `${store.size}:${recorder.changeMark()}`,
      });
    }
  } catch (error) {
    closing.abort();
    grpc.close();
    await rest?.close();
    throw error;
  }
  return new RunningEmulator(store, recorder, faults, closing, grpc, rest, saver, traces);
}
