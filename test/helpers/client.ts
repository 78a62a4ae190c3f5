import { createServer } from 'node:net';
import type { Emulator } from '../../src/emulator/index.js';
import { createCanceller, type Canceller, type CancelResult } from '../../src/index.js';
import type { CancellerOptions } from '../../src/client/options.js';
import { startTestEmulator } from './emulator.js';

export type WireName = 'grpc' | 'rest';
export const WIRES: readonly WireName[] = ['grpc', 'rest'];

/** A client of the emulator over one transport (plaintext to loopback), fast backoff so retry tests stay short. */
export function clientFor(emulator: Emulator, transport: WireName | 'auto', options: CancellerOptions = {}): Canceller {
  return createCanceller({
    grpcEndpoint: emulator.grpcAddress,
    restEndpoint: emulator.restUrl,
    transport,
    insecure: true,
    ...options,
    retry: { initialBackoffMs: 10, maxBackoffMs: 50, ...options.retry },
  });
}

/** Cancel requests the emulator received over one transport. */
export function cancelsReceived(emulator: Emulator, transport: WireName): number {
  return emulator.stats().byTransportMethod[transport].CancelOperation;
}

/** Runs `body` with the client and closes it whatever happens, so no test leaves a channel or pool open. */
export async function withClient<T>(client: Canceller, body: (client: Canceller) => Promise<T>): Promise<T> {
  try {
    return await body(client);
  } finally {
    await client.close();
  }
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/**
 * An auto client whose gRPC endpoint is the closed `port`, taken through a fallback and back: one cancel (served over
 * REST by `emulator`), then a second emulator with gRPC on that port, a wait past `probeIntervalMs`, and a cancel of
 * one of its operations. Returns both results; the second emulator is closed.
 */
export async function fallBackAndReturn(client: Canceller, emulator: Emulator, port: number, probeIntervalMs: number): Promise<[CancelResult, CancelResult]> {
  const [first] = emulator.createOperations({ count: 1 });
  const fellBack = await client.cancel(first as string);
  const late = await startTestEmulator({ grpcPort: port });
  try {
    const [second] = late.createOperations({ count: 1, idPrefix: 'late-' });
    await new Promise(resolve => setTimeout(resolve, probeIntervalMs + 100));
    return [fellBack, await client.cancel(second as string)];
  } finally {
    await late.close();
  }
}
