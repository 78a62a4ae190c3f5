import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

/**
 * gRPC transcoding path templates (google/api/http.proto, https://google.aip.dev/127), compiled once per rule so a
 * call only walks a few precomputed parts:
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     FieldPath = IDENT { "." IDENT } ;
 *     Verb     = ":" LITERAL ;
 *
 * This is the client side: every part of the path must come from a request field, so a wildcard outside a variable
 * is refused when the template is compiled (nothing could fill it). Literals are RFC 3986 unreserved characters.
 */

/** One segment of a variable's pattern: a literal, `*` (exactly one segment) or `**` (zero or more, only last). */
type PatternSegment = { readonly kind: 'literal'; readonly text: string } | { readonly kind: '*' } | { readonly kind: '**' };

interface VariablePart {
  /** Dotted field path as written in the template, e.g. `name` or `operation.name`. */
  readonly field: string;
  readonly segments: readonly PatternSegment[];
  /** The pattern as written (`projects/*\/locations/*`), for error messages. */
  readonly pattern: string;
  /** More than one segment or a `**`: `/` in the value is a separator and stays unencoded. */
  readonly multiSegment: boolean;
}

/** A template ready to expand: literal text between the variables, joining slashes included. */
export interface CompiledTemplate {
  readonly source: string;
  /** `literals[i]` precedes `variables[i]`; the final literal (with the verb, if any) follows the last variable. */
  readonly literals: readonly string[];
  readonly variables: readonly VariablePart[];
  /** The custom verb without its colon (`cancel`), or undefined. */
  readonly verb: string | undefined;
  /** Field paths the template consumes, in order. */
  readonly fields: readonly string[];
  /** The same field paths as a set, built once (every expansion consumes all of them). */
  readonly fieldSet: ReadonlySet<string>;
}

const LITERAL = /^[A-Za-z0-9._~-]+$/;
const IDENT_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
/** Values made only of these need no encoding at all (the common case: names.ts allows nothing else). */
const PLAIN_SEGMENT = /^[A-Za-z0-9._~-]*$/;
const PLAIN_MULTI = /^[A-Za-z0-9._~/-]*$/;

function badTemplate(source: string, problem: string): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, `invalid path template ${JSON.stringify(source)}: ${problem}`);
}

function parseSegments(source: string, text: string, where: string): PatternSegment[] {
  const out: PatternSegment[] = [];
  const parts = text.split('/');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '*') out.push({ kind: '*' });
    else if (part === '**') {
      if (i !== parts.length - 1) throw badTemplate(source, `"**" must be the last segment ${where}`);
      out.push({ kind: '**' });
    } else if (part === '') throw badTemplate(source, `empty segment ${where}`);
    else if (part === '.' || part === '..') throw badTemplate(source, `a "${part}" segment ${where}`);
    else if (!LITERAL.test(part)) {
      throw badTemplate(source, `literal ${JSON.stringify(part)} ${where} has characters outside letters, digits and "-_.~"`);
    } else out.push({ kind: 'literal', text: part });
  }
  return out;
}

/**
 * Parses a template such as `/v1/{name=projects/*\/locations/*\/operations/*}:cancel`. Throws OperationsError
 * INVALID_ARGUMENT naming the template and what is wrong with it (the profile is user-supplied data).
 */
export function compileTemplate(source: string): CompiledTemplate {
  if (typeof source !== 'string' || !source.startsWith('/')) throw badTemplate(String(source), 'it must start with "/"');
  // The verb is a ":" outside braces after the last segment; find braces first so `{a=b}` never hides one.
  let depth = 0;
  let verbAt = -1;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === '{') {
      if (depth > 0) throw badTemplate(source, 'variables cannot nest');
      depth = 1;
    } else if (ch === '}') {
      if (depth === 0) throw badTemplate(source, `unmatched "}" at ${i}`);
      depth = 0;
    } else if (ch === ':' && depth === 0) {
      if (verbAt !== -1) throw badTemplate(source, 'more than one ":"');
      verbAt = i;
    } else if (ch === '/' && depth === 0 && verbAt !== -1) throw badTemplate(source, 'the ":verb" must come after the last segment');
  }
  if (depth !== 0) throw badTemplate(source, 'unclosed "{"');
  const pathText = verbAt === -1 ? source : source.slice(0, verbAt);
  const verb = verbAt === -1 ? undefined : source.slice(verbAt + 1);
  if (verb !== undefined && !LITERAL.test(verb)) throw badTemplate(source, `verb ${JSON.stringify(verb)} must be letters, digits or "-_.~"`);

  const literals: string[] = [];
  const variables: VariablePart[] = [];
  const fields: string[] = [];
  let literal = '';
  let sawDoubleStar = false;
  // Split the path at top-level "/" only; a variable's pattern keeps its own slashes.
  const segments: string[] = [];
  let start = 1;
  depth = 0;
  for (let i = 1; i <= pathText.length; i++) {
    const ch = pathText[i];
    if (ch === '{') depth = 1;
    else if (ch === '}') depth = 0;
    else if (i === pathText.length || (ch === '/' && depth === 0)) {
      segments.push(pathText.slice(start, i));
      start = i + 1;
    }
  }
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s] as string;
    if (sawDoubleStar) throw badTemplate(source, '"**" must be the last segment of the path');
    literal += '/';
    if (segment.startsWith('{')) {
      if (!segment.endsWith('}')) throw badTemplate(source, `segment ${JSON.stringify(segment)} mixes a variable and a literal`);
      const inner = segment.slice(1, -1);
      const eq = inner.indexOf('=');
      const field = eq === -1 ? inner : inner.slice(0, eq);
      const pattern = eq === -1 ? '*' : inner.slice(eq + 1);
      if (!IDENT_PATH.test(field)) throw badTemplate(source, `variable name ${JSON.stringify(field)} is not a field path`);
      if (fields.includes(field)) throw badTemplate(source, `variable "${field}" appears twice`);
      const where = `in variable "${field}"`;
      const patternSegments = parseSegments(source, pattern, where);
      sawDoubleStar = patternSegments.some(p => p.kind === '**');
      literals.push(literal);
      literal = '';
      variables.push({ field, segments: patternSegments, pattern, multiSegment: patternSegments.length > 1 || sawDoubleStar });
      fields.push(field);
    } else if (segment === '*' || segment === '**') {
      throw badTemplate(source, `wildcard "${segment}" outside a variable cannot be filled from a request field`);
    } else {
      if (segment.includes('{') || segment.includes('}')) throw badTemplate(source, `segment ${JSON.stringify(segment)} mixes a variable and a literal`);
      const [only] = parseSegments(source, segment, 'in the path');
      literal += (only as { text: string }).text;
    }
  }
  literals.push(verb === undefined ? literal : `${literal}:${verb}`);
  return { source, literals, variables, verb, fields, fieldSet: new Set(fields) };
}

