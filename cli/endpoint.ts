import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UsageError } from './args.ts';

/** An endpoint given on the command line that cannot serve: a runtime error (exit 3), said in one line naming the flag. */
export class EndpointError extends Error {
  override readonly name = 'EndpointError';
}

const PROBE_TIMEOUT_MS = 5_000;

/** What a failed connection's code means, in words. */
const NETWORK_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name does not resolve (DNS)',
  ECONNRESET: 'the connection was reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'its TLS certificate names another host',
};

/** A URL flag's value, refused as a usage error unless it is http(s). */
export function endpointOption(value: string | boolean | (string | boolean)[] | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`--${flag} takes one URL`);
  const text = value;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol))
    throw new UsageError(`--${flag} must be an http:// or https:// URL, got '${text}'`);
  return text;
}

/**
 * Asks the endpoint once, before any AWS client does, so that a wrong one is one line naming it
 * (the SDK would say "connect ECONNREFUSED" or a two-line XML parse error, about another call).
 * Any answer that is not an HTML page passes: an AWS API answers a bare POST with an error of its own.
 */
export async function probeEndpoint(url: string, flag: string): Promise<void> {
  let answer: { type: string; start: string };
  try {
    answer = await post(url);
  } catch (error) {
    throw new EndpointError(`cannot reach ${url} (--${flag}): ${networkFailure(error)}`);
  }
  if (answer.type.includes('text/html') || answer.start.startsWith('<!doctype html') || answer.start.startsWith('<html'))
    throw new EndpointError(`${url} (--${flag}) answered with HTML, not an AWS API`);
}

/** A bare POST with node:http (fetch refuses some ports outright, e.g. 1, as "bad port"): the answer's type and first bytes. */
function post(url: string): Promise<{ type: string; start: string }> {
  return new Promise((resolve, reject) => {
    const request = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      url,
      { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1' }, timeout: PROBE_TIMEOUT_MS },
      (response) => {
        let start = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (start.length < 200) start += chunk;
        });
        response.on('end', () =>
          resolve({ type: String(response.headers['content-type'] ?? ''), start: start.trimStart().slice(0, 200).toLowerCase() }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', reject);
    request.end('{}');
  });
}

function networkFailure(error: unknown): string {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'ETIMEDOUT') return `no answer in ${PROBE_TIMEOUT_MS / 1000} s`;
  return NETWORK_FAILURES[code] ?? (error instanceof Error ? error.message : String(error));
}

/** The words for an SDK call's error when it is a failed connection (the SDK keeps Node's code), else undefined. */
export function connectionFailure(error: unknown): string | undefined {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? '';
  return NETWORK_FAILURES[code];
}
