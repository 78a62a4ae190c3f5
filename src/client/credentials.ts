import * as grpc from '@grpc/grpc-js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

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
}

/**
 * A lazily created google-auth-library GoogleAuth: the library is imported on first use, so commands that never
 * authenticate (help, the emulator, plaintext loopback runs) do not pay for loading it.
 */
export function applicationDefaultCredentials(options: AdcOptions): AuthHeaderSource {
  let auth: Promise<AuthHeaderSource> | undefined;
  return {
    async getRequestHeaders(url?: string) {
      auth ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({
        scopes: [...options.scopes],
        ...(options.keyFilename === undefined ? {} : { keyFilename: options.keyFilename }),
      }));
      return (await auth).getRequestHeaders(url);
    },
  };
}

/** google-auth-library 10 returns a fetch `Headers`; older clients a plain record. Both become a lower-case record. */
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
 * Auth headers for one request, with every failure to obtain them turned into UNAUTHENTICATED. The message says
 * what to do and never includes the credential itself (OperationsError redacts tokens from the cause's message).
 */
export async function authHeaders(source: AuthHeaderSource, url?: string): Promise<Record<string, string>> {
  try {
    return toRecord(await source.getRequestHeaders(url));
  } catch (cause) {
    // Not String(cause): a source may reject with anything, and an object without a prototype cannot be stringified.
    const reason = OperationsError.from(cause).rawMessage;
    throw new OperationsError(Code.UNAUTHENTICATED,
      `could not get credentials (Application Default Credentials: run "gcloud auth application-default login", set GOOGLE_APPLICATION_CREDENTIALS, or use --insecure against an emulator): ${reason}`);
  }
}

/**
 * gRPC call credentials over the same source. grpc-js's own `createFromGoogleCredential` reads the headers with
 * `Object.keys`, which finds nothing in google-auth-library 10's `Headers`, so calls would go out unauthenticated.
 */
export function grpcCallCredentials(source: AuthHeaderSource): grpc.CallCredentials {
  return grpc.credentials.createFromMetadataGenerator((params, callback) => {
    authHeaders(source, params.service_url).then(headers => {
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
      callback(null, metadata);
    }, (error: unknown) => {
      const failure = error instanceof OperationsError ? error : OperationsError.from(error, Code.UNAUTHENTICATED);
      callback(Object.assign(new Error(failure.rawMessage), { code: Code.UNAUTHENTICATED }));
    });
  });
}
