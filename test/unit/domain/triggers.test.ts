import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRIGGERS } from '../../../functions/domain/events.ts';
import { ruleForCall, triggerOf, TRIGGER_RULES, type ApiCallName } from '../../../functions/domain/intake/triggers.ts';

const CALLS: ApiCallName[] = [
  'CreateDeliveryStream',
  'StartDeliveryStreamEncryption',
  'StopDeliveryStreamEncryption',
  'DeleteDeliveryStream',
];

describe('the trigger table (trigger-rules.json)', () => {
  it('has one rule per CloudTrail call the intake acts on, each with the trigger it becomes', () => {
    expect(CALLS.map((call) => ruleForCall(call).trigger)).toEqual([
      'stream-created',
      'encryption-started-by-other',
      'encryption-stopped',
      undefined,
    ]);
    for (const call of CALLS) expect(Object.values(TRIGGER_RULES).filter((r) => r.eventName === call)).toHaveLength(1);
  });

  it('names only known triggers, and every pattern file in infra/event-patterns/ exactly once', () => {
    for (const rule of Object.values(TRIGGER_RULES)) if (rule.trigger) expect(TRIGGERS).toContain(rule.trigger);
    const files = readdirSync(new URL('../../../infra/event-patterns/', import.meta.url)).sort();
    expect(
      Object.values(TRIGGER_RULES)
        .map((r) => r.pattern)
        .sort(),
    ).toEqual(files);
  });

  it('refuses to take a workflow trigger from a rule that starts none', () => {
    expect(() => triggerOf(TRIGGER_RULES.streamDeleted)).toThrow('starts no workflow');
    expect(triggerOf(TRIGGER_RULES.configComplianceChange)).toBe('config-change');
  });
});
