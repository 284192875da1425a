// Trigger-rule patterns that take a deployment parameter. Each starts from its file in
// infra/event-patterns/ (the one the local bus reads, so both apply the same rule) and adds only what
// the parameter names; with the parameter's default it is that file, unchanged.
const fs = require('node:fs');
const path = require('node:path');

const read = (file) => JSON.parse(fs.readFileSync(path.join(__dirname, 'event-patterns', file), 'utf8'));

/**
 * The Config compliance-change rule: the managed rule's names (in the file) plus the rule names in
 * the parameter configRuleNames (comma-separated), so that a NON_COMPLIANT verdict of any other
 * Config rule starts nothing.
 */
module.exports.configComplianceChange = async ({ resolveVariable }) => {
  const pattern = read('config-compliance-change.json');
  const extra = String((await resolveVariable('param:configRuleNames')) ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const names = pattern.detail.configRuleName;
  for (const name of extra) if (!names.includes(name)) names.push(name);
  return pattern;
};
