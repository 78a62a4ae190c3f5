import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { rememberSentCredentials } from '../sent-credentials.js';
import { credentialFailure } from './credential-failure.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * Where request authorization comes from. Application Default Credentials by default; a caller may pass any object
 * with google-auth-library's `getRequestHeaders` (a GoogleAuth, an OAuth2Client, an impersonated client...).
 */
export interface AuthHeaderSource {
  /** Headers to add to one request (typically `authorization`); a rejection means the request must not be sent. */
  getRequestHeaders(url?: string): Promise<Headers | Readonly<Record<string, string>>>;
}

export interface AdcOptions {
  readonly scopes: readonly string[];
  readonly keyFilename?: string | undefined;
  /**
   * The quota project named by the caller (`--quota-project`). When set, the `x-goog-user-project` that an ADC file's
   * own `quota_project_id` makes google-auth-library add is dropped, so the caller's value is sent once on both wires
   * (REST would otherwise send the file's in its place, gRPC both).
   */
  readonly quotaProject?: string | undefined;
}

/**
 * A lazily created google-auth-library GoogleAuth: the library is imported on first use, so commands that never
 * authenticate (help, the emulator, plaintext loopback runs) do not pay for loading it.
 */
export function applicationDefaultCredentials(options: AdcOptions): AuthHeaderSource {
  let auth: Promise<AuthHeaderSource> | undefined;
  const source: AuthHeaderSource = {
    async getRequestHeaders(url?: string) {
      auth ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({
        scopes: [...options.scopes],
        ...(options.keyFilename === undefined ? {} : { keyFilename: options.keyFilename }),
      }));
      return (await auth).getRequestHeaders(url);
    },
  };
  return options.quotaProject === undefined ? source : withoutOwnQuotaProject(source);
}

/**
 * The source's headers without the `x-goog-user-project` it adds itself (from an ADC file's `quota_project_id`), for
 * a client whose own quota project goes with every request as a static header: one value, the caller's, on both wires.
 */
export function withoutOwnQuotaProject(source: AuthHeaderSource): AuthHeaderSource {
  return {
    async getRequestHeaders(url?: string) {
      const headers = toRecord(await source.getRequestHeaders(url));
      delete headers['x-goog-user-project'];
      return headers;
    },
  };
}

/** google-auth-library 10 and 11 return a fetch `Headers`; older clients a plain record. Both become a lower-case record. */
function toRecord(headers: Headers | Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof (headers as Headers).forEach === 'function' && typeof (headers as Headers).get === 'function') {
    (headers as Headers).forEach((value, key) => { out[key.toLowerCase()] = value; });
  } else {
    for (const [key, value] of Object.entries(headers)) out[key.toLowerCase()] = String(value);
  }
  return out;
}

/**
 * Debug switches of the libraries under this one that print credentials in clear: google-auth-library's
 * (GOOGLE_SDK_NODE_LOGGING: gcp-metadata logs the metadata server's token response) and grpc-js's (GRPC_TRACE: it logs
 * every status message and trailer a server sends, an echoed token included). Their output is not ours to redact;
 * the first request with credentials says so once, as a process warning on stderr.
 */
let warnedOfDebugSwitches = false;

function warnOfDebugSwitches(): void {
  warnedOfDebugSwitches = true;
  const on = [
    ...(process.env['GOOGLE_SDK_NODE_LOGGING'] ? ['GOOGLE_SDK_NODE_LOGGING (google-auth-library logs access tokens)'] : []),
    ...(process.env['GRPC_TRACE'] ? ['GRPC_TRACE (grpc-js logs what servers send back, an echoed token included)'] : []),
  ];
  if (on.length === 0) return;
  process.emitWarning(`${on.join(' and ')} ${on.length === 1 ? 'is' : 'are'} set: debug output on stderr may hold credentials in clear; do not keep or share it`, { code: 'LRO_CANCEL_DEBUG_SWITCH' });
}

/**
 * What grpc-js and undici accept in a header value: visible ASCII, space and tab. grpc-js throws from
 * `Metadata.set` for anything else, with the value in its message.
 */
const legalHeaderValue = /^[\t\x20-\x7e]*$/;
/** An HTTP token (RFC 9110), lower case as toRecord makes it. */
const legalHeaderName = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;

/**
 * Auth headers for one request. A failure to obtain them is UNAVAILABLE when it was transient (the metadata server
 * timed out, a reset connection, a 5xx from a token endpoint: retried like an unreachable server) and UNAUTHENTICATED
 * when the source refused or found nothing (credential-failure.ts). The message says what to do and never includes
 * the credential itself (OperationsError redacts tokens from the cause's message).
 *
 * Every request's credentials pass through here, so this is where their values are recorded for redaction by value
 * (sent-credentials.ts). A value no transport can send (a token read from a file with its trailing newline) is
 * refused here, as UNAUTHENTICATED naming the header but not the value, rather than thrown later by grpc-js or undici
 * with the token in the message.
 */
export async function authHeaders(source: AuthHeaderSource, url?: string): Promise<Record<string, string>> {
  let headers: Record<string, string>;
  try {
    headers = toRecord(await source.getRequestHeaders(url));
  } catch (cause) {
    throw credentialFailure(cause);
  }
  rememberSentCredentials(headers);
  if (!warnedOfDebugSwitches) warnOfDebugSwitches();
  for (const [key, value] of Object.entries(headers)) {
    const shown = JSON.stringify(key.replace(/[^a-z0-9-]/g, '?').slice(0, 64));
    if (!legalHeaderName.test(key)) {
      throw new OperationsError(Code.UNAUTHENTICATED, `the credential source returned a header named ${shown}, which is not a header name`);
    }
    if (!legalHeaderValue.test(value)) {
      throw new OperationsError(Code.UNAUTHENTICATED,
        `the credential source returned header ${shown} with a value that cannot be sent: it holds a control or non-ASCII character (a token read from a file with its trailing newline?)`);
    }
  }
  return headers;
}
