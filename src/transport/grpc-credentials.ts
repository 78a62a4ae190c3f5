import * as grpc from '@grpc/grpc-js';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

/** Auth headers for a request to `serviceUrl`; rejects with an OperationsError (UNAVAILABLE when it may pass). */
export type AuthHeadersFor = (serviceUrl?: string) => Promise<Readonly<Record<string, string>>>;

/** How the channel is secured: TLS against the system's roots or `caCertificate` (PEM), or plaintext. */
export type GrpcSecurity = { readonly kind: 'tls'; readonly caCertificate?: string | Uint8Array | undefined } | { readonly kind: 'plaintext' };

/**
 * The channel credentials of a gRPC transport: over TLS, call credentials that ask `getAuthHeaders` for each call
 * are composed in; in plaintext there are none (grpc-js refuses call credentials on an insecure channel, so the
 * transport sends those headers as call metadata itself). grpc-js's own `createFromGoogleCredential` reads headers
 * with `Object.keys`, which finds nothing in the `Headers` of google-auth-library 10 and 11, so calls would go out
 * unauthenticated (test/tls.test.ts makes a gRPC call over TLS with a real google-auth-library client).
 */
export function grpcChannelCredentials(security: GrpcSecurity, getAuthHeaders: AuthHeadersFor | undefined): ChannelCredentials {
  if (security.kind === 'plaintext') return grpc.credentials.createInsecure();
  const ssl = grpc.credentials.createSsl(security.caCertificate === undefined ? null : Buffer.from(security.caCertificate));
  if (getAuthHeaders === undefined) return ssl;
  return grpc.credentials.combineChannelCredentials(ssl, grpc.credentials.createFromMetadataGenerator((params, callback) => {
    getAuthHeaders(params.service_url).then(headers => {
      // The source's values were checked; should grpc-js still refuse one, the call fails below instead of the throw
      // escaping as an unhandled rejection with the value in its message (that ends the process, printing the token).
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
      return metadata;
    }).then(metadata => callback(null, metadata), (error: unknown) => {
      const failure = error instanceof OperationsError ? error : new OperationsError(Code.UNAUTHENTICATED, 'grpc-js refused a header of the credential source');
      // UNAVAILABLE (a transient failure of the source) stays retryable; grpc-js passes that code through as is.
      callback(Object.assign(new Error(failure.rawMessage), { code: failure.code === Code.UNAVAILABLE ? Code.UNAVAILABLE : Code.UNAUTHENTICATED }));
    });
  }));
}
