import { renderCsv, renderJson, renderJunit, renderTable, type OutputFormat } from './formats.ts';
import type { CliResult } from './result.ts';
import { renderAsff } from './asff.ts';

const RENDERERS = {
  table: renderTable,
  json: renderJson,
  csv: renderCsv,
  junit: renderJunit,
  asff: renderAsff,
} as const satisfies Record<OutputFormat, (result: CliResult) => string>;

/** The result on stdout, in the chosen format (a trailing line break is the writer's). */
export function writeResult(result: CliResult, format: OutputFormat, out: (line: string) => void): void {
  out(RENDERERS[format](result).replace(/\r?\n$/, ''));
}
