// Answers one job taken from the queue: joins invited rooms, runs commands, sends the polite refusals,
// and streams LLM replies (with typing, read receipt, stop, takeover and honest errors).

import { LlmError, pushText, trimHistory } from '../llm/index.ts';
import type { ChatMessage, LlmProvider } from '../llm/types.ts';
import type { MatrixClientApi } from '../matrix/client-api.ts';
import { type MatrixEvent, threadRoot } from '../matrix/events.ts';
import { MatrixApiError } from '../matrix/http-client.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { LeasedJob, StateBackend } from '../state/types.ts';
import { type ActiveJob, type ActiveJobs, STOP_CLOCK_SLACK_MS } from './active-jobs.ts';
import { type Command, helpText } from './commands.ts';
import { noticeContent, type ReplyTarget } from './content.ts';
import type { EditScheduler } from './edit-scheduler.ts';
import type { Gate } from './gate.ts';
import type { ConversationMemory } from './memory.ts';
import { classifyMessage, messageText } from './message-kind.ts';
import type { RateLimitGuard } from './rate-limit-guard.ts';
import { ReplyStream } from './reply-stream.ts';
import type { Addressing } from './room-members.ts';
import { noticeTxnId } from './txn-ids.ts';

export interface ResponderOptions {
  api: MatrixClientApi;
  state: StateBackend;
  provider: LlmProvider & { readonly maxTokens: number };
  memory: ConversationMemory;
  scheduler: EditScheduler;
  active: ActiveJobs;
  addressing: Addressing;
  rateLimit: RateLimitGuard;
  /** Bounds the jobs preparing at once (see Gate). */
  prepareGate: Gate;
  metrics: Metrics;
  log: Logger;
  botUserId: string;
  botName: string;
  systemPrompt: string;
  maxMessageChars: number;
  historyTokenBudget: number;
}

/** What happened to a job: finished for good, or to be handed back / left to the process that took it over. */
export type JobOutcome = 'complete' | 'lost' | 'release';

const MODEL_NAME = /^[\w.:/@+-]{1,200}$/;

export function llmErrorNotice(error: unknown): string {
  if (!(error instanceof LlmError))
    return 'Something went wrong while writing this reply. `!retry` to try again.';
  switch (error.kind) {
    case 'rate_limited':
    case 'overloaded':
      return 'The AI service is overloaded right now and did not answer after several tries. Please try again in a moment (`!retry`).';
    case 'server':
    case 'network':
      return 'The AI service could not be reached (it may be down). Please try again later (`!retry`).';
    case 'auth':
      return "The AI service refused the gateway's credentials: the administrator needs to check the API key.";
    case 'bad_request':
      return 'The AI service rejected the request (unknown model? see `!model`). `!retry` after fixing it.';
    case 'stream_cut':
      return 'The reply was cut off: the AI service stopped mid-way. `!retry` to try again.';
    case 'aborted':
      return 'The reply was interrupted.';
  }
}

export class Responder {
  constructor(private readonly o: ResponderOptions) {}

  /** Handles the job and tells the caller what to do with its lease. */
  async handle(leased: LeasedJob, active: ActiveJob): Promise<JobOutcome> {
    const leave = await this.o.prepareGate.enter();
    try {
      return await this.handleEntered(leased, active, leave);
    } finally {
      leave();
    }
  }

