// The matrix-js-sdk wrapper: the only module of the app that touches the SDK. It signs in and up,
// runs the sync loop, and reports what happens as plain data (lib/matrix/types.ts) to one listener.
import '@clawchat/common/polyfills';
import loglevel from 'loglevel';
import {
  ClientEvent,
  createClient,
  EventStatus,
  EventTimeline,
  type EventTimelineSet,
  EventType,
  Filter,
  type MatrixClient,
  type MatrixEvent,
  MsgType,
  Preset,
  type Room,
  RoomEvent,
  RoomMemberEvent,
  RoomStateEvent,
  SyncState,
  Visibility,
} from 'matrix-js-sdk';
import type { DeviceNetworkWatcher } from '../network/types';
import { friendlyError, isNetworkError, unsupportedRegistration } from './errors';
import { COMMANDS, type Command } from './protocol';
import type { ConnectionState, SendStatus, Session, TimelineEvent } from './types';

export interface RoomMeta {
  roomId: string;
  /** The explicit m.room.name ('' when the room has none). */
  name: string;
  createdTs: number;
  /** The event our read receipt points at. */
  readUpTo?: string;
  /** Older history can still be fetched with loadOlder. */
  canPaginate: boolean;
}

export interface ClientListener {
  onConnection(state: ConnectionState): void;
  onRoom(meta: RoomMeta): void;
  onRoomRemoved(roomId: string): void;
  onEvents(roomId: string, events: TimelineEvent[], direction: 'forward' | 'backward'): void;
  /**
   * The room's timeline starts afresh (a sync with a gap before it): forget the events reported so
   * far; the newest ones follow, and older ones come back through loadOlder, in order.
   */
  onTimelineReset(roomId: string): void;
  onTyping(roomId: string, userIds: string[]): void;
  /** The homeserver no longer accepts the access token. */
  onSessionEnded(): void;
}

export interface Credentials {
  homeserverUrl: string;
  username: string;
  password: string;
}

const DEVICE_NAME = 'ClawChat';

/** Events a room's timeline brings per sync, the first one included. */
const SYNC_TIMELINE_LIMIT = 30;

/**
 * A send that fails for want of a network while the sync loop is up (a blip the loop never saw) is
 * sent again after each sync that succeeds, this many times, before it shows as failed with a retry.
 */
const ONLINE_RESENDS = 3;

/** How long a refresh waits for a lost homeserver to answer again. */
const REFRESH_WAIT_MS = 10_000;

// The SDK logs each step of its sync loop through loglevel: keep warnings and errors only. Loggers it
// makes later start at the root level; the ones it made on import are set one by one.
loglevel.setLevel('warn');
for (const child of Object.values(loglevel.getLoggers())) child.setLevel('warn');

type TextContent = { msgtype: MsgType.Text; body: string };

// ---- Converting SDK objects to plain data -------------------------------------------------------

function statusOf(event: MatrixEvent): SendStatus {
  switch (event.status) {
    case null:
    case EventStatus.SENT:
      return 'sent';
    case EventStatus.NOT_SENT:
    case EventStatus.CANCELLED:
      return 'failed';
    default:
      return 'sending';
  }
}

/** A MatrixEvent as the plain TimelineEvent the reducer and stores use. */
export function toTimelineEvent(event: MatrixEvent): TimelineEvent {
  const txnId = event.getTxnId() ?? (event.getUnsigned().transaction_id as string | undefined);
  const id = event.getId();
  const status = statusOf(event);
  const isLocal = !id || id.startsWith('~');
  const plain: TimelineEvent = {
    eventId: isLocal ? `~${txnId ?? id ?? 'unknown'}` : id,
    roomId: event.getRoomId() ?? '',
    sender: event.getSender() ?? '',
    type: event.getType(),
    content: event.getOriginalContent() as Record<string, unknown>,
    ts: event.getTs(),
    status,
    redacted: event.isRedacted(),
  };
  if (txnId) plain.txnId = txnId;
  const redacts = event.event.redacts ?? (event.getContent().redacts as string | undefined);
  if (event.getType() === EventType.RoomRedaction && redacts) plain.redacts = redacts;
  return plain;
}

// ---- Sign in and register ------------------------------------------------------------------------

