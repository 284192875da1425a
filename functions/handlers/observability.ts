import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const SERVICE_NAME = 'firehose-sse-guard';
export const METRICS_NAMESPACE = 'FirehoseSseGuard';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

/** One logger and one metrics instance per Lambda (cold start). */
export function observability(): Observability {
  const logger = new Logger({ serviceName: SERVICE_NAME });
  // The metrics' own warnings (e.g. an invocation that ends with no metric) go through the logger, at its level.
  return { logger, metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger }) };
}
