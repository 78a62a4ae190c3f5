import { createPrivateKey } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { AuthClient } from 'google-auth-library';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { CLOUD_PLATFORM_SCOPE, type AuthHeaderSource } from './credentials.js';

/**
 * Credentials named explicitly, as gcloud names them: an access token (a file, or its value), a service account key
 * file, and a service account to impersonate with one of those (or ADC) as the source. Each reads and checks what it
 * was given when it is made, so a bad file is bad usage before anything is sent; messages name where a credential
 * came from (a flag, a variable, a path) and never quote what a file holds.
 */
export interface CredentialSource extends AuthHeaderSource {
  /** The same credentials as a google-auth-library client: the source of an impersonation. */
  authClient(): Promise<AuthClient>;
}

/** Larger than any token or key file; a bigger file is not one, and is not read into memory. */
const MAX_CREDENTIAL_FILE_BYTES = 64 * 1024;
/** A token file is read again this often, so a token a sidecar refreshes in place reaches a long batch. */
const TOKEN_FILE_RECHECK_MS = 10_000;

function usage(message: string): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, message);
}

/** A small regular file's text; INVALID_ARGUMENT naming `origin` and what is wrong, never the content. */
async function readCredentialFile(path: string, origin: string): Promise<string> {
  const where = `${origin} ${JSON.stringify(path)}`;
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw usage(`cannot read ${where} (${error.code ?? 'read error'})`);
  });
  if (!info.isFile()) throw usage(`${where} is not a file`);
  if (info.size > MAX_CREDENTIAL_FILE_BYTES) throw usage(`${where} is ${info.size} bytes, too large to be a credential file`);
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw usage(`cannot read ${where} (${error.code ?? 'read error'})`);
  });
}

/** An access token as given (a file from `gcloud auth print-access-token > FILE` ends with a newline: trimmed). */
export function checkedToken(text: string, origin: string): string {
  const token = text.trim();
  if (token === '') throw usage(`${origin} is empty; expected an OAuth 2 access token (gcloud auth print-access-token)`);
  const problem = tokenProblem(token);
  if (problem !== undefined) throw usage(`${origin} ${problem}; expected the access token alone (gcloud auth print-access-token)`);
  return token;
}

/** What keeps a trimmed text from being one access token as a header carries it; said without quoting the text. */
function tokenProblem(token: string): string | undefined {
  if (/^bearer\s/i.test(token)) return 'starts with "Bearer " (the header\'s word, which this tool adds)';
  if (/[\r\n]/.test(token)) return 'holds more than one line';
  if (/[\x00-\x1f\x7f-\x9f]/.test(token)) return 'holds a control character';
  if (/\s/.test(token)) return 'holds a space';
  if (/[^\x21-\x7e]/.test(token)) return 'holds a non-ASCII character';
  return undefined;
}

async function oauth2ClientFor(token: string): Promise<AuthClient> {
  const { OAuth2Client } = await import('google-auth-library');
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token });
  return client;
}

/** A fixed access token (`$LRO_CANCEL_ACCESS_TOKEN`). */
export function accessTokenCredentials(token: string, origin: string): CredentialSource {
  const headers = { authorization: `Bearer ${checkedToken(token, origin)}` };
  return {
    getRequestHeaders: async () => headers,
    authClient: () => oauth2ClientFor(checkedToken(token, origin)),
  };
}

/**
 * An access token read from a file (`--access-token-file`, `$CLOUDSDK_AUTH_ACCESS_TOKEN_FILE`), read again every
 * 10 s: a token refreshed in place reaches the calls that follow; a file caught half-written keeps the last token.
 */
export async function accessTokenFileCredentials(path: string, origin: string): Promise<CredentialSource> {
  const where = `${origin} ${JSON.stringify(path)}`;
  let token = checkedToken(await readCredentialFile(path, origin), where);
  let readAt = Date.now();
  let rereading: Promise<void> | undefined;
  const current = async (): Promise<string> => {
    if (Date.now() - readAt >= TOKEN_FILE_RECHECK_MS) {
      rereading ??= readCredentialFile(path, origin)
        .then(text => { token = checkedToken(text, where); })
        .catch(() => undefined)
        .finally(() => { readAt = Date.now(); rereading = undefined; });
      await rereading;
    }
    return token;
  };
  return {
    getRequestHeaders: async () => ({ authorization: `Bearer ${await current()}` }),
    authClient: async () => oauth2ClientFor(await current()),
  };
}

interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
}

function parseServiceAccountKey(text: string, where: string): ServiceAccountKey {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the text around the error, which may be the private key.
    throw usage(`${where} is not JSON; expected a service account key file (gcloud iam service-accounts keys create)`);
  }
  const key = typeof json === 'object' && json !== null && !Array.isArray(json) ? json as Record<string, unknown> : {};
  if (key['type'] !== 'service_account') {
    const type = typeof key['type'] === 'string' ? JSON.stringify(key['type'].slice(0, 40)) : 'no type';
    throw usage(`${where} holds ${type}, not a service account key ("type": "service_account"); for user credentials run "gcloud auth application-default login"`);
  }
  for (const field of ['client_email', 'private_key'] as const) {
    if (typeof key[field] !== 'string' || key[field] === '') throw usage(`${where} has no ${field}; expected a service account key file`);
  }
  // Checked now, not when the first request is signed: a key OpenSSL cannot read would otherwise surface as
  // UNAUTHENTICATED after the command started, in OpenSSL's words. The reason is not shown: it may quote the key.
  try {
    createPrivateKey(key['private_key'] as string);
  } catch {
    throw usage(`${where}: its private_key is not a PEM private key`);
  }
  return key as unknown as ServiceAccountKey;
}

/**
 * A service account key file (`--key-file`). Requests carry a JWT the key signs itself, scoped to cloud-platform, as
 * google-gax's generated clients do for service accounts (`useJWTAccessWithScope`): no token exchange with Google's
 * OAuth endpoint, so nothing but the API is contacted.
 */
export async function serviceAccountKeyCredentials(path: string, origin: string): Promise<CredentialSource> {
  const key = parseServiceAccountKey(await readCredentialFile(path, origin), `${origin} ${JSON.stringify(path)}`);
  let client: Promise<AuthClient> | undefined;
  const authClient = (): Promise<AuthClient> => {
    client ??= import('google-auth-library').then(({ JWT }) => {
      const jwt = new JWT({
        email: key.client_email,
        key: key.private_key,
        ...(key.private_key_id === undefined ? {} : { keyId: key.private_key_id }),
        scopes: [CLOUD_PLATFORM_SCOPE],
      });
      jwt.useJWTAccessWithScope = true; // a property of the client, not an option of its constructor
      return jwt;
    });
    return client;
  };
  return { getRequestHeaders: async url => (await authClient()).getRequestHeaders(url), authClient };
}

/** Application Default Credentials as an AuthClient, for impersonation with ADC as the source. */
export function adcAuthClient(): Promise<AuthClient> {
  return import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] }).getClient());
}
