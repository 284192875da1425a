import type { StreamRef } from '../functions/domain/stream-ref.ts';
import { LEASE_SECONDS } from '../functions/domain/remediation/bounds.ts';
import { EXIT } from './result.ts';
import { streamKey } from './sweep-gateway.ts';

/** The remediations under way, for what Ctrl-C says. */
export class RemediationsInFlight {
  readonly #streams = new Map<string, { ref: StreamRef; startCalled: boolean }>();

  readonly note = (ref: StreamRef, change: 'running' | 'start-called' | 'done'): void => {
    const key = streamKey(ref);
    if (change === 'done') this.#streams.delete(key);
    else if (change === 'running') this.#streams.set(key, { ref, startCalled: false });
    else this.#streams.set(key, { ref, startCalled: true });
  };

  /** What stopping now leaves behind, one line each: the streams, where each was, and who finishes them. */
  lines(fixing: boolean): string[] {
    const streams = [...this.#streams.values()].sort((a, b) => streamKey(a.ref).localeCompare(streamKey(b.ref)));
    if (!fixing || streams.length === 0) return ['firehose-sse-guard: interrupted (Ctrl-C); no remediation was under way'];
    const hours = Math.ceil(LEASE_SECONDS / 3600);
    return [
      `firehose-sse-guard: interrupted (Ctrl-C) with ${streams.length} ${streams.length === 1 ? 'stream' : 'streams'} mid-remediation:`,
      ...streams.map(({ ref, startCalled }) =>
        startCalled
          ? `  ${streamKey(ref)}: StartDeliveryStreamEncryption called, encryption ENABLING (Firehose completes it without us; its outcome is not recorded)`
          : `  ${streamKey(ref)}: inspected, no Start called (no budget spent)`,
      ),
      `firehose-sse-guard: the deployed system's next sweep finishes them, or a rerun of this sweep once their leases lapse (up to ${hours} h)`,
    ];
  }
}

/**
 * Until `stop()`, Ctrl-C (SIGINT) or SIGTERM writes what was left mid-remediation to stderr and exits
 * 130 (128 + SIGINT, as shells report it), instead of dying without a word.
 */
export function onInterrupt(lines: () => string[], write: (line: string) => void = (l) => void process.stderr.write(`${l}\n`)): () => void {
  const handler = () => {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
    for (const line of lines()) write(line);
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
