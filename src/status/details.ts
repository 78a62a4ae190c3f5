import type { ErrorDetail } from '../errors.js';
import { loadProtos, protobuf } from '../protos.js';

/**
 * google.rpc error details in one shape for both transports: the proto3 JSON form a Google REST API puts in its error
 * body. gRPC carries them as google.protobuf.Any bytes (in `grpc-status-details-bin`, or in an operation's error);
 * this module turns those bytes into the same JSON so nothing above the transports cares which wire they came over.
 */

/** Message types decoded into fields; anything else keeps its type URL and base64 bytes. */
const KNOWN_TYPES: ReadonlySet<string> = new Set([
  'google.rpc.ErrorInfo', 'google.rpc.RetryInfo', 'google.rpc.DebugInfo', 'google.rpc.QuotaFailure',
  'google.rpc.PreconditionFailure', 'google.rpc.BadRequest', 'google.rpc.RequestInfo', 'google.rpc.ResourceInfo',
  'google.rpc.Help', 'google.rpc.LocalizedMessage', 'google.protobuf.Empty',
]);

const DURATION = '.google.protobuf.Duration';
const RETRY_INFO = 'google.rpc.RetryInfo';
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: false };

/** The protobufjs type for a known name, looked up once; null when the root does not have it. */
const typeCache = new Map<string, protobuf.Type | null>();
let statusType: protobuf.Type | undefined;

function knownType(name: string): protobuf.Type | null {
  let type = typeCache.get(name);
  if (type === undefined) {
    const found = KNOWN_TYPES.has(name) ? loadProtos().root.lookup(name) : null;
    type = found instanceof protobuf.Type ? found : null;
    typeCache.set(name, type);
  }
  return type;
}

export interface AnyMessage {
  readonly type_url?: string | null | undefined;
  readonly typeUrl?: string | null | undefined;
  readonly value?: Uint8Array | string | null | undefined;
}

export interface DecodedStatus {
  readonly code: number;
  readonly message: string;
  readonly details: ErrorDetail[];
}

/**
 * A serialized google.rpc.Status (gRPC's `grpc-status-details-bin` trailer). Undefined for anything that does not
 * decode: a server's broken trailer must not turn into a second, confusing error.
 */
export function decodeStatusBytes(bytes: Uint8Array): DecodedStatus | undefined {
  if (!(bytes instanceof Uint8Array)) return undefined;
  try {
    statusType ??= loadProtos().root.lookupType('google.rpc.Status');
    const status = statusType.decode(bytes) as unknown as { code?: number; message?: string; details?: AnyMessage[] };
    return {
      code: typeof status.code === 'number' ? status.code : 0,
      message: typeof status.message === 'string' ? status.message : '',
      details: Array.isArray(status.details) ? status.details.map(decodeAny) : [],
    };
  } catch {
    return undefined;
  }
}

function base64Of(value: Uint8Array | string | null | undefined): string {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  return '';
}

/**
 * A google.protobuf.Any in proto3 JSON form. Known google.rpc detail types get their fields
 * (`{"@type": ".../google.rpc.RetryInfo", "retryDelay": "1.500s"}`); unknown types, or bytes that do not decode, keep
 * the type URL and carry the bytes base64-encoded in `value`, as the REST transcoder does for types it cannot resolve.
 */
export function decodeAny(any: AnyMessage): ErrorDetail {
  const typeUrl = typeof any.type_url === 'string' && any.type_url !== '' ? any.type_url : typeof any.typeUrl === 'string' ? any.typeUrl : '';
  const type = knownType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  if (type !== null && (any.value === undefined || any.value === null || any.value instanceof Uint8Array)) {
    try {
      const object = type.toObject(type.decode(any.value ?? new Uint8Array(0)), TO_OBJECT);
      return { '@type': typeUrl, ...(jsonFields(type, object) as Record<string, unknown>) };
    } catch {
      // fall through: keep the bytes rather than lose them
    }
  }
  return { '@type': typeUrl, value: base64Of(any.value) };
}

/** Which types hold a Duration somewhere below them (only those need walking after toObject). */
const durationCache = new Map<protobuf.Type, boolean>();

