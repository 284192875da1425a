import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertLoopbackHost } from '../loopback.ts';
import { ADMIN_PREFIX, AdminRequestError, handleAdmin } from './admin.ts';
import { FirehoseEmulator, parseTarget, UnparsableBody, type EmulatorOptions } from './emulator.ts';
import { AwsServiceError, protocolErrors } from './errors.ts';

/** PutRecordBatch's 4 MiB of records, base64-encoded, plus room for the JSON around them. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const AMZ_JSON = 'application/x-amz-json-1.1';

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

/** The access key id of a SigV4 `Authorization` header; signatures are not verified locally. */
function accessKeyId(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': AMZ_JSON, 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function sendAwsError(response: ServerResponse, error: AwsServiceError, requestId: string): void {
  send(
    response,
    error.statusCode,
    { __type: error.type, message: error.message },
    {
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.type,
    },
  );
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
  let input: unknown;
  try {
    const text = await readBody(request);
    input = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    input = new UnparsableBody(
      error instanceof BodyTooLargeError ? `Request body exceeds ${MAX_BODY_BYTES} bytes` : 'Request body is not valid JSON',
    );
  }
  const caller = {
    accessKeyId: accessKeyId(request.headers.authorization),
    sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
    userAgent: request.headers['user-agent'] ?? 'unknown',
    requestId,
  };
  try {
    const output = await emulator.call(target.service, target.operation, input, caller);
    send(response, 200, output, { 'x-amzn-requestid': requestId });
  } catch (error) {
    const serviceError = error instanceof AwsServiceError ? error : protocolErrors.internal((error as Error).message);
    sendAwsError(response, serviceError, requestId);
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
 * Serves the emulator over HTTP on loopback.
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
