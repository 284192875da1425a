import { defineConfig } from 'vitest/config';

// The moto_server second opinion: needs Python and moto, so it is kept out of `npm test`.
export default defineConfig({
  test: {
    include: ['test/conformance/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
