/**
 * The local account and the tests run on the Node.js of the Lambda runtime (nodejs22.x). The npm
 * scripts get it from the pinned `node` dev dependency (its binary comes from the npm registry), so
 * they run on Node.js 22 even where the machine ships 20. aws-local-stepfunctions (the local state
 * machine runner) needs Promise.withResolvers, which Node.js 20 lacks: rather than patch a global,
 * say so plainly.
 */
export const MINIMUM_NODE_MAJOR = 22;

export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  const major = Number(version.split('.')[0]);
  if (major >= MINIMUM_NODE_MAJOR) return undefined;
  return (
    `firehose-sse-guard needs Node.js ${MINIMUM_NODE_MAJOR} or later (the Lambda runtime is nodejs22.x); this is Node.js ${version}. ` +
    'Run it through npm (npm start, npm test, npm run -s cli -- …), which uses the Node.js 22 that npm ci installs, or install Node.js 22+.'
  );
}

export function assertSupportedNode(version?: string): void {
  const problem = nodeVersionProblem(version);
  if (problem) throw new Error(problem);
}