  /** `leave` gives the preparation place back: once the LLM call starts, or when the job ends. */
  private async handleEntered(leased: LeasedJob, active: ActiveJob, leave: () => void): Promise<JobOutcome> {
    const event = leased.job.event as MatrixEvent;
    if (event.type === 'm.room.member') {
      await this.join(event);
      return 'complete';
    }
    const target: ReplyTarget = { sourceEventId: event.event_id, threadRoot: threadRoot(event) };
    const kind = classifyMessage(event, this.o.maxMessageChars);
    if (kind.kind === 'ignore') return 'complete';
    if (kind.kind !== 'command' && !(await this.o.addressing.check(event))) {
      return 'complete'; // group chatter not meant for the bot
    }
    // Intake could not tell the message was for the bot, so it left the rate limit to here. A job taken
    // over (attempt > 1) has had its turn already.
    if (leased.job.rateLimitAtWorker && leased.attempt === 1 && !(await this.o.rateLimit.admit(event))) {
      return 'complete';
    }
    void this.o.api
      .sendReceipt(event.room_id, event.event_id, target.threadRoot ?? 'main')
      .catch((error) => this.o.log.debug({ err: error, roomId: event.room_id }, 'read receipt failed'));
    switch (kind.kind) {
      case 'unsupported':
        await this.notice(
          target,
          event.room_id,
          'unsupported',
          `Sorry, I can only read text, so I can't look at ${kind.what} yet. Could you describe it in words?`,
        );
        return 'complete';
      case 'encrypted':
        await this.notice(
          target,
          event.room_id,
          'encrypted',
          "Sorry, this message is end-to-end encrypted and I can't read encrypted messages. Please talk to me in a room without encryption.",
        );
        return 'complete';
      case 'too_long':
        await this.notice(
          target,
          event.room_id,
          'too-long',
          `Your message is ${kind.length.toLocaleString('en')} characters long; I can read at most ${this.o.maxMessageChars.toLocaleString('en')} at once. Could you shorten it or send it in parts?`,
        );
        return 'complete';
      case 'command':
        return this.command(kind.command, event, target, leased, active, leave);
      case 'prompt':
        return this.reply(leased, active, event, target, 'reply', leave);
    }
  }

  private async join(event: MatrixEvent): Promise<void> {
    try {
      await this.o.api.join(event.room_id);
      this.o.log.info({ roomId: event.room_id }, 'joined room on invite');
      // The conversation starts here: an empty history (unless one is remembered from an earlier stay),
      // so the first message needs no `/messages` look-up. Only a room the store knows nothing about
      // (a new process without Redis, an evicted key) is rebuilt from the timeline.
      const { store } = this.o.state;
      if ((await store.getHistory(event.room_id)) === null) await store.setHistory(event.room_id, []);
    } catch (error) {
      if (error instanceof MatrixApiError && error.status < 500) {
        this.o.log.warn({ err: error, roomId: event.room_id }, 'could not join the room');
        return;
      }
      throw error;
    }
  }

  private async notice(
    target: ReplyTarget,
    roomId: string,
    purpose: string,
    markdown: string,
  ): Promise<void> {
    await this.o.api.sendEvent(
      roomId,
      'm.room.message',
      noticeTxnId(target.sourceEventId, purpose),
      noticeContent(target, markdown),
    );
  }

