import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

/**
 * Headers the client sets itself on every call: routing (`x-goog-request-params`, which names the operation the
 * server routes and authorizes by), attribution, billing, credentials, and the transports' own. A caller's per-call
 * `headers` may add others (emulator fault injection, a tracing header), never replace these.
 */
const RESERVED: ReadonlySet<string> = new Set([
  'authorization', 'x-goog-request-params', 'x-goog-api-client', 'x-goog-user-project', 'x-goog-api-key',
  'user-agent', 'host', 'content-type', 'content-length', 'te', 'connection', 'transfer-encoding', 'keep-alive',
  'upgrade', 'proxy-authorization', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding',
]);

/** An HTTP token (RFC 9110), lower case: what both HTTP/1.1 and gRPC metadata accept as a name. */
const NAME = /^[0-9a-z!#$%&'*+.^_`|~-]+$/;
/** Printable ASCII and tabs: no CR, LF or other control that could split a header, nothing grpc-js refuses. */
const VALUE = /^[\t\x20-\x7e]*$/;

/**
 * Checks a call's extra headers once, before anything is sent. A name must be a lower-case HTTP token, not reserved
 * and not binary (`-bin`); a value printable ASCII. Throws INVALID_ARGUMENT naming the header and what was wrong;
 * the value itself is never echoed (it may be a credential).
 */
export function checkCallHeaders(headers: unknown): Readonly<Record<string, string>> | undefined {
  if (headers === undefined) return undefined;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new OperationsError(Code.INVALID_ARGUMENT, 'headers must be an object of header name to string value');
  }
  for (const [name, value] of Object.entries(headers)) {
    const shown = JSON.stringify(name.slice(0, 64));
    if (!NAME.test(name) || name.endsWith('-bin') || name.startsWith('grpc-')) {
      throw new OperationsError(Code.INVALID_ARGUMENT, `headers: ${shown} is not a header name this client can send (lower-case letters, digits and -._~ and such; not -bin, not grpc-)`);
    }
    if (RESERVED.has(name)) {
      throw new OperationsError(Code.INVALID_ARGUMENT, `headers: ${shown} is set by the client itself and cannot be replaced per call`);
    }
    if (typeof value !== 'string' || !VALUE.test(value)) {
      throw new OperationsError(Code.INVALID_ARGUMENT, `headers: the value of ${shown} must be a string of printable ASCII (no line breaks or other control characters)`);
    }
  }
  return headers as Readonly<Record<string, string>>;
}
