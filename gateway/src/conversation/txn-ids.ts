// Transaction ids derived from the source event: the homeserver de-duplicates sends by transaction id,
// so a retried request or a job taken over by another process never posts the same thing twice.
import { createHash, randomUUID } from 'node:crypto';

export function sourceKey(sourceEventId: string): string {
  return createHash('sha256').update(sourceEventId).digest('base64url').slice(0, 22);
}

/** The reply message itself: the same for every attempt, so a takeover finds the message already posted. */
export function replyTxnId(sourceEventId: string): string {
  return `clawchat.${sourceKey(sourceEventId)}.reply`;
}

/**
 * Edit number `seq` of one generation of the reply. `run` tells generations apart (the queue attempt and a
 * random part): a takeover or an in-place retry regenerates the text and must never reuse an id whose
 * earlier content the homeserver would return instead. A repeated request of the same edit keeps its id.
 */
export function editTxnId(sourceEventId: string, run: string, seq: number): string {
  return `clawchat.${sourceKey(sourceEventId)}.${run}.e${seq}`;
}

/**
 * Identifies one generation of a reply (see `editTxnId`). The random part is a v4 UUID's first 8 hex
 * digits (32 random bits): randomUUID draws from a pool it fills in batches, about 1.5 µs a call, where
 * randomBytes(4) makes a getrandom call each time: 10 µs alone, 46 µs a reply in a 5,000-conversation
 * profile of the main thread.
 */
export function newRunId(attempt: number): string {
  return `a${attempt}${randomUUID().slice(0, 8)}`;
}

/** A notice answering the source event (help, refusals, errors). */
export function noticeTxnId(sourceEventId: string, purpose: string): string {
  return `clawchat.${sourceKey(sourceEventId)}.${purpose}`;
}
