// A stand-in for the client wrapper's ChatClient in store and screen tests: it records what the
// stores ask of it and lets the test play the listener's side. (The wrapper itself is tested with
// the real SDK: __tests__/matrix and test/integration.)
import type { ClientListener } from '../../lib/matrix/client';
import type { Session } from '../../lib/matrix/types';

export class FakeChatClient {
  static last: FakeChatClient | undefined;
  listener: ClientListener | undefined;
  calls: { method: string; args: unknown[] }[] = [];
  nextRoomId = '!new:localhost';

  constructor(
    readonly session: Session,
    readonly botUserId: string,
  ) {
    FakeChatClient.last = this;
  }

  private record(method: string, ...args: unknown[]) {
    this.calls.push({ method, args });
  }

  get userId() {
    return this.session.userId;
  }

  async start(listener: ClientListener) {
    this.listener = listener;
    this.record('start');
  }
  stop() {
    this.record('stop');
  }
  async logout() {
    this.record('logout');
  }
  async createChat() {
    this.record('createChat');
    return this.nextRoomId;
  }
  async renameChat(roomId: string, name: string) {
    this.record('renameChat', roomId, name);
  }
  async leaveChat(roomId: string) {
    this.record('leaveChat', roomId);
    this.listener?.onRoomRemoved(roomId);
  }
  async deleteChat(roomId: string) {
    this.record('deleteChat', roomId);
    this.listener?.onRoomRemoved(roomId);
  }
  sendText(roomId: string, text: string) {
    this.record('sendText', roomId, text);
    return 'txn';
  }
  sendCommand(roomId: string, command: string) {
    this.record('sendCommand', roomId, command);
    return 'txn';
  }
  retry(roomId: string, txnId: string) {
    this.record('retry', roomId, txnId);
  }
  async loadOlder(roomId: string, _limit?: number) {
    this.record('loadOlder', roomId);
    return false;
  }
  async markRead(roomId: string) {
    this.record('markRead', roomId);
  }
  setTyping(roomId: string, typing: boolean) {
    this.record('setTyping', roomId, typing);
  }
  reconnectNow() {
    this.record('reconnectNow');
  }
  async refresh() {
    this.record('refresh');
  }
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}
