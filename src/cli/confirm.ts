import { createInterface } from 'node:readline';
import type { Canceller } from '../client/canceller.js';
import { stableShard, type Shard } from '../batch/shard.js';
import { listedNames } from './listed-names.js';

/** What the operator answered: go on, do nothing, or Ctrl-C. */
export type Answer = 'yes' | 'no' | 'interrupted';

export interface ListingScope {
  readonly parent: string;
  readonly filter: string | undefined;
  readonly shard: Shard | undefined;
}

/** `under P matching F (shard i/n)`: how the prompt and the dry run's summary name a listing. */
export function describeListing(scope: ListingScope): string {
  return `under ${scope.parent}${scope.filter === undefined ? '' : ` matching ${scope.filter}`}${scope.shard === undefined ? '' : ` in shard ${scope.shard.index}/${scope.shard.count}`}`;
}

/**
 * How many operations the listing holds now (names of this shard, valid ones), counted page by page without keeping
 * any; on a terminal the count so far is shown as it grows, since a large parent takes a while to list.
 */
async function countListing(canceller: Canceller, scope: ListingScope, signal: AbortSignal): Promise<number> {
  let total = 0;
  const show = (): void => {
    if (process.stderr.isTTY) process.stderr.write(`\rcounting operations ${describeListing(scope)}: ${total.toLocaleString('en-US')}`);
  };
  for await (const line of listedNames(canceller, scope.parent, scope.filter, signal)) {
    if ('name' in line && (scope.shard === undefined || stableShard(line.name, scope.shard.count) === scope.shard.index)) total += 1;
    if (total % 1000 === 0) show();
  }
  if (process.stderr.isTTY) process.stderr.write('\r\u001b[K');
  return total;
}

/** One answer read from the terminal: a line (y/yes goes on), end of input, or Ctrl-C. */
function ask(question: string): Promise<Answer> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  return new Promise<Answer>(resolve => {
    rl.once('SIGINT', () => {
      process.stderr.write('\n');
      resolve('interrupted');
      rl.close();
    });
    rl.once('close', () => resolve('no'));
    rl.question(question, answer => {
      resolve(/^\s*y(es)?\s*$/i.test(answer) ? 'yes' : 'no');
      rl.close();
    });
  });
}

/**
 * The confirmation of `batch --from-list` on a terminal: lists once to count what matches, then asks
 * `cancel 12,345 operations under projects/p/locations/l matching done=false? [y/N]`. Nothing matching asks nothing.
 * Returns the answer and the count.
 */
export async function confirmListing(canceller: Canceller, scope: ListingScope, signal: AbortSignal): Promise<{ answer: Answer; total: number }> {
  const total = await countListing(canceller, scope, signal);
  if (total === 0 || signal.aborted) return { answer: 'no', total };
  const answer = await ask(`cancel ${total.toLocaleString('en-US')} operation${total === 1 ? '' : 's'} ${describeListing(scope)}? [y/N] `);
  return { answer, total };
}
