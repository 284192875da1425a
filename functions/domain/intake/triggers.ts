import { TRIGGERS, type Trigger } from '../events.ts';
import table from './trigger-rules.json' with { type: 'json' };

/** The CloudTrail calls the intake acts on. */
export type ApiCallName =
  'CreateDeliveryStream' | 'StartDeliveryStreamEncryption' | 'StopDeliveryStreamEncryption' | 'DeleteDeliveryStream';

export interface TriggerRule {
  /** The rule's EventBridge pattern, a file in infra/event-patterns/. */
  pattern: string;
  /** The CloudTrail call the rule matches, for the rules on API calls. */
  eventName?: ApiCallName;
  /** The trigger a matching event becomes; none for the rules that start no workflow. */
  trigger?: Trigger;
  /** The deployment parameter that extends the pattern (infra/trigger-patterns.cjs). */
  parameter?: string;
  description: string;
}

export type TriggerRuleName = keyof typeof table;

const API_CALL_NAMES: readonly string[] = [
  'CreateDeliveryStream',
  'StartDeliveryStreamEncryption',
  'StopDeliveryStreamEncryption',
  'DeleteDeliveryStream',
] satisfies ApiCallName[];

function checked(
  name: string,
  rule: { pattern: string; eventName?: string; trigger: string | null; parameter?: string; description: string },
): TriggerRule {
  if (rule.trigger !== null && !(TRIGGERS as readonly string[]).includes(rule.trigger))
    throw new Error(`trigger-rules.json: ${name}.trigger ${rule.trigger} is not one of ${TRIGGERS.join(', ')}`);
  if (rule.eventName !== undefined && !API_CALL_NAMES.includes(rule.eventName))
    throw new Error(`trigger-rules.json: ${name}.eventName ${rule.eventName} is not one of ${API_CALL_NAMES.join(', ')}`);
  return {
    pattern: rule.pattern,
    ...(rule.eventName !== undefined ? { eventName: rule.eventName as ApiCallName } : {}),
    ...(rule.trigger !== null ? { trigger: rule.trigger as Trigger } : {}),
    ...(rule.parameter !== undefined ? { parameter: rule.parameter } : {}),
    description: rule.description,
  };
}

/**
 * What starts (or ends) a stream's workflow: each EventBridge rule, its pattern file in
 * infra/event-patterns/, the call it matches and the trigger it becomes. The table is data
 * (trigger-rules.json) so that every side reads this one copy: serverless.yml generates the intake's
 * rules from it (infra/trigger-patterns.cjs), the local bus routes with it, and the intake takes each
 * call's trigger from it.
 */
export const TRIGGER_RULES: Readonly<Record<TriggerRuleName, TriggerRule>> = Object.fromEntries(
  Object.entries(table).map(([name, rule]) => [name, checked(name, rule)]),
) as Record<TriggerRuleName, TriggerRule>;

/** The rule that matches a CloudTrail call. */
export function ruleForCall(eventName: ApiCallName): TriggerRule {
  const rule = Object.values(TRIGGER_RULES).find((r) => r.eventName === eventName);
  if (!rule) throw new Error(`no trigger rule matches ${eventName}`);
  return rule;
}

/** The trigger a rule's events become (for the rules that start workflows). */
export function triggerOf(rule: TriggerRule): Trigger {
  if (!rule.trigger) throw new Error(`the rule for ${rule.pattern} starts no workflow`);
  return rule.trigger;
}
