import { permissionDenied, unauthenticated, type ApiError } from './api-error.js';
import type { Method } from './methods.js';

/** The IAM permission each method needs on its resource (WaitOperation reads, so it needs `get`). */
export const PERMISSIONS: Readonly<Record<Method, string>> = {
  CancelOperation: 'cloudaicompanion.operations.cancel',
  GetOperation: 'cloudaicompanion.operations.get',
  ListOperations: 'cloudaicompanion.operations.list',
  DeleteOperation: 'cloudaicompanion.operations.delete',
  WaitOperation: 'cloudaicompanion.operations.get',
};

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Checks an `authorization` header as a Google front end would: no bearer token is UNAUTHENTICATED (401), a token
 * unknown to the table is UNAUTHENTICATED too, a known token without the method's permission is PERMISSION_DENIED
 * (403). Without a table any bearer token holds every permission. The token never appears in what is returned.
 *
 * @returns the error to answer with, or undefined when the call may proceed.
 */
export function checkAuth(
  authorization: string | undefined,
  method: Method,
  resource: string,
  tokens: ReadonlyMap<string, ReadonlySet<string>> | undefined,
): ApiError | undefined {
  const match = authorization === undefined ? null : BEARER.exec(authorization);
  if (match === null) return unauthenticated(false);
  if (tokens === undefined) return undefined;
  const permissions = tokens.get(match[1] as string);
  if (permissions === undefined) return unauthenticated(true);
  const permission = PERMISSIONS[method];
  return permissions.has(permission) ? undefined : permissionDenied(permission, resource);
}
