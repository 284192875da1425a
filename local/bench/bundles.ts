/**
 * Benchmark: the Lambda bundles. Packages the service offline (`osls package`, no credentials) and
 * reports, per function: the zip's size, the bundled JavaScript's size, and the cold init (a fresh
 * Node.js process: import the handler module, then the first invocation's setup, which builds the
 * function's adapters from the environment), as the median of several fresh processes. Each process
 * runs with the NODE_OPTIONS the deployed functions get from serverless.yml.
 *
 *   npm run bench:bundles [-- --runs 7] [-- --compare DIR]
 *
 * `--compare DIR` measures another packaged folder (e.g. an earlier commit's .serverless) side by
 * side, interleaved in the same run, and prints the ratio of each cold init to it.
 * The last line is one JSON object: {"functions": {"<name>": {"zipBytes", "jsBytes", "initMs"}}}.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { unzipSync } from 'fflate';
import { offlinePackageCommand } from '../osls-package.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, compare: { type: 'string' }, 'no-package': { type: 'boolean' } },
});
const runs = Number(values.runs);
const root = new URL('../..', import.meta.url).pathname;

function packageService(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fsg-bundles-'));
  const { command, args, cwd, env } = offlinePackageCommand(dir, { stage: 'bench' });
  execFileSync(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'inherit'] });
  return dir;
}

interface Bundle {
  name: string;
  zipBytes: number;
  jsBytes: number;
  file: string;
  nodeOptions: string;
}

/** Unzips each function's bundle into a folder of its own and reads its NODE_OPTIONS from the template. */
function bundlesOf(dir: string): Bundle[] {
  const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>;
  };
  const lambda = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
  const options = lambda?.Properties.Environment?.Variables?.NODE_OPTIONS;
  const nodeOptions = typeof options === 'string' ? options : '';
  const out = mkdtempSync(join(tmpdir(), 'fsg-unzipped-'));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.zip'))
    .map((zip) => {
      const name = zip.replace(/\.zip$/, '');
      const files = unzipSync(readFileSync(join(dir, zip)));
      const target = join(out, name);
      let jsBytes = 0;
      let file = '';
      for (const [path, content] of Object.entries(files)) {
        if (path.endsWith('/')) continue;
        const dest = join(target, path);
        mkdirSync(join(dest, '..'), { recursive: true });
        writeFileSync(dest, content);
        if (path.endsWith('.js')) jsBytes += content.length;
        if (path === `functions/handlers/${name}.js`) file = dest;
      }
      return { name, zipBytes: statSync(join(dir, zip)).size, jsBytes, file, nodeOptions };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const ENV = {
  STATE_TABLE_NAME: 'bench',
  EVENT_BUS_NAME: 'bench',
  AWS_REGION: 'eu-west-1',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:bench',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_ACCESS_KEY_ID: 'AKIABENCH',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
};

/** One fresh process: import, then the first invocation (its setup builds the adapters; the event is refused). */
function coldInitMs(bundle: Bundle): number {
  const script = `const t0 = performance.now(); const m = require(${JSON.stringify(bundle.file)});
    Promise.resolve(m.handler({}, { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 60000 }))
      .catch(() => {}).finally(() => { process.stdout.write(String(performance.now() - t0)); });`;
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { PATH: process.env.PATH ?? '', ...ENV, NODE_OPTIONS: bundle.nodeOptions },
    encoding: 'utf8',
  });
  return Number(run.stdout);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

const current = bundlesOf(values['no-package'] ? join(root, '.serverless') : packageService());
const baseline = values.compare ? new Map(bundlesOf(values.compare).map((b) => [b.name, b])) : undefined;
const results: Record<string, { zipBytes: number; jsBytes: number; initMs: number; baselineInitMs?: number; baselineZipBytes?: number }> =
  {};
for (const bundle of current) {
  const before = baseline?.get(bundle.name);
  const times: number[] = [];
  const beforeTimes: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    times.push(coldInitMs(bundle));
    if (before) beforeTimes.push(coldInitMs(before));
  }
  results[bundle.name] = {
    zipBytes: bundle.zipBytes,
    jsBytes: bundle.jsBytes,
    initMs: Math.round(median(times) * 10) / 10,
    ...(before ? { baselineInitMs: Math.round(median(beforeTimes) * 10) / 10, baselineZipBytes: before.zipBytes } : {}),
  };
}
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
console.log(
  `function    zip       js        cold init (median of ${runs})${baseline ? '   baseline zip   baseline init   init ratio' : ''}`,
);
for (const [name, r] of Object.entries(results)) {
  const compare =
    r.baselineInitMs !== undefined
      ? `   ${kb(r.baselineZipBytes ?? 0).padStart(12)}   ${`${r.baselineInitMs} ms`.padStart(13)}   ${(r.initMs / r.baselineInitMs).toFixed(2)}`
      : '';
  console.log(
    `${name.padEnd(10)}  ${kb(r.zipBytes).padStart(7)}  ${kb(r.jsBytes).padStart(7)}  ${`${r.initMs} ms`.padStart(10)}${compare}`,
  );
}
console.log(
  JSON.stringify({
    functions: Object.fromEntries(
      Object.entries(results).map(([n, r]) => [n, { zipBytes: r.zipBytes, jsBytes: r.jsBytes, initMs: r.initMs }]),
    ),
  }),
);