  private async command(
    command: Command,
    event: MatrixEvent,
    target: ReplyTarget,
    leased: LeasedJob,
    active: ActiveJob,
    leave: () => void,
  ): Promise<JobOutcome> {
    const { store, stops } = this.o.state;
    const roomId = event.room_id;
    switch (command.name) {
      case 'help':
        await this.notice(target, roomId, 'help', helpText(this.o.botName));
        return 'complete';
      case 'unknown':
        await this.notice(
          target,
          roomId,
          'help',
          `I don't know the command \`!${command.given}\`.\n\n${helpText(this.o.botName)}`,
        );
        return 'complete';
      case 'new':
        await store.clearHistory(roomId);
        await this.notice(
          target,
          roomId,
          'new',
          'Starting a new conversation: I have forgotten what we said before.',
        );
        return 'complete';
      case 'model': {
        const settings = await store.getSettings(roomId);
        const arg = command.arg;
        if (!arg) {
          const current = settings.model ?? this.o.provider.defaultModel;
          await this.notice(
            target,
            roomId,
            'model',
            `Model in this room: \`${current}\`${settings.model ? ` (default: \`${this.o.provider.defaultModel}\`)` : ' (the default)'}.`,
          );
        } else if (arg === 'default' || arg === 'reset') {
          await store.setSettings(roomId, { ...settings, model: undefined });
          await this.notice(
            target,
            roomId,
            'model',
            `Back to the default model, \`${this.o.provider.defaultModel}\`.`,
          );
        } else if (!MODEL_NAME.test(arg)) {
          await this.notice(
            target,
            roomId,
            'model',
            'That does not look like a model name (letters, digits and `.:/@+-_` only, no spaces).',
          );
        } else {
          await store.setSettings(roomId, { ...settings, model: arg });
          await this.notice(target, roomId, 'model', `This room now uses the model \`${arg}\`.`);
        }
        return 'complete';
      }
      case 'system': {
        const settings = await store.getSettings(roomId);
        const arg = command.arg;
        if (!arg) {
          const current = settings.systemPrompt ?? this.o.systemPrompt;
          await this.notice(
            target,
            roomId,
            'system',
            `System prompt of this room${settings.systemPrompt ? '' : ' (the default)'}:\n\n> ${current.replace(/\n/g, '\n> ')}\n\n\`!system <prompt>\` sets it, \`!system reset\` restores the default.`,
          );
        } else if (arg === 'reset' || arg === 'default') {
          await store.setSettings(roomId, { ...settings, systemPrompt: undefined });
          await this.notice(target, roomId, 'system', 'The system prompt is back to the default.');
        } else if (arg.length > this.o.maxMessageChars) {
          await this.notice(
            target,
            roomId,
            'system',
            `That system prompt is too long (at most ${this.o.maxMessageChars} characters).`,
          );
        } else {
          await store.setSettings(roomId, { ...settings, systemPrompt: arg });
          await this.notice(
            target,
            roomId,
            'system',
            'System prompt set for this room. It applies from the next message.',
          );
        }
        return 'complete';
      }
      case 'stop':
        // A reply in progress consumed the stop request and shows "stopped"; if none did, say so.
        if (await stops.consumeStop(roomId, leased.job.enqueuedAt - STOP_CLOCK_SLACK_MS)) {
          await this.notice(target, roomId, 'stop', 'Nothing is being written right now: nothing to stop.');
        }
        return 'complete';
      case 'retry':
        return this.reply(leased, active, event, target, 'retry', leave);
    }
  }

  /**
   * Ends a reply cut short by a lost lease, `!stop` or shutdown, and gives the job's outcome; undefined
   * (nothing done) when the reply was not cut short.
   */
  private async endCutShort(active: ActiveJob, stream: ReplyStream): Promise<JobOutcome | undefined> {
    if (active.leaseLost) {
      await stream.abandon();
      return 'lost';
    }
    if (active.stopped) {
      await stream.finish('stopped');
      return 'complete';
    }
    if (active.abort.signal.aborted) return this.interrupted(active, stream);
    return undefined;
  }

  /** Shutdown interrupted the reply: hand it back to another process, or (alone) end it honestly. */
  private async interrupted(active: ActiveJob, stream: ReplyStream): Promise<JobOutcome> {
    if (active.shutdown === 'finish') {
      await stream.finish(
        'error',
        'The gateway restarted while writing this reply. `!retry` to get a full answer.',
      );
      return 'complete';
    }
    await stream.abandon();
    return 'release';
  }

