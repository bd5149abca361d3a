// Turns what the person types into typing notifications, throttled: "typing" when they start and
// again every refreshMs while they go on (the homeserver forgets it after 20 s), "stopped" once:
// after idleMs without a keystroke, when the text is cleared or sent, or when the composer is left.

export const TYPING = { refreshMs: 15_000, idleMs: 5_000 } as const;

export class TypingNotifier {
  private typing = false;
  private sentAt = 0;
  private idle: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly notify: (typing: boolean) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The composer's text changed. */
  changed(text: string): void {
    if (!text.trim()) {
      this.stop();
      return;
    }
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.stop(), TYPING.idleMs);
    if (this.typing && this.now() - this.sentAt < TYPING.refreshMs) return;
    this.typing = true;
    this.sentAt = this.now();
    this.notify(true);
  }

  /** Sent, cleared, idle, or the composer left: says so once. */
  stop(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
    if (!this.typing) return;
    this.typing = false;
    this.notify(false);
  }
}
