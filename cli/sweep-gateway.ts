import { RateLimitedError, TransientServiceError } from '../functions/domain/errors.ts';
import type { FirehoseGateway } from '../functions/domain/ports.ts';
import type { StreamRef } from '../functions/domain/stream-ref.ts';
import { firstLine } from './identity.ts';
import type { SweepProgress } from './progress.ts';

export const streamKey = (ref: Pick<StreamRef, 'account' | 'region' | 'name'>): string => `${ref.account}/${ref.region}/${ref.name}`;

/**
 * The sweep's view of Firehose from the CLI: a stream whose Describe or tags cannot be read (an
 * AccessDenied on that stream, a malformed answer) is noted in `errors` and passed to the sweep as
 * gone, so that the sweep goes on with the others and the result reports that stream as an error row
 * (the row's status is ERROR, never GONE: see sweep-run.ts). Throttling and transient failures are
 * the sweep's to retry and pass through. Listing is counted for the progress display.
 */
export function evaluatingGateway(firehose: FirehoseGateway, errors: Map<string, string>, progress?: SweepProgress): FirehoseGateway {
  const noted = async <T>(ref: StreamRef, call: () => Promise<T>, stand: T): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (error instanceof RateLimitedError || error instanceof TransientServiceError) throw error;
      errors.set(streamKey(ref), firstLine(error));
      return stand;
    }
  };
  return {
    describe: (ref) => noted(ref, () => firehose.describe(ref), undefined),
    tags: (ref) => noted(ref, () => firehose.tags(ref), {}),
    listNames: async (scope, options) => {
      const page = await firehose.listNames(scope, options);
      progress?.listed(scope.account, scope.region, page.names.length, page.more);
      return page;
    },
    startEncryption: (ref, key) => firehose.startEncryption(ref, key),
  };
}
