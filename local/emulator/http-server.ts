import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertLoopbackHost } from '../loopback.ts';
import { ADMIN_PREFIX, AdminRequestError, handleAdmin } from './admin.ts';
import { FirehoseEmulator, parseTarget, UnparsableBody, type CallerContext, type EmulatorOptions } from './emulator.ts';
import { accountErrors, AwsServiceError, protocolErrors, stsErrors } from './errors.ts';
import { ACCOUNT_PATHS } from './organizations.ts';
import { decodeQuery, FORM_CONTENT_TYPE, queryError, queryResponse, STS_QUERY } from './query-protocol.ts';

/** PutRecordBatch's 4 MiB of records, base64-encoded, plus room for the JSON around them. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const AMZ_JSON = 'application/x-amz-json-1.1';
const JSON_TYPE = 'application/json';

export interface RunningEmulator {
  emulator: FirehoseEmulator;
  /** `http://127.0.0.1:<port>`: the endpoint for SDK clients, the AWS CLI (`--endpoint-url`) and boto3. */
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

export interface ServeOptions extends EmulatorOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Serve an emulator made elsewhere instead of a new one. */
  emulator?: FirehoseEmulator;
}

class BodyTooLargeError extends Error {}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The access key id and region of a SigV4 `Authorization` header's credential scope,
 * `Credential=AKID/20260101/eu-west-1/firehose/aws4_request`; signatures are not verified locally.
 */
function credentialScope(authorization: string | undefined): { accessKeyId?: string; region?: string } {
  const match = /Credential=([^/,\s]+)\/(?:\d{8}\/([^/,\s]+)\/)?/.exec(authorization ?? '');
  return { ...(match?.[1] ? { accessKeyId: match[1] } : {}), ...(match?.[2] ? { region: match[2] } : {}) };
}

function callerOf(request: IncomingMessage, requestId: string): CallerContext {
  return {
    ...credentialScope(request.headers.authorization),
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    userAgent: request.headers['user-agent'] ?? 'unknown',
    requestId,
  };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': AMZ_JSON, 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

/**
 * An error as JSON 1.1 (`__type`, and `message`, or `Message` where the service's error shapes name it
 * so: Organizations) or restJson1 (`x-amzn-errortype` and a body of the shape's members) say it.
 */
function sendAwsError(
  response: ServerResponse,
  error: AwsServiceError,
  requestId: string,
  style: { messageMember?: 'message' | 'Message'; contentType?: string } = {},
): void {
  const body =
    style.contentType === JSON_TYPE
      ? { message: error.message, ...error.fields }
      : { __type: error.type, [style.messageMember ?? 'message']: error.message, ...error.fields };
  send(response, error.statusCode, body, {
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': error.type,
    ...(style.contentType ? { 'content-type': style.contentType } : {}),
  });
}

async function handleAws(emulator: FirehoseEmulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const requestId = crypto.randomUUID();
  let target: ReturnType<typeof parseTarget>;
  try {
    if (request.method !== 'POST') throw protocolErrors.unknownOperation(`AWS JSON 1.1 requests are POST /, not ${request.method}`);
    target = parseTarget(request.headers['x-amz-target'] as string | undefined);
  } catch (error) {
    sendAwsError(response, error as AwsServiceError, requestId);
    return;
  }
  const input = await jsonInput(request);
  try {
    const output = await emulator.call(target.service, target.operation, input, callerOf(request, requestId));
    send(response, 200, output, { 'x-amzn-requestid': requestId });
  } catch (error) {
    const serviceError = error instanceof AwsServiceError ? error : protocolErrors.internal((error as Error).message);
    sendAwsError(response, serviceError, requestId, target.service === 'organizations' ? { messageMember: 'Message' } : {});
  }
}

/** A JSON request body as the operation's input; one that cannot be read still takes the call path (and is recorded). */
async function jsonInput(request: IncomingMessage): Promise<unknown> {
  try {
    const text = await readBody(request);
    return text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    return new UnparsableBody(
      error instanceof BodyTooLargeError ? `Request body exceeds ${MAX_BODY_BYTES} bytes` : 'Request body is not valid JSON',
    );
  }
}

/** A restJson1 request (Account Management): a POST to an operation's path, without `X-Amz-Target`. */
function isRestJsonRequest(request: IncomingMessage, url: URL): boolean {
  return request.headers['x-amz-target'] === undefined && request.method === 'POST' && url.pathname !== '/';
}

/** Account Management over restJson1: `POST /listRegions` with the input as a JSON body; errors by `x-amzn-errortype`. */
async function handleRestJson(emulator: FirehoseEmulator, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const requestId = crypto.randomUUID();
  const style = { contentType: JSON_TYPE };
  const operation = Object.hasOwn(ACCOUNT_PATHS, url.pathname) ? ACCOUNT_PATHS[url.pathname] : undefined;
  if (operation === undefined) {
    sendAwsError(response, accountErrors.unknownOperation(`No operation is served at POST ${url.pathname}`), requestId, style);
    return;
  }
  const input = await jsonInput(request);
  try {
    const output = await emulator.call('account', operation, input, callerOf(request, requestId));
    send(response, 200, output, { 'x-amzn-requestid': requestId, 'content-type': JSON_TYPE });
  } catch (error) {
    const serviceError = error instanceof AwsServiceError ? error : protocolErrors.internal((error as Error).message);
    sendAwsError(response, serviceError, requestId, style);
  }
}

/** An awsQuery request (STS): a form-encoded POST, or a GET whose query string names an Action. */
function isQueryRequest(request: IncomingMessage, url: URL): boolean {
  if (request.headers['x-amz-target'] !== undefined) return false;
  if (request.method === 'GET') return url.searchParams.has('Action');
  return request.method === 'POST' && (request.headers['content-type'] ?? '').toLowerCase().startsWith(FORM_CONTENT_TYPE);
}

function sendXml(response: ServerResponse, status: number, xml: string, requestId: string): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
  response.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': requestId });
  response.end(text);
}

