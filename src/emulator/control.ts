import type { IncomingMessage, ServerResponse } from 'node:http';
import { Code } from '../code.js';
import { ApiError } from './api-error.js';
import { controlContentTypeProblem } from './browser-guard.js';
import type { FaultSettings, ResolvedFaults } from './options.js';
import { MAX_BODY_BYTES, readBody } from './rest-body.js';
import { sendError, sendJson, sendTooLarge } from './rest-reply.js';
import type { ControlHandler } from './rest-server.js';
import { statsJson, type EmulatorStats } from './stats.js';
import type { CreateOperationsSpec, OperationRecord } from './store.js';

/** What the control endpoints drive: the same operations as the library API of a running emulator. */
export interface ControlTarget {
  /** What reached the server so far (a copy). */
  stats(): EmulatorStats;
  resetStats(): void;
  /** Creates fresh operations and returns their names in creation (= ListOperations) order. Throws INVALID_ARGUMENT on a bad spec. */
  createOperations(spec: CreateOperationsSpec): string[];
  /** The stored record for a name, deleted ones included; undefined when the store never held it. */
  getOperation(name: string): OperationRecord | undefined;
  /** Changes fault settings while running: fields given replace, fields left out stay. Throws INVALID_ARGUMENT on a bad one. */
  setFaults(update: FaultSettings): void;
  /** The fault settings in force now. */
  readonly faults: ResolvedFaults;
}

/** Every control endpoint is under this prefix, so a later emulator can change them under another version. */
export const CONTROL_PREFIX = '/emulator/v1';
const OPERATIONS_PREFIX = `${CONTROL_PREFIX}/operations/`;

/** Reads a JSON object body; throws ApiError INVALID_ARGUMENT (or 413) naming the problem. */
async function jsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req);
  if ('tooLarge' in body) throw new ApiError(Code.INVALID_ARGUMENT, 'Request body larger than the limit.', [], 413);
  if ('aborted' in body) throw new ApiError(Code.CANCELLED, 'The client went away.');
  let value: unknown;
  try {
    value = body.text.trim() === '' ? {} : JSON.parse(body.text);
  } catch (error) {
    throw new ApiError(Code.INVALID_ARGUMENT, `Invalid JSON body: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(Code.INVALID_ARGUMENT, 'Expected a JSON object body.');
  return value as Record<string, unknown>;
}

/** A bad spec or setting (the project's INVALID_ARGUMENT) becomes a 400 with its message. */
function badInput(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? ('rawMessage' in error ? String(error.rawMessage) : error.message) : String(error);
  return new ApiError(Code.INVALID_ARGUMENT, message);
}

/**
 * `/emulator/v1/...` on the REST port, so an emulator in another process (the CLI) can be driven by benchmarks and
 * scripts: `GET /emulator/v1/stats[?names=false]`, `POST /emulator/v1/stats:reset`, `POST /emulator/v1/operations` (a
 * CreateOperationsSpec, answers `{"names": [...]}`), `GET /emulator/v1/operations/{name}` (the raw record),
 * `GET|POST /emulator/v1/faults` (read or change the fault settings). Not counted in the stats; no auth, no faults.
 * A POST must be `application/json` (415 otherwise), and like every request it must come with a loopback `Host` and
 * no foreign `Origin` (browser-guard.ts): a web page cannot change the faults of an emulator it finds on the machine.
 */
export function controlHandler(target: ControlTarget): ControlHandler {
  // A handler's string result is sent as is (already JSON); anything else is serialized.
  const routes: Record<string, Partial<Record<string, (req: IncomingMessage, query: URLSearchParams) => Promise<unknown> | unknown>>> = {
    [`${CONTROL_PREFIX}/stats`]: { GET: (_req, query) => statsJson(target.stats(), query.get('names') !== 'false') },
    [`${CONTROL_PREFIX}/stats:reset`]: { POST: () => { target.resetStats(); return {}; } },
    [`${CONTROL_PREFIX}/operations`]: {
      POST: async req => {
        const spec = await jsonObject(req);
        try {
          return { names: target.createOperations(spec as unknown as CreateOperationsSpec) };
        } catch (error) {
          throw badInput(error);
        }
      },
    },
    [`${CONTROL_PREFIX}/faults`]: {
      GET: () => target.faults,
      POST: async req => {
        const update = await jsonObject(req);
        try {
          target.setFaults(update as FaultSettings);
        } catch (error) {
          throw badInput(error);
        }
        return target.faults;
      },
    },
  };

  return async (req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> => {
    const method = req.method ?? 'GET';
    try {
      const notJson = controlContentTypeProblem(req);
      if (notJson !== undefined) throw notJson;
      if (path.startsWith(OPERATIONS_PREFIX)) {
        if (method !== 'GET') throw new ApiError(Code.UNIMPLEMENTED, `HTTP method ${method} is not allowed on ${OPERATIONS_PREFIX}{name}.`, [], 405);
        let name: string;
        try {
          name = decodeURIComponent(path.slice(OPERATIONS_PREFIX.length));
        } catch {
          throw new ApiError(Code.INVALID_ARGUMENT, 'Malformed percent-encoding in the operation name.');
        }
        const record = target.getOperation(name);
        if (record === undefined) throw new ApiError(Code.NOT_FOUND, `No operation record ${JSON.stringify(name.slice(0, 200))}.`);
        return sendJson(res, 200, JSON.stringify(record));
      }
      const handlers = routes[path];
      if (handlers === undefined) throw new ApiError(Code.NOT_FOUND, `No control endpoint ${path.slice(0, 200)}; they are under ${CONTROL_PREFIX}/.`);
      const handler = handlers[method];
      if (handler === undefined) {
        res.setHeader('allow', Object.keys(handlers).join(', '));
        throw new ApiError(Code.UNIMPLEMENTED, `HTTP method ${method} is not allowed on ${path}.`, [], 405);
      }
      const result = await handler(req, new URLSearchParams(query));
      sendJson(res, 200, typeof result === 'string' ? result : JSON.stringify(result));
    } catch (error) {
      if (error instanceof ApiError && error.httpStatus === 413) sendTooLarge(res, MAX_BODY_BYTES);
      else sendError(res, error);
    }
  };
}
