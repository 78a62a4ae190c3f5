import { Code } from '../code.js';
import { OPERATIONS_SERVICE, type ServiceProfile } from '../protos.js';
import { ApiError } from './api-error.js';
import { METHODS, type Method } from './methods.js';

/**
 * The REST surface, compiled from a service profile's google.api.http rules (gRPC transcoding, google/api/http.proto)
 * rather than written by hand, so the emulator serves exactly the paths the profile publishes. This is the server's
 * half: it matches a request path against the templates and extracts the bound fields. The client has its own
 * expander; neither reuses the other, so a bug in one cannot cancel out a bug in the other.
 */

type SegmentMatcher = { readonly literal: string } | { readonly wildcard: '*' | '**' };

interface Capture {
  readonly field: string;
  readonly start: number;
  /** Exclusive; for a trailing `**` it is the end of the path. */
  readonly end: number;
}

export interface Route {
  readonly rpc: Method;
  readonly httpMethod: string;
  readonly pathTemplate: string;
  /** `body` of the rule: '*' for the whole request message, '' for none. */
  readonly body: string;
  readonly segments: readonly SegmentMatcher[];
  readonly captures: readonly Capture[];
  readonly verb: string | undefined;
}

export type RouteMatch =
  | { readonly kind: 'route'; readonly route: Route; readonly fields: Readonly<Record<string, string>> }
  | { readonly kind: 'wrong-method'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

function templateError(template: string, problem: string): Error {
  return new Error(`unusable http rule path ${JSON.stringify(template)}: ${problem}`);
}

/** Compiles one path template; throws naming the template and the problem. */
export function compileTemplate(template: string): Pick<Route, 'segments' | 'captures' | 'verb'> {
  if (!template.startsWith('/')) throw templateError(template, 'it must start with "/"');
  let rest = template.slice(1);
  let verb: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastBrace = rest.lastIndexOf('}');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash && colon > lastBrace) {
    verb = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const segments: SegmentMatcher[] = [];
  const captures: Capture[] = [];
  const pattern = /\{([A-Za-z_][A-Za-z0-9_.]*)(?:=([^}]*))?\}|([^/{}]+)/y;
  let position = 0;
  while (position < rest.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(rest);
    if (match === null) throw templateError(template, `unexpected text at ${JSON.stringify(rest.slice(position))}`);
    const [whole, field, inner, plain] = match;
    const parts = field !== undefined ? (inner ?? '*').split('/') : [plain as string];
    const start = segments.length;
    for (const part of parts) {
      if (part === '') throw templateError(template, 'an empty segment');
      segments.push(part === '*' || part === '**' ? { wildcard: part } : { literal: part });
    }
    if (field !== undefined) captures.push({ field, start, end: segments.length });
    position += whole.length;
    if (position < rest.length) {
      if (rest[position] !== '/') throw templateError(template, `expected "/" at ${JSON.stringify(rest.slice(position))}`);
      position++;
    }
  }
  const doubleAt = segments.findIndex(s => 'wildcard' in s && s.wildcard === '**');
  if (doubleAt !== -1 && doubleAt !== segments.length - 1) throw templateError(template, '"**" must be the last segment');
  return { segments, captures, verb };
}

/** Compiles every rule of the profile; throws on a rule for an RPC google.longrunning.Operations does not have. */
export function compileRoutes(profile: ServiceProfile): Route[] {
  return profile.rules.map(rule => {
    const rpc = rule.selector.startsWith(`${OPERATIONS_SERVICE}.`) ? rule.selector.slice(OPERATIONS_SERVICE.length + 1) : '';
    if (!(METHODS as readonly string[]).includes(rpc)) throw new Error(`http rule selector ${rule.selector} is not an Operations method`);
    return { rpc: rpc as Method, httpMethod: rule.method, pathTemplate: rule.path, body: rule.body ?? '', ...compileTemplate(rule.path) };
  });
}

const HEX = /^[0-9A-Fa-f]{2}$/;

/**
 * Percent-decodes one path segment as transcoding servers do for multi-segment variables: everything except `%2F`,
 * which stays encoded (so it can never become a path separator). Malformed escapes are INVALID_ARGUMENT.
 */
export function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  const pieces = segment.split(/%2F/i);
  try {
    for (const piece of pieces) {
      for (let i = piece.indexOf('%'); i !== -1; i = piece.indexOf('%', i + 1)) {
        if (!HEX.test(piece.slice(i + 1, i + 3))) throw new URIError('bad escape');
      }
    }
    return pieces.map(decodeURIComponent).join('%2F');
  } catch {
    throw new ApiError(Code.INVALID_ARGUMENT, 'Invalid URL: a path segment has a malformed percent-encoding.');
  }
}

function matchSegments(route: Route, segments: readonly string[], verb: string | undefined): Record<string, string> | undefined {
  if (route.verb !== verb) return undefined;
  const last = route.segments[route.segments.length - 1];
  const tail = last !== undefined && 'wildcard' in last && last.wildcard === '**';
  if (tail ? segments.length < route.segments.length : segments.length !== route.segments.length) return undefined;
  for (let i = 0; i < route.segments.length; i++) {
    const matcher = route.segments[i] as SegmentMatcher;
    const segment = segments[i] as string;
    if ('literal' in matcher ? segment !== matcher.literal : segment === '') return undefined;
  }
  const fields: Record<string, string> = {};
  for (const capture of route.captures) {
    const end = tail && capture.end === route.segments.length ? segments.length : capture.end;
    fields[capture.field] = segments.slice(capture.start, end).map(decodeSegment).join('/');
  }
  return fields;
}

/**
 * Finds the route for a request path (without the query string). A path that some route has but not for this HTTP
 * method is `wrong-method` (405, with the allowed methods); anything else unmatched is `none` (404). Throws ApiError
 * INVALID_ARGUMENT for a malformed percent-encoding in a bound segment.
 */
export function matchRoute(routes: readonly Route[], httpMethod: string, path: string): RouteMatch {
  if (!path.startsWith('/')) return { kind: 'none' };
  let body = path.slice(1);
  let verb: string | undefined;
  const colon = body.lastIndexOf(':');
  if (colon > body.lastIndexOf('/')) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
  }
  const segments = body.split('/');
  for (const route of routes) {
    if (route.httpMethod !== httpMethod) continue;
    const fields = matchSegments(route, segments, verb);
    if (fields !== undefined) return { kind: 'route', route, fields };
  }
  const allowed: string[] = [];
  for (const route of routes) {
    if (!allowed.includes(route.httpMethod) && matchSegments(route, segments, verb) !== undefined) allowed.push(route.httpMethod);
  }
  return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'none' };
}
