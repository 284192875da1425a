const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content or a quoted attribute: stream names and reasons are user-controlled. */
export const escapeHtml = (text: unknown): string => String(text).replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes, so that no
 * value (a stream named `</script><script>…`) can close the block or open a comment; U+2028/2029 too.
 */
export const jsonForScript = (value: unknown): string =>
  JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
