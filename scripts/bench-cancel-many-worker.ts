/**
 * One process of `bench-cancel-many.ts`: cancelMany over the names of a file, read line by line by an async
 * generator as a service would read a cursor, over REST against the bench's emulator. Prints the summary's names/s.
 * Arguments: NAMES_FILE REST_URL CONCURRENCY.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { cancelMany } from '../src/index.js';

const [file, restUrl, concurrency] = process.argv.slice(2) as [string, string, string];

async function* lines(path: string): AsyncGenerator<string> {
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) if (line !== '') yield line;
}

const run = cancelMany(lines(file), { client: { restEndpoint: restUrl, transport: 'rest', insecure: true }, concurrency: Number(concurrency) });
let requested = 0;
for await (const result of run) if (result.outcome === 'requested') requested += 1;
const summary = await run.summary();
process.stdout.write(`${JSON.stringify({ requested, names: summary.names, namesPerSecond: summary.namesPerSecond })}\n`);
