// The shapes of the Matrix events the gateway reads, and the transaction body it accepts
// (Application Service API: PUT /_matrix/app/v1/transactions/{txnId}).
import { z } from 'zod';

export const clientEventSchema = z
  .object({
    type: z.string({ error: 'type must be a string' }),
    event_id: z.string({ error: 'event_id must be a string' }),
    room_id: z.string({ error: 'room_id must be a string' }),
    sender: z.string({ error: 'sender must be a string' }),
    origin_server_ts: z.number({ error: 'origin_server_ts must be a number' }),
    content: z.record(z.string(), z.unknown(), { error: 'content must be an object' }),
    state_key: z.string().optional(),
    unsigned: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

export type MatrixEvent = z.infer<typeof clientEventSchema>;

export const transactionSchema = z
  .object({
    events: z.array(z.unknown(), { error: 'events must be an array' }),
    ephemeral: z.array(z.unknown()).optional(),
    'de.sorunome.msc2409.ephemeral': z.array(z.unknown()).optional(),
  })
  .loose();

export type Transaction = z.infer<typeof transactionSchema>;

export interface RelatesTo {
  rel_type?: string;
  event_id?: string;
  is_falling_back?: boolean;
  'm.in_reply_to'?: { event_id?: string };
}

export function relatesTo(event: { content: Record<string, unknown> }): RelatesTo | undefined {
  const rel = event.content['m.relates_to'];
  return rel && typeof rel === 'object' ? (rel as RelatesTo) : undefined;
}

/** The thread root when the event is in a thread. */
export function threadRoot(event: { content: Record<string, unknown> }): string | undefined {
  const rel = relatesTo(event);
  return rel?.rel_type === 'm.thread' && typeof rel.event_id === 'string' ? rel.event_id : undefined;
}

export function isEdit(event: { content: Record<string, unknown> }): boolean {
  return relatesTo(event)?.rel_type === 'm.replace';
}

export function inReplyTo(event: { content: Record<string, unknown> }): string | undefined {
  const id = relatesTo(event)?.['m.in_reply_to']?.event_id;
  return typeof id === 'string' ? id : undefined;
}

/** The body without the reply fallback ("> <@user> ..." lines) older clients prepend. */
export function stripReplyFallback(body: string): string {
  if (!body.startsWith('> ')) return body;
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('> ')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}
