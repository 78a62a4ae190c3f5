import type { Emulator } from '../../src/emulator/index.js';
import { createCanceller, type Canceller } from '../../src/index.js';
import type { CancellerOptions } from '../../src/client/options.js';

export type WireName = 'grpc' | 'rest';
export const WIRES: readonly WireName[] = ['grpc', 'rest'];

/** A client of the emulator over one transport (plaintext to loopback), fast backoff so retry tests stay short. */
export function clientFor(emulator: Emulator, transport: WireName | 'auto', options: CancellerOptions = {}): Canceller {
  return createCanceller({
    grpcEndpoint: emulator.grpcAddress,
    restEndpoint: emulator.restUrl,
    transport,
    insecure: true,
    env: {},
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