async function handleQuery(emulator: FirehoseEmulator, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  const requestId = crypto.randomUUID();
  try {
    const text = request.method === 'GET' ? url.search.slice(1) : await readBody(request);
    const { action, version, input } = decodeQuery(text);
    if (action === undefined || !/^\w+$/.test(action)) throw stsErrors.invalidAction('The request names no Action.');
    if (version !== STS_QUERY.version)
      throw stsErrors.invalidAction(`Could not find operation ${action} for version ${version ?? 'NO_VERSION_SPECIFIED'}`);
    const output = await emulator.call('sts', action, input, callerOf(request, requestId));
    sendXml(response, 200, queryResponse(action, output, requestId), requestId);
  } catch (error) {
    const serviceError =
      error instanceof AwsServiceError
        ? error
        : error instanceof BodyTooLargeError
          ? stsErrors.validation(`Request body exceeds ${MAX_BODY_BYTES} bytes`)
          : protocolErrors.internal((error as Error).message);
    sendXml(response, serviceError.statusCode, queryError(serviceError, requestId), requestId);
  }
}

async function handleAdminRequest(emulator: FirehoseEmulator, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  try {
    const text = request.method === 'POST' ? await readBody(request) : '';
    let body: unknown = {};
    try {
      body = text.trim() === '' ? {} : JSON.parse(text);
    } catch {
      throw new AdminRequestError('admin request body is not valid JSON');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new AdminRequestError('admin request body must be a JSON object');
    send(response, 200, handleAdmin(emulator, request.method ?? 'GET', url, body as Record<string, unknown>));
  } catch (error) {
    const status = error instanceof AdminRequestError ? error.statusCode : 400;
    send(response, status, { error: (error as Error).message });
  }
}

/**
 * Serves the emulator over HTTP on loopback: AWS JSON 1.1 (`X-Amz-Target`: Firehose, KMS,
 * Organizations) and awsQuery (form-encoded `Action=`, STS) on `POST /`, restJson1 (Account
 * Management, `POST /listRegions`), the admin API under `/_emulator/`.
 *
 * @example
 * const { endpoint, close } = await serveEmulator({ port: 0 });
 * const firehose = new FirehoseClient({ endpoint, region: 'us-east-1', credentials });
 */
export async function serveEmulator(options: ServeOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  assertLoopbackHost(host);
  const emulator = options.emulator ?? new FirehoseEmulator(options);
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://emulator.local');
    const handled = url.pathname.startsWith(ADMIN_PREFIX)
      ? handleAdminRequest(emulator, request, response, url)
      : isQueryRequest(request, url)
        ? handleQuery(emulator, request, response, url)
        : isRestJsonRequest(request, url)
          ? handleRestJson(emulator, request, response, url)
          : handleAws(emulator, request, response);
    handled.catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, { __type: 'InternalFailure', message: String(error) });
      else response.destroy();
    });
  });
  // Longer than any client keeps an idle socket: a socket reused just as the server closed it reads ECONNRESET.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    emulator,
    endpoint: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
