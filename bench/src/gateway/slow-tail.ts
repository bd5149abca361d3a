// Where the slowest conversations of a run spent their time. The percentiles say how slow the tail is;
// this says which step made it slow: the conversations with the most gateway-added latency (the slowest
// 1%, at least 10), with the median of each step among them, measured from the moment the message was
// due. A late LLM request after an early typing call points at the stream thread (or the fake's accept);
// a late first post after an early first token points at the path back (stream thread, then main thread).
import { summarize } from '../stats.ts';
import { round } from './common.ts';

/** The shared summary's p50 (rounded as every figure of the report), null when there is none. */
function median(values: number[]): number | null {
  return values.length === 0 ? null : summarize(values).p50;
}

/** Times of one conversation, ms after its message was due (undefined: the step did not happen). */
export interface ConversationSteps {
  /** Second of the ramp the message was due in. */
  dueSecond: number;
  addedMs: number;
  /** The homeserver's transaction was acknowledged. */
  ackMs?: number;
  /** The gateway asked for the room's member count (at intake, or by the message's job). */
  joinedMembersMs?: number;
  /** The first typing notification: sent just before the LLM call starts. */
  typingMs?: number;
  /** The LLM request arrived at the fake. */
  llmRequestMs: number;
  /** The fake wrote its first token. */
  firstTokenMs: number;
  /** The first post of the reply arrived at the homeserver. */
  firstPostMs: number;
}

const STEPS = [
  'ackMs',
  'joinedMembersMs',
  'typingMs',
  'llmRequestMs',
  'firstTokenMs',
  'firstPostMs',
] as const;

export interface SlowTail {
  count: number;
  /** The seconds of the ramp the slowest were due in: second → how many. */
  dueSeconds: Record<number, number>;
  /** The median of each step among the slowest, ms after due. */
  medianMs: Record<(typeof STEPS)[number] | 'addedMs', number | null>;
  /** The ten slowest, slowest first. */
  slowest: ConversationSteps[];
}

export function slowTail(conversations: readonly ConversationSteps[], share = 0.01, least = 10): SlowTail {
  const n = Math.min(conversations.length, Math.max(least, Math.ceil(conversations.length * share)));
  const tail = [...conversations].sort((a, b) => b.addedMs - a.addedMs).slice(0, n);
  const dueSeconds: Record<number, number> = {};
  for (const c of tail) dueSeconds[c.dueSecond] = (dueSeconds[c.dueSecond] ?? 0) + 1;
  const medianMs = { addedMs: median(tail.map((c) => c.addedMs)) } as SlowTail['medianMs'];
  for (const step of STEPS)
    medianMs[step] = median(tail.flatMap((c) => (c[step] === undefined ? [] : [c[step]])));
  const slowest = tail.slice(0, 10).map((c) => {
    const rounded: ConversationSteps = { ...c, addedMs: round(c.addedMs) };
    for (const step of STEPS) {
      const value = c[step];
      if (value !== undefined) rounded[step] = round(value);
    }
    return rounded;
  });
  return { count: n, dueSeconds, medianMs, slowest };
}

/** One line for the report. */
export function describeSlowTail(t: SlowTail): string {
  const m = t.medianMs;
  const ms = (x: number | null) => (x === null ? '—' : `${Math.round(x)}`);
  const seconds = Object.entries(t.dueSeconds)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([s, k]) => `${s}:${k}`)
    .join(' ');
  return (
    `the ${t.count} slowest (added median ${ms(m.addedMs)} ms; due in second:count ${seconds}), median ms after due: ` +
    `ack ${ms(m.ackMs)}, joined_members ${ms(m.joinedMembersMs)}, typing (LLM call starts) ${ms(m.typingMs)}, ` +
    `LLM request at the fake ${ms(m.llmRequestMs)}, its first token ${ms(m.firstTokenMs)}, first post ${ms(m.firstPostMs)}`
  );
}
