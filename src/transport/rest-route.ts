import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { OPERATIONS_SERVICE, type HttpRule, type ServiceProfile } from '../protos.js';
import { compileTemplate, expandTemplate, type CompiledTemplate } from './path-template.js';

/**
 * HTTP/JSON transcoding of google.longrunning.Operations requests (google/api/http.proto): which method, which path,
 * which body and which query string a request becomes, decided once per rule when the transport is created, so a
 * call only expands one template and copies a few fields.
 */

export type OperationsRpc = 'CancelOperation' | 'GetOperation' | 'ListOperations' | 'DeleteOperation';

/** Request field values by proto3 JSON name; a default value (empty string, 0, undefined) is not sent at all. */
export type RequestFields = Readonly<Record<string, string | number | undefined>>;

/** The fields each request message has, by proto3 JSON name (google/longrunning/operations.proto). */
const requestFields: Readonly<Record<OperationsRpc, readonly string[]>> = {
  CancelOperation: ['name'],
  GetOperation: ['name'],
  DeleteOperation: ['name'],
  ListOperations: ['name', 'filter', 'pageSize', 'pageToken'],
};

export interface Route {
  readonly selector: string;
  readonly method: HttpRule['method'];
  readonly template: CompiledTemplate;
  /** The base URL's path (`/prefix`), or '' for an origin. */
  readonly pathPrefix: string;
  /** `body: "*"`: every field the path does not take goes into one JSON object. */
  readonly bodyAll: boolean;
  /** `body: "field"`: that field alone is the body (its JSON name), the rest go to the query string. */
  readonly bodyField: string | undefined;
  /** Fields neither the path nor the body take: the query string (or, with `bodyAll`, the body). */
  readonly restFields: readonly string[];
  /** Template field paths that differ from their JSON names (`page_size`), so a call must rename them. */
  readonly renamed: ReadonlyArray<readonly [templateField: string, jsonName: string]>;
}

export interface BuiltRequest {
  readonly path: string;
  /** JSON text, or undefined for an empty body (sent with content-length 0 on POST). */
  readonly body: string | undefined;
}

function badRule(selector: string, problem: string): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, `unusable http rule for ${selector}: ${problem}`);
}

function jsonName(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
}

function compileRoute(rpc: OperationsRpc, rule: HttpRule, pathPrefix: string): Route {
  const known = requestFields[rpc];
  let template: CompiledTemplate;
  try {
    template = compileTemplate(rule.path);
  } catch (error) {
    throw badRule(rule.selector, error instanceof OperationsError ? error.rawMessage : String(error));
  }
  const renamed: Array<readonly [string, string]> = [];
  const pathFields = new Set<string>();
  for (const field of template.fields) {
    const name = jsonName(field);
    if (!known.includes(name)) throw badRule(rule.selector, `the path uses {${field}}, which the request does not have`);
    if (name !== field) renamed.push([field, name]);
    pathFields.add(name);
  }
  const body = rule.body ?? '';
  if (body !== '' && rule.method === 'GET') throw badRule(rule.selector, `a GET cannot have a body (body: ${JSON.stringify(body)})`);
  const bodyField = body === '' || body === '*' ? undefined : jsonName(body);
  if (bodyField !== undefined && (!known.includes(bodyField) || pathFields.has(bodyField))) {
    throw badRule(rule.selector, `body ${JSON.stringify(body)} is not a request field the path leaves free`);
  }
  return {
    selector: rule.selector,
    method: rule.method,
    template,
    pathPrefix,
    bodyAll: body === '*',
    bodyField,
    restFields: known.filter(name => !pathFields.has(name) && name !== bodyField),
    renamed,
  };
}

/**
 * One route per Operations RPC the profile has a rule for. A rule that cannot be used (bad template, a path variable
 * that is not a request field, a GET with a body) throws now, naming the selector: better than failing every call.
 */
export function compileRoutes(profile: ServiceProfile, pathPrefix: string): ReadonlyMap<OperationsRpc, Route> {
  const routes = new Map<OperationsRpc, Route>();
  for (const rpc of Object.keys(requestFields) as OperationsRpc[]) {
    const selector = `${OPERATIONS_SERVICE}.${rpc}`;
    const rule = profile.rules.find(r => r.selector === selector);
    if (rule !== undefined) routes.set(rpc, compileRoute(rpc, rule, pathPrefix));
  }
  return routes;
}

function isDefault(value: string | number | undefined): value is undefined | '' | 0 {
  return value === undefined || value === '' || value === 0;
}

/** Path, query string and body for one request; throws INVALID_ARGUMENT (from the template) before anything is sent. */
export function buildRequest(route: Route, fields: RequestFields): BuiltRequest {
  let pathFields = fields as Readonly<Record<string, string>>;
  if (route.renamed.length > 0) {
    const copy: Record<string, string> = { ...pathFields };
    for (const [templateField, name] of route.renamed) copy[templateField] = String(fields[name] ?? '');
    pathFields = copy;
  }
  let path = route.pathPrefix + expandTemplate(route.template, pathFields).path;
  const { restFields } = route;
  if (route.bodyAll) {
    let object: Record<string, string | number> | undefined;
    for (const name of restFields) {
      const value = fields[name];
      if (!isDefault(value)) (object ??= {})[name] = value;
    }
    return { path, body: object === undefined ? undefined : JSON.stringify(object) };
  }
  let separator = '?';
  for (const name of restFields) {
    const value = fields[name];
    if (isDefault(value)) continue;
    path += `${separator}${name}=${encodeURIComponent(value)}`;
    separator = '&';
  }
  const bodyValue = route.bodyField === undefined ? undefined : fields[route.bodyField];
  return { path, body: isDefault(bodyValue) ? undefined : JSON.stringify(bodyValue) };
}
