/**
 * google.rpc.Code, the one status vocabulary of this library. Both transports, the emulator and the CLI speak it:
 * gRPC carries the number on the wire, REST carries the name in a Google JSON error body and the HTTP status beside it.
 */
export enum Code {
  OK = 0,
  CANCELLED = 1,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  DEADLINE_EXCEEDED = 4,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  PERMISSION_DENIED = 7,
  RESOURCE_EXHAUSTED = 8,
  FAILED_PRECONDITION = 9,
  ABORTED = 10,
  OUT_OF_RANGE = 11,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
  UNAVAILABLE = 14,
  DATA_LOSS = 15,
  UNAUTHENTICATED = 16,
}

/** The canonical upper-case name of a code, as Google JSON error bodies carry it in `error.status`. */
export type CodeName = keyof typeof Code;

/**
 * HTTP status for each code, as Google's HTTP/JSON transcoding maps them (google/rpc/code.proto comments).
 * Not the gRPC-web table: that one maps 404 to UNIMPLEMENTED, which is wrong for Google REST APIs.
 */
const httpStatusByCode: readonly number[] = [
  200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401,
];

const codeNames: readonly CodeName[] = Object.freeze(
  Array.from({ length: 17 }, (_, i) => Code[i] as CodeName),
);

/** True for the 17 numbers google.rpc.Code defines; anything else from a wire is not trusted as a code. */
export function isCode(value: unknown): value is Code {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 16;
}

export function codeName(code: Code): CodeName {
  return codeNames[code] ?? 'UNKNOWN';
}

export function httpStatusOf(code: Code): number {
  return httpStatusByCode[code] ?? 500;
}

/** The code for a name such as `NOT_FOUND`; undefined for anything that is not exactly one of the 17 names. */
export function codeFromName(name: string): Code | undefined {
  const index = codeNames.indexOf(name as CodeName);
  return index === -1 ? undefined : (index as Code);
}

/**
 * The code for an HTTP status that came without a Google JSON error body (DESIGN.md, "HTTP to code", rules 2 and 3).
 * 502, 503 and 504 without a body came from a proxy or load balancer, so nothing was processed: UNAVAILABLE.
 */
export function codeFromHttpStatus(status: number): Code {
  if (status >= 200 && status < 300) return Code.OK;
  switch (status) {
    case 400: return Code.INVALID_ARGUMENT;
    case 401: return Code.UNAUTHENTICATED;
    case 403: return Code.PERMISSION_DENIED;
    case 404: return Code.NOT_FOUND;
    case 409: return Code.ABORTED;
    case 416: return Code.OUT_OF_RANGE;
    case 429: return Code.RESOURCE_EXHAUSTED;
    case 499: return Code.CANCELLED;
    case 500: return Code.INTERNAL;
    case 501: return Code.UNIMPLEMENTED;
    case 502: case 503: case 504: return Code.UNAVAILABLE;
    default:
      if (status >= 400 && status < 500) return Code.FAILED_PRECONDITION;
      return status >= 500 && status < 600 ? Code.INTERNAL : Code.UNKNOWN;
  }
}
