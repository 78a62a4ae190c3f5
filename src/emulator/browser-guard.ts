import type { IncomingMessage } from 'node:http';
import { Code } from '../code.js';
import { isLoopbackHost } from '../loopback.js';
import { ApiError } from './api-error.js';

/**
 * The emulator listens on 127.0.0.1 with no authentication on its control endpoints, so the one client that can reach
 * it and must be kept out is a web page in the developer's own browser:
 * - by DNS rebinding (a name of the attacker's that now resolves to 127.0.0.1): the request carries the attacker's
 *   name in `Host`, so only loopback names are served;
 * - by cross-site requests (a form or `fetch` posting to http://127.0.0.1:PORT): the browser adds an `Origin` that is
 *   not a loopback one, so a request with such an `Origin` is refused, on every route;
 * - by a "simple" POST (`text/plain`, no preflight): control requests must be `application/json`, which a page can
 *   only send cross-site after a CORS preflight this server never answers.
 * Clients that are not browsers (the library, curl, grpc-js) send a loopback `Host` and no `Origin`, and pass.
 */

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const colon = hostHeader.indexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false; // "null" (a sandboxed or file: page) included
  }
}

/** The answer for a request a browser page could have made to this server, or undefined when it may be served. */
export function browserRequestProblem(req: IncomingMessage): ApiError | undefined {
  const host = req.headers.host ?? '';
  if (!isLoopbackHost(hostnameOf(host))) {
    return new ApiError(Code.PERMISSION_DENIED, `Host ${JSON.stringify(host.slice(0, 100))} is not a loopback name; the emulator serves only requests addressed to 127.0.0.1, localhost or [::1].`, [], 403);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    return new ApiError(Code.PERMISSION_DENIED, `Cross-origin request from ${JSON.stringify(origin.slice(0, 100))} refused; the emulator serves no web pages.`, [], 403);
  }
  return undefined;
}

/** Control requests with a body must say it is JSON (415 otherwise), so no cross-site "simple" request gets through. */
export function controlContentTypeProblem(req: IncomingMessage): ApiError | undefined {
  if (req.method !== 'POST') return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') return undefined;
  return new ApiError(Code.INVALID_ARGUMENT, `Control requests must have content-type application/json, got ${JSON.stringify((req.headers['content-type'] ?? '').slice(0, 100))}.`, [], 415);
}