  private async reply(
    leased: LeasedJob,
    active: ActiveJob,
    event: MatrixEvent,
    target: ReplyTarget,
    kind: 'reply' | 'retry',
    leave: () => void,
  ): Promise<JobOutcome> {
    const { store } = this.o.state;
    const roomId = event.room_id;
    const log = this.o.log.child({ roomId, jobId: leased.job.id, attempt: leased.attempt });

    const settings = await store.getSettings(roomId);
    const history = await this.o.memory.load(roomId, { eventId: event.event_id, ts: event.origin_server_ts });
    let conversation: ChatMessage[];
    if (kind === 'retry') {
      conversation = [...history];
      while (conversation.length > 0 && conversation[conversation.length - 1]!.role === 'assistant')
        conversation.pop();
    } else {
      conversation = [...history, { role: 'user', content: messageText(event) }];
    }

    // A reply already (being) posted: by a process that died or handed the job back, or by an
    // earlier try of this one. Continue that message, or stop if it was finished (remembering it, in
    // case that process died between finishing the reply and saving the memory).
    const previous = await store.getReply(target.sourceEventId);
    if (previous && previous.state !== 'streaming') {
      log.info('reply was already finished by an earlier attempt');
      if (previous.text && history.at(-1)?.content !== previous.text)
        await this.remember(roomId, conversation, previous.text);
      return 'complete';
    }
    if (conversation.length === 0) {
      await this.notice(target, roomId, 'retry', 'There is no earlier message to answer again yet.');
      return 'complete';
    }

    const stream = new ReplyStream(
      { api: this.o.api, scheduler: this.o.scheduler, store, metrics: this.o.metrics, log },
      roomId,
      target,
      leased.attempt,
      previous?.replyEventId,
    );
    active.generating = true;
    this.o.metrics.repliesInProgress.inc();
    void this.o.active.setTyping(active, true);
    const started = performance.now();
    let firstTokenAt = 0;
    let chars = 0;
    let outcome: JobOutcome = 'complete';
    try {
      // A stop requested while the job waited in the queue.
      if (await this.o.state.stops.consumeStop(roomId, leased.job.enqueuedAt - STOP_CLOCK_SLACK_MS)) {
        active.stopped = true;
      }
      leave();
      if (!active.stopped) {
        const request = {
          model: settings.model ?? this.o.provider.defaultModel,
          system: settings.systemPrompt ?? this.o.systemPrompt,
          messages: trimHistory(conversation, this.o.historyTokenBudget),
          maxTokens: this.o.provider.maxTokens,
          signal: active.abort.signal,
          onRetry: (error: LlmError) => this.o.metrics.llmRetries.inc({ kind: error.kind }),
        };
        await pushText(this.o.provider, request, (delta) => {
          if (!firstTokenAt) {
            firstTokenAt = performance.now();
            this.o.metrics.timeToFirstToken.observe((firstTokenAt - started) / 1000);
          }
          chars += delta.length;
          stream.append(delta);
        });
      }
      const cutShort = await this.endCutShort(active, stream);
      if (cutShort) {
        outcome = cutShort;
      } else {
        await stream.finish('done');
      }
    } catch (error) {
      const cutShort = await this.endCutShort(active, stream);
      if (cutShort) {
        outcome = cutShort;
      } else if (error instanceof LlmError || !(error instanceof MatrixApiError)) {
        const kindLabel = error instanceof LlmError ? error.kind : 'unknown';
        this.o.metrics.llmErrors.inc({ kind: kindLabel });
        log.warn({ err: error, kind: kindLabel }, 'LLM call failed');
        await stream.finish('error', llmErrorNotice(error));
      } else {
        throw error;
      }
    } finally {
      this.o.metrics.repliesInProgress.dec();
      active.generating = false;
      void this.o.active.setTyping(active, false);
    }

    if (outcome === 'complete') {
      if (firstTokenAt && chars > 0) {
        const seconds = (performance.now() - firstTokenAt) / 1000;
        if (seconds > 0.05) this.o.metrics.tokensPerSecond.observe(chars / 4 / seconds);
      }
      await this.remember(roomId, conversation, stream.currentText);
    }
    return outcome;
  }

  /** Saves the conversation with the reply's text (when it has any) as the last turn. */
  private async remember(roomId: string, conversation: ChatMessage[], answer: string): Promise<void> {
    await this.o.memory.save(
      roomId,
      answer ? [...conversation, { role: 'assistant', content: answer }] : conversation,
    );
  }
}
