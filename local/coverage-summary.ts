import { readFileSync } from 'node:fs';

/**
 * Sums vitest's coverage/coverage-summary.json per layer of functions/ (domain, adapters, handlers)
 * and prints one table, then one JSON line: `npm run coverage` ends with it.
 */
interface Counts {
  total: number;
  covered: number;
}
type FileSummary = Record<'lines' | 'statements' | 'functions' | 'branches', Counts>;

const METRICS = ['lines', 'branches', 'functions'] as const;
const summary = JSON.parse(readFileSync(new URL('../coverage/coverage-summary.json', import.meta.url), 'utf8')) as Record<
  string,
  FileSummary
>;
const layers = new Map<string, Record<(typeof METRICS)[number], Counts>>();
for (const [file, counts] of Object.entries(summary)) {
  const layer = /\/functions\/(domain|adapters|handlers)\//.exec(file)?.[1] ?? (file === 'total' ? undefined : 'other');
  if (!layer) continue;
  const sums = layers.get(layer) ?? {
    lines: { total: 0, covered: 0 },
    branches: { total: 0, covered: 0 },
    functions: { total: 0, covered: 0 },
  };
  for (const metric of METRICS) {
    sums[metric].total += counts[metric].total;
    sums[metric].covered += counts[metric].covered;
  }
  layers.set(layer, sums);
}
const percent = (c: Counts) => (c.total === 0 ? 100 : Math.round((1000 * c.covered) / c.total) / 10);
const result = Object.fromEntries(
  [...layers]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([layer, sums]) => [layer, Object.fromEntries(METRICS.map((m) => [m, percent(sums[m])]))]),
);
for (const [layer, p] of Object.entries(result)) console.log(`${layer.padEnd(10)} ${METRICS.map((m) => `${m} ${p[m]}%`).join('  ')}`);
console.log(JSON.stringify({ coverage: result }));
