import type { Trigger } from '../events.ts';

/**
 * What starts (or ends) a stream's workflow: each EventBridge rule, its pattern file in
 * infra/event-patterns/, and the trigger it becomes. serverless.yml and the local bus both read
 * this table, so a rule exists in exactly one place.
 */
export const TRIGGER_RULES = {
  streamCreated: {
    pattern: 'stream-created.json',
    trigger: 'stream-created',
    description: 'a new stream (CloudTrail CreateDeliveryStream)',
  },
  encryptionStopped: { pattern: 'encryption-stopped.json', trigger: 'encryption-stopped', description: 'drift: someone stopped SSE' },
  encryptionStarted: {
    pattern: 'encryption-started.json',
    trigger: 'encryption-started-by-other',
    description: 'someone started SSE, perhaps with a key the policy does not accept; every Start is also budget accounting',
  },
  streamDeleted: { pattern: 'stream-deleted.json', trigger: undefined, description: "clean up the stream's state" },
  configComplianceChange: {
    pattern: 'config-compliance-change.json',
    trigger: 'config-change',
    description:
      'AWS Config found a stream NON_COMPLIANT with the managed rule kinesis-firehose-delivery-stream-encrypted (as named by the console, ' +
      'a conformance pack or Security Hub) or with a rule named in the deployment parameter configRuleNames; other rules start nothing',
  },
  configItemChange: {
    pattern: 'config-item-change.json',
    trigger: undefined,
    description:
      'AWS Config recorded a change to a stream: starts nothing, since a configuration item names no actor and may be the echo of our own Start',
  },
} as const satisfies Record<string, { pattern: string; trigger: Trigger | undefined; description: string }>;

export type TriggerRuleName = keyof typeof TRIGGER_RULES;
