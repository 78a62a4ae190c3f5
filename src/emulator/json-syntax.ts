/**
 * Where a text stops being JSON, as line and column, without quoting any of it. JSON.parse's own messages quote the
 * text around the error (`Unexpected token 'a', "abc-secret" is not valid JSON`), which for a file of tokens prints a
 * short token whole: a message about a secret file must say only where its syntax breaks.
 */

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
/** Deeper than this is reported as the place it breaks: nobody writes a token file that deep. */
const MAX_DEPTH = 256;

/** The offset of the first character that is not valid JSON there (text.length when it ends too early); undefined when valid. */
export function jsonSyntaxErrorOffset(text: string): number | undefined {
  let i = 0;
  const space = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    for (i++; i < text.length; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 34 /* " */) {
        i++;
        return true;
      }
      if (ch < 0x20) return false;
      if (ch === 92 /* \ */) {
        const next = text[i + 1] ?? '';
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 5;
        } else if ('"\\/bfnrt'.includes(next) && next !== '') {
          i++;
        } else {
          i++;
          return false;
        }
      }
    }
    return false;
  };
  const value = (depth: number): boolean => {
    space();
    const ch = text[i];
    if (ch === '"') return string();
    if (ch === '{' || ch === '[') {
      if (depth >= MAX_DEPTH) return false;
      const close = ch === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return true;
      }
      for (;;) {
        if (ch === '{') {
          space();
          if (!string()) return false;
          space();
          if (text[i] !== ':') return false;
          i++;
        }
        if (!value(depth + 1)) return false;
        space();
        if (text[i] === close) {
          i++;
          return true;
        }
        if (text[i] !== ',') return false;
        i++;
      }
    }
    for (const literal of ['true', 'false', 'null']) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return true;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return true;
    }
    return false;
  };
  if (!value(0)) return Math.min(i, text.length);
  space();
  return i === text.length ? undefined : i;
}

/** `line L, column C` (both from 1) of an offset in `text`. */
export function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}
