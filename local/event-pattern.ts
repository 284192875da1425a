import { isIP } from 'node:net';

/**
 * EventBridge content filtering, as the EventBridge user guide documents it: exact values, prefix,
 * suffix, anything-but (values, prefix, suffix, wildcard, equals-ignore-case), numeric, exists,
 * equals-ignore-case, wildcard, cidr, `$or`, and arrays (a field matches when any of its values
 * does; fields inside arrays of objects are matched element-wise). The local bus routes with it;
 * the conformance suite compares it with moto_server.
 */
export type EventPattern = { readonly [field: string]: unknown };

export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
}

const NAMED = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard', 'cidr']);
const NUMERIC_OPERATORS = new Set(['<', '<=', '=', '>=', '>']);

type Leaf = string | number | boolean | null;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLeaf = (v: unknown): v is Leaf => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** Throws InvalidEventPatternError for a pattern EventBridge would refuse. */
export function validatePattern(pattern: unknown, path = 'pattern'): asserts pattern is EventPattern {
  if (!isObject(pattern) || Object.keys(pattern).length === 0) throw new InvalidEventPatternError(`${path}: expected a non-empty object`);
  for (const [key, value] of Object.entries(pattern)) {
    const at = `${path}.${key}`;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2)
        throw new InvalidEventPatternError(`${at}: expected an array of at least two patterns`);
      value.forEach((sub, i) => validatePattern(sub, `${at}[${i}]`));
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new InvalidEventPatternError(`${at}: an empty array matches nothing`);
      value.forEach((f, i) => validateFilter(f, `${at}[${i}]`));
    } else if (isObject(value)) {
      validatePattern(value, at);
    } else {
      throw new InvalidEventPatternError(`${at}: expected an array of values or a nested object, got ${JSON.stringify(value)}`);
    }
  }
}

