import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Code } from '../code.js';
import { ApiError, invalidArgument } from './api-error.js';
import { browserRequestProblem } from './browser-guard.js';
import { DELAY_HEADER, FAULT_HEADER } from './faults.js';
import { announcedTooLarge, hasBody, MAX_BODY_BYTES, readBody } from './rest-body.js';
import { isSystemParameter, listJson, operationJson } from './rest-json.js';
import { sendError, sendJson, sendTooLarge } from './rest-reply.js';
import { matchRoute, type Route, type RouteMatch } from './routes.js';
import { DropConnection, type CallContext, type OperationsService } from './service.js';
import type { StatsRecorder } from './stats.js';
import { jsonErrorBody } from './status-encoding.js';

/**
 * google.longrunning.Operations over HTTP/1.1 + JSON (node:http, keep-alive, 127.0.0.1 only), on the routes compiled
 * from the service profile. Every request gets an answer in Google's JSON error format or a result; nothing a client
 * sends (bad JSON, huge bodies, odd paths, broken connections) may throw out of here.
 */

/** Serves the `/emulator/...` control requests. */
export type ControlHandler = (req: IncomingMessage, res: ServerResponse, path: string, query: string) => Promise<void>;

const EMPTY_BODY = '{}';
const QUERY_FIELDS: Readonly<Record<string, string>> = {
  filter: 'filter', pageSize: 'pageSize', page_size: 'pageSize', pageToken: 'pageToken', page_token: 'pageToken',
  returnPartialSuccess: 'returnPartialSuccess', return_partial_success: 'returnPartialSuccess', timeout: 'timeout',
};
/** Request fields each RPC takes from the query string (the name is always bound by the path). */
const QUERY_BY_RPC: Readonly<Record<string, readonly string[]>> = {
  ListOperations: ['filter', 'pageSize', 'pageToken', 'returnPartialSuccess'],
  WaitOperation: ['timeout'],
};

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The query string's request fields by JSON name; a problem (unknown field, bad number) is reported, not thrown. */
function queryFields(rpc: string, query: string): { fields: Record<string, string>; problem?: ApiError } {
  const fields: Record<string, string> = {};
  if (query === '') return { fields };
  const allowed = QUERY_BY_RPC[rpc] ?? [];
  for (const [key, value] of new URLSearchParams(query)) {
    if (isSystemParameter(key)) continue;
    const field = QUERY_FIELDS[key];
    if (field === undefined || !allowed.includes(field)) {
      const shown = JSON.stringify(key.slice(0, 100));
      return { fields, problem: invalidArgument(`Invalid JSON payload received. Unknown name ${shown}: Cannot bind query parameter. Field ${shown} could not be found in request message.`, key) };
    }
    fields[field] ??= value;
  }
  if (fields['pageSize'] !== undefined && !/^-?\d{1,10}$/.test(fields['pageSize'])) {
    return { fields, problem: invalidArgument(`Invalid value at 'page_size' (TYPE_INT32), ${JSON.stringify(fields['pageSize'].slice(0, 40))}`, 'page_size') };
  }
  return { fields };
}

/** The cancel body must be empty or `{}` (the method page: "The request body must be empty"). */
function bodyProblem(text: string): ApiError | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return invalidArgument(`Invalid JSON payload received. ${error instanceof Error ? error.message : 'Unparsable body'}.`, 'body');
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return undefined;
  return invalidArgument('Invalid JSON payload received. The request body must be empty or {}.', 'body');
}

/** google.protobuf.Duration in proto3 JSON (`"5s"`, `"0.5s"`) to ms; undefined when absent or unreadable. */
function durationQueryMs(value: string | undefined): number | undefined {
  const match = value === undefined ? null : /^(\d{1,9})(?:\.(\d{1,9}))?s$/.exec(value);
  return match === null ? undefined : Number(match[1]) * 1000 + Math.floor(Number(`0.${match[2] ?? '0'}`) * 1000);
}

