import { parentOf, parseOperationName } from '../names.js';
import { CLOUDAICOMPANION_V1, profileFor } from '../protos.js';
import { controlHandler, type ControlTarget } from './control.js';
import { Faults } from './faults.js';
import { startGrpcServer, type GrpcEndpoint } from './grpc-server.js';
import { MAX_SEED_OPS, resolveEmulatorOptions, type EmulatorOptions, type FaultSettings, type ResolvedFaults } from './options.js';
import { seededRandom } from './random.js';
import { startRestServer, type RestEndpoint } from './rest-server.js';
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
  /** Closes both servers and every connection at once, ending delayed and waiting calls. Safe to call twice. */
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
  private closed = false;
  private restClosed: Promise<void> = Promise.resolve();

  constructor(
    store: OperationStore,
    recorder: StatsRecorder,
    faults: Faults,
    private readonly closing: AbortController,
    private readonly grpc: GrpcEndpoint,
    private readonly rest: RestEndpoint,
  ) {
    super(store, recorder, faults);
    this.grpcAddress = `127.0.0.1:${grpc.port}`;
    this.restUrl = `http://127.0.0.1:${rest.port}`;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.closing.abort();
      this.grpc.close();
      this.restClosed = this.rest.close();
    }
    return this.restClosed;
  }
}

/**
 * Starts the emulator of google.longrunning.Operations: gRPC, and the REST surface of cloudaicompanion v1 (routes
 * compiled from its google.api.http rules), both on 127.0.0.1 over one in-memory store. Throws RangeError naming a
 * bad option.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const resolved = resolveEmulatorOptions(options);
  const random = seededRandom(resolved.seed);
  const store = new OperationStore(random, resolved);
  if (resolved.ops > 0) store.create({ count: resolved.ops }, Date.now(), MAX_SEED_OPS);
  const recorder = new StatsRecorder();
  const faults = new Faults(resolved, random);
  const closing = new AbortController();
  const service = new OperationsService(store, recorder, faults, resolved, closing.signal);
  const routes = compileRoutes(profileFor(CLOUDAICOMPANION_V1));
  const grpc = await startGrpcServer(service, resolved.grpcPort);
  let rest: RestEndpoint;
  try {
    rest = await startRestServer(service, recorder, routes, controlHandler(new EmulatorState(store, recorder, faults)), resolved.restPort);
  } catch (error) {
    grpc.close();
    throw error;
  }
  return new RunningEmulator(store, recorder, faults, closing, grpc, rest);
}