function sessionFrom(
  homeserverUrl: string,
  response: { user_id: string; access_token?: string; device_id?: string },
): Session {
  if (!response.access_token || !response.device_id) {
    throw new Error('The homeserver did not return an access token.');
  }
  return {
    homeserverUrl,
    userId: response.user_id,
    accessToken: response.access_token,
    deviceId: response.device_id,
  };
}

function localpartOf(username: string): string {
  const trimmed = username.trim();
  return trimmed.startsWith('@') ? (trimmed.slice(1).split(':')[0] ?? trimmed) : trimmed;
}

export async function login({ homeserverUrl, username, password }: Credentials): Promise<Session> {
  const client = createClient({ baseUrl: homeserverUrl });
  try {
    const response = await client.loginRequest({
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: username.trim() },
      password,
      initial_device_display_name: DEVICE_NAME,
    });
    return sessionFrom(homeserverUrl, response);
  } catch (error) {
    throw friendlyError(error, 'login', homeserverUrl);
  }
}

/** Registers with the dummy auth stage (the flow open-registration homeservers offer). */
export async function register({ homeserverUrl, username, password }: Credentials): Promise<Session> {
  const client = createClient({ baseUrl: homeserverUrl });
  const request = {
    username: localpartOf(username),
    password,
    initial_device_display_name: DEVICE_NAME,
  };
  try {
    try {
      return sessionFrom(homeserverUrl, await client.registerRequest(request));
    } catch (error) {
      // A 401 carrying a session asks for user-interactive auth: answer with the dummy stage.
      const data = (error as { data?: { session?: string; flows?: { stages: string[] }[] } }).data;
      const session = data?.session;
      if (!session) throw error;
      const dummy = data.flows?.some(
        (flow) => flow.stages.length === 1 && flow.stages[0] === 'm.login.dummy',
      );
      if (!dummy) throw unsupportedRegistration();
      const response = await client.registerRequest({ ...request, auth: { type: 'm.login.dummy', session } });
      return sessionFrom(homeserverUrl, response);
    }
  } catch (error) {
    throw friendlyError(error, 'register', homeserverUrl);
  }
}

// ---- The running client --------------------------------------------------------------------------

export class ChatClient {
  private readonly client: MatrixClient;
  private listener: ClientListener | undefined;
  private readonly announced = new Set<string>();
  private prepared = false;
  private connection: ConnectionState = 'idle';
  /** Sends that failed for want of a connection: sent again once the sync loop is back. */
  private readonly waitingForNetwork = new Set<string>();
  /** Network failures of a send while the sync loop was up (see ONLINE_RESENDS). */
  private readonly onlineFailures = new Map<string, number>();
  /** Our sends not yet acknowledged by the server, to send again on retry when the SDK holds none. */
  private readonly outbox = new Map<string, { roomId: string; content: TextContent }>();
  private readonly queued = new Map<
    string,
    { events: TimelineEvent[]; direction: 'forward' | 'backward' }[]
  >();
  private flushScheduled = false;
  /** Refreshes waiting for the sync loop to be back online. */
  private readonly onlineWaiters = new Set<() => void>();
  /** The device said it has no network (and no sync has gone through since). */
  private deviceOffline = false;
  private stopWatchingNetwork: (() => void) | undefined;

  /**
   * `watchNetwork`: what the device says of its network (lib/network), so that a lost network shows
   * at once and a network that is back is tried at once, rather than when the sync loop notices.
   */
  constructor(
    readonly session: Session,
    readonly botUserId: string,
    private readonly options: { watchNetwork?: DeviceNetworkWatcher } = {},
  ) {
    this.client = createClient({
      baseUrl: session.homeserverUrl,
      accessToken: session.accessToken,
      userId: session.userId,
      deviceId: session.deviceId,
      timelineSupport: true,
    });
    // The app keeps its own copy of each timeline: on a gap the SDK may drop all of its old ones, so
    // that paging back brings those events again (and in order) rather than skipping them.
    this.client.setCanResetTimelineCallback(() => true);
  }

  get userId(): string {
    return this.session.userId;
  }

