import type { StreamRef } from '../stream-ref.ts';

/** FNV-1a, 32 bits, as 8 hex digits: short, stable, and enough to tell a stream's events apart. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The execution name for a stream and the event that triggered it: the same event (a duplicate
 * delivery) always gives the same name, so Step Functions starts it once. At most 64 + 10 characters,
 * within the 80 that execution names allow, of characters they accept.
 */
export function executionName(ref: StreamRef, eventKey: string, tag = 'e'): string {
  return `${ref.name}-${tag}${fnv1a(`${ref.account}/${ref.region}/${ref.name}/${eventKey}`)}`;
}
