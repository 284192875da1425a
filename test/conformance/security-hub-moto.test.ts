import { GetFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecurityHubFindingSink } from '../../functions/adapters/security-hub.ts';
import { buildEvent, type EventDetails, type EventKind } from '../../functions/domain/events.ts';
import { ASFF_SCHEMA_VERSION, findingIdOf } from '../../functions/domain/findings.ts';
import { makeFindingsHandler } from '../../functions/handlers/findings.ts';
import { observability } from '../../functions/handlers/observability.ts';
import { startMoto, type MotoServer } from '../support/moto.ts';

const ACCOUNT = '123456789012';
const credentials = { accessKeyId: 'AKIALOCAL', secretAccessKey: 'local' };
const stream = {
  account: ACCOUNT,
  region: 'us-east-1',
  name: 'orders',
  arn: `arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/orders`,
};
const T0 = Date.UTC(2026, 10, 1, 12);

/** A compliance event as the rule on the compliance bus delivers it: the bus envelope around buildEvent's detail. */
function delivered<K extends EventKind>(kind: K, detail: EventDetails[K], at: number) {
  const event = buildEvent(kind, detail, at, `exec-${at}`);
  return {
    version: '0',
    id: `id-${at}`,
    'detail-type': event.detailType,
    source: event.source,
    account: ACCOUNT,
    time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: 'us-east-1',
    resources: [stream.arn],
    detail: event.detail,
  };
}

/**
 * moto_server's Security Hub as the second opinion on the request shape: the findings handler imports
 * through the real adapter and SDK client, and GetFindings (filtered by Id) reads back what was stored.
 */
describe('conformance: Security Hub findings on moto_server', () => {
  let moto: MotoServer;
  let hub: SecurityHubClient;
  let handle: (event: unknown) => Promise<unknown>;

  beforeAll(async () => {
    moto = await startMoto();
    hub = new SecurityHubClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials });
    const handler = makeFindingsHandler({ sink: new SecurityHubFindingSink(hub), homeAccount: ACCOUNT }, observability());
    handle = (event) => handler(event, {});
  }, 60_000);
  afterAll(async () => {
    hub?.destroy();
    await moto?.close();
  });

  const findingsOf = async () =>
    (await hub.send(new GetFindingsCommand({ Filters: { Id: [{ Value: findingIdOf(stream), Comparison: 'EQUALS' }] } }))).Findings ?? [];

  it('imports a failed remediation as an active FAILED finding of control DataFirehose.1, with its reason', async () => {
    const result = await handle(
      delivered(
        'remediationFailed',
        { stream, reason: 'KEY_PROBLEM', failureType: 'KMS_KEY_NOT_FOUND', details: 'the key was deleted', attempts: 2, callsSpent: 1 },
        T0,
      ),
    );
    expect(result).toEqual({ imported: findingIdOf(stream), outcome: 'FAILED' });
    const [finding, ...others] = await findingsOf();
    expect(others).toEqual([]);
    expect(finding).toMatchObject({
      SchemaVersion: ASFF_SCHEMA_VERSION,
      ProductArn: `arn:aws:securityhub:us-east-1:${ACCOUNT}:product/${ACCOUNT}/default`,
      AwsAccountId: ACCOUNT,
      Compliance: { Status: 'FAILED', SecurityControlId: 'DataFirehose.1' },
      RecordState: 'ACTIVE',
      Workflow: { Status: 'NEW' },
      Severity: { Label: 'HIGH' },
      Resources: [{ Type: 'Other', Id: stream.arn, Partition: 'aws', Region: 'us-east-1' }],
      UpdatedAt: new Date(T0).toISOString(),
    });
    expect(finding!.ProductFields).toMatchObject({ 'firehose-sse-guard/reason': 'KEY_PROBLEM/KMS_KEY_NOT_FOUND' });
  });

  it('updates the same finding (one per stream) to deferred, with the budget', async () => {
    await handle(
      delivered(
        'remediationDeferred',
        {
          stream,
          reason: 'BUDGET_SPENT',
          budget: { remainingOurs: 0, remainingTotal: 2 },
          details: 'budget spent',
          nextAttemptAt: '2026-11-02T09:00:00.000Z',
        },
        T0 + 60_000,
      ),
    );
    const [finding, ...others] = await findingsOf();
    expect(others).toEqual([]);
    expect(finding!.Compliance?.Status).toBe('FAILED');
    expect(finding!.ProductFields).toMatchObject({
      'firehose-sse-guard/budgetRemainingOurs': '0',
      'firehose-sse-guard/budgetRemainingTotal': '2',
    });
  });

  it('resolves the finding when the stream is remediated: PASSED and archived, UpdatedAt moved forward', async () => {
    await handle(
      delivered(
        'remediationSucceeded',
        {
          stream,
          key: { keyType: 'AWS_OWNED_CMK' },
          attempts: 1,
          callsSpent: 1,
          viaFallback: false,
          detectedAt: new Date(T0).toISOString(),
          protectedAt: new Date(T0 + 120_000).toISOString(),
          timeToCompliantSeconds: 120,
        },
        T0 + 120_000,
      ),
    );
    const [finding, ...others] = await findingsOf();
    expect(others).toEqual([]);
    // moto stores the whole finding again (Workflow included); Security Hub keeps the customer's Workflow
    // of an existing finding, which is why resolution rests on Compliance and RecordState.
    expect(finding).toMatchObject({
      Compliance: { Status: 'PASSED', SecurityControlId: 'DataFirehose.1' },
      RecordState: 'ARCHIVED',
      UpdatedAt: new Date(T0 + 120_000).toISOString(),
      CreatedAt: new Date(T0).toISOString(),
    });
    expect(finding!.ProductFields).toMatchObject({
      'firehose-sse-guard/outcome': 'REMEDIATED',
      'firehose-sse-guard/keyType': 'AWS_OWNED_CMK',
    });
  });

  it('imports nothing for a BUSY or REMEDIATE evaluation (an outcome follows), nor for a stream of another account', async () => {
    const busy = await handle(
      delivered(
        'evaluated',
        { stream, verdict: 'BUSY', encryption: { status: 'ENABLING' }, trigger: 'sweep', mode: 'enforce' },
        T0 + 180_000,
      ),
    );
    expect(busy).toEqual({ skipped: 'NOT_FINAL' });
    // Conclude publishes the evaluation (REMEDIATE, as first seen) with the outcome, at the same time: it must not reopen.
    const late = await handle(
      delivered(
        'evaluated',
        { stream, verdict: 'REMEDIATE', encryption: { status: 'DISABLED' }, trigger: 'sweep', mode: 'enforce' },
        T0 + 120_000,
      ),
    );
    expect(late).toEqual({ skipped: 'NOT_FINAL' });
    const other = { ...stream, account: '111111111111', arn: 'arn:aws:firehose:us-east-1:111111111111:deliverystream/orders' };
    const skipped = await handle(
      delivered(
        'evaluated',
        { stream: other, verdict: 'COMPLIANT', encryption: { status: 'ENABLED' }, trigger: 'sweep', mode: 'enforce' },
        T0,
      ),
    );
    expect(skipped).toEqual({ skipped: 'OTHER_ACCOUNT' });
    expect((await findingsOf())[0]).toMatchObject({ UpdatedAt: new Date(T0 + 120_000).toISOString(), Compliance: { Status: 'PASSED' } });
  });
});