  async start(listener: ClientListener): Promise<void> {
    this.listener = listener;
    this.setConnection('connecting');
    this.subscribe('on');
    this.stopWatchingNetwork = this.options.watchNetwork?.(this.onDeviceNetwork);
    // After the first sync the SDK's filter sets no timeline limit, so Synapse's default of 10 events a
    // room applies: a streamed reply (an edit a second) overflows it after a short pause, and every
    // sync after that is a gap. The app's own filter asks for as many as the first sync.
    const filter = new Filter(this.session.userId);
    filter.setTimelineLimit(SYNC_TIMELINE_LIMIT);
    await this.client.startClient({
      initialSyncLimit: SYNC_TIMELINE_LIMIT,
      filter,
      lazyLoadMembers: true,
      pendingEventOrdering: 'detached' as never,
    });
  }

  stop(): void {
    this.stopWatchingNetwork?.();
    this.stopWatchingNetwork = undefined;
    this.subscribe('removeListener');
    this.client.stopClient();
    this.listener = undefined;
    for (const done of [...this.onlineWaiters]) done();
  }

  /** Adds (`on`) or removes (`removeListener`) the SDK event handlers `start` and `stop` pair up. */
  private subscribe(method: 'on' | 'removeListener'): void {
    const c = this.client;
    c[method](ClientEvent.Sync, this.onSync);
    c[method](RoomEvent.Timeline, this.onTimeline);
    c[method](RoomEvent.TimelineReset, this.onTimelineReset);
    c[method](RoomEvent.LocalEchoUpdated, this.onLocalEcho);
    c[method](RoomEvent.MyMembership, this.onMyMembership);
    c[method](RoomEvent.Name, this.onRoomChanged);
    c[method](RoomEvent.Receipt, this.onReceipt);
    c[method](RoomMemberEvent.Typing, this.onTyping);
    c[method](RoomStateEvent.Members, this.onMembers);
  }

  /** Signs out on the server (best effort) and stops. */
  async logout(): Promise<void> {
    this.stop();
    try {
      await this.client.logout(false);
    } catch {
      // The token may already be gone or the server unreachable: the local session ends anyway.
    }
  }

  // ---- Conversations ----

  /** A direct room with the bot (invited, `is_direct`), recorded in m.direct. */
  async createChat(): Promise<string> {
    const { room_id: roomId } = await this.client.createRoom({
      preset: Preset.TrustedPrivateChat,
      visibility: Visibility.Private,
      is_direct: true,
      invite: [this.botUserId],
    });
    await this.addToDirectMap(roomId).catch(() => undefined);
    return roomId;
  }

  private async addToDirectMap(roomId: string): Promise<void> {
    const current = (this.client.getAccountData(EventType.Direct)?.getContent() ?? {}) as Record<
      string,
      string[]
    >;
    const rooms = current[this.botUserId] ?? [];
    if (rooms.includes(roomId)) return;
    await this.client.setAccountData(EventType.Direct, { ...current, [this.botUserId]: [...rooms, roomId] });
  }

  async renameChat(roomId: string, name: string): Promise<void> {
    await this.client.setRoomName(roomId, name.trim());
  }

  async leaveChat(roomId: string): Promise<void> {
    await this.client.leave(roomId);
    this.forgetLocally(roomId);
  }

  /** Leaves and forgets: the conversation is gone from this account. */
  async deleteChat(roomId: string): Promise<void> {
    await this.client.leave(roomId).catch((error: unknown) => {
      if (isNetworkError(error)) throw error;
    });
    await this.client.forget(roomId, true);
    this.forgetLocally(roomId);
  }

  private forgetLocally(roomId: string): void {
    this.announced.delete(roomId);
    this.listener?.onRoomRemoved(roomId);
  }

  // ---- Messages ----

  /** Sends text with a local echo (reported at once); returns the transaction id. */
  sendText(roomId: string, text: string): string {
    return this.send(roomId, { msgtype: MsgType.Text, body: text });
  }

  /** Sends a gateway command (`!stop`, `!retry`); the chat hides it. */
  sendCommand(roomId: string, command: Command): string {
    if (command !== COMMANDS.stop && command !== COMMANDS.retry)
      throw new Error(`unknown command ${command}`);
    return this.send(roomId, { msgtype: MsgType.Text, body: command });
  }

  private send(roomId: string, content: TextContent): string {
    const txnId = this.client.makeTxnId();
    this.emitEvents(roomId, [this.ownEcho(roomId, txnId, content, 'sending')], 'forward');
    this.outbox.set(txnId, { roomId, content });
    this.transmit(roomId, content, txnId);
    return txnId;
  }

