import type { RemediationDeps } from '../domain/remediation/deps.ts';
import { checkEncryption } from '../domain/remediation/check.ts';
import { remediationTask } from './remediation-task.ts';
import { lazily, productionDeps } from './wiring.ts';

export const makeCheckHandler = (deps: RemediationDeps) => remediationTask(checkEncryption, deps);

export const handler = lazily(() => makeCheckHandler(productionDeps()));
