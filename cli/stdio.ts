/**
 * stdout carries only the command's output (JSON, CSV, JUnit, the table): everything else that writes
 * to stdout in this process (the handlers' Powertools logger and metrics, which the CLI runs locally,
 * and any console.log) goes to stderr instead.
 */
export function claimStdout(): (line: string) => void {
  const write = process.stdout.write.bind(process.stdout);
  // Powertools' Console and the global console look `write` up on the stream at each call.
  process.stdout.write = process.stderr.write.bind(process.stderr);
  // The handlers' INFO lines would bury the table and the progress on a terminal: warnings and errors
  // only, unless asked for (POWERTOOLS_LOG_LEVEL=INFO); metrics mean nothing outside Lambda.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  return (line) => void write(`${line}\n`);
}
