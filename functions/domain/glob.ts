/**
 * A glob as a regular expression: `*` is any run of characters (or, with `anyRun`, of the characters
 * that regex allows), `?` one character unless `singleChar` is off; everything else is literal.
 * Used by stream-name exemptions, key-policy actions and the loop guard's role patterns.
 */
export function globRegExp(pattern: string, options: { anyRun?: string; singleChar?: boolean; ignoreCase?: boolean } = {}): RegExp {
  const { anyRun = '.*', singleChar = true, ignoreCase = false } = options;
  let source = '';
  for (const c of pattern) {
    if (c === '*') source += anyRun;
    else if (c === '?' && singleChar) source += '.';
    else source += c.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '');
}
