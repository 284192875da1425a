import type { RemediationDeps } from '../domain/remediation/deps.ts';
import { enableEncryption } from '../domain/remediation/enable.ts';
import { remediationTask } from './remediation-task.ts';
import { lazily, productionDeps } from './wiring.ts';

export const makeEnableHandler = (deps: RemediationDeps) => remediationTask(enableEncryption, deps);

export const handler = lazily(() => makeEnableHandler(productionDeps()));
