import type { StreamRef } from '../stream-ref.ts';

/**
 * FNV-1a, 64 bits, as its first 14 hex digits (56 bits): stable, and wide enough that two events of
 * one stream never share a name (32 bits collided: a colliding trigger was taken for a duplicate).
 */
function fnv1a56(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0').slice(0, 14);
}

/**
 * The execution name for a stream and the event that triggered it: the same event (a duplicate
 * delivery) always gives the same name, so Step Functions starts it once. At most 64 + 16 characters,
 * the 80 that execution names allow, of characters they accept.
 */
export function executionName(ref: StreamRef, eventKey: string, tag = 'e'): string {
  return `${ref.name}-${tag}${fnv1a56(`${ref.account}/${ref.region}/${ref.name}/${eventKey}`)}`;
}
