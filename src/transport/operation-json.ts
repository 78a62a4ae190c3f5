import { Code } from '../code.js';
import type { ErrorDetail } from '../errors.js';
import { OperationsError } from '../errors.js';
import type { AnyMessage, ListOperationsPage, Operation, OperationStatus } from './transport.js';

/**
 * proto3 JSON (https://protobuf.dev/programming-guides/json/) of google.longrunning messages into the one Operation
 * shape. A server that answered 200 with something else is a broken server or a proxy, not a result: every check
 * fails as OperationsError INTERNAL naming the field, never as a TypeError deep in a caller.
 */

function malformed(what: string, problem: string): OperationsError {
  return new OperationsError(Code.INTERNAL, `malformed ${what} in the REST response: ${problem}`, { transport: 'rest' });
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * How deep a response may nest (protobuf's own parsers stop at 100). Deeper JSON parses, but everything that walks it
 * afterwards recursively (JSON.stringify for `--json`, a caller's deep copy) would fail with "Maximum call stack size
 * exceeded", far from the response that caused it.
 */
export const MAX_JSON_DEPTH = 100;

/** Whether JSON text opens more than `limit` objects or arrays inside each other; one pass, strings skipped. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      for (i++; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 92 /* \ */) i++;
        else if (c === 34) break;
      }
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      depth--;
    }
  }
  return false;
}

/** Parses a response body that must be one JSON object; INTERNAL for anything else, or for nesting past MAX_JSON_DEPTH. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) throw malformed(what, `the body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw malformed(what, `the body is not JSON (${reason})`);
  }
  if (!isObject(value)) throw malformed(what, `expected a JSON object, got ${kindOf(value)}`);
  return value;
}

function optionalString(object: Record<string, unknown>, field: string, what: string, label = field): string {
  const value = object[field];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw malformed(what, `"${label}" is ${kindOf(value)}, expected a string`);
  return value;
}

/** An Any in proto3 JSON: an object with a string `@type`; its other fields are the message's own. */
/** An Any of an operation (metadata, response) in the one AnyMessage shape: its fields, as the server decoded them. */
function anyMessage(value: unknown, what: string, field: string): AnyMessage {
  const { '@type': type, ...fields } = any(value, what, field);
  return { '@type': type, fields };
}

function any(value: unknown, what: string, field: string): ErrorDetail {
  if (!isObject(value)) throw malformed(what, `"${field}" is ${kindOf(value)}, expected an object with "@type"`);
  if (typeof value['@type'] !== 'string' || value['@type'] === '') throw malformed(what, `"${field}" has no "@type" string`);
  return value as ErrorDetail;
}

/** int32 in proto3 JSON: a number, or a decimal string, which parsers must accept too. */
function int32(value: unknown, what: string, field: string): number {
  if (value === undefined || value === null) return 0;
  const number = typeof value === 'string' && /^-?\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < -2147483648 || number > 2147483647) {
    throw malformed(what, `"${field}" is ${JSON.stringify(value)}, expected an int32`);
  }
  return number;
}

function status(value: unknown, what: string): OperationStatus {
  if (!isObject(value)) throw malformed(what, `"error" is ${kindOf(value)}, expected an object`);
  const rawDetails = value['details'];
  let details: ErrorDetail[] = [];
  if (rawDetails !== undefined && rawDetails !== null) {
    if (!Array.isArray(rawDetails)) throw malformed(what, `"error.details" is ${kindOf(rawDetails)}, expected an array`);
    details = rawDetails.map((detail: unknown, i) => any(detail, what, `error.details[${i}]`));
  }
  return { code: int32(value['code'], what, 'error.code'), message: optionalString(value, 'message', what, 'error.message'), details };
}

/** google.longrunning.Operation from its proto3 JSON; `done` absent is false, absent fields stay absent. */
export function operationFromJson(value: unknown, what = 'Operation'): Operation {
  if (!isObject(value)) throw malformed(what, `expected a JSON object, got ${kindOf(value)}`);
  const name = optionalString(value, 'name', what);
  const rawDone = value['done'];
  if (rawDone !== undefined && rawDone !== null && typeof rawDone !== 'boolean') {
    throw malformed(what, `"done" is ${kindOf(rawDone)}, expected a boolean`);
  }
  const rawError = value['error'];
  const rawResponse = value['response'];
  const hasError = rawError !== undefined && rawError !== null;
  const hasResponse = rawResponse !== undefined && rawResponse !== null;
  if (hasError && hasResponse) throw malformed(what, '"error" and "response" are both set (they are one oneof)');
  const rawMetadata = value['metadata'];
  const metadata = rawMetadata === undefined || rawMetadata === null ? undefined : anyMessage(rawMetadata, what, 'metadata');
  return {
    name,
    done: rawDone === true,
    ...(metadata === undefined ? {} : { metadata }),
    ...(hasError ? { error: status(rawError, what) } : {}),
    ...(hasResponse ? { response: anyMessage(rawResponse, what, 'response') } : {}),
  };
}

/** google.longrunning.ListOperationsResponse; an empty page may omit both fields. */
export function listPageFromJson(value: Record<string, unknown>): ListOperationsPage {
  const what = 'ListOperationsResponse';
  const raw = value['operations'];
  let operations: Operation[] = [];
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw)) throw malformed(what, `"operations" is ${kindOf(raw)}, expected an array`);
    operations = raw.map((op: unknown, i) => operationFromJson(op, `${what}.operations[${i}]`));
  }
  return { operations, nextPageToken: optionalString(value, 'nextPageToken', what) };
}
