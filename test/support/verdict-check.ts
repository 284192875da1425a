import { PutRecordCommand } from '@aws-sdk/client-firehose';
import type { GuardEvent } from '../../functions/domain/events.ts';
import type { Scenario } from './local-account.ts';

/** The fields of an event's detail the checks read. */
export const detailOf = (e: GuardEvent) =>
  e.detail as unknown as { kind: string; correlationId: string; stream?: { name: string }; verdict?: string };
/** Whether a record written to the stream now is encrypted (PutRecord's `Encrypted`). */
export const encryptedNow = async (s: Scenario, name: string) =>
  (await s.person.send(new PutRecordCommand({ DeliveryStreamName: name, Record: { Data: new TextEncoder().encode('x') } }))).Encrypted ===
  true;

/**
 * Checks every claim of encryption (Succeeded, COMPLIANT evaluation, key change kept) against PutRecord at publication.
 */
export function checkVerdictsWhenPublished(s: Scenario): { wrong: string[] } {
  const wrong: string[] = [];
  const publish = s.account.events.publish.bind(s.account.events);
  s.account.events.publish = async (events: readonly GuardEvent[]) => {
    for (const e of events) {
      const d = detailOf(e);
      const claims =
        d.kind === 'remediationSucceeded' || d.kind === 'keyChangeFailed' || (d.kind === 'evaluated' && d.verdict === 'COMPLIANT');
      if (claims && d.stream && !(await encryptedNow(s, d.stream.name)))
        wrong.push(`${d.kind} for ${d.stream.name} while records are written unencrypted (execution ${e.detail.correlationId})`);
    }
    return publish(events);
  };
  return { wrong };
}
