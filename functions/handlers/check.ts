import type { CheckDeps } from '../domain/remediation/deps.ts';
import { checkEncryption } from '../domain/remediation/check.ts';
import { remediationTask } from './remediation-task.ts';
import { lazily, checkDeps } from './wiring.ts';

export const makeCheckHandler = (deps: CheckDeps) => remediationTask(checkEncryption, deps);

export const handler = lazily(() => makeCheckHandler(checkDeps()));
