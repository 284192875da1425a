import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesPattern, validatePattern } from '../../../local/event-pattern.ts';
import { CORPUS_EVENTS, CORPUS_PATTERNS } from '../../support/pattern-corpus.ts';

describe('EventBridge content filtering (local bus)', () => {
  it.each(CORPUS_PATTERNS)('$rule', ({ pattern, matches }) => {
    validatePattern(pattern);
    expect(CORPUS_EVENTS.filter((e) => matchesPattern(pattern, e)).map((e) => e.id)).toEqual(matches);
  });

  it('matches fields inside arrays of objects element-wise (which moto does not)', () => {
    const event = {
      detail: {
        resources: [
          { type: 'bucket', arn: 'a' },
          { type: 'stream', arn: 'b' },
        ],
      },
    };
    expect(matchesPattern({ detail: { resources: { type: ['stream'] } } }, event)).toBe(true);
    expect(matchesPattern({ detail: { resources: { type: ['queue'] } } }, event)).toBe(false);
  });

  it('anything-but does not match an absent field, and handles suffix, wildcard and ignore-case arguments', () => {
    expect(matchesPattern({ detail: { x: [{ 'anything-but': 'a' }] } }, { detail: {} })).toBe(false);
    expect(matchesPattern({ detail: { x: [{ 'anything-but': { suffix: '.tmp' } }] } }, { detail: { x: 'a.log' } })).toBe(true);
    expect(matchesPattern({ detail: { x: [{ 'anything-but': { wildcard: '*.tmp' } }] } }, { detail: { x: 'a.tmp' } })).toBe(false);
    expect(matchesPattern({ detail: { x: [{ 'anything-but': { 'equals-ignore-case': 'A' } }] } }, { detail: { x: 'a' } })).toBe(false);
    expect(matchesPattern({ detail: { x: [{ 'anything-but': 3 }] } }, { detail: { x: 4 } })).toBe(true);
  });

  it('matches null exactly, escapes a literal star in wildcards, and keeps numbers and strings apart', () => {
    expect(matchesPattern({ detail: { x: [null] } }, { detail: { x: null } })).toBe(true);
    expect(matchesPattern({ detail: { x: [{ wildcard: 'a\\*b' }] } }, { detail: { x: 'a*b' } })).toBe(true);
    expect(matchesPattern({ detail: { x: [{ wildcard: 'a\\*b' }] } }, { detail: { x: 'axxb' } })).toBe(false);
    expect(matchesPattern({ detail: { x: ['5'] } }, { detail: { x: 5 } })).toBe(false);
    expect(matchesPattern({ detail: { x: [{ numeric: ['>', 1] }] } }, { detail: { x: '5' } })).toBe(false);
  });

  it.each([
    [[], 'expected a non-empty object'],
    [{ source: 'aws.firehose' }, 'expected an array of values or a nested object'],
    [{ source: [] }, 'an empty array matches nothing'],
    [{ source: [{ regex: 'a.*' }] }, "unknown filter 'regex'"],
    [{ detail: { n: [{ numeric: ['>>', 1] }] } }, "invalid argument for 'numeric'"],
    [{ detail: { n: [{ exists: 'yes' }] } }, "invalid argument for 'exists'"],
    [{ $or: [{ source: ['a'] }] }, 'expected an array of at least two patterns'],
    [{ detail: { ip: [{ cidr: 'not-a-network' }] } }, "invalid argument for 'cidr'"],
  ])('refuses the invalid pattern %j', (pattern, message) => {
    expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
    expect(() => validatePattern(pattern)).toThrow(message);
  });

  it('accepts every pattern in infra/event-patterns/', () => {
    const dir = new URL('../../../infra/event-patterns/', import.meta.url);
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) validatePattern(JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as unknown);
  });
});
