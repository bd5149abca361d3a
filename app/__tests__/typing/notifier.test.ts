import { TYPING, TypingNotifier } from '../../lib/typing';

describe('typing notifier', () => {
  let now = 0;
  let sent: boolean[];
  let notifier: TypingNotifier;

  beforeEach(() => {
    jest.useFakeTimers();
    now = 1_000;
    sent = [];
    notifier = new TypingNotifier(
      (typing) => sent.push(typing),
      () => now,
    );
  });

  afterEach(() => jest.useRealTimers());

  it('says "typing" once for a run of keystrokes, and again when the homeserver would forget it', () => {
    notifier.changed('H');
    notifier.changed('He');
    notifier.changed('Hel');
    expect(sent).toEqual([true]);
    now += TYPING.refreshMs;
    notifier.changed('Hell');
    expect(sent).toEqual([true, true]);
  });

  it('says "stopped" once: on send, when the text is cleared, or after a pause', () => {
    notifier.changed('Hi');
    notifier.stop();
    notifier.stop();
    expect(sent).toEqual([true, false]);

    notifier.changed('Hi again');
    notifier.changed('');
    expect(sent).toEqual([true, false, true, false]);

    notifier.changed('And then');
    jest.advanceTimersByTime(TYPING.idleMs);
    expect(sent).toEqual([true, false, true, false, true, false]);
  });

  it('never says "stopped" without having said "typing"', () => {
    notifier.changed('   ');
    notifier.stop();
    expect(sent).toEqual([]);
  });
});
