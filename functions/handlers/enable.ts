import type { EnableDeps } from '../domain/remediation/deps.ts';
import { enableEncryption } from '../domain/remediation/enable.ts';
import { remediationTask } from './remediation-task.ts';
import { lazily, enableDeps } from './wiring.ts';

export const makeEnableHandler = (deps: EnableDeps) => remediationTask(enableEncryption, deps);

export const handler = lazily(() => makeEnableHandler(enableDeps()));
