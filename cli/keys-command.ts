import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoKeyFailureStore } from '../functions/adapters/dynamo/key-failure-store.ts';
import { InvalidInputError } from '../functions/domain/errors.ts';
import { streamRef, type StreamRef } from '../functions/domain/stream-ref.ts';
import { parseCommandArgs, standInCredentials, UsageError } from './args.ts';
import { endpointOption, probeEndpoint } from './endpoint.ts';

export const keysHelp = `Usage: firehose-sse-guard keys --table NAME --stream ACCOUNT/REGION/NAME [--clear KEY | --clear-all]

The keys the deployed system remembers as failed for a stream (it never pays for them again until the
key's state changes). Lists them; --clear KEY (a key ARN, or AWS_OWNED_CMK) or --clear-all makes the
next remediation try them again, e.g. after a key policy was fixed in a way the KMS check cannot see.

Options:
  --table NAME                  the state table (stack output StateTableName)
  --stream ACCOUNT/REGION/NAME  the stream
  --clear KEY                   forget this key's failure
  --clear-all                   forget every key failure of the stream
  --region R                    the table's region (default: AWS_REGION or us-east-1)
  --dynamodb-endpoint-url URL   a DynamoDB endpoint instead of AWS (testing)
  --json                        print JSON
  -h, --help                    show this help`;

export async function keysCommand(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    table: { type: 'string' },
    stream: { type: 'string' },
    clear: { type: 'string' },
    'clear-all': { type: 'boolean' },
    region: { type: 'string' },
    'dynamodb-endpoint-url': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    out(keysHelp);
    return 0;
  }
  if (!values.table) throw new UsageError('keys needs --table (the stack output StateTableName)');
  if (!values.stream) throw new UsageError('keys needs --stream ACCOUNT/REGION/NAME');
  if (values.clear && values['clear-all']) throw new UsageError('--clear and --clear-all exclude each other');
  let ref: StreamRef;
  try {
    const [account, region, name, ...rest] = (values.stream as string).split('/');
    if (rest.length > 0) throw new InvalidInputError('expected ACCOUNT/REGION/NAME');
    ref = streamRef(account, region, name);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(`--stream: ${error.message}`);
    throw error;
  }
  const endpoint = endpointOption(values['dynamodb-endpoint-url'], 'dynamodb-endpoint-url');
  if (endpoint) await probeEndpoint(endpoint, 'dynamodb-endpoint-url');
  const standIn = standInCredentials(endpoint);
  const client = new DynamoDBClient({
    region: (values.region as string | undefined) ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
    ...standIn,
  });
  try {
    const store = new DynamoKeyFailureStore({
      documents: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
      tableName: values.table as string,
    });
    if (values.clear || values['clear-all']) {
      const before = await store.list(ref);
      const key = values.clear as string | undefined;
      if (key && !before.some((f) => f.key === key))
        throw new UsageError(`no failure is remembered for ${key} on ${values.stream as string}`);
      await store.forget(ref, key);
      out(`cleared ${key ?? `${before.length} key failure(s)`} for ${values.stream as string}`);
      return 0;
    }
    const failures = await store.list(ref);
    if (values.json) {
      out(JSON.stringify(failures, null, 2));
      return 0;
    }
    if (failures.length === 0) out(`no key failures remembered for ${values.stream as string}`);
    for (const f of failures)
      out(`${f.key}  ${f.failureType}  since ${new Date(f.at).toISOString()}  key state then: ${f.keyState}  ${f.details}`);
    return 0;
  } finally {
    client.destroy();
  }
}
