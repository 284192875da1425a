/**
 * Which test folder belongs to which vitest project, and what each project needs. `npm test` runs only
 * the default project, which must need nothing but Node.js and npm; test/unit/test-layout.test.ts
 * checks that every folder of test/ with tests is listed here exactly once, and the default project's
 * guard (test/support/node-only-guard.ts) fails any test that reaches for more.
 */
export const TEST_PROJECTS = {
  default: {
    dirs: ['unit', 'emulator', 'workflow', 'e2e', 'deploy'],
    command: 'npm test',
    needs: 'Node.js and npm only',
  },
  conformance: {
    dirs: ['conformance'],
    command: 'npm run test:conformance',
    needs: 'Python 3 with moto_server and the AWS CLI',
  },
  browser: {
    dirs: ['browser'],
    command: 'npm run test:browser',
    needs: "Debian's chromium (.ci/run installs it)",
  },
} as const;

export type TestProject = keyof typeof TEST_PROJECTS;

/** Modules that need a browser, or something else beyond Node.js and npm, to do anything. */
export const BEYOND_NODE_MODULES = ['playwright', 'playwright-core', 'puppeteer', 'puppeteer-core', 'selenium-webdriver', 'webdriverio'];

/** Executables a default-project test may start: Node.js itself, npm and npx. */
export const NODE_EXECUTABLES = ['node', 'npm', 'npx'];
