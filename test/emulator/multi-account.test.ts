import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  LimitExceededException,
  ListDeliveryStreamsCommand,
  StartDeliveryStreamEncryptionCommand,
  StopDeliveryStreamEncryptionCommand,
  type FirehoseClient,
} from '@aws-sdk/client-firehose';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { iamUserIdentity, type CloudTrailEvent } from '../../local/emulator/index.ts';
import { ACCOUNT, errorOf, REGION, S3_DESTINATION, startHarness, type Harness } from '../support/emulator-harness.ts';

const MEMBER = '210987654321';
const MEMBER_KEY = 'AKIAMEMBEROPS';
const INSTANT = { creatingMs: 0, enablingMs: 0, disablingMs: 0 };

describe('emulator: many accounts and regions at once, each its own cell', () => {
  let h: Harness;
  afterEach(() => h.close());

  /** The harness with a member account whose user signs with MEMBER_KEY. */
  async function withMember(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
    h = await startHarness({ timings: INSTANT, ...options });
    h.running.emulator.addAccount(MEMBER);
    h.running.emulator.registerIdentity(MEMBER_KEY, iamUserIdentity(MEMBER, 'ops', MEMBER_KEY));
    return h;
  }
  const create = (client: FirehoseClient, name: string) =>
    client.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ...S3_DESTINATION }));
  const names = async (client: FirehoseClient) => (await client.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames;
  const arnOf = async (client: FirehoseClient, name: string) =>
    (await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }))).DeliveryStreamDescription?.DeliveryStreamARN;

  it('the region comes from the credential scope: clients in eu-west-1 and us-east-1 see separate streams and their own ARNs', async () => {
    h = await startHarness({ timings: INSTANT });
    const dublin = h.clientAs('AKIATESTUSER', 'eu-west-1');

    await create(h.firehose, 'orders');
    await create(dublin, 'orders');
    await create(dublin, 'clicks');

    expect(await names(h.firehose)).toEqual(['orders']);
    expect(await names(dublin)).toEqual(['clicks', 'orders']);
    expect(await arnOf(h.firehose, 'orders')).toBe(`arn:aws:firehose:us-east-1:${ACCOUNT}:deliverystream/orders`);
    expect(await arnOf(dublin, 'orders')).toBe(`arn:aws:firehose:eu-west-1:${ACCOUNT}:deliverystream/orders`);
    // The one-account API is the home cell.
    expect(h.running.emulator.firehose.streams().map((s) => s.name)).toEqual(['orders']);
    expect(h.running.emulator.cell(ACCOUNT, 'eu-west-1').firehose.streams()).toHaveLength(2);
  });

  it('the account comes from the caller: a member account sees its own streams and keys, with its id in the ARNs', async () => {
    await withMember();
    const member = h.clientAs(MEMBER_KEY);
    const memberKms = new KMSClient({
      endpoint: h.running.endpoint,
      region: REGION,
      credentials: { accessKeyId: MEMBER_KEY, secretAccessKey: 'local-secret' },
      maxAttempts: 1,
    });

    await create(h.firehose, 'home-only');
    await create(member, 'orders');
    const key = (await memberKms.send(new CreateKeyCommand({}))).KeyMetadata;
    memberKms.destroy();

    expect(await names(member)).toEqual(['orders']);
    expect(await names(h.firehose)).toEqual(['home-only']);
    expect(await arnOf(member, 'orders')).toBe(`arn:aws:firehose:us-east-1:${MEMBER}:deliverystream/orders`);
    expect(key?.Arn).toMatch(new RegExp(`^arn:aws:kms:us-east-1:${MEMBER}:key/`));
    expect(key?.AWSAccountId).toBe(MEMBER);
    expect(h.running.emulator.accounts()).toEqual([ACCOUNT, MEMBER]);
  });

  it('a key registered to an account the emulator does not serve is refused as unknown credentials; an unregistered key is the home account', async () => {
    h = await startHarness({ timings: INSTANT });
    h.running.emulator.registerIdentity('AKIASTRANGER', iamUserIdentity('444455556666', 'stranger', 'AKIASTRANGER'));

    const refused = await errorOf(names(h.clientAs('AKIASTRANGER')));

    expect(refused.name).toBe('UnrecognizedClientException');
    expect(refused.message).toBe('The security token included in the request is invalid.');
    expect(refused.$metadata?.httpStatusCode).toBe(403);
    expect(h.running.emulator.cells().flatMap((c) => c.cloudTrail.events())).toEqual([]);
    await create(h.clientAs('AKIAANYTHINGATALL'), 'orders');
    expect(h.running.emulator.firehose.streams().map((s) => s.name)).toEqual(['orders']);
  });

  it('an account limited to the regions it enabled is refused elsewhere, as AWS refuses a region not opted in', async () => {
    h = await startHarness({ timings: INSTANT });
    h.running.emulator.addAccount(MEMBER, { regions: ['eu-west-1'] });
    h.running.emulator.registerIdentity(MEMBER_KEY, iamUserIdentity(MEMBER, 'ops', MEMBER_KEY));

    await create(h.clientAs(MEMBER_KEY, 'eu-west-1'), 'orders');
    const refused = await errorOf(names(h.clientAs(MEMBER_KEY, 'ap-southeast-1')));

    expect(refused.name).toBe('UnrecognizedClientException');
  });

  it('a credential scope that names no region is a clear error, in process and over HTTP', async () => {
    h = await startHarness({ timings: INSTANT });

    const overHttp = await errorOf(names(h.clientAs('AKIATESTUSER', 'mars')));
    const inProcess = await errorOf(h.running.emulator.call('firehose', 'ListDeliveryStreams', {}, { region: 'us_east_1' }));

    expect(overHttp.name).toBe('InvalidSignatureException');
    expect(overHttp.message).toBe("Credential should be scoped to a valid region, not 'mars'.");
    expect(inProcess.message).toContain("not 'us_east_1'");
    expect(() => h.running.emulator.cell(ACCOUNT, 'mars')).toThrow("not a region: 'mars'");
  });

  it('a cell takes its partition from its region: cn-* is aws-cn, us-gov-* is aws-us-gov', async () => {
    h = await startHarness({ timings: INSTANT });
    const emulator = h.running.emulator;

    for (const [region, partition] of [
      ['cn-north-1', 'aws-cn'],
      ['us-gov-west-1', 'aws-us-gov'],
      ['eu-west-1', 'aws'],
    ] as const) {
      const output = await emulator.call(
        'firehose',
        'CreateDeliveryStream',
        { DeliveryStreamName: 'orders', ...S3_DESTINATION },
        { region },
      );
      const key = await emulator.call('kms', 'CreateKey', {}, { region });

      expect(emulator.cell(ACCOUNT, region).partition).toBe(partition);
      expect(output.DeliveryStreamARN).toBe(`arn:${partition}:firehose:${region}:${ACCOUNT}:deliverystream/orders`);
      expect((key.KeyMetadata as { Arn: string }).Arn.startsWith(`arn:${partition}:kms:${region}:${ACCOUNT}:key/`)).toBe(true);
    }
  });

  it('CloudTrail is kept per account and region, and each event names its recipientAccountId and awsRegion', async () => {
    await withMember();
    const everywhere: CloudTrailEvent[] = [];
    h.running.emulator.subscribeCloudTrail((event) => everywhere.push(event));

    await create(h.firehose, 'a');
    await create(h.clientAs('AKIATESTUSER', 'eu-west-1'), 'b');
    await create(h.clientAs(MEMBER_KEY, 'eu-west-1'), 'c');

    const streamOf = (e: CloudTrailEvent) => (e.detail.requestParameters as { deliveryStreamName?: string }).deliveryStreamName;
    const trail = (account: string, region: string) =>
      h.running.emulator
        .cell(account, region)
        .cloudTrail.events()
        .map((e) => [e.account, e.region, e.detail.recipientAccountId, e.detail.awsRegion, streamOf(e)]);
    expect(trail(ACCOUNT, 'us-east-1')).toEqual([[ACCOUNT, 'us-east-1', ACCOUNT, 'us-east-1', 'a']]);
    expect(trail(ACCOUNT, 'eu-west-1')).toEqual([[ACCOUNT, 'eu-west-1', ACCOUNT, 'eu-west-1', 'b']]);
    expect(trail(MEMBER, 'eu-west-1')).toEqual([[MEMBER, 'eu-west-1', MEMBER, 'eu-west-1', 'c']]);
    expect(h.running.emulator.cloudTrail.size).toBe(1);
    expect(everywhere.map(streamOf)).toEqual(['a', 'b', 'c']);
    expect(everywhere[2]?.detail.userIdentity).toMatchObject({ accountId: MEMBER, arn: `arn:aws:iam::${MEMBER}:user/ops` });
  });

  it('control plane "up to 5 calls per second" is per account, region and operation: five Describes in one cell throttle no other', async () => {
    const wall = { now: () => Date.UTC(2026, 0, 1) }; // stands still: the count is about calls, not this machine's speed
    await withMember({ rateLimit: {}, rateClock: wall });
    const dublin = h.clientAs('AKIATESTUSER', 'eu-west-1');
    const member = h.clientAs(MEMBER_KEY);
    for (const client of [h.firehose, dublin, member]) await create(client, 'orders');
    const describe = (client: FirehoseClient) => client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'orders' }));

    for (let i = 0; i < 5; i += 1) await describe(h.firehose);
    const sixth = await errorOf(describe(h.firehose));

    expect(sixth).toBeInstanceOf(LimitExceededException);
    expect(sixth.message).toContain('Rate exceeded for DescribeDeliveryStream');
    for (let i = 0; i < 5; i += 1) {
      await describe(dublin); // same account, another region
      await describe(member); // same region, another account
    }
    await h.firehose.send(new ListDeliveryStreamsCommand({})); // same cell, another operation
    expect(h.running.emulator.rateLimiter?.throttledCount).toBe(1);
    expect(h.running.emulator.cell(MEMBER, REGION).rateLimiter?.throttledCount).toBe(0);
  });

  it('"25 calls per stream per 24 hours" is counted per cell: a stream of the same name elsewhere has its own budget', async () => {
    await withMember();
    const start = (client: FirehoseClient) =>
      client.send(
        new StartDeliveryStreamEncryptionCommand({
          DeliveryStreamName: 'orders',
          DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
        }),
      );
    const stop = (client: FirehoseClient) => client.send(new StopDeliveryStreamEncryptionCommand({ DeliveryStreamName: 'orders' }));
    const others = [h.clientAs('AKIATESTUSER', 'eu-west-1'), h.clientAs(MEMBER_KEY)];
    for (const client of [h.firehose, ...others]) await create(client, 'orders');

    for (let i = 0; i < 25; i += 1) await (i % 2 === 0 ? start(h.firehose) : stop(h.firehose));
    expect(await errorOf(stop(h.firehose))).toBeInstanceOf(LimitExceededException);

    for (const client of others) await start(client);
  });

  it('"A CUSTOMER_MANAGED_CMK can encrypt at most 500 streams" and "up to 5,000 streams per region" are counted per cell', async () => {
    await withMember({ maxStreams: 501 });
    const emulator = h.running.emulator;
    const homeKey = emulator.kms.createKey({}).arn;
    for (let i = 0; i < 500; i += 1) {
      await emulator.call('firehose', 'CreateDeliveryStream', {
        DeliveryStreamName: `s-${i}`,
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: homeKey },
        ...S3_DESTINATION,
      });
    }
    const createWith = (client: FirehoseClient, name: string, keyArn: string) =>
      client.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: name,
          DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: keyArn },
          ...S3_DESTINATION,
        }),
      );

    const full = await errorOf(createWith(h.firehose, 'one-more', homeKey));
    const member = h.clientAs(MEMBER_KEY);
    await createWith(member, 'one-more', emulator.cell(MEMBER, REGION).kms.createKey({}).arn);

    expect(full.message).toContain('already used to encrypt 500 Firehose streams; the limit is 500');
    await create(h.firehose, 'last-one'); // the 501st stream of the home cell
    expect((await errorOf(create(h.firehose, 'too-many'))).message).toContain(
      `Account ${ACCOUNT} already has 501 Firehose streams in us-east-1`,
    );
    await create(member, 'still-room');
  });

  it('reset() forgets every cell; accounts, roles and identities stay', async () => {
    await withMember();
    const emulator = h.running.emulator;
    const member = h.clientAs(MEMBER_KEY, 'eu-west-1');
    await create(member, 'orders');
    await create(h.firehose, 'orders');
    expect(emulator.cells().map((c) => [c.account, c.region])).toEqual([
      [ACCOUNT, 'us-east-1'],
      [MEMBER, 'eu-west-1'],
    ]);

    emulator.reset();

    expect(emulator.cells().map((c) => [c.account, c.region])).toEqual([[ACCOUNT, 'us-east-1']]);
    expect(emulator.firehose.streams()).toEqual([]);
    expect(emulator.cloudTrail.size).toBe(0);
    expect(await names(member)).toEqual([]);
    expect(
      emulator
        .cell(MEMBER, 'eu-west-1')
        .cloudTrail.events()
        .map((e) => e.detail.eventName),
    ).toEqual(['ListDeliveryStreams']);
    expect(emulator.accounts()).toEqual([ACCOUNT, MEMBER]);
  });

  it('the admin API addresses a cell with ?account=&region=, and adds accounts and roles', async () => {
    h = await startHarness({ timings: INSTANT });
    const admin = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${h.running.endpoint}/_emulator/${path}`, {
        method,
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    expect((await admin('POST', 'accounts', { account: MEMBER })).body).toEqual({ accounts: [ACCOUNT, MEMBER] });
    await admin('POST', `identities?account=${MEMBER}`, { accessKeyId: MEMBER_KEY, userName: 'ops' });
    await admin('POST', 'roles', {
      roleArn: `arn:aws:iam::${MEMBER}:role/member`,
      trustedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:user/ops`],
    });
    await create(h.clientAs(MEMBER_KEY, 'eu-west-1'), 'orders');
    const failed = await admin('POST', `faults?account=${MEMBER}&region=eu-west-1`, {
      operation: 'DescribeDeliveryStream',
      count: 1,
      error: { type: 'ServiceUnavailableException', statusCode: 503 },
    });

    expect(failed.status).toBe(200);
    expect((await errorOf(arnOf(h.clientAs(MEMBER_KEY, 'eu-west-1'), 'orders'))).name).toBe('ServiceUnavailableException');
    expect((await admin('GET', `streams?account=${MEMBER}&region=eu-west-1`)).body.streams).toMatchObject([{ name: 'orders' }]);
    expect((await admin('GET', 'streams')).body.streams).toEqual([]);
    const trail = (await admin('GET', `cloudtrail?account=${MEMBER}&region=eu-west-1`)).body.events as CloudTrailEvent[];
    expect(trail.map((e) => [e.detail.eventName, e.detail.recipientAccountId, e.detail.awsRegion])).toEqual([
      ['CreateDeliveryStream', MEMBER, 'eu-west-1'],
      ['DescribeDeliveryStream', MEMBER, 'eu-west-1'],
    ]);
    expect((await admin('GET', 'roles')).body.roles).toEqual([
      {
        roleArn: `arn:aws:iam::${MEMBER}:role/member`,
        trustedPrincipalArns: [`arn:aws:iam::${ACCOUNT}:user/ops`],
        maxSessionSeconds: 3600,
      },
    ]);
    expect((await admin('GET', 'streams?account=444455556666')).status).toBe(404);
    expect((await admin('GET', 'streams?region=mars')).body.error).toContain("not a region: 'mars'");
  });
});
