import type { AccountState } from './accounts.ts';
import type { EmulatorCell } from './cells.ts';
import { assumedRoleIdentity, iamUserIdentity } from './cloudtrail.ts';
import { ManualClock } from './clock.ts';
import type { FirehoseEmulator } from './emulator.ts';
import type { KeyState } from './kms.ts';
import { ENCRYPTION_CALL_WINDOW_MS, type EncryptionFailureType } from '../../functions/domain/firehose-facts.ts';

/** The admin path prefix. AWS JSON 1.1 requests always POST to `/`, so nothing here can collide. */
export const ADMIN_PREFIX = '/_emulator/';

export class AdminRequestError extends Error {
  override readonly name = 'AdminRequestError';
  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;
/** A route acts on the emulator, and on the cell that `?account=&region=` address (the home cell by default). */
type Route = (emulator: FirehoseEmulator, body: Body, query: URLSearchParams, cell: () => EmulatorCell) => unknown;

function need<T>(body: Body, field: string, type: 'string' | 'number' | 'boolean'): T {
  const value = body[field];
  if (typeof value !== type) throw new AdminRequestError(`'${field}' must be a ${type}`);
  return value as T;
}

const optional = <T>(body: Body, field: string, type: 'string' | 'number' | 'boolean'): T | undefined =>
  body[field] === undefined ? undefined : need<T>(body, field, type);

function strings(body: Body, field: string, required: boolean): string[] | undefined {
  const value = body[field];
  if (value === undefined && !required) return undefined;
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string'))
    throw new AdminRequestError(`'${field}' must be an array of strings`);
  return value;
}

function addressedCell(emulator: FirehoseEmulator, query: URLSearchParams): EmulatorCell {
  const account = query.get('account') ?? emulator.account;
  if (!emulator.accounts().includes(account)) throw new AdminRequestError(`account ${account} is not served: POST accounts first`, 404);
  return emulator.cell(account, query.get('region') ?? emulator.region);
}

/** Admin operations, each `METHOD path`. The in-process equivalents are the emulator's own members. */
const routes: Record<string, Route> = {
  'GET health': (e) => ({ ok: true, account: e.account, region: e.region, accounts: e.accounts(), now: e.clock.now() }),
  'GET accounts': (e) => ({ accounts: e.accounts(), cells: e.cells().map((c) => ({ account: c.account, region: c.region })) }),
  'POST accounts': (e, b) => {
    const regions = strings(b, 'regions', false);
    const [name, email, state] = (['name', 'email', 'state'] as const).map((f) => optional<string>(b, f, 'string'));
    e.addAccount(need(b, 'account', 'string'), {
      ...(regions ? { regions } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(email !== undefined ? { email } : {}),
      ...(state !== undefined ? { state: state as AccountState } : {}),
    });
    return { accounts: e.accounts() };
  },
  'GET organization': (e) =>
    e.organization.enabled
      ? { id: e.organization.id, arn: e.organization.arn, managementAccount: e.organization.managementAccount, accounts: e.accounts() }
      : { id: null },
  'GET roles': (e) => ({ roles: e.sts.roles() }),
  'POST roles': (e, b) => {
    const maxSessionSeconds = optional<number>(b, 'maxSessionSeconds', 'number');
    e.addRole(need(b, 'roleArn', 'string'), {
      trustedPrincipalArns: strings(b, 'trustedPrincipalArns', true) ?? [],
      ...(maxSessionSeconds !== undefined ? { maxSessionSeconds } : {}),
    });
    return { ok: true };
  },
  'GET cloudtrail': (_e, _b, q, cell) => ({
    events: cell().cloudTrail.events({
      ...(q.get('eventName') ? { eventName: q.get('eventName') as string } : {}),
      ...(q.get('since') ? { since: Number(q.get('since')) } : {}),
    }),
  }),
  'GET streams': (e, _b, _q, cell) => ({
    streams: cell()
      .firehose.streams()
      .map((s) => ({
        name: s.name,
        type: s.type,
        status: s.status,
        encryption: s.encryption.status,
        keyArn: s.encryption.key?.keyArn,
        encryptionCallsLast24h: s.encryptionCalls.filter((t) => t > e.clock.now() - ENCRYPTION_CALL_WINDOW_MS).length,
        records: s.records,
      })),
  }),
  'POST faults': (_e, b, _q, cell) => {
    const error = b.error as Body | undefined;
    if (typeof error !== 'object' || error === null) throw new AdminRequestError("'error' must be an object with a 'type'");
    cell().faults.failNext(need(b, 'operation', 'string'), need(b, 'count', 'number'), {
      type: need(error, 'type', 'string'),
      ...(error.message !== undefined ? { message: need<string>(error, 'message', 'string') } : {}),
      ...(error.statusCode !== undefined ? { statusCode: need<number>(error, 'statusCode', 'number') } : {}),
    });
    return { ok: true };
  },
  'POST latency': (_e, b, _q, cell) => {
    cell().faults.setLatency(need(b, 'operation', 'string'), need(b, 'ms', 'number'));
    return { ok: true };
  },
  'POST enablement-failures': (_e, b, _q, cell) => {
    const details = optional<string>(b, 'details', 'string');
    cell().faults.failNextEnablement(
      need(b, 'count', 'number'),
      { type: need<EncryptionFailureType>(b, 'type', 'string'), ...(details ? { details } : {}) },
      optional<string>(b, 'stream', 'string'),
    );
    return { ok: true };
  },
  'POST keys/state': (_e, b, _q, cell) => {
    const state = need<KeyState>(b, 'state', 'string');
    if (!['Enabled', 'Disabled', 'PendingDeletion'].includes(state)) throw new AdminRequestError(`unknown key state '${state}'`);
    cell().kms.setKeyState(need(b, 'keyId', 'string'), state);
    return { ok: true };
  },
  'POST keys/deny-firehose': (_e, b, _q, cell) => {
    cell().kms.denyFirehose(need(b, 'keyId', 'string'), optional<boolean>(b, 'deny', 'boolean') ?? true);
    return { ok: true };
  },
  'POST identities': (e, b, _q, cell) => {
    const accessKeyId = need<string>(b, 'accessKeyId', 'string');
    const roleArn = optional<string>(b, 'roleArn', 'string');
    e.registerIdentity(
      accessKeyId,
      roleArn
        ? assumedRoleIdentity(roleArn, optional<string>(b, 'sessionName', 'string') ?? 'session', accessKeyId)
        : iamUserIdentity(cell().account, need(b, 'userName', 'string'), accessKeyId, cell().partition),
    );
    return { ok: true };
  },
  'POST clock/advance': (e, b) => {
    if (!(e.clock instanceof ManualClock))
      throw new AdminRequestError('this emulator runs on the system clock; start it with a manual clock to advance time', 409);
    return { now: e.clock.advance(need(b, 'ms', 'number')) };
  },
  'POST reset': (e) => {
    e.reset();
    return { ok: true };
  },
};

export function handleAdmin(emulator: FirehoseEmulator, method: string, url: URL, body: Body): unknown {
  const route = routes[`${method} ${url.pathname.slice(ADMIN_PREFIX.length)}`];
  if (!route) throw new AdminRequestError(`no admin route ${method} ${url.pathname}`, 404);
  try {
    return route(emulator, body, url.searchParams, () => addressedCell(emulator, url.searchParams));
  } catch (error) {
    if (error instanceof AdminRequestError) throw error;
    throw new AdminRequestError((error as Error).message);
  }
}
