import { cancelMany, type CancelManySummary } from '../../src/index.js';
import type { Emulator } from '../../src/emulator/index.js';

/**
 * Runs `cancelMany` over `names` (REST, one attempt per call, short pass delays) against an emulator that answers
 * nothing but UNAVAILABLE until `paused()` says the batch has paused for it (or 10 s pass), then lets the service
 * recover; returns the batch's summary. The outage is seen within a second; the first probe goes about a second after.
 */
export async function batchThroughOutage(emulator: Emulator, names: readonly string[], paused: () => boolean, concurrency = 16): Promise<CancelManySummary> {
  emulator.setFaults({ failRate: 1, failCode: 'UNAVAILABLE' });
  try {
    const run = cancelMany(names, {
      client: { restEndpoint: emulator.restUrl, transport: 'rest', insecure: true, retry: { maxAttempts: 1 } },
      concurrency, passDelayMs: 50,
    });
    const reading = run.summary();
    const deadline = Date.now() + 10_000;
    while (!paused() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20));
    emulator.setFaults({ failRate: 0 });
    return await reading;
  } finally {
    emulator.setFaults({ failRate: 0 });
  }
}
