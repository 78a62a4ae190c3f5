import { Code } from '../code.js';
import type { ErrorDetail, TransportName } from '../errors.js';

/**
 * What to do about an error, in one line. Google's errors say why in a `google.rpc.ErrorInfo` detail (a reason and
 * metadata such as the permission that was missing or the URL that enables the API), and the fix follows from the
 * reason; the raw message alone leaves an operator to look it up. The same error reaches the command line and the
 * library, so a hint names a setting by its flag and, where the library's option is called otherwise, the option
 * after it (`--quota-project (quotaProject)`); the CLI prints hints through commandLineHint, which keeps the flag alone.
 */

const ERROR_INFO = 'google.rpc.ErrorInfo';

/** Flags whose library option has another name: the pairs `setting` writes and commandLineHint takes apart. */
const OPTION_OF_FLAG = {
  '--quota-project': 'quotaProject',
  '--rps': 'ratePerSecond',
  '--endpoint': 'grpcEndpoint',
  '--rest-endpoint': 'restEndpoint',
} as const;

type RenamedFlag = keyof typeof OPTION_OF_FLAG;

/** A setting as a hint names it: `--quota-project (quotaProject)`. */
function setting(flag: RenamedFlag): string {
  return `${flag} (${OPTION_OF_FLAG[flag]})`;
}

/** A hint as the command line prints it: each setting by its flag alone (`set --quota-project to ...`). */
export function commandLineHint(hint: string): string {
  let text = hint;
  for (const flag of Object.keys(OPTION_OF_FLAG) as RenamedFlag[]) text = text.replaceAll(setting(flag), flag);
  return text;
}

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
/** A hint carries server data (a permission, a URL): cut so a hostile value cannot make it a page long. */
const MAX_FIELD_CHARS = 300;

/** The `reason` and `metadata` of the first ErrorInfo among the details; undefined when there is none. */
export function errorInfoOf(details: readonly ErrorDetail[]): { readonly reason: string; readonly metadata: Readonly<Record<string, string>> } | undefined {
  for (const detail of details) {
    const type = detail['@type'];
    if (typeof type !== 'string' || (type !== ERROR_INFO && !type.endsWith(`/${ERROR_INFO}`))) continue;
    const reason = detail['reason'];
    if (typeof reason !== 'string' || reason === '') continue;
    const raw = detail['metadata'];
    const metadata: Record<string, string> = {};
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value === 'string') metadata[key] = value.length > MAX_FIELD_CHARS ? `${value.slice(0, MAX_FIELD_CHARS)}…` : value;
      }
    }
    return { reason, metadata };
  }
  return undefined;
}

/** `projects/123` or `project:123` or a full resource name to the project id; undefined when there is none. */
function projectOf(...values: ReadonlyArray<string | undefined>): string | undefined {
  for (const value of values) {
    const match = value === undefined ? null : /(?:^|\/|:)projects?[/:]([A-Za-z0-9_.~-]+)/.exec(value);
    if (match !== null) return match[1];
  }
  return undefined;
}