function validateFilter(filter: unknown, at: string): void {
  if (isLeaf(filter)) return;
  if (!isObject(filter) || Object.keys(filter).length !== 1)
    throw new InvalidEventPatternError(`${at}: expected a value or one named filter`);
  const [name, arg] = Object.entries(filter)[0] as [string, unknown];
  if (!NAMED.has(name)) throw new InvalidEventPatternError(`${at}: unknown filter '${name}'`);
  const stringOrIgnoreCase = (v: unknown): boolean => typeof v === 'string' || (isObject(v) && typeof v['equals-ignore-case'] === 'string');
  const ok: Record<string, () => boolean> = {
    prefix: () => stringOrIgnoreCase(arg),
    suffix: () => stringOrIgnoreCase(arg),
    'equals-ignore-case': () => typeof arg === 'string',
    wildcard: () => typeof arg === 'string',
    exists: () => typeof arg === 'boolean',
    cidr: () => typeof arg === 'string' && /^[0-9a-fA-F:.]+\/\d{1,3}$/.test(arg),
    numeric: () =>
      Array.isArray(arg) &&
      (arg.length === 2 || arg.length === 4) &&
      arg.every((v, i) => (i % 2 === 0 ? NUMERIC_OPERATORS.has(v as string) : typeof v === 'number' && Number.isFinite(v))),
    'anything-but': () =>
      isLeaf(arg) ||
      (Array.isArray(arg) && arg.length > 0 && arg.every(isLeaf)) ||
      (isObject(arg) &&
        Object.keys(arg).length === 1 &&
        ['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(Object.keys(arg)[0] as string)),
  };
  if (!(ok[name] as () => boolean)()) throw new InvalidEventPatternError(`${at}: invalid argument for '${name}': ${JSON.stringify(arg)}`);
}

/** Whether `event` matches `pattern`. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return matchNode(pattern, [event]);
}

/** Matches a pattern object against the values at one path (more than one inside arrays of objects). */
function matchNode(pattern: EventPattern, nodes: readonly unknown[]): boolean {
  return Object.entries(pattern).every(([key, sub]) => {
    if (key === '$or') return (sub as EventPattern[]).some((alternative) => matchNode(alternative, nodes));
    const children = nodes.flatMap((node) => childValues(node, key));
    if (Array.isArray(sub)) return matchLeaf(sub, children);
    return matchNode(sub as EventPattern, children.filter(isObject));
  });
}

/** The values of a field: an array's elements count one by one, as EventBridge flattens arrays. */
function childValues(node: unknown, key: string): unknown[] {
  if (Array.isArray(node)) return node.flatMap((element) => childValues(element, key));
  if (!isObject(node) || !(key in node)) return [];
  const value = node[key];
  return Array.isArray(value) ? value.flat(Infinity) : [value];
}

function matchLeaf(filters: readonly unknown[], values: readonly unknown[]): boolean {
  const leaves = values.filter(isLeaf);
  return filters.some((filter) => {
    if (isLeaf(filter)) return leaves.some((v) => v === filter);
    const [name, arg] = Object.entries(filter as Record<string, unknown>)[0] as [string, unknown];
    if (name === 'exists') return leaves.length > 0 === arg;
    if (name === 'anything-but') return leaves.length > 0 && leaves.some((v) => !matchesAnythingButArgument(arg, v));
    return leaves.some((v) => matchNamed(name, arg, v));
  });
}

function matchesAnythingButArgument(arg: unknown, value: Leaf): boolean {
  if (Array.isArray(arg)) return arg.some((a) => a === value);
  if (isObject(arg)) {
    const [name, inner] = Object.entries(arg)[0] as [string, unknown];
    return matchNamed(name, inner, value);
  }
  return arg === value;
}

function matchNamed(name: string, arg: unknown, value: Leaf): boolean {
  switch (name) {
    case 'prefix':
    case 'suffix': {
      if (typeof value !== 'string') return false;
      const ignoreCase = isObject(arg);
      const needle = ignoreCase ? String(arg['equals-ignore-case']).toLowerCase() : String(arg);
      const hay = ignoreCase ? value.toLowerCase() : value;
      return name === 'prefix' ? hay.startsWith(needle) : hay.endsWith(needle);
    }
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === String(arg).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegex(String(arg)).test(value);
    case 'numeric':
      return typeof value === 'number' && numericMatches(arg as (string | number)[], value);
    case 'cidr':
      return typeof value === 'string' && inCidr(value, String(arg));
    default:
      return false;
  }
}

function numericMatches(conditions: readonly (string | number)[], value: number): boolean {
  for (let i = 0; i < conditions.length; i += 2) {
    const bound = conditions[i + 1] as number;
    const ok = { '<': value < bound, '<=': value <= bound, '=': value === bound, '>=': value >= bound, '>': value > bound }[
      conditions[i] as string
    ];
    if (!ok) return false;
  }
  return true;
}

/** `*` matches any run of characters; `\*` is a literal star. */
function wildcardRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const c = pattern[i] as string;
    if (c === '\\' && (pattern[i + 1] === '*' || pattern[i + 1] === '\\')) {
      source += `\\${pattern[i + 1]}`;
      i += 1;
    } else source += c === '*' ? '.*' : c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function inCidr(address: string, cidr: string): boolean {
  const [network, bitsText] = cidr.split('/') as [string, string];
  const version = isIP(address);
  if (version === 0 || version !== isIP(network)) return false;
  const toBits = (ip: string): bigint =>
    version === 4
      ? ip.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n)
      : expandIpv6(ip).reduce((n, part) => (n << 16n) | BigInt(parseInt(part, 16)), 0n);
  const width = version === 4 ? 32n : 128n;
  const bits = BigInt(bitsText);
  if (bits > width) return false;
  const mask = bits === 0n ? 0n : ((1n << bits) - 1n) << (width - bits);
  return (toBits(address) & mask) === (toBits(network) & mask);
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const missing = ip.includes('::') ? 8 - headParts.length - tailParts.length : 0;
  return [...headParts, ...Array.from({ length: missing }, () => '0'), ...tailParts];
}
