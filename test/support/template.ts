import type { Packaged } from './package.ts';

/** An IAM policy statement as a packaged template holds it. */
export type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/** The statements of one role's inline policies. */
export function statementsOf(packaged: Packaged, roleId: string): Statement[] {
  const role = packaged.template.Resources[roleId]!;
  const policies = role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** The statements of every role of the template. */
export const allStatements = (packaged: Packaged): Statement[] =>
  Object.entries(packaged.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .flatMap(([id]) => statementsOf(packaged, id));

export const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourceText = (s: Statement): string => JSON.stringify(s.Resource);

export const resourcesOfType = (p: Packaged, type: string) => Object.entries(p.template.Resources).filter(([, r]) => r.Type === type);

/** A function's environment variables. */
export const environmentOf = (p: Packaged, fn: string) =>
  (p.template.Resources[`${fn}LambdaFunction`]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