/** When a URL a server sent is one to show: https only, no spaces or quotes (it ends up in a terminal line). */
function shownUrl(url: string | undefined): string | undefined {
  return url !== undefined && /^https:\/\/[^\s"'<>]+$/.test(url) ? url : undefined;
}

type HintOf = (metadata: Readonly<Record<string, string>>) => string;

/** One line per ErrorInfo reason that has a fix the caller can apply (google/api/error_reason.proto). */
const BY_REASON: Readonly<Record<string, HintOf>> = {
  SERVICE_DISABLED: m => {
    const service = m['service'] ?? 'the API';
    const project = projectOf(m['consumer'], m['containerInfo']);
    const url = shownUrl(m['activationUrl']);
    const enable = `gcloud services enable ${service}${project === undefined ? '' : ` --project ${project}`}`;
    return `enable ${service}${project === undefined ? '' : ` in project ${project}`}: ${enable}${url === undefined ? '' : `, or open ${url}`}; then wait a few minutes`;
  },
  BILLING_DISABLED: m => {
    const project = projectOf(m['consumer'], m['containerInfo']);
    return `enable billing for ${project === undefined ? 'the project' : `project ${project}`} (https://console.cloud.google.com/billing${project === undefined ? '' : `/linkedaccount?project=${project}`})`;
  },
  IAM_PERMISSION_DENIED: m => permissionHint(m['permission'], projectOf(m['resource'])),
  ACCESS_TOKEN_SCOPE_INSUFFICIENT: () =>
    `the access token lacks the ${CLOUD_PLATFORM} scope: use credentials that carry it (gcloud auth application-default login; on GCE or GKE, a VM or node pool with the cloud-platform scope)`,
  USER_PROJECT_DENIED: m => {
    const project = projectOf(m['consumer']);
    return `the caller may not use ${project === undefined ? 'the quota project' : `project ${project}`} for quota: set ${setting('--quota-project')} to a project where it has serviceusage.services.use (roles/serviceusage.serviceUsageConsumer)`;
  },
  RATE_LIMIT_EXCEEDED: m => rateHint(m),
  RESOURCE_QUOTA_EXCEEDED: m => rateHint(m),
  ACCESS_TOKEN_EXPIRED: () => 'the access token has expired: get a new one (gcloud auth print-access-token > FILE for --access-token-file)',
  CREDENTIALS_MISSING: () => credentialsHint('no credentials were sent'),
  ACCESS_TOKEN_TYPE_UNSUPPORTED: () => credentialsHint('the token is not an OAuth 2 access token this API accepts'),
  CONSUMER_INVALID: m => {
    const project = projectOf(m['consumer']);
    return `${project === undefined ? 'the project' : `project ${project}`} does not exist or cannot be used: check --project or the operation names`;
  },
};

/**
 * Slow down, in words that fit one call (`cancel`, `get`: try again later) and a batch (its rate and concurrency)
 * alike: the same error reaches both, and a single call has no rate to lower.
 */
function rateHint(metadata: Readonly<Record<string, string>>): string {
  const limit = metadata['quota_limit_value'];
  const name = metadata['quota_limit'];
  const stated = limit === undefined ? '' : ` (the limit is ${limit}${name === undefined ? '' : ` for ${name}`})`;
  return `slow down${stated}: try again later; a batch goes slower with a lower ${setting('--rps')} or --concurrency; or ask for a higher quota`;
}

/** The fix for a missing permission: grant it on the project, in the role that holds it for this API. */
export function permissionHint(permission: string | undefined, project: string | undefined): string {
  const what = permission ?? 'the permission';
  const role = permission?.startsWith('cloudaicompanion.') === true ? ' (roles/cloudaicompanion.user, or a custom role)' : '';
  return `grant ${what} to the caller on ${project === undefined ? 'the project' : `projects/${project}`}${role}`;
}

/** The ways to give this tool credentials, after what went wrong. */
export function credentialsHint(what: string): string {
  return `${what}: run "gcloud auth application-default login", set GOOGLE_APPLICATION_CREDENTIALS to a key file, or pass --access-token-file, --key-file or --impersonate-service-account`;
}

/**
 * The one-line fix for an error, from its ErrorInfo reason; undefined when the reason is not one with a known fix (or
 * there is no ErrorInfo). Codes without an ErrorInfo get no hint here: what to say then depends on where the error
 * was met (see batch/systemic.ts).
 */
export function hintFor(code: Code, details: readonly ErrorDetail[]): string | undefined {
  if (code === Code.OK || details.length === 0) return undefined;
  const info = errorInfoOf(details);
  if (info === undefined) return undefined;
  return BY_REASON[info.reason]?.(info.metadata);
}

/**
 * The hint of a TLS handshake that met a plaintext server: the one mistake that needs no retry to be sure of. The
 * emulator variable named is the wire's own: LRO_CANCEL_EMULATOR_HOST is gRPC's, LRO_CANCEL_EMULATOR_REST REST's.
 */
export function plaintextHint(transport: TransportName): string {
  const variable = transport === 'rest' ? 'LRO_CANCEL_EMULATOR_REST' : 'LRO_CANCEL_EMULATOR_HOST';
  return `the port serves plaintext: for an emulator use --insecure (or ${variable}); for a TLS endpoint, check the port`;
}

/** The hint of a gRPC endpoint that could not be connected to: where the address came from, and what should listen. */
export function unreachableGrpcHint(): string {
  return `is the endpoint right (${setting('--endpoint')}, or LRO_CANCEL_EMULATOR_HOST)? Is its server, or the emulator, running?`;
}

/** The same for a REST endpoint: its own flag and emulator variable. */
export function unreachableRestHint(): string {
  return `is the endpoint right (${setting('--rest-endpoint')}, or LRO_CANCEL_EMULATOR_REST)? Is its server, or the emulator, running?`;
}
