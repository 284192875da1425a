import type { RemediationDeps } from '../functions/domain/remediation/deps.ts';
import { makeCheckHandler } from '../functions/handlers/check.ts';
import { makeConcludeHandler } from '../functions/handlers/conclude.ts';
import { makeEnableHandler } from '../functions/handlers/enable.ts';
import { makeInspectHandler } from '../functions/handlers/inspect.ts';

/** The state machine's task functions (named as in the ASL's `Fn::GetAtt`), built on one set of adapters. */
export function remediationHandlers(deps: RemediationDeps) {
  return {
    inspect: makeInspectHandler(deps),
    enable: makeEnableHandler(deps),
    check: makeCheckHandler(deps),
    conclude: makeConcludeHandler(deps),
  };
}