function holdsDuration(type: protobuf.Type): boolean {
  let holds = durationCache.get(type);
  if (holds === undefined) {
    durationCache.set(type, false); // recursive types end here
    holds = type.fieldsArray.some(field => {
      const sub = field.resolvedType;
      return sub instanceof protobuf.Type && (sub.fullName === DURATION || holdsDuration(sub));
    });
    durationCache.set(type, holds);
  }
  return holds;
}

/** toObject output made proto3 JSON: Durations as `"1.500s"` strings (everything else already matches). */
function jsonFields(type: protobuf.Type, object: Record<string, unknown>): Record<string, unknown> {
  if (type.fullName === DURATION) return object;
  if (!holdsDuration(type)) return object;
  const out: Record<string, unknown> = { ...object };
  for (const field of type.fieldsArray) {
    const value = out[field.name];
    const sub = field.resolvedType;
    if (value === undefined || !(sub instanceof protobuf.Type)) continue;
    const convert = (v: unknown): unknown => sub.fullName === DURATION
      ? durationJson(v as { seconds?: string | number; nanos?: number })
      : jsonFields(sub, v as Record<string, unknown>);
    if (Array.isArray(value)) out[field.name] = value.map(convert);
    else if (field.map) out[field.name] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, convert(v)]));
    else out[field.name] = convert(value);
  }
  return out;
}

/** google.protobuf.Duration in proto3 JSON: `1s`, `1.500s`, `0.000001500s` (0, 3, 6 or 9 fraction digits). */
export function durationJson(duration: { readonly seconds?: string | number; readonly nanos?: number }): string {
  const seconds = String(duration.seconds ?? '0');
  const nanos = Number(duration.nanos ?? 0);
  const negative = seconds.startsWith('-') || nanos < 0;
  const whole = seconds.replace(/^-/, '');
  const absNanos = Math.abs(Math.trunc(nanos)) % 1e9;
  let fraction = '';
  if (absNanos !== 0) {
    const digits = String(absNanos).padStart(9, '0');
    fraction = `.${absNanos % 1e6 === 0 ? digits.slice(0, 3) : absNanos % 1e3 === 0 ? digits.slice(0, 6) : digits}`;
  }
  return `${negative ? '-' : ''}${whole}${fraction}s`;
}

const durationPattern = /^(\d{1,15})(?:\.(\d{1,9}))?s$/;

/** A non-negative Duration in ms, rounded up (it is a wait floor); undefined for anything malformed or negative. */
function durationMs(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const match = durationPattern.exec(value);
    if (match === null) return undefined;
    const nanos = match[2] === undefined ? 0 : Number(match[2].padEnd(9, '0'));
    return Number(match[1]) * 1000 + Math.ceil(nanos / 1e6);
  }
  if (typeof value === 'object' && value !== null) {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const s = typeof seconds === 'string' && /^\d{1,15}$/.test(seconds) ? Number(seconds) : seconds ?? 0;
    const n = nanos ?? 0;
    if (typeof s !== 'number' || typeof n !== 'number' || !Number.isFinite(s) || !Number.isFinite(n) || s < 0 || n < 0) return undefined;
    return s * 1000 + Math.ceil(n / 1e6);
  }
  return undefined;
}

/**
 * How long the server asked us to wait, from RetryInfo.retry_delay (`"1.5s"` or `{seconds, nanos}`), in ms. With
 * several RetryInfo details the longest wins, since each is a floor.
 */
export function retryDelayMsFromDetails(details: readonly ErrorDetail[]): number | undefined {
  let longestMs: number | undefined;
  for (const detail of details) {
    const type = detail['@type'];
    if (typeof type !== 'string' || !type.endsWith(RETRY_INFO) || (type.length > RETRY_INFO.length && type[type.length - RETRY_INFO.length - 1] !== '/')) continue;
    const ms = durationMs(detail['retryDelay']);
    if (ms !== undefined && (longestMs === undefined || ms > longestMs)) longestMs = ms;
  }
  return longestMs;
}

/** `error.details` of a JSON body: objects with a non-empty string `@type`; anything else is dropped. */
export function decodeJsonDetails(value: unknown): ErrorDetail[] {
  if (!Array.isArray(value)) return [];
  const details: ErrorDetail[] = [];
  for (const item of value as unknown[]) {
    if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
      const type = (item as Record<string, unknown>)['@type'];
      if (typeof type === 'string' && type !== '') details.push(item as ErrorDetail);
    }
  }
  return details;
}
