import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSupportedNode } from '../../local/node-version.ts';

/**
 * The tests run on the Lambda runtime's Node.js (22); npm's scripts bring it (the pinned `node` package).
 * One folder per run for packaged templates (test/support/package.ts): test files that package the
 * same stage and parameters share one `osls package`.
 */
export default function setup(): () => void {
  assertSupportedNode();
  const cache = mkdtempSync(join(tmpdir(), 'fsg-package-cache-'));
  process.env.FSG_PACKAGE_CACHE = cache;
  return () => rmSync(cache, { recursive: true, force: true });
}
