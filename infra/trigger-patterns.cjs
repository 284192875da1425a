// The intake's EventBridge rules, generated from the trigger table
// (functions/domain/intake/trigger-rules.json, which the intake and the local bus read too). Each
// rule's pattern is its file in infra/event-patterns/; a rule that takes a deployment parameter adds
// only what the parameter names, so with the parameter's default it is that file, unchanged.
const fs = require('node:fs');
const path = require('node:path');

const readJson = (file) => JSON.parse(fs.readFileSync(path.join(__dirname, file), 'utf8'));
const read = (file) => readJson(path.join('event-patterns', file));
const rules = () => readJson(path.join('..', 'functions', 'domain', 'intake', 'trigger-rules.json'));

/** EventBridge retries a failed delivery to the intake for an hour, then parks the event in the rule dead-letter queue. */
const DELIVERY = {
  deadLetterQueueArn: { 'Fn::GetAtt': ['RuleDeadLetterQueue', 'Arn'] },
  retryPolicy: { maximumEventAge: 3600, maximumRetryAttempts: 10 },
};

/**
 * The Config compliance-change rule: the managed rule's names (in the file) plus the rule names in
 * the parameter configRuleNames (comma-separated), so that a NON_COMPLIANT verdict of any other
 * Config rule starts nothing.
 */
async function configRuleNames(pattern, resolveVariable) {
  const extra = String((await resolveVariable('param:configRuleNames')) ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const names = pattern.detail.configRuleName;
  for (const name of extra) if (!names.includes(name)) names.push(name);
  return pattern;
}

const PARAMETERS = { configRuleNames };

module.exports.configComplianceChange = async ({ resolveVariable }) =>
  configRuleNames(read(rules().configComplianceChange.pattern), resolveVariable);

/** The intake function's `events`: one eventBridge rule per row of the trigger table, in its order. */
module.exports.intakeEvents = async ({ resolveVariable }) => {
  const events = [];
  for (const [name, rule] of Object.entries(rules())) {
    let pattern = read(rule.pattern);
    if (rule.parameter !== undefined) {
      const extend = PARAMETERS[rule.parameter];
      if (!extend) throw new Error(`trigger-rules.json: ${name} names an unknown parameter ${rule.parameter}`);
      pattern = await extend(pattern, resolveVariable);
    }
    events.push({ eventBridge: { pattern, ...DELIVERY } });
  }
  return events;
};
