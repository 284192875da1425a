/**
 * The layer rules and "no cycles", on every import (type-only ones too) of functions/, local/ and
 * cli/: the domain imports nothing outside the domain but packages; adapters never import handlers;
 * functions/ never imports local/ or cli/ (they may import functions/); no module reaches itself
 * through its imports. `npm run deps` (part of npm test) fails on any finding.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A module must not reach itself through its imports.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-only-domain',
      severity: 'error',
      comment: 'functions/domain is pure: it imports nothing of ours outside functions/domain.',
      from: { path: '^functions/domain/' },
      to: { pathNot: ['^functions/domain/', 'node_modules'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'domain-imports-no-node-or-sdk',
      severity: 'error',
      comment: 'The domain talks to AWS and the machine only through its ports.',
      from: { path: '^functions/domain/' },
      to: { path: ['node_modules/@aws-sdk/', 'node_modules/@smithy/'] },
    },
    {
      name: 'adapters-never-import-handlers',
      severity: 'error',
      from: { path: '^functions/adapters/' },
      to: { path: '^functions/handlers/' },
    },
    {
      name: 'functions-never-import-local-or-cli',
      severity: 'error',
      comment: 'local/ and cli/ may import functions/, never the reverse: nothing local is deployed.',
      from: { path: '^functions/' },
      to: { path: '^(local|cli)/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
