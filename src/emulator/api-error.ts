import { Code } from '../code.js';

/**
 * The error details the emulator sends, as the google.rpc messages they become on the wire. Kept as plain data so
 * status-encoding.ts can write them both as protobuf (gRPC `grpc-status-details-bin`) and as proto3 JSON (REST).
 */
export type ErrorDetailSpec =
  | { readonly type: 'ErrorInfo'; readonly reason: string; readonly domain: string; readonly metadata?: Readonly<Record<string, string>> }
  | { readonly type: 'RetryInfo'; readonly retryDelayMs: number }
  | { readonly type: 'BadRequest'; readonly fieldViolations: ReadonlyArray<{ readonly field: string; readonly description: string }> }
  | { readonly type: 'QuotaFailure'; readonly violations: ReadonlyArray<{ readonly subject: string; readonly description: string }> }
  | { readonly type: 'ResourceInfo'; readonly resourceType: string; readonly resourceName: string; readonly description: string };

/** A status the emulator answers with instead of a result; thrown by handlers, encoded by each server. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: Code,
    message: string,
    readonly details: readonly ErrorDetailSpec[] = [],
    /** Set when the HTTP status differs from the code's own (405 wrong method, 413 body too large). */
    readonly httpStatus?: number,
  ) {
    super(message);
  }

  /** The RetryInfo delay, if the error carries one (REST turns it into Retry-After too). */
  get retryDelayMs(): number | undefined {
    for (const detail of this.details) if (detail.type === 'RetryInfo') return detail.retryDelayMs;
    return undefined;
  }
}

const API_DOMAIN = 'cloudaicompanion.googleapis.com';
const OPERATION_TYPE = 'google.longrunning.Operation';

export function invalidArgument(message: string, field: string): ApiError {
  return new ApiError(Code.INVALID_ARGUMENT, message, [{ type: 'BadRequest', fieldViolations: [{ field, description: message }] }]);
}

export function notFound(name: string): ApiError {
  const message = `Operation "${name}" not found.`;
  return new ApiError(Code.NOT_FOUND, message, [
    { type: 'ResourceInfo', resourceType: OPERATION_TYPE, resourceName: name, description: message },
  ]);
}

export function unimplemented(method: string): ApiError {
  return new ApiError(Code.UNIMPLEMENTED, `The service does not implement the method google.longrunning.Operations.${method}.`);
}

/** Messages and reasons follow what Google front ends send, minus anything about the token itself. */
export function unauthenticated(tokenPresent: boolean): ApiError {
  return tokenPresent
    ? new ApiError(Code.UNAUTHENTICATED, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', [
      { type: 'ErrorInfo', reason: 'ACCESS_TOKEN_TYPE_UNSUPPORTED', domain: 'googleapis.com', metadata: { service: API_DOMAIN } },
    ])
    : new ApiError(Code.UNAUTHENTICATED, 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.', [
      { type: 'ErrorInfo', reason: 'CREDENTIALS_MISSING', domain: 'googleapis.com', metadata: { service: API_DOMAIN } },
    ]);
}

