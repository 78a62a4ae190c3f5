/**
 * JSON data as YAML block text, for `--format yaml`. Only what JSON holds (objects, arrays, strings, numbers,
 * booleans, null), so a small emitter does: a string is written plain when YAML would read it back as the same string,
 * and as a JSON string otherwise (a JSON string is a valid YAML double-quoted scalar, escapes included). Keys are
 * quoted by the same rule. Control characters never reach the terminal raw: JSON escapes C0 ones, the caller escapes
 * the rest (printable).
 */

/** Plain scalars that YAML 1.1 or 1.2 would read as something other than a string. */
const RESERVED = /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|y|Y|n|N|\.inf|\.Inf|\.INF|-\.inf|-\.Inf|-\.INF|\.nan|\.NaN|\.NAN)$/;
const NUMBER_LIKE = /^[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$|^0[xob]/;
/** Safe as a plain scalar: starts with a letter, digit, `/`, `_` or `.`, and holds no `: `, ` #` or flow indicators. */
const SAFE_PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./@ +=()~$^!%*?-]*$/;

function scalarString(text: string): string {
  const plain = text !== '' && SAFE_PLAIN.test(text) && !text.endsWith(' ') && !RESERVED.test(text) && !NUMBER_LIKE.test(text);
  return plain ? text : JSON.stringify(text);
}

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return scalarString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? '.inf' : value < 0 ? '-.inf' : '.nan';
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? 'null';
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === 'object' && value !== null;
}

function isEmpty(value: Record<string, unknown> | unknown[]): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

function lines(value: unknown, indent: string, out: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) {
      if (isContainer(item) && !isEmpty(item)) {
        const nested: string[] = [];
        lines(item, `${indent}  `, nested);
        // The first line of the nested block goes on the dash's line.
        out.push(`${indent}- ${(nested[0] ?? '').trimStart()}`, ...nested.slice(1));
      } else {
        out.push(`${indent}- ${isContainer(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
      }
    }
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    const label = `${indent}${scalarString(key)}:`;
    if (isContainer(item) && !isEmpty(item)) {
      out.push(label);
      lines(item, Array.isArray(item) ? indent : `${indent}  `, out);
    } else {
      out.push(`${label} ${isContainer(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item)}`);
    }
  }
}

/** One YAML document for `value` (no `---`), lines joined with `\n`, without a final newline. */
export function toYaml(value: unknown): string {
  if (!isContainer(value)) return scalar(value);
  if (isEmpty(value)) return Array.isArray(value) ? '[]' : '{}';
  const out: string[] = [];
  lines(value, '', out);
  return out.join('\n');
}
