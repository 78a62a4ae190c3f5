import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import {
  accessTokenCredentials, accessTokenFileCredentials, adcAuthClient, serviceAccountKeyCredentials, type CredentialSource,
} from '../client/credential-sources.js';
import {
  applicationDefaultCredentials, authHeaders, CLOUD_PLATFORM_SCOPE, withoutOwnQuotaProject, type AuthHeaderSource,
} from '../client/credentials.js';
import { impersonatedCredentials } from '../client/impersonation.js';

/** The credential flags, as commander hands them over. */
export interface CredentialFlags {
  readonly accessTokenFile?: string;
  readonly keyFile?: string;
  readonly impersonateServiceAccount?: string;
  readonly quotaProject?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Variables read for credentials: gcloud's where gcloud has one, ours for the token itself. */
export const TOKEN_VARIABLE = 'LRO_CANCEL_ACCESS_TOKEN';
export const TOKEN_FILE_VARIABLE = 'CLOUDSDK_AUTH_ACCESS_TOKEN_FILE';
export const IMPERSONATE_VARIABLE = 'CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT';
export const IAM_ENDPOINT_VARIABLE = 'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS';

function set(env: Env, name: string): string | undefined {
  return env[name] || undefined;
}

/** The caller's own credentials, when named: a flag first, then a variable; undefined for ADC. */
async function namedSource(flags: CredentialFlags, env: Env): Promise<CredentialSource | undefined> {
  if (flags.accessTokenFile !== undefined && flags.keyFile !== undefined) {
    throw new OperationsError(Code.INVALID_ARGUMENT, '--access-token-file and --key-file are two credentials: give one of them');
  }
  if (flags.accessTokenFile !== undefined) return accessTokenFileCredentials(flags.accessTokenFile, '--access-token-file');
  if (flags.keyFile !== undefined) return serviceAccountKeyCredentials(flags.keyFile, '--key-file');
  const token = set(env, TOKEN_VARIABLE);
  if (token !== undefined) return accessTokenCredentials(token, TOKEN_VARIABLE);
  const tokenFile = set(env, TOKEN_FILE_VARIABLE);
  if (tokenFile !== undefined) return accessTokenFileCredentials(tokenFile, TOKEN_FILE_VARIABLE);
  return undefined;
}

/**
 * The credentials a command sends, from its flags and the environment, in gcloud's order: `--access-token-file` or
 * `--key-file`, else `$LRO_CANCEL_ACCESS_TOKEN`, else `$CLOUDSDK_AUTH_ACCESS_TOKEN_FILE`, else Application Default
 * Credentials; `--impersonate-service-account` (or `$CLOUDSDK_AUTH_IMPERSONATE_SERVICE_ACCOUNT`) then asks IAM for a
 * token of that account with them. Named credentials are sent in plaintext too (to loopback: an emulator started with
 * `--require-auth`); ADC never is. Files are read and checked now, so a bad one is bad usage before anything is sent.
 * With `--quota-project`, a source's own `x-goog-user-project` is dropped: the flag's value goes once.
 */
export async function credentialsFrom(flags: CredentialFlags, env: Env, insecure: boolean): Promise<AuthHeaderSource | undefined> {
  const named = await namedSource(flags, env);
  const impersonate = flags.impersonateServiceAccount ?? set(env, IMPERSONATE_VARIABLE);
  let source: AuthHeaderSource | undefined;
  if (impersonate !== undefined) {
    source = impersonatedCredentials({
      serviceAccounts: impersonate,
      origin: flags.impersonateServiceAccount === undefined ? IMPERSONATE_VARIABLE : '--impersonate-service-account',
      source: named === undefined ? adcAuthClient : () => named.authClient(),
      endpoint: set(env, IAM_ENDPOINT_VARIABLE),
    });
  } else if (named !== undefined) {
    source = named;
  } else if (!insecure) {
    return applicationDefaultCredentials({ scopes: [CLOUD_PLATFORM_SCOPE], quotaProject: flags.quotaProject });
  }
  return source === undefined || flags.quotaProject === undefined ? source : withoutOwnQuotaProject(source);
}

/**
 * Gets the credentials once before anything is sent: credentials that cannot be had at all (ADC that found nothing,
 * a refused key or impersonation) are the run's failure, not each name's, so the command stops with one line that
 * says how to fix it. A transient failure (the metadata server timed out) is left to the calls, which retry it; the
 * token is cached by the source either way.
 */
export async function checkCredentials(source: AuthHeaderSource | undefined): Promise<OperationsError | undefined> {
  if (source === undefined) return undefined;
  try {
    await authHeaders(source);
    return undefined;
  } catch (caught) {
    const error = OperationsError.from(caught);
    return error.code === Code.UNAVAILABLE ? undefined : error;
  }
}
