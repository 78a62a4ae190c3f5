import { Code } from '../code.js';
import type { ListResult, OperationView } from './service.js';

/**
 * proto3 JSON of google.longrunning messages, written by the emulator itself: camelCase names, fields at their default
 * value left out (`done` when false, an empty `nextPageToken`, an empty `operations` list), Any as `{"@type": ...}`.
 */

const EMPTY_TYPE = 'type.googleapis.com/google.protobuf.Empty';

export function operationJson(view: OperationView): Record<string, unknown> {
  if (!view.done) return { name: view.name };
  if (view.cancelled) return { name: view.name, done: true, error: { code: Code.CANCELLED, message: 'Operation cancelled' } };
  if (view.failed) return { name: view.name, done: true, error: { code: Code.INTERNAL, message: 'Operation failed' } };
  return { name: view.name, done: true, response: { '@type': EMPTY_TYPE } };
}

export function listJson(page: ListResult): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (page.operations.length > 0) body['operations'] = page.operations.map(operationJson);
  if (page.nextPageToken !== '') body['nextPageToken'] = page.nextPageToken;
  return body;
}

/** Query parameters every Google API accepts and the emulator ignores (system parameters). */
const SYSTEM_PARAMETERS = new Set(['alt', 'fields', 'key', 'prettyPrint', 'quotaUser', 'callback', 'upload_protocol', 'uploadType']);

export function isSystemParameter(name: string): boolean {
  return name.startsWith('$') || SYSTEM_PARAMETERS.has(name);
}