/** Whether the whole value matches the pattern: `*` is one non-empty segment, `**` zero or more, literals exactly. */
function matches(value: string, segments: readonly PatternSegment[]): boolean {
  let pos = 0;
  const length = value.length;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as PatternSegment;
    if (segment.kind === '**') {
      if (pos === length && i > 0) return true;
      if (i > 0) {
        if (value.charCodeAt(pos) !== 47 /* / */) return false;
        pos++;
      }
      // Zero or more non-empty segments, none of them a dot segment.
      while (true) {
        let end = value.indexOf('/', pos);
        if (end === -1) end = length;
        if (!isPlainSegment(value, pos, end)) return false;
        if (end === length) return true;
        pos = end + 1;
      }
    }
    if (i > 0) {
      if (value.charCodeAt(pos) !== 47) return false;
      pos++;
    }
    let end = value.indexOf('/', pos);
    if (end === -1) end = length;
    if (segment.kind === 'literal') {
      if (end - pos !== segment.text.length || !value.startsWith(segment.text, pos)) return false;
    } else if (!isPlainSegment(value, pos, end)) return false;
    pos = end;
  }
  return pos === length;
}

/** A non-empty segment that is not `.` or `..` (those would be collapsed by anything that normalizes the URL). */
function isPlainSegment(value: string, start: number, end: number): boolean {
  const size = end - start;
  if (size === 0) return false;
  if (size <= 2 && value.charCodeAt(start) === 46 && (size === 1 || value.charCodeAt(start + 1) === 46)) return false;
  return true;
}

/** Percent-encodes everything outside RFC 3986 unreserved (and `/` for multi-segment variables), per http.proto. */
function encode(value: string, multiSegment: boolean): string {
  if ((multiSegment ? PLAIN_MULTI : PLAIN_SEGMENT).test(value)) return value;
  const encoded = encodeURIComponent(value).replace(/[!'()*]/g, ch => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return multiSegment ? encoded.replace(/%2F/g, '/') : encoded;
}

function mismatch(variable: VariablePart, value: string, problem: string): OperationsError {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return new OperationsError(
    Code.INVALID_ARGUMENT,
    `invalid ${variable.field} ${JSON.stringify(shown)}: ${problem}; expected the pattern ${variable.pattern}`,
  );
}

/**
 * Fills a compiled template from request fields (keyed by the template's field paths). Each value must match its
 * variable's pattern, or OperationsError INVALID_ARGUMENT names the field, the value and the pattern; nothing is
 * silently encoded into a different resource. `usedFields` is the compiled template's own set (shared, read-only): the
 * fields a caller must leave out of the body or query string.
 */
export function expandTemplate(
  compiled: CompiledTemplate,
  fields: Readonly<Record<string, string>>,
): { path: string; usedFields: ReadonlySet<string> } {
  const { literals, variables } = compiled;
  let path = literals[0] as string;
  for (let i = 0; i < variables.length; i++) {
    const variable = variables[i] as VariablePart;
    const value = fields[variable.field];
    if (typeof value !== 'string' || value === '') throw mismatch(variable, value ?? '', 'the field is empty or missing');
    if (!matches(value, variable.segments)) throw mismatch(variable, value, 'it does not match');
    let encoded: string;
    try {
      encoded = encode(value, variable.multiSegment);
    } catch {
      throw mismatch(variable, value, 'it is not well-formed Unicode');
    }
    path += encoded + (literals[i + 1] as string);
  }
  return { path, usedFields: compiled.fieldSet };
}