  private transmit(roomId: string, content: TextContent, txnId: string): void {
    this.client
      .sendMessage(roomId, content, txnId)
      .then(() => this.sent(txnId))
      .catch((error: unknown) => this.onSendFailed(roomId, txnId, error));
  }

  /** Our own send as a plain event, for when the SDK holds no local echo of it. */
  private ownEcho(roomId: string, txnId: string, content: TextContent, status: SendStatus): TimelineEvent {
    return {
      eventId: `~${txnId}`,
      txnId,
      roomId,
      sender: this.userId,
      type: EventType.RoomMessage,
      content,
      ts: Date.now(),
      status,
      redacted: false,
    };
  }

  private sent(txnId: string): void {
    this.waitingForNetwork.delete(txnId);
    this.onlineFailures.delete(txnId);
    this.outbox.delete(txnId);
  }

  /** Whether a failed send waits to go out by itself (for the network) rather than show a retry. */
  private waitsForNetwork(txnId: string, error: unknown): boolean {
    if (this.connection !== 'online') return true;
    if (!isNetworkError(error)) return false;
    const failures = (this.onlineFailures.get(txnId) ?? 0) + 1;
    this.onlineFailures.set(txnId, failures);
    return failures <= ONLINE_RESENDS;
  }

  private onSendFailed(roomId: string, txnId: string, error: unknown): void {
    const waiting = this.waitsForNetwork(txnId, error);
    if (waiting) this.waitingForNetwork.add(txnId);
    const event = this.pendingEvent(roomId, txnId);
    if (event) {
      this.emitEvents(roomId, [this.plainPending(event)], 'forward');
      return;
    }
    // The SDK kept no local echo (a room it does not know): report the failure ourselves.
    const sent = this.outbox.get(txnId);
    if (sent)
      this.emitEvents(
        roomId,
        [this.ownEcho(roomId, txnId, sent.content, waiting ? 'sending' : 'failed')],
        'forward',
      );
  }

  private plainPending(event: MatrixEvent): TimelineEvent {
    const plain = toTimelineEvent(event);
    // A send waiting for the network is still on its way, as far as the person is concerned.
    if (plain.status === 'failed' && plain.txnId && this.waitingForNetwork.has(plain.txnId)) {
      plain.status = 'sending';
    }
    return plain;
  }

  private pendingEvent(roomId: string, txnId: string): MatrixEvent | undefined {
    return this.client
      .getRoom(roomId)
      ?.getPendingEvents()
      .find((e) => e.getTxnId() === txnId);
  }

  /** Sends a failed message again (the person asked: it may wait for the network afresh). */
  retry(roomId: string, txnId: string): void {
    this.onlineFailures.delete(txnId);
    this.resend(roomId, txnId);
  }

  private resend(roomId: string, txnId: string): void {
    this.waitingForNetwork.delete(txnId);
    const room = this.client.getRoom(roomId);
    const event = this.pendingEvent(roomId, txnId);
    if (room && event) {
      if (event.status !== EventStatus.NOT_SENT) return;
      this.client.resendEvent(event, room).catch((error: unknown) => this.onSendFailed(roomId, txnId, error));
      this.emitEvents(roomId, [this.plainPending(event)], 'forward');
      return;
    }
    const sent = this.outbox.get(txnId);
    if (!sent) return;
    this.emitEvents(roomId, [this.ownEcho(roomId, txnId, sent.content, 'sending')], 'forward');
    this.transmit(roomId, sent.content, txnId);
  }

  private resendWaiting(): void {
    for (const txnId of [...this.waitingForNetwork]) {
      const sent = this.outbox.get(txnId);
      if (sent) this.resend(sent.roomId, txnId);
    }
  }

  /** Fetches older history (/messages); resolves whether there is more still. */
  async loadOlder(roomId: string, limit = 30): Promise<boolean> {
    const room = this.client.getRoom(roomId);
    if (!room) return false;
    await this.client.scrollback(room, limit);
    this.flush();
    const more = this.canPaginate(room);
    this.listener?.onRoom(this.metaOf(room));
    return more;
  }

