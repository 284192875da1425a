import { CreateDeliveryStreamCommand, FirehoseClient, ListDeliveryStreamsCommand } from '@aws-sdk/client-firehose';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterEach, describe, expect, it } from 'vitest';
import { assumedRoleIdentity, iamUserIdentity, ManualClock } from '../../local/emulator/index.ts';
import { ACCOUNT, errorOf, REGION, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

const MEMBER = '210987654321';
const SWEEP_ROLE = `arn:aws:iam::${ACCOUNT}:role/firehose-sse-guard-sweep`;
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/firehose-sse-guard-member`;
/** The central sweep's session: an assumed role of the home account. */
const SWEEP_KEY = 'ASIACENTRALSWEEP';
const SWEEP_CREDENTIALS = { accessKeyId: SWEEP_KEY, secretAccessKey: 'local-secret' };

describe('emulator: STS AssumeRole and GetCallerIdentity lead into member accounts', () => {
  let h: Harness;
  afterEach(() => h.close());

  /** An organization: the home account runs the sweep, the member trusts exactly the sweep role. */
  async function organization(options: { maxSessionSeconds?: number } = {}): Promise<Harness> {
    // The SDK compares Expiration with its own wall time: the emulator clock starts there, so nothing refreshes early.
    h = await startHarness({ clock: new ManualClock(Date.now()), timings: { creatingMs: 0 } });
    const emulator = h.running.emulator;
    emulator.addAccount(MEMBER);
    emulator.registerIdentity(SWEEP_KEY, assumedRoleIdentity(SWEEP_ROLE, 'sweep', SWEEP_KEY));
    emulator.addRole(MEMBER_ROLE, { trustedPrincipalArns: [SWEEP_ROLE], ...options });
    return h;
  }
  const assume = (sts: STSClient, input: Partial<{ RoleArn: string; RoleSessionName: string; DurationSeconds: number }> = {}) =>
    sts.send(new AssumeRoleCommand({ RoleArn: MEMBER_ROLE, RoleSessionName: 'sweep-member', ...input }));

  it('fromTemporaryCredentials through the emulator reaches the member account: its own streams, its id in the ARNs', async () => {
    await organization();
    const local = { endpoint: h.running.endpoint, region: 'eu-west-1' };
    const credentials = fromTemporaryCredentials({
      masterCredentials: SWEEP_CREDENTIALS,
      params: { RoleArn: MEMBER_ROLE, RoleSessionName: 'sweep-member' },
      clientConfig: local,
    });
    const member = new FirehoseClient({ ...local, credentials, maxAttempts: 1 });
    const whoAmI = new STSClient({ ...local, credentials, maxAttempts: 1 });
    const central = h.clientAs(SWEEP_KEY, 'eu-west-1');

    const created = await member.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'orders', ...S3_DESTINATION }));
    const identity = await whoAmI.send(new GetCallerIdentityCommand({}));
    const seen = await Promise.all([member, central].map((c) => c.send(new ListDeliveryStreamsCommand({}))));
    member.destroy();
    whoAmI.destroy();

    expect(created.DeliveryStreamARN).toBe(`arn:aws:firehose:eu-west-1:${MEMBER}:deliverystream/orders`);
    expect(seen.map((s) => s.DeliveryStreamNames)).toEqual([['orders'], []]);
    expect(identity).toMatchObject({
      Account: MEMBER,
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/firehose-sse-guard-member/sweep-member`,
      UserId: expect.stringMatching(/^AROA\w+:sweep-member$/),
    });
    const create = h.running.emulator.cell(MEMBER, 'eu-west-1').cloudTrail.events({ eventName: 'CreateDeliveryStream' });
    expect(create[0]?.detail.userIdentity).toMatchObject({ type: 'AssumedRole', sessionContext: { sessionIssuer: { arn: MEMBER_ROLE } } });
    // Each client memoizes what the provider answered: one AssumeRole each, none refreshed early.
    const assumed = h.running.emulator.cell(ACCOUNT, 'eu-west-1').cloudTrail.events({ eventName: 'AssumeRole' });
    expect(assumed.map((e) => e.detail.errorCode ?? 'ok')).toEqual(['ok', 'ok']);
  });

  it('AssumeRole answers ASIA credentials that expire by the emulator clock, and the assumed-role user', async () => {
    await organization();

    const answer = await assume(h.stsAs(SWEEP_KEY), { DurationSeconds: 900 });

    expect(answer.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(answer.Credentials?.SecretAccessKey).toHaveLength(40);
    expect(answer.Credentials?.SessionToken?.length).toBeGreaterThan(100);
    expect(answer.Credentials?.Expiration?.getTime()).toBe(Math.floor((h.clock.now() + 900_000) / 1000) * 1000);
    expect(answer.AssumedRoleUser).toEqual({
      Arn: `arn:aws:sts::${MEMBER}:assumed-role/firehose-sse-guard-member/sweep-member`,
      AssumedRoleId: expect.stringMatching(/^AROA\w+:sweep-member$/),
    });
    expect(h.running.emulator.identityFor(answer.Credentials?.AccessKeyId)).toMatchObject({ type: 'AssumedRole', accountId: MEMBER });
  });

  it('a caller the trust policy does not name, or a role that does not exist, gets AccessDenied in AWS words', async () => {
    await organization();
    const emulator = h.running.emulator;
    emulator.registerIdentity(
      'ASIAOTHERROLE',
      assumedRoleIdentity(`arn:aws:iam::${ACCOUNT}:role/firehose-sse-guard-sweep-dev`, 's', 'ASIAOTHERROLE'),
    );

    const user = await errorOf(assume(h.stsAs('AKIATESTUSER')));
    const lookalike = await errorOf(assume(h.stsAs('ASIAOTHERROLE')));
    const missing = await errorOf(assume(h.stsAs(SWEEP_KEY), { RoleArn: `arn:aws:iam::${MEMBER}:role/never-made` }));

    expect(user.name).toBe('AccessDenied');
    expect(user.$metadata?.httpStatusCode).toBe(403);
    expect(user.message).toBe(
      `User: arn:aws:iam::${ACCOUNT}:user/local-akiatestuser is not authorized to perform: sts:AssumeRole on resource: ${MEMBER_ROLE}`,
    );
    expect(lookalike.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/firehose-sse-guard-sweep-dev/s is not authorized to perform: sts:AssumeRole on resource: ${MEMBER_ROLE}`,
    );
    expect(missing.name).toBe('AccessDenied');
    expect(emulator.cloudTrail.events({ eventName: 'AssumeRole' }).map((e) => e.detail.errorCode)).toEqual([
      'AccessDenied',
      'AccessDenied',
      'AccessDenied',
    ]);
  });

  it('STS refuses a key of an account the emulator does not serve with InvalidClientTokenId', async () => {
    await organization();
    h.running.emulator.registerIdentity('AKIASTRANGER', iamUserIdentity('444455556666', 'stranger', 'AKIASTRANGER'));

    const refused = await errorOf(h.stsAs('AKIASTRANGER').send(new GetCallerIdentityCommand({})));

    expect(refused.name).toBe('InvalidClientTokenId');
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(refused.message).toBe('The security token included in the request is invalid.');
  });

  it('validates RoleSessionName, DurationSeconds (900 to the role maximum, 1 hour when chained) and RoleArn', async () => {
    await organization({ maxSessionSeconds: 7200 });
    h.running.emulator.registerIdentity('AKIAADMIN', iamUserIdentity(ACCOUNT, 'admin', 'AKIAADMIN'));
    h.running.emulator.addRole(`arn:aws:iam::${MEMBER}:role/admin-access`, {
      trustedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:user/admin`],
    });
    const sweep = h.stsAs(SWEEP_KEY);
    const failure = async (promise: Promise<unknown>) => {
      const error = await errorOf(promise);
      return [error.name, error.message];
    };

    expect(await failure(assume(sweep, { RoleSessionName: 'x' }))).toEqual([
      'ValidationError',
      "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    ]);
    expect((await failure(assume(sweep, { RoleSessionName: 'has space' })))[1]).toContain('Member must satisfy regular expression pattern');
    expect((await failure(assume(sweep, { DurationSeconds: 899 })))[1]).toContain('Member must have value greater than or equal to 900');
    expect(await failure(assume(sweep, { DurationSeconds: 3601 }))).toEqual([
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    ]);
    expect((await failure(assume(sweep, { RoleArn: 'arn:aws:iam::2109876543:role/x' })))[0]).toBe('ValidationError');
    const admin = h.stsAs('AKIAADMIN');
    expect(await failure(assume(admin, { RoleArn: `arn:aws:iam::${MEMBER}:role/admin-access`, DurationSeconds: 3601 }))).toEqual([
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    ]);
    h.running.emulator.registerIdentity('AKIAADMIN2', iamUserIdentity(ACCOUNT, 'admin2', 'AKIAADMIN2'));
    h.running.emulator.addRole(MEMBER_ROLE, { trustedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:user/admin2`], maxSessionSeconds: 7200 });
    await assume(h.stsAs('AKIAADMIN2'), { DurationSeconds: 7200 });
  });

  it('STS calls are recorded in the caller account and request region; a cross-account AssumeRole in the role account too', async () => {
    await organization();

    const answer = await assume(h.stsAs(SWEEP_KEY, 'eu-west-1'));
    await h.stsAs(SWEEP_KEY, 'eu-west-1').send(new GetCallerIdentityCommand({}));

    const callerTrail = h.running.emulator.cell(ACCOUNT, 'eu-west-1').cloudTrail.events();
    const roleTrail = h.running.emulator.cell(MEMBER, 'eu-west-1').cloudTrail.events();
    expect(
      callerTrail.map((e) => [e.source, e.detail.eventSource, e.detail.eventName, e.detail.recipientAccountId, e.detail.awsRegion]),
    ).toEqual([
      ['aws.sts', 'sts.amazonaws.com', 'AssumeRole', ACCOUNT, 'eu-west-1'],
      ['aws.sts', 'sts.amazonaws.com', 'GetCallerIdentity', ACCOUNT, 'eu-west-1'],
    ]);
    expect(roleTrail.map((e) => [e.detail.eventName, e.detail.recipientAccountId, e.detail.awsRegion])).toEqual([
      ['AssumeRole', MEMBER, 'eu-west-1'],
    ]);
    expect(callerTrail[0]?.detail).toMatchObject({
      readOnly: false,
      requestParameters: { roleArn: MEMBER_ROLE, roleSessionName: 'sweep-member' },
      responseElements: {
        credentials: { accessKeyId: answer.Credentials?.AccessKeyId },
        assumedRoleUser: { arn: answer.AssumedRoleUser?.Arn },
      },
      userIdentity: { sessionContext: { sessionIssuer: { arn: SWEEP_ROLE } } },
    });
    expect(JSON.stringify(callerTrail)).not.toContain(answer.Credentials?.SecretAccessKey);
    expect(callerTrail[1]?.detail.readOnly).toBe(true);
    expect(h.running.emulator.cell(ACCOUNT, REGION).cloudTrail.size).toBe(0);
  });

  it('speaks awsQuery as the AWS CLI and boto3 send it: form POST or GET with Action and Version, XML answers and errors', async () => {
    await organization();
    const authorization = `AWS4-HMAC-SHA256 Credential=${SWEEP_KEY}/20260101/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=0`;
    const post = (body: string) =>
      fetch(h.running.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization },
        body,
      });

    const who = await post('Action=GetCallerIdentity&Version=2011-06-15');
    const assumed = await fetch(
      `${h.running.endpoint}/?Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(MEMBER_ROLE)}&RoleSessionName=cli&DurationSeconds=900`,
      { headers: { authorization } },
    );
    const unknown = await post('Action=ListQueues&Version=2011-06-15');
    const oldVersion = await post('Action=GetCallerIdentity&Version=2010-01-01');

    expect(who.status).toBe(200);
    expect(who.headers.get('content-type')).toBe('text/xml');
    expect(await who.text()).toContain(
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><UserId>`,
    );
    expect(await assumed.text()).toMatch(
      /<AssumeRoleResult><Credentials><AccessKeyId>ASIA\w+<\/AccessKeyId>.*<Expiration>[\dT:-]+Z<\/Expiration>/,
    );
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>Could not find operation ListQueues for version 2011-06-15<\/Message><\/Error><RequestId>[\w-]+<\/RequestId><\/ErrorResponse>$/,
    );
    expect(await oldVersion.text()).toContain('<Code>InvalidAction</Code>');
  });

  it('in process: call("sts", ...) and addRole refuse what IAM would not create', async () => {
    await organization();
    const emulator = h.running.emulator;

    const output = await emulator.call('sts', 'GetCallerIdentity', {}, { accessKeyId: SWEEP_KEY });

    expect(output).toEqual({
      UserId: expect.stringMatching(/:sweep$/),
      Account: ACCOUNT,
      Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/firehose-sse-guard-sweep/sweep`,
    });
    expect(() => emulator.addRole('arn:aws:iam::444455556666:role/x', { trustedPrincipalArns: [] })).toThrow('addAccount it first');
    expect(() => emulator.addRole(`arn:aws:iam::${MEMBER}:user/x`, { trustedPrincipalArns: [] })).toThrow('not a role ARN');
    expect(() => emulator.addRole(MEMBER_ROLE, { trustedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:root`] })).toThrow(
      'ARNs of IAM roles or users',
    );
    expect(() => emulator.addRole(MEMBER_ROLE, { trustedPrincipalArns: [SWEEP_ROLE], maxSessionSeconds: 60 })).toThrow('3600..43200');
    expect(() => emulator.addAccount('12345')).toThrow('account must be 12 digits');
  });
});