export function permissionDenied(permission: string, resource: string): ApiError {
  // The resource comes from the request before validation: a malformed name can be megabytes long.
  const fullResource = `//${API_DOMAIN}/${resource.length > 300 ? `${resource.slice(0, 300)}…` : resource}`;
  return new ApiError(Code.PERMISSION_DENIED, `Permission '${permission}' denied on resource '${fullResource}' (or it may not exist).`, [
    { type: 'ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: API_DOMAIN, metadata: { permission, resource: fullResource } },
  ]);
}

/** The limit a quota refusal names in its ErrorInfo metadata, as Google's do (`quota_limit`, `quota_limit_value`). */
export interface StatedLimit {
  readonly name: string;
  readonly value: number;
}

/**
 * A rate-limit refusal; without `retryDelayMs` it carries no RetryInfo (and REST no Retry-After), as Google's often do.
 * With `limit`, its ErrorInfo names the limit and its value, as Google front ends do for project quotas.
 */
export function rateLimited(message: string, retryDelayMs: number | undefined, project: string | undefined, limit?: StatedLimit): ApiError {
  const metadata: Record<string, string> = { service: API_DOMAIN };
  if (project !== undefined) metadata['consumer'] = `projects/${project}`;
  if (limit !== undefined) {
    metadata['quota_limit'] = limit.name;
    metadata['quota_limit_value'] = String(limit.value);
    metadata['quota_metric'] = `${API_DOMAIN}/operations_requests`;
    metadata['quota_location'] = 'global';
  }
  const details: ErrorDetailSpec[] = [
    { type: 'ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata },
  ];
  if (project !== undefined) details.push({ type: 'QuotaFailure', violations: [{ subject: `project:${project}`, description: message }] });
  if (retryDelayMs !== undefined) details.push({ type: 'RetryInfo', retryDelayMs });
  return new ApiError(Code.RESOURCE_EXHAUSTED, message, details);
}

/** The ErrorInfo reasons the emulator can answer every call with (`failReason`), as Google front ends send them. */
export const FAIL_REASONS = [
  'SERVICE_DISABLED', 'BILLING_DISABLED', 'IAM_PERMISSION_DENIED', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT', 'ACCESS_TOKEN_EXPIRED',
  'USER_PROJECT_DENIED', 'RATE_LIMIT_EXCEEDED',
] as const;
export type FailReason = typeof FAIL_REASONS[number];

const SERVICE_TITLE = 'Gemini for Google Cloud API';

/**
 * The refusal a Google front end sends for `reason`, with its status, message and ErrorInfo metadata (activation URL,
 * permission, consumer...), for a call of `method` on a resource of `project` needing `permission`.
 */
export function reasonError(reason: FailReason, project: string | undefined, method: string, permission: string): ApiError {
  const consumer = `projects/${project ?? 'unknown'}`;
  const service = { service: API_DOMAIN };
  switch (reason) {
    case 'SERVICE_DISABLED': {
      const activationUrl = `https://console.developers.google.com/apis/api/${API_DOMAIN}/overview?project=${project ?? 'unknown'}`;
      return new ApiError(Code.PERMISSION_DENIED, `${SERVICE_TITLE} has not been used in project ${project ?? 'unknown'} before or it is disabled. Enable it by visiting ${activationUrl} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`, [
        { type: 'ErrorInfo', reason, domain: 'googleapis.com', metadata: { ...service, consumer, activationUrl, serviceTitle: SERVICE_TITLE, containerInfo: project ?? 'unknown' } },
      ]);
    }
    case 'BILLING_DISABLED':
      return new ApiError(Code.PERMISSION_DENIED, `This API method requires billing to be enabled. Please enable billing on project #${project ?? 'unknown'} then retry.`, [
        { type: 'ErrorInfo', reason, domain: 'googleapis.com', metadata: { ...service, consumer, containerInfo: project ?? 'unknown' } },
      ]);
    case 'IAM_PERMISSION_DENIED':
      return permissionDenied(permission, consumer);
    case 'ACCESS_TOKEN_SCOPE_INSUFFICIENT':
      return new ApiError(Code.PERMISSION_DENIED, 'Request had insufficient authentication scopes.', [
        { type: 'ErrorInfo', reason, domain: 'googleapis.com', metadata: { ...service, method: `google.longrunning.Operations.${method}` } },
      ]);
    case 'ACCESS_TOKEN_EXPIRED':
      return new ApiError(Code.UNAUTHENTICATED, 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', [
        { type: 'ErrorInfo', reason, domain: 'googleapis.com', metadata: { ...service, method: `google.longrunning.Operations.${method}` } },
      ]);
    case 'USER_PROJECT_DENIED':
      return new ApiError(Code.PERMISSION_DENIED, `Caller does not have required permission to use project ${project ?? 'unknown'}. Grant the caller the roles/serviceusage.serviceUsageConsumer role, or a custom role with the serviceusage.services.use permission, and then retry. Propagation of the new permission may take a few minutes.`, [
        { type: 'ErrorInfo', reason, domain: 'googleapis.com', metadata: { ...service, consumer } },
      ]);
    case 'RATE_LIMIT_EXCEEDED':
      return rateLimited(`Quota exceeded for quota metric 'Operations requests' of service '${API_DOMAIN}' for consumer '${consumer}'.`, undefined, project);
  }
}
