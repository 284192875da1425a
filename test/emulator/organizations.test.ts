import { AccountClient, ListRegionsCommand, paginateListRegions } from '@aws-sdk/client-account';
import { ListAccountsCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { afterEach, describe, expect, it } from 'vitest';
import { SdkAccountDirectory } from '../../functions/adapters/account-directory.ts';
import { assumedRoleIdentity, iamUserIdentity, ManualClock } from '../../local/emulator/index.ts';
import { ACCOUNT, errorOf, startHarness, type Harness } from '../support/emulator-harness.ts';

const MEMBER = '210987654321';
const OTHER = '333333333333';
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/firehose-sse-guard-prod-member`;
const SWEEP_ROLE = `arn:aws:iam::${ACCOUNT}:role/firehose-sse-guard-sweep`;
const SWEEP_KEY = 'ASIACENTRALSWEEP';
const MEMBER_USER_KEY = 'AKIAMEMBERDEV';
const secret = 'local-secret';
/** Every region of the aws partition that ListRegions names (17 enabled by default, 17 opt-in). */
const AWS_REGION_COUNT = 34;

describe('emulator: AWS Organizations ListAccounts and Account Management ListRegions', () => {
  let h: Harness;
  const made: { destroy(): void }[] = [];
  afterEach(async () => {
    for (const client of made.splice(0)) client.destroy();
    await h.close();
  });

  /** The home account is the management account; the member enabled three regions and trusts the central sweep role. */
  async function organization(options: { organization?: boolean } = {}): Promise<Harness> {
    h = await startHarness({ clock: new ManualClock(Date.now()), ...options });
    const e = h.running.emulator;
    e.addAccount(MEMBER, { regions: ['us-east-1', 'eu-west-1', 'af-south-1'], name: 'payments-prod', email: 'payments@example.com' });
    e.addAccount(OTHER, { state: 'SUSPENDED' });
    e.registerIdentity(SWEEP_KEY, assumedRoleIdentity(SWEEP_ROLE, 'sweep', SWEEP_KEY));
    e.registerIdentity(MEMBER_USER_KEY, iamUserIdentity(MEMBER, 'dev', MEMBER_USER_KEY));
    e.addRole(MEMBER_ROLE, { trustedPrincipalArns: [SWEEP_ROLE] });
    return h;
  }
  const config = (accessKeyId: string, region = 'us-east-1') => ({
    endpoint: h.running.endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey: secret },
    maxAttempts: 1,
  });
  const client = <C extends { destroy(): void }>(c: C): C => {
    made.push(c);
    return c;
  };
  const organizationsAs = (key: string, region?: string) => client(new OrganizationsClient(config(key, region)));
  const accountAs = (key: string, region?: string) => client(new AccountClient(config(key, region)));
  /** An Account Management client acting in the member account through its role, assumed by the central sweep. */
  const memberAccountClient = () =>
    client(
      new AccountClient({
        endpoint: h.running.endpoint,
        region: 'us-east-1',
        maxAttempts: 1,
        credentials: fromTemporaryCredentials({
          masterCredentials: { accessKeyId: SWEEP_KEY, secretAccessKey: secret },
          params: { RoleArn: MEMBER_ROLE, RoleSessionName: 'sweep-regions' },
          clientConfig: { endpoint: h.running.endpoint, region: 'us-east-1' },
        }),
      }),
    );

  it('ListAccounts, from the management account, answers every account as the model shapes it', async () => {
    await organization();
    const org = h.running.emulator.organization;

    const answer = await organizationsAs(SWEEP_KEY).send(new ListAccountsCommand({}));

    expect(org.id).toMatch(/^o-[a-z0-9]{10}$/);
    expect(answer.NextToken).toBeUndefined();
    expect(answer.Accounts?.map((a) => [a.Id, a.Name, a.State, a.Status])).toEqual([
      [ACCOUNT, 'management', 'ACTIVE', 'ACTIVE'],
      [MEMBER, 'payments-prod', 'ACTIVE', 'ACTIVE'],
      [OTHER, `account-${OTHER}`, 'SUSPENDED', 'SUSPENDED'],
    ]);
    expect(answer.Accounts?.[1]).toEqual({
      Id: MEMBER,
      Arn: `arn:aws:organizations::${ACCOUNT}:account/${org.id}/${MEMBER}`,
      Email: 'payments@example.com',
      Name: 'payments-prod',
      Status: 'ACTIVE',
      State: 'ACTIVE',
      Paths: [`${org.id}/${org.rootId}/${MEMBER}/`],
      JoinedMethod: 'CREATED',
      JoinedTimestamp: expect.any(Date) as Date,
    });
    expect(Math.abs((answer.Accounts?.[1]?.JoinedTimestamp?.getTime() ?? 0) - h.clock.now())).toBeLessThan(1000);
  });

  it('pages with MaxResults and NextToken (the SDK paginator follows them); a foreign token is InvalidInputException', async () => {
    await organization();
    const organizations = organizationsAs(SWEEP_KEY);

    const first = await organizations.send(new ListAccountsCommand({ MaxResults: 2 }));
    const pages: string[][] = [];
    for await (const page of paginateListAccounts({ client: organizations, pageSize: 1 }, {}))
      pages.push((page.Accounts ?? []).map((a) => a.Id ?? ''));
    const tooMany = await errorOf(organizations.send(new ListAccountsCommand({ MaxResults: 21 })));
    const forged = await errorOf(organizations.send(new ListAccountsCommand({ NextToken: 'not-a-token' })));
    const regionsToken = (await accountAs(SWEEP_KEY).send(new ListRegionsCommand({ MaxResults: 1 }))).NextToken;
    const crossed = await errorOf(organizations.send(new ListAccountsCommand({ NextToken: regionsToken })));

    expect(first.Accounts?.map((a) => a.Id)).toEqual([ACCOUNT, MEMBER]);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(pages).toEqual([[ACCOUNT], [MEMBER], [OTHER]]);
    expect(tooMany).toMatchObject({ name: 'InvalidInputException', Reason: 'MAX_VALUE_EXCEEDED', $metadata: { httpStatusCode: 400 } });
    expect(tooMany.message).toMatch(/at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 20/);
    for (const e of [forged, crossed]) expect(e).toMatchObject({ name: 'InvalidInputException', Reason: 'INVALID_NEXT_TOKEN' });
  });

  it('refuses ListAccounts to a member account (AccessDeniedException), and outside an organization (AWSOrganizationsNotInUseException)', async () => {
    await organization();
    const member = await errorOf(organizationsAs(MEMBER_USER_KEY, 'eu-west-1').send(new ListAccountsCommand({})));
    expect(member).toMatchObject({
      name: 'AccessDeniedException',
      message: "You don't have permissions to access this resource.",
      $metadata: { httpStatusCode: 403 },
    });
    await h.close();

    await organization({ organization: false });
    const alone = await errorOf(organizationsAs(SWEEP_KEY).send(new ListAccountsCommand({})));
    expect(alone).toMatchObject({
      name: 'AWSOrganizationsNotInUseException',
      message: 'Your account is not a member of an organization.',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it("ListRegions answers the caller's own account: every region for the home account, the member's enabled ones through its role", async () => {
    await organization();

    const home = await accountAs(SWEEP_KEY).send(new ListRegionsCommand({ MaxResults: 50 }));
    const memberEnabled = await memberAccountClient().send(
      new ListRegionsCommand({ RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'], MaxResults: 50 }),
    );
    const memberAll: { RegionName?: string; RegionOptStatus?: string }[] = [];
    for await (const page of paginateListRegions({ client: memberAccountClient(), pageSize: 7 }, {}))
      memberAll.push(...(page.Regions ?? []));

    expect(home.Regions).toHaveLength(AWS_REGION_COUNT);
    expect(home.NextToken).toBeUndefined();
    expect(home.Regions).toContainEqual({ RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' });
    expect(home.Regions).toContainEqual({ RegionName: 'af-south-1', RegionOptStatus: 'ENABLED' });
    expect(memberEnabled.Regions).toEqual([
      { RegionName: 'af-south-1', RegionOptStatus: 'ENABLED' },
      { RegionName: 'eu-west-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
      { RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
    ]);
    expect(memberAll).toHaveLength(AWS_REGION_COUNT);
    expect(memberAll.map((r) => r.RegionName)).toEqual([...memberAll.map((r) => r.RegionName)].sort());
    expect(memberAll).toContainEqual({ RegionName: 'me-south-1', RegionOptStatus: 'DISABLED' });
  });

  it("ListRegions with AccountId: the management account reads a member's; a member, its own id from the management, or another account is AccessDenied", async () => {
    await organization();

    const byManagement = await accountAs(SWEEP_KEY).send(
      new ListRegionsCommand({ AccountId: MEMBER, RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'] }),
    );
    const byMember = await errorOf(accountAs(MEMBER_USER_KEY).send(new ListRegionsCommand({ AccountId: OTHER })));
    const ownId = await errorOf(accountAs(SWEEP_KEY).send(new ListRegionsCommand({ AccountId: ACCOUNT })));
    const stranger = await errorOf(accountAs(SWEEP_KEY).send(new ListRegionsCommand({ AccountId: '999999999999' })));
    const tooMany = await errorOf(accountAs(SWEEP_KEY).send(new ListRegionsCommand({ MaxResults: 51 })));

    expect(byManagement.Regions?.map((r) => r.RegionName)).toEqual(['af-south-1', 'eu-west-1', 'us-east-1']);
    expect(byMember).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect(byMember.message).toBe(
      `User: arn:aws:iam::${MEMBER}:user/dev is not authorized to perform: account:ListRegions on resource: ` +
        `arn:aws:account::${ACCOUNT}:account/${h.running.emulator.organization.id}/${OTHER}`,
    );
    expect(ownId).toMatchObject({ name: 'AccessDeniedException', message: expect.stringMatching(/standalone context/) as string });
    expect(stranger).toMatchObject({ name: 'AccessDeniedException' });
    expect(tooMany).toMatchObject({ name: 'ValidationException', reason: 'fieldValidationFailed', $metadata: { httpStatusCode: 400 } });
  });

  it('both are global: any signing region works, even one the member has not enabled, and CloudTrail logs them in us-east-1', async () => {
    await organization();
    const e = h.running.emulator;
    e.addAccount(MEMBER, { regions: ['eu-west-1'] });

    await accountAs(MEMBER_USER_KEY, 'ap-southeast-2').send(new ListRegionsCommand({}));
    await organizationsAs(SWEEP_KEY, 'eu-central-1').send(new ListAccountsCommand({}));

    const [regions] = e.cell(MEMBER, 'us-east-1').cloudTrail.events({ eventName: 'ListRegions' });
    const [accounts] = e.cell(ACCOUNT, 'us-east-1').cloudTrail.events({ eventName: 'ListAccounts' });
    expect(regions?.detail).toMatchObject({ eventSource: 'account.amazonaws.com', awsRegion: 'us-east-1', readOnly: true });
    expect(accounts?.detail).toMatchObject({ eventSource: 'organizations.amazonaws.com', awsRegion: 'us-east-1' });
    expect(accounts?.detail.userIdentity).toMatchObject({ type: 'AssumedRole', arn: expect.stringContaining(':assumed-role/') as string });
  });

  it('an Account Management path the emulator does not serve is UnknownOperationException (404)', async () => {
    await organization();
    const response = await fetch(`${h.running.endpoint}/getRegionOptStatus`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });

  it('SdkAccountDirectory (the organization sweep adapter) over HTTP: every account across pages, regions through the member role', async () => {
    await organization();
    const e = h.running.emulator;
    for (let i = 0; i < 22; i += 1) e.addAccount(String(400_000_000_000 + i));
    const directory = new SdkAccountDirectory(organizationsAs(SWEEP_KEY), (account) =>
      account === ACCOUNT ? accountAs(SWEEP_KEY) : memberAccountClient(),
    );

    const accounts = await directory.accounts();
    const memberRegions = await directory.enabledRegions(MEMBER);
    const homeRegions = await directory.enabledRegions(ACCOUNT);

    expect(accounts).toHaveLength(25);
    expect(accounts.slice(0, 3)).toEqual([
      { id: ACCOUNT, status: 'ACTIVE' },
      { id: MEMBER, status: 'ACTIVE' },
      { id: OTHER, status: 'SUSPENDED' },
    ]);
    expect(memberRegions).toEqual(['af-south-1', 'eu-west-1', 'us-east-1']);
    expect(homeRegions).toHaveLength(AWS_REGION_COUNT);
    // The regions were read in the member account, as its role's session.
    const [call] = e.cell(MEMBER, 'us-east-1').cloudTrail.events({ eventName: 'ListRegions' });
    expect(call?.detail.userIdentity).toMatchObject({ sessionContext: { sessionIssuer: { arn: MEMBER_ROLE } } });
  });

  it('the admin API adds named accounts and names the organization', async () => {
    await organization();
    const admin = (path: string, body?: unknown) =>
      fetch(`${h.running.endpoint}/_emulator/${path}`, body ? { method: 'POST', body: JSON.stringify(body) } : {}).then(
        (r) => r.json() as Promise<Record<string, unknown>>,
      );

    await admin('accounts', { account: '444444444444', name: 'sandbox', state: 'PENDING_CLOSURE' });
    const described = await admin('organization');
    const listed = await organizationsAs(SWEEP_KEY).send(new ListAccountsCommand({}));

    expect(described).toMatchObject({ id: h.running.emulator.organization.id, managementAccount: ACCOUNT });
    expect(listed.Accounts?.at(-1)).toMatchObject({
      Id: '444444444444',
      Name: 'sandbox',
      State: 'PENDING_CLOSURE',
      Status: 'PENDING_CLOSURE',
    });
  });
});
