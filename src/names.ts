import { Code } from './code.js';
import { OperationsError } from './errors.js';

/** `projects/{project}/locations/{location}/operations/{operation}`, split and validated. */
export interface OperationName {
  readonly project: string;
  readonly location: string;
  readonly operation: string;
  /** The canonical name, exactly the input when it was valid. */
  readonly name: string;
}

/** `projects/{project}/locations/{location}`, the parent that ListOperations takes. */
export interface ParentName {
  readonly project: string;
  readonly location: string;
  readonly name: string;
}

export const OPERATION_NAME_FORM = 'projects/{project}/locations/{location}/operations/{operation}';
export const PARENT_NAME_FORM = 'projects/{project}/locations/{location}';

/**
 * A segment may only hold characters that mean the same thing in a REST path, a gRPC routing header and a log line:
 * letters, digits and `-_.~` (RFC 3986 unreserved). Everything else (`/ ? # % \ :` whitespace, control characters,
 * non-ASCII) could change which resource a transcoded URL names, so it is refused before anything is built.
 */
const segmentPattern = /^[A-Za-z0-9_.~-]{1,256}$/;
const MAX_NAME_LENGTH = 1024;

function describe(input: string): string {
  const shown = input.length > 200 ? `${input.slice(0, 200)}…` : input;
  return JSON.stringify(shown);
}

function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'an empty segment';
  if (segment === '.' || segment === '..') return `a "${segment}" segment`;
  if (segment.length > 256) return 'a segment longer than 256 characters';
  if (!segmentPattern.test(segment)) {
    const bad = [...segment].find(ch => !/[A-Za-z0-9_.~-]/.test(ch)) ?? '';
    return `the character ${JSON.stringify(bad)} (allowed: letters, digits, "-", "_", ".", "~")`;
  }
  return undefined;
}

function invalid(kind: string, input: string, form: string, problem: string): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, `invalid ${kind} name ${describe(input)}: ${problem}; expected ${form}`);
}

function parse(kind: string, input: unknown, collections: readonly string[], form: string): string[] {
  if (typeof input !== 'string') {
    throw new OperationsError(Code.INVALID_ARGUMENT, `invalid ${kind} name: expected a string of the form ${form}, got ${typeof input}`);
  }
  if (input.length > MAX_NAME_LENGTH) throw invalid(kind, input, form, `longer than ${MAX_NAME_LENGTH} characters`);
  const parts = input.split('/');
  if (parts.length !== collections.length * 2) {
    throw invalid(kind, input, form, `${parts.length} path segments instead of ${collections.length * 2}`);
  }
  const ids: string[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const collection = collections[i / 2];
    if (parts[i] !== collection) {
      throw invalid(kind, input, form, `segment ${i + 1} is ${describe(parts[i] ?? '')} instead of "${collection}"`);
    }
    const id = parts[i + 1] ?? '';
    const problem = segmentProblem(id);
    if (problem !== undefined) throw invalid(kind, input, form, `the ${collection} id has ${problem}`);
    ids.push(id);
  }
  return ids;
}

/** Parses an operation name; throws OperationsError INVALID_ARGUMENT naming the input and the expected form. */
export function parseOperationName(input: unknown): OperationName {
  const [project = '', location = '', operation = ''] = parse('operation', input, ['projects', 'locations', 'operations'], OPERATION_NAME_FORM);
  return { project, location, operation, name: input as string };
}

/** Parses a ListOperations parent; throws OperationsError INVALID_ARGUMENT naming the input and the expected form. */
export function parseParentName(input: unknown): ParentName {
  const [project = '', location = ''] = parse('parent', input, ['projects', 'locations'], PARENT_NAME_FORM);
  return { project, location, name: input as string };
}

/** One segment as `segmentPattern` allows it, but never `.` or `..`. */
const SEGMENT = '(?!\\.\\.?(?:/|$))[A-Za-z0-9_.~-]{1,256}';
/** Every valid operation name and nothing else (the length limit aside), with no captures, so a test allocates nothing. */
const operationNamePattern = new RegExp(`^projects/${SEGMENT}/locations/${SEGMENT}/operations/${SEGMENT}$`);

/**
 * Whether `input` is a valid operation name: what parseOperationName accepts, decided by one regular expression
 * without building the parts. Every cancel checks its name; the parse it replaces split the name and built an object.
 */
export function isOperationName(input: unknown): input is string {
  return typeof input === 'string' && input.length <= MAX_NAME_LENGTH && operationNamePattern.test(input);
}

/** Throws what parseOperationName throws for an invalid name; a valid one costs a single regular expression test. */
export function assertOperationName(input: unknown): asserts input is string {
  if (!isOperationName(input)) parseOperationName(input);
}

/** The parent of a valid operation name (`projects/p/locations/l`). */
export function parentOf(name: OperationName): string {
  return `projects/${name.project}/locations/${name.location}`;
}

/**
 * Whether `name` is a valid operation name directly under `parent`. A listing answers with names; one outside the
 * parent that was listed (`projects/VICTIM/...` in a listing of `projects/p/...`) must not be acted on as if it had
 * been asked for. A parent segment `-` is AIP-159's wildcard ("any"), so `projects/p/locations/-` holds the
 * operations of every location of `p`.
 */
export function isOperationUnder(name: string, parent: ParentName): boolean {
  if (!isOperationName(name)) return false;
  const { project, location } = parseOperationName(name);
  return (parent.project === '-' || parent.project === project) && (parent.location === '-' || parent.location === location);
}
