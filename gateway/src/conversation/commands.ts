// Chat commands: `!help`, `!new`, `!model <name>`, `!system <prompt>`, `!stop`, `!retry`.

export type Command =
  | { name: 'help' }
  | { name: 'new' }
  | { name: 'model'; arg: string }
  | { name: 'system'; arg: string }
  | { name: 'stop' }
  | { name: 'retry' }
  | { name: 'unknown'; given: string };

/** The command in a message body, or null when the body is not a command. */
export function parseCommand(body: string): Command | null {
  const trimmed = body.trim();
  const match = /^!([A-Za-z][\w-]*)(?:\s+([\s\S]*))?$/.exec(trimmed);
  if (!match) return null;
  const name = match[1]!.toLowerCase();
  const arg = (match[2] ?? '').trim();
  switch (name) {
    case 'help':
    case 'new':
    case 'stop':
    case 'retry':
      return { name };
    case 'model':
    case 'system':
      return { name, arg };
    default:
      return { name: 'unknown', given: name };
  }
}

export function helpText(botName: string): string {
  return [
    `**${botName}** answers every message with an AI reply that streams in as it is written.`,
    '',
    'Commands:',
    '- `!help`: this help',
    '- `!new`: start a new conversation (forget the context)',
    '- `!model <name>`: use another model in this room (`!model` alone shows the current one; `!model default` resets it)',
    "- `!system <prompt>`: set this room's system prompt (`!system` alone shows it; `!system reset` restores the default)",
    '- `!stop`: stop the reply being written (the text so far stays, marked stopped)',
    '- `!retry`: write a new answer to your last message (posted as a new reply; the old one stays for comparison)',
    '',
    'In rooms with more than two members, mention me or reply to one of my messages.',
  ].join('\n');
}