  /** Moves our read receipt to the newest event of the room. */
  async markRead(roomId: string): Promise<void> {
    const room = this.client.getRoom(roomId);
    const events = room?.getLiveTimeline().getEvents() ?? [];
    const last = [...events].reverse().find((e) => e.getId() && !e.getId()!.startsWith('~'));
    if (!room || !last || room.getEventReadUpTo(this.userId) === last.getId()) return;
    await this.client.sendReadReceipt(last).catch(() => undefined);
    this.listener?.onRoom(this.metaOf(room));
  }

  setTyping(roomId: string, typing: boolean): void {
    this.client.sendTyping(roomId, typing, 20_000).catch(() => undefined);
  }

  /** Asks the sync loop to try again now (after it lost the connection). */
  reconnectNow(): void {
    this.client.retryImmediately();
  }

  /**
   * Pull to refresh: when the homeserver was lost, tries again now and waits (a bounded while) for
   * the sync loop to be back; then reports every room again (names, receipts, rooms that qualify
   * since). The live sync loop brings the rest.
   */
  async refresh(): Promise<void> {
    if (this.connection !== 'online') {
      this.client.retryImmediately();
      await this.untilOnline(REFRESH_WAIT_MS);
    }
    for (const room of this.client.getRooms()) this.announce(room);
  }

