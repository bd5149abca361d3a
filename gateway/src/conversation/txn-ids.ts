// Transaction ids derived from the source event: the homeserver de-duplicates sends by transaction id,
// so a retried request or a job taken over by another process never posts the same thing twice.
import { createHash } from 'node:crypto';

export function sourceKey(sourceEventId: string): string {
  return createHash('sha256').update(sourceEventId).digest('base64url').slice(0, 22);
}

/** The reply message itself: the same for every attempt, so a takeover finds the message already posted. */
export function replyTxnId(sourceEventId: string): string {
  return `clawchat.${sourceKey(sourceEventId)}.reply`;
}

/** Edit number `seq` of attempt `attempt` (a takeover continues with its own series, never reusing ids). */
export function editTxnId(sourceEventId: string, attempt: number, seq: number): string {
  return `clawchat.${sourceKey(sourceEventId)}.a${attempt}.e${seq}`;
}

/** A notice answering the source event (help, refusals, errors). */
export function noticeTxnId(sourceEventId: string, purpose: string): string {
  return `clawchat.${sourceKey(sourceEventId)}.${purpose}`;
}
