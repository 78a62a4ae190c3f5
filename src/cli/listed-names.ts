import type { Canceller } from '../client/canceller.js';
import { RAW_MAX_CHARS, type InputLine } from '../batch/source.js';
import { isOperationUnder, parseParentName } from '../names.js';
import { printable } from '../printable.js';
import { redact } from '../redact.js';

/**
 * Names from ListOperations, page by page, in the same line shape as a file (line = position in the listing). A name
 * the server lists outside PARENT is not cancelled: it becomes an `invalid` line saying so. The listing has no total
 * deadline: the batch takes it page by page as fast as it cancels, which for a large parent is far longer than one
 * call's deadline; each page still has the retry policy's, and a server that repeats a page token or sends page after
 * empty page is stopped by `list` itself.
 */
export async function* listedNames(canceller: Canceller, parent: string, filter: string | undefined, signal: AbortSignal): AsyncGenerator<InputLine> {
  const under = parseParentName(parent);
  let lineNumber = 0;
  for await (const operation of canceller.list(parent, { signal, timeoutMs: Infinity, ...(filter === undefined ? {} : { filter }) })) {
    lineNumber += 1;
    if (isOperationUnder(operation.name, under)) {
      yield { lineNumber, name: operation.name };
    } else {
      const raw = printable(redact(operation.name.slice(0, RAW_MAX_CHARS)));
      yield { lineNumber, raw, invalid: `listed operation ${lineNumber}: ${JSON.stringify(raw.slice(0, 200))} is not an operation under ${parent}; not cancelled` };
    }
  }
}
