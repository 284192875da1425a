import type { StreamRef } from '../stream-ref.ts';

/**
 * Where this deployment acts: the accounts (its own, a configured list, or any account of its
 * organization, whose default bus accepts only the organization's events) and the regions.
 */
export interface DeploymentScope {
  readonly accounts: readonly string[] | 'organization';
  /** Never these accounts, whatever `accounts` says (FSG_EXCLUDE_ACCOUNTS). */
  readonly exclude?: readonly string[];
  /** The configured regions, or `any` when the sweep covers each account's enabled regions. */
  readonly regions: readonly string[] | 'any';
}

/** Why an event's stream is outside the deployment's scope, or undefined when it is inside. */
export function outsideScope(ref: StreamRef, scope: DeploymentScope): string | undefined {
  if (scope.exclude?.includes(ref.account))
    return `account ${ref.account} is excluded from this deployment (excludeAccounts): its stream ${ref.name} is not ours to remediate`;
  if (scope.accounts !== 'organization' && !scope.accounts.includes(ref.account))
    return `account ${ref.account} is outside this deployment's accounts (${scope.accounts.join(', ')}): its stream ${ref.name} is not ours to remediate`;
  if (scope.regions !== 'any' && !scope.regions.includes(ref.region))
    return `region ${ref.region} is outside this deployment's regions (${scope.regions.join(', ')}): its stream ${ref.name} is not ours to remediate`;
  return undefined;
}
