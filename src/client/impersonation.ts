import type { AuthClient, Impersonated } from 'google-auth-library';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { isLoopbackHost } from '../loopback.js';
import { isTransientCredentialFailure } from './credential-failure.js';
import { CLOUD_PLATFORM_SCOPE, type AuthHeaderSource } from './credentials.js';

export interface ImpersonationOptions {
  /**
   * `SA` or a delegation chain `SA1,SA2,...,TARGET` as gcloud's `--impersonate-service-account` takes it: the last
   * account is the one impersonated, the ones before it the delegates (the caller must be able to impersonate the
   * first, each the next).
   */
  readonly serviceAccounts: string;
  /** Where the chain came from, for messages (`--impersonate-service-account`). */
  readonly origin: string;
  /** The caller's own credentials, which ask IAM for the impersonated token. */
  readonly source: () => Promise<AuthClient>;
  /**
   * The IAM Credentials API base URL (`$CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS`, as gcloud reads it).
   * @default https://iamcredentials.googleapis.com
   */
  readonly endpoint?: string | undefined;
}

const EMAIL = /^[^@\s,/]+@[^@\s,/]+$/;

function usage(message: string): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, message);
}

/** The chain's accounts, checked: each an email, the last the target. */
export function parseImpersonationChain(value: string, origin: string): { readonly target: string; readonly delegates: readonly string[] } {
  const accounts = value.split(',').map(account => account.trim());
  const bad = accounts.find(account => !EMAIL.test(account));
  if (bad !== undefined) {
    throw usage(`${origin} expects a service account email, or a comma-separated delegation chain ending with the one to impersonate; got ${JSON.stringify(bad.slice(0, 100))}`);
  }
  return { target: accounts.at(-1) as string, delegates: accounts.slice(0, -1) };
}

/** The endpoint override as Impersonated takes it: scheme and host, without gcloud's trailing `/` or `/v1/`. */
export function iamCredentialsEndpoint(value: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw usage(`${origin} must be a URL such as https://iamcredentials.googleapis.com/, got ${JSON.stringify(value.slice(0, 200))}`);
  }
  // The caller's token goes there: plain http only to this machine.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw usage(`${origin} must be an https: URL (http: only to a loopback host), got ${JSON.stringify(url.origin)}`);
  }
  return `${url.origin}${url.pathname.replace(/\/(v1\/?)?$/, '')}`;
}

/**
 * The error of an impersonation IAM refused: which account, and the role that allows it. Transient failures pass
 * through unchanged, to be classified (and retried) as any credential source's are.
 */
function impersonationFailure(error: unknown, target: string): unknown {
  if (isTransientCredentialFailure(error)) return error;
  const status = (error as { status?: unknown }).status;
  const reason = OperationsError.from(error).rawMessage;
  const hint = status === 404
    ? `check the service account ${target}: IAM does not know it`
    : `grant the caller roles/iam.serviceAccountTokenCreator on ${target} (and on each account of a delegation chain)`;
  return new OperationsError(Code.UNAUTHENTICATED, `could not impersonate ${target}: ${reason}`, { hint });
}

/** The start of the console warning google-auth-library 11 prints for every Impersonated client it makes. */
const UNVALIDATED_CONFIG_WARNING = 'The `Impersonated` constructor does not validate the credential configuration';

/**
 * Makes a client without google-auth-library 11's console warning that the Impersonated constructor does not validate
 * a credential configuration taken from an untrusted source: here the configuration is the operator's own flag and
 * variables, not a file from elsewhere, and the CLI prints no library warnings. The constructor is synchronous, so
 * only that one warning is dropped; any other goes through.
 */
function withoutConfigWarning<T>(make: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && args[0].startsWith(UNVALIDATED_CONFIG_WARNING))) warn.apply(console, args);
  };
  try {
    return make();
  } finally {
    console.warn = warn;
  }
}

/**
 * google-auth-library's Impersonated client over `source`: a token of the target account, scoped to cloud-platform,
 * refreshed before it expires. Made on first use (the library is loaded then); a failure to make it is tried again on
 * the next request.
 */
export function impersonatedCredentials(options: ImpersonationOptions): AuthHeaderSource {
  const { target, delegates } = parseImpersonationChain(options.serviceAccounts, options.origin);
  const endpoint = options.endpoint === undefined ? undefined : iamCredentialsEndpoint(options.endpoint, 'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS');
  let client: Promise<Impersonated> | undefined;
  const impersonated = (): Promise<Impersonated> => {
    client ??= (async () => {
      const [{ Impersonated }, sourceClient] = await Promise.all([import('google-auth-library'), options.source()]);
      return withoutConfigWarning(() => new Impersonated({
        sourceClient,
        targetPrincipal: target,
        delegates: delegates.map(account => `projects/-/serviceAccounts/${account}`),
        targetScopes: [CLOUD_PLATFORM_SCOPE],
        lifetime: 3600,
        ...(endpoint === undefined ? {} : { endpoint }),
      }));
    })();
    client.catch(() => { client = undefined; });
    return client;
  };
  return {
    async getRequestHeaders(url?: string) {
      const made = await impersonated();
      try {
        return await made.getRequestHeaders(url);
      } catch (error) {
        throw impersonationFailure(error, target);
      }
    },
  };
}