  private untilOnline(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onlineWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.onlineWaiters.add(done);
    });
  }

  // ---- SDK events → listener ----

  private isBotRoom(room: Room): boolean {
    if (room.getMyMembership() !== 'join') return false;
    const bot = room.getMember(this.botUserId);
    if (bot && (bot.membership === 'join' || bot.membership === 'invite')) return true;
    const direct = (this.client.getAccountData(EventType.Direct)?.getContent() ?? {}) as Record<
      string,
      string[]
    >;
    return direct[this.botUserId]?.includes(room.roomId) ?? false;
  }

  private canPaginate(room: Room): boolean {
    const timeline = room.getLiveTimeline();
    if (timeline.getPaginationToken(EventTimeline.BACKWARDS) === null) return false;
    // The room's first event is already held: there is nothing older to show.
    return !timeline.getEvents().some((e) => e.getType() === EventType.RoomCreate);
  }

  private metaOf(room: Room): RoomMeta {
    const name = room.currentState.getStateEvents(EventType.RoomName, '')?.getContent().name;
    const create = room.currentState.getStateEvents(EventType.RoomCreate, '');
    const meta: RoomMeta = {
      roomId: room.roomId,
      name: typeof name === 'string' ? name : '',
      createdTs: create?.getTs() ?? 0,
      canPaginate: this.canPaginate(room),
    };
    const readUpTo = room.getEventReadUpTo(this.userId);
    if (readUpTo) meta.readUpTo = readUpTo;
    return meta;
  }

  /** Reports a room the first time it qualifies: its meta, its held timeline and pending sends. */
  private announce(room: Room): void {
    if (!this.prepared || !this.listener) return;
    if (!this.isBotRoom(room)) {
      if (this.announced.delete(room.roomId)) this.listener.onRoomRemoved(room.roomId);
      return;
    }
    this.listener.onRoom(this.metaOf(room));
    if (this.announced.has(room.roomId)) return;
    this.announced.add(room.roomId);
    const events = room.getLiveTimeline().getEvents().map(toTimelineEvent);
    const pending = room.getPendingEvents().map((e) => this.plainPending(e));
    this.emitEvents(room.roomId, [...events, ...pending], 'forward');
  }

  private emitEvents(roomId: string, events: TimelineEvent[], direction: 'forward' | 'backward'): void {
    if (events.length === 0) return;
    const batches = this.queued.get(roomId) ?? [];
    const last = batches[batches.length - 1];
    if (last && last.direction === direction) last.events.push(...events);
    else batches.push({ events: [...events], direction });
    this.queued.set(roomId, batches);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Hands queued events to the listener: one call per room and direction, not one per event. */
  private flush(): void {
    this.flushScheduled = false;
    const queued = [...this.queued.entries()];
    this.queued.clear();
    for (const [roomId, batches] of queued) {
      for (const batch of batches) this.listener?.onEvents(roomId, batch.events, batch.direction);
    }
  }

  private setConnection(state: ConnectionState): void {
    if (state === this.connection) return;
    this.connection = state;
    this.listener?.onConnection(state);
    if (state === 'online') for (const done of [...this.onlineWaiters]) done();
  }

  /**
   * A network lost: said at once (sends wait for it rather than fail), and the requests under way
   * ended. A network back: the sync loop tries now rather than after its back-off. A sync that goes through wins over what the device
   * said (a browser may call itself offline with only loopback up, where a local homeserver works).
   */
  private readonly onDeviceNetwork = (online: boolean): void => {
    this.deviceOffline = !online;
    if (!online) {
      this.setConnection('offline');
      // The requests under way went out on the network that is gone: a long poll would hang until its
      // timeout, and hold back the sync loop when the network is back. Ended now, the loop backs off
      // and polls (sends are sent again after the next sync, under the same transaction id).
      this.client.http.abort();
      return;
    }
    if (this.connection === 'offline') this.setConnection('reconnecting');
    this.client.retryImmediately();
  };

  private readonly onSync = (state: SyncState, _prev: SyncState | null, data?: { error?: unknown }): void => {
    switch (state) {
      case SyncState.Prepared:
        this.prepared = true;
        for (const room of this.client.getRooms()) this.announce(room);
        this.deviceOffline = false;
        this.setConnection('online');
        break;
      case SyncState.Syncing:
        this.deviceOffline = false;
        this.setConnection('online');
        // A sync went through: so can the sends waiting for the network.
        this.resendWaiting();
        break;
      case SyncState.Reconnecting:
      case SyncState.Catchup:
        this.setConnection(this.deviceOffline ? 'offline' : 'reconnecting');
        break;
      case SyncState.Error: {
        const errcode = (data?.error as { errcode?: string } | undefined)?.errcode;
        if (errcode === 'M_UNKNOWN_TOKEN') this.listener?.onSessionEnded();
        this.setConnection('offline');
        break;
      }
      case SyncState.Stopped:
        this.setConnection('idle');
        break;
    }
  };

  private readonly onTimeline = (
    event: MatrixEvent,
    room: Room | undefined,
    toStartOfTimeline: boolean | undefined,
  ): void => {
    if (!room || !this.prepared) return;
    if (!this.announced.has(room.roomId)) {
      this.announce(room);
      return;
    }
    this.emitEvents(room.roomId, [toTimelineEvent(event)], toStartOfTimeline ? 'backward' : 'forward');
    if (event.getType() === EventType.RoomName) this.listener?.onRoom(this.metaOf(room));
  };

  private readonly onTimelineReset = (room: Room | undefined, timelineSet: EventTimelineSet): void => {
    if (!room || timelineSet !== room.getUnfilteredTimelineSet() || !this.announced.has(room.roomId)) return;
    // Events queued but not yet reported belong to the timeline that is gone.
    this.queued.delete(room.roomId);
    this.listener?.onTimelineReset(room.roomId);
    this.listener?.onRoom(this.metaOf(room));
    this.emitEvents(
      room.roomId,
      room.getPendingEvents().map((e) => this.plainPending(e)),
      'forward',
    );
  };

  private readonly onLocalEcho = (event: MatrixEvent, room: Room): void => {
    if (!this.announced.has(room.roomId)) return;
    const txnId = event.getTxnId();
    if (txnId && event.status === null) this.sent(txnId);
    this.emitEvents(room.roomId, [this.plainPending(event)], 'forward');
  };

  private readonly onMyMembership = (room: Room, membership: string): void => {
    if (membership === 'join') this.announce(room);
    else if (this.announced.delete(room.roomId)) this.listener?.onRoomRemoved(room.roomId);
  };

  private readonly onRoomChanged = (room: Room): void => {
    if (this.announced.has(room.roomId)) this.listener?.onRoom(this.metaOf(room));
  };

  private readonly onReceipt = (_event: MatrixEvent, room: Room): void => {
    if (this.announced.has(room.roomId)) this.listener?.onRoom(this.metaOf(room));
  };

  private readonly onMembers = (_event: MatrixEvent, state: { roomId: string }): void => {
    const room = this.client.getRoom(state.roomId);
    if (room && !this.announced.has(room.roomId)) this.announce(room);
  };

  private readonly onTyping = (_event: MatrixEvent, member: { roomId: string }): void => {
    const room = this.client.getRoom(member.roomId);
    if (!room || !this.announced.has(room.roomId)) return;
    const typing = room
      .getMembers()
      .filter((m) => m.typing && m.userId !== this.userId)
      .map((m) => m.userId);
    this.listener?.onTyping(room.roomId, typing);
  };
}
