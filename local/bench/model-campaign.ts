/**
 * The long campaign of the model-based test (local/model-check.ts): `npm run campaign -- --schedules
 * 20000 [--seed N]`. Prints progress, every violation with its schedule, and as its last line one JSON
 * object: { schedules, violations, byProperty, seconds }.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { ModelChecker, type Violation } from '../model-check.ts';
import { scheduleArbitrary } from '../model-schedules.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
const { values } = parseArgs({ options: { schedules: { type: 'string', default: '20000' }, seed: { type: 'string', default: '1' } } });
const total = Number(values.schedules);
const seed = Number(values.seed);
if (!Number.isInteger(total) || total < 1) throw new Error(`--schedules must be a positive integer, got ${values.schedules}`);

const checker = await ModelChecker.start();
const began = performance.now();
const byProperty: Record<string, number> = {};
let violations = 0;
let run = 0;
const batch = 100;
for (let offset = 0; offset < total; offset += batch) {
  const schedules = fc.sample(scheduleArbitrary(), { numRuns: Math.min(batch, total - offset), seed: seed + offset });
  for (const schedule of schedules) {
    run += 1;
    const found: Violation[] = await checker.run(schedule);
    for (const v of found) {
      violations += 1;
      byProperty[v.property] = (byProperty[v.property] ?? 0) + 1;
      console.log(`violation (${v.property}) ${v.stream ?? ''}: ${v.details}\n  schedule: ${JSON.stringify(schedule)}`);
    }
  }
  console.error(`${run}/${total} schedules, ${violations} violations, ${((performance.now() - began) / 1000).toFixed(0)} s`);
}
await checker.close();
console.log(`${run} schedules run, ${violations} violations found`);
console.log(JSON.stringify({ schedules: run, violations, byProperty, seconds: Math.round((performance.now() - began) / 1000) }));
process.exit(violations > 0 ? 1 : 0);
