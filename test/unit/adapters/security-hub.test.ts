import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecurityHubFindingSink } from '../../../functions/adapters/security-hub.ts';
import { FindingImportError, findingOf, type AsffFinding } from '../../../functions/domain/findings.ts';

// Security Hub's partial failures (FailedFindings) and throttling are not produced by moto: mocked at the adapter edge.
const finding = (i: number): AsffFinding =>
  findingOf({
    stream: {
      account: '123456789012',
      region: 'us-east-1',
      name: `s${i}`,
      arn: `arn:aws:firehose:us-east-1:123456789012:deliverystream/s${i}`,
    },
    outcome: 'FAILED',
    reason: 'KEY_PROBLEM',
    observedAt: Date.UTC(2026, 10, 1),
  });

describe('Security Hub finding sink', () => {
  const hub = mockClient(SecurityHubClient);
  /** The finding ids of each request sent. */
  const sent = () => hub.commandCalls(BatchImportFindingsCommand).map((call) => (call.args[0].input.Findings ?? []).map((f) => f.Id));
  let sink: SecurityHubFindingSink;
  const waits: number[] = [];
  beforeEach(() => {
    hub.reset();
    waits.length = 0;
    sink = new SecurityHubFindingSink(new SecurityHubClient({ region: 'us-east-1' }), { sleep: async (ms) => void waits.push(ms) });
  });
  afterEach(() => hub.reset());

  it('imports the findings in requests of at most 100', async () => {
    hub.on(BatchImportFindingsCommand).resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    await sink.import(Array.from({ length: 230 }, (_, i) => finding(i)));
    expect(sent().map((ids) => ids.length)).toEqual([100, 100, 30]);
  });

  it('sends again only the findings Security Hub refused, then succeeds', async () => {
    hub
      .on(BatchImportFindingsCommand)
      .resolvesOnce({
        FailedCount: 1,
        SuccessCount: 2,
        FailedFindings: [{ Id: finding(1).Id, ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
      })
      .resolves({ FailedCount: 0, SuccessCount: 1, FailedFindings: [] });
    await sink.import([finding(0), finding(1), finding(2)]);
    expect(sent()).toEqual([[finding(0).Id, finding(1).Id, finding(2).Id], [finding(1).Id]]);
    expect(waits).toEqual([200]);
  });

  it('throws FindingImportError naming what still failed after every attempt, so that EventBridge retries the event', async () => {
    hub.on(BatchImportFindingsCommand).resolves({
      FailedCount: 1,
      SuccessCount: 1,
      FailedFindings: [{ Id: finding(1).Id, ErrorCode: 'InvalidAccess', ErrorMessage: 'Security Hub is not enabled' }],
    });
    const error = await sink.import([finding(0), finding(1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FindingImportError);
    expect((error as FindingImportError).name).toBe('FindingImportError');
    expect((error as FindingImportError).failed).toEqual([
      { id: finding(1).Id, errorCode: 'InvalidAccess', errorMessage: 'Security Hub is not enabled' },
    ]);
    expect((error as Error).message).toContain('1 of 2 finding(s) were not imported');
    expect(sent()).toHaveLength(3);
    expect(waits).toEqual([200, 400]);
  });

  it('takes a failed request as a refusal of its whole batch, and retries it', async () => {
    hub
      .on(BatchImportFindingsCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }))
      .resolves({ FailedCount: 0, SuccessCount: 2, FailedFindings: [] });
    await sink.import([finding(0), finding(1)]);
    expect(sent()).toHaveLength(2);
  });

  it('refuses a finding over 240 KB without calling Security Hub', async () => {
    const huge = { ...finding(0), Description: 'x'.repeat(250 * 1024) };
    const error = await sink.import([huge]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FindingImportError);
    expect((error as FindingImportError).failed).toEqual([{ id: huge.Id, errorCode: 'FindingTooLarge' }]);
    expect(sent()).toHaveLength(0);
  });
});