async function serveRoute(service: OperationsService, route: Route, pathName: unknown, fields: Record<string, string>, ctx: CallContext, res: ServerResponse): Promise<string> {
  switch (route.rpc) {
    case 'CancelOperation': await service.cancel(pathName, ctx); return EMPTY_BODY;
    case 'DeleteOperation': await service.delete(pathName, ctx); return EMPTY_BODY;
    case 'GetOperation': return JSON.stringify(operationJson(await service.get(pathName, ctx)));
    case 'ListOperations': return JSON.stringify(listJson(await service.list({
      name: pathName, filter: fields['filter'] ?? '', pageSize: Number(fields['pageSize'] ?? 0), pageToken: fields['pageToken'] ?? '',
    }, ctx)));
    case 'WaitOperation': {
      const ended = new AbortController();
      res.once('close', () => ended.abort());
      return JSON.stringify(operationJson(await service.wait(pathName, durationQueryMs(fields['timeout']), ctx, ended.signal)));
    }
  }
}

export interface RestEndpoint {
  readonly port: number;
  /** Closes the listener and every connection, idle or not, at once; resolves when the listener is closed. */
  close(): Promise<void>;
}

export async function startRestServer(
  service: OperationsService, stats: StatsRecorder, routes: readonly Route[], control: ControlHandler, port: number,
): Promise<RestEndpoint> {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    const refused = browserRequestProblem(req);
    if (refused !== undefined) {
      stats.recordRejected();
      return sendError(res, refused);
    }
    if (path.startsWith('/emulator/')) return control(req, res, path, query);
    const method = req.method ?? 'GET';
    let match: RouteMatch;
    try {
      match = matchRoute(routes, method, path);
    } catch (error) {
      stats.recordRejected();
      return sendError(res, error);
    }
    if (match.kind !== 'route') {
      stats.recordRejected();
      const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
      if (match.kind === 'none') return sendError(res, new ApiError(Code.NOT_FOUND, `No method serves ${method} ${shown}.`));
      res.setHeader('allow', match.allowed.join(', '));
      return sendError(res, new ApiError(Code.UNIMPLEMENTED, `HTTP method ${method} is not allowed on ${shown}; allowed: ${match.allowed.join(', ')}.`, [], 405));
    }
    if (announcedTooLarge(req)) {
      stats.recordRejected();
      return sendTooLarge(res, MAX_BODY_BYTES);
    }
    const { route, fields: pathFields } = match;
    const { fields, problem } = queryFields(route.rpc, query);
    let requestProblem = problem;
    if (route.body !== '' && hasBody(req)) {
      const body = await readBody(req);
      if ('aborted' in body) return;
      if ('tooLarge' in body) {
        stats.recordRejected();
        return sendTooLarge(res, MAX_BODY_BYTES);
      }
      requestProblem ??= bodyProblem(body.text);
    }
    const ctx: CallContext = {
      transport: 'rest',
      authorization: header(req, 'authorization'),
      faultHeader: header(req, FAULT_HEADER),
      traceparent: header(req, 'traceparent'),
      tracestate: header(req, 'tracestate'),
      delayHeader: header(req, DELAY_HEADER),
      requestProblem,
    };
    try {
      sendJson(res, 200, await serveRoute(service, route, pathFields['name'], fields, ctx, res));
    } catch (error) {
      if (error === DropConnection) req.socket.destroy();
      else sendError(res, error);
    }
  }

  // A connection must send its request headers within 5 s and the whole request within 30 s (408 otherwise, checked
  // every second): a client that opens connections and sends nothing does not hold them open. Node checks this also
  // for a connection that has sent nothing at all; an idle keep-alive connection between requests is ended by
  // keepAliveTimeout instead.
  const server = createServer({ keepAlive: true, headersTimeout: 5_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) res.destroy();
      else sendError(res, error);
    });
  });
  // Longer than clients keep idle sockets (undici: 4 s), so a client never reuses a socket the server is closing.
  server.keepAliveTimeout = 30_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // As node's own handler: answer only when nothing was answered on this socket yet, else just close it.
    const inProgress = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || error.code === 'HPE_CLOSED_CONNECTION' || !socket.writable || inProgress) return void socket.destroy();
    stats.recordRejected();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = jsonErrorBody(new ApiError(Code.INVALID_ARGUMENT, `Malformed HTTP request (${error.code ?? 'parse error'}).`, [], status));
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', reject);
      // After listening, a server error (e.g. out of file descriptors on accept) must not end the process.
      server.on('error', () => undefined);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () => new Promise<void>(resolve => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
