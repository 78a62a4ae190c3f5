/**
 * Commander's usage errors in the CLI's one style: `lro-cancel: <flag or argument> <what was expected>` and where to
 * read more. Commander words them its own way (`error: option '--concurrency <n>' argument 'x' is invalid. ...`,
 * `error: unknown option '--foo'`); our parsers already name the flag, so their message is kept as it is.
 */
export function usageLine(commanderMessage: string, command: string): string {
  let text = commanderMessage.replace(/^error: /, '').trim();
  const invalid = /^option '(-[^' ]+)[^']*' argument '([\s\S]*)' is invalid\.\s*([\s\S]*)$/.exec(text);
  if (invalid !== null) {
    const [, flag = '', value = '', reason = ''] = invalid;
    text = reason.startsWith(flag) ? reason : `${flag}: ${reason.replace(/\.$/, '')}, got ${JSON.stringify(value)}`;
  } else {
    text = text
      .replace(/^unknown option/, 'unknown flag')
      .replace(/(?:option )?'(-[^' ,]+)(?:, (-[^' ]+))?(?: <[^>]*>| \[[^\]]*\])?'/g, (_, short: string, long?: string) => long ?? short)
      .replace(/\s*\(Did you mean ([^)]*)\?\)/, ' (did you mean $1?)')
      .replace(/missing required argument '([^']+)'/, (_, name: string) => `missing the ${name.toUpperCase()} argument`)
      .replace(/\n+/g, ' ');
  }
  return `lro-cancel: ${text} (see ${command === 'lro-cancel' ? command : `lro-cancel ${command}`} --help)\n`;
}
