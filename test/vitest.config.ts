import { relative } from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';
import { BEYOND_NODE_MODULES, TEST_PROJECTS } from './projects.ts';

const env = {
  POWERTOOLS_METRICS_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const root = new URL('..', import.meta.url).pathname;
const include = (dirs: readonly string[]) => dirs.map((dir) => `test/${dir}/**/*.test.ts`);

/** In the default project, importing a browser driver fails the importing file with a message naming it. */
function nodeOnlyImports(): Plugin {
  return {
    name: 'node-only-imports',
    enforce: 'pre',
    resolveId(source, importer) {
      const bare = source.startsWith('@') ? source.split('/').slice(0, 2).join('/') : source.split('/')[0];
      if (bare && BEYOND_NODE_MODULES.includes(bare)) {
        const where = importer ? relative(root, importer) : 'a test';
        throw new Error(
          `${where} imports ${source}, which needs more than Node.js and npm: move it to test/browser/ (npm run test:browser)`,
        );
      }
      return null;
    },
  };
}

// One config, three projects. `npm test` runs only `default` (Node.js and npm); the conformance suite
// (Python, moto, the AWS CLI) and the browser test (Debian's chromium) have their own npm scripts.
export default defineConfig({
  test: {
    root,
    globalSetup: ['test/support/global-setup.ts'],
    // `npm run coverage`: the deployed code's coverage, summed per layer by local/coverage-summary.ts.
    coverage: {
      provider: 'v8',
      include: ['functions/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
    projects: [
      {
        plugins: [nodeOnlyImports()],
        test: {
          name: 'default',
          root,
          include: include(TEST_PROJECTS.default.dirs),
          setupFiles: ['test/support/node-only-guard.ts'],
          environment: 'node',
          pool: 'forks',
          testTimeout: 20_000,
          hookTimeout: 30_000,
          env,
        },
      },
      {
        test: {
          name: 'conformance',
          root,
          include: include(TEST_PROJECTS.conformance.dirs),
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          env,
        },
      },
      {
        test: {
          name: 'browser',
          root,
          include: include(TEST_PROJECTS.browser.dirs),
          environment: 'node',
          pool: 'forks',
          testTimeout: 120_000,
          hookTimeout: 120_000,
          env,
        },
      },
    ],
  },
});
