import type { ServerResponse } from 'node:http';
import { Code } from '../code.js';
import { ApiError } from './api-error.js';
import { httpStatusOfError, jsonErrorBody } from './status-encoding.js';

const JSON_TYPE = 'application/json; charset=UTF-8';

export function sendJson(res: ServerResponse, status: number, body: string, headers?: Readonly<Record<string, string>>): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** Anything that is not an ApiError is a bug in the emulator: answered INTERNAL, never thrown further. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(Code.INTERNAL, `Internal emulator error: ${error instanceof Error ? error.message : String(error)}`);
}

/**
 * A Google JSON error. One with RetryInfo also gets `Retry-After` (whole seconds, rounded up) as Google front ends
 * send with 429; a 401 gets the `WWW-Authenticate` challenge; `close` asks the client to drop the connection after it.
 */
export function sendError(res: ServerResponse, error: unknown, close = false): void {
  const apiError = asApiError(error);
  const headers: Record<string, string> = {};
  const retryDelayMs = apiError.retryDelayMs;
  if (retryDelayMs !== undefined) headers['retry-after'] = String(Math.ceil(retryDelayMs / 1000));
  if (apiError.code === Code.UNAUTHENTICATED) headers['www-authenticate'] = 'Bearer realm="https://accounts.google.com/"';
  if (close) headers['connection'] = 'close';
  sendJson(res, httpStatusOfError(apiError), jsonErrorBody(apiError), headers);
}

/** 413 for a body over the limit; the connection is closed after it so the rest of the body is never read. */
export function sendTooLarge(res: ServerResponse, limitBytes: number): void {
  sendError(res, new ApiError(Code.INVALID_ARGUMENT, `Request body larger than ${limitBytes} bytes.`, [], 413), true);
}
