import { codeName, httpStatusOf } from '../code.js';
import { loadProtos } from '../protos.js';
import type { ApiError, ErrorDetailSpec } from './api-error.js';

/**
 * The emulator's own writing of google.rpc.Status, independent of the client's decoding so that a bug on one side
 * cannot hide one on the other: protobuf bytes for gRPC's `grpc-status-details-bin` trailer, and the Google JSON error
 * body (`{"error":{"code","message","status","details"}}`) for REST.
 */

const TYPE_URL_PREFIX = 'type.googleapis.com/google.rpc.';

interface Encoder {
  encode(message: unknown): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): unknown;
}

let types: Map<string, Encoder> | undefined;

function typeOf(name: string): Encoder {
  types ??= new Map();
  let type = types.get(name);
  if (type === undefined) {
    type = loadProtos().root.lookupType(`google.rpc.${name}`) as unknown as Encoder;
    types.set(name, type);
  }
  return type;
}

function encode(name: string, object: Record<string, unknown>): Uint8Array {
  const type = typeOf(name);
  return type.encode(type.fromObject(object)).finish();
}

function protoFields(detail: ErrorDetailSpec): Record<string, unknown> {
  switch (detail.type) {
    case 'ErrorInfo': return { reason: detail.reason, domain: detail.domain, metadata: { ...detail.metadata } };
    case 'RetryInfo': return { retryDelay: { seconds: Math.floor(detail.retryDelayMs / 1000), nanos: (detail.retryDelayMs % 1000) * 1e6 } };
    case 'BadRequest': return { fieldViolations: detail.fieldViolations.map(v => ({ ...v })) };
    case 'QuotaFailure': return { violations: detail.violations.map(v => ({ ...v })) };
    case 'ResourceInfo': return { resourceType: detail.resourceType, resourceName: detail.resourceName, description: detail.description };
  }
}

/** Serialized google.rpc.Status for the `grpc-status-details-bin` trailer. */
export function grpcStatusDetailsBin(error: ApiError): Buffer {
  const details = error.details.map(detail => ({ type_url: TYPE_URL_PREFIX + detail.type, value: encode(detail.type, protoFields(detail)) }));
  return Buffer.from(encode('Status', { code: error.code, message: error.message, details }));
}

/** google.protobuf.Duration in proto3 JSON: seconds with 0 or 3 fractional digits and an `s`. */
export function durationJson(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(3)}s`;
}

function jsonDetail(detail: ErrorDetailSpec): Record<string, unknown> {
  const typeUrl = TYPE_URL_PREFIX + detail.type;
  switch (detail.type) {
    case 'RetryInfo': return { '@type': typeUrl, retryDelay: durationJson(detail.retryDelayMs) };
    case 'ErrorInfo': return { '@type': typeUrl, reason: detail.reason, domain: detail.domain, ...(detail.metadata ? { metadata: detail.metadata } : {}) };
    default: return { '@type': typeUrl, ...protoFields(detail) };
  }
}

/** The HTTP status a REST error goes out with: the code's own (DESIGN.md table) unless the error names another. */
export function httpStatusOfError(error: ApiError): number {
  return error.httpStatus ?? httpStatusOf(error.code);
}

/** The Google JSON error body; `details` is left out when there are none, as Google's front ends do. */
export function jsonErrorBody(error: ApiError): string {
  const body: Record<string, unknown> = { code: httpStatusOfError(error), message: error.message, status: codeName(error.code) };
  if (error.details.length > 0) body['details'] = error.details.map(jsonDetail);
  return JSON.stringify({ error: body });
}
