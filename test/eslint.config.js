// ESLint with typescript-eslint's type-checked rules; `npm test` runs it and allows no finding.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.serverless/**', '.esbuild/**', 'coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: new URL('..', import.meta.url).pathname } },
    rules: {
      // An async method with no await is how an in-memory or local port keeps a Promise-returning contract.
      '@typescript-eslint/require-await': 'off',
      // `_name` marks what is left out on purpose (a destructured field, an unused parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Vitest's asymmetric matchers (expect.any, expect.stringMatching, …) are typed `any` by design.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      // Tests hand methods of stores and clocks around to wrap them (fault injection), bound or not.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
