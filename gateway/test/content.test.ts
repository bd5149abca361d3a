// What the bot sends: Markdown as sanitized HTML, streamed replies and their edits, commands, mentions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sanitizeHtml from 'sanitize-html';
import { parseCommand } from '../src/conversation/commands.ts';
import { editContent, replyContent } from '../src/conversation/content.ts';
import { allowPolicy } from '../src/conversation/intake.ts';
import { LINK_SCHEMES, renderMarkdown } from '../src/conversation/markdown.ts';
import { normalizeHistory } from '../src/conversation/memory.ts';
import { botMentionMatcher, classifyMessage } from '../src/conversation/message-kind.ts';
import { editTxnId, newRunId, replyTxnId } from '../src/conversation/txn-ids.ts';
import type { MatrixEvent } from '../src/matrix/events.ts';
import { eventsFromSync } from '../src/matrix/sync-loop.ts';

const event = (content: Record<string, unknown>, type = 'm.room.message'): MatrixEvent => ({
  type,
  event_id: '$e',
  room_id: '!r:localhost',
  sender: '@u:localhost',
  origin_server_ts: 1,
  content,
});

describe('content', () => {
  test('Markdown becomes sanitized HTML', () => {
    assert.equal(renderMarkdown('**bold** and `code`'), '<p><strong>bold</strong> and <code>code</code></p>');
    const html = renderMarkdown(
      '<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>',
    );
    assert.ok(!html.includes('<script'));
    assert.ok(!html.includes('href="javascript'));
    assert.match(html, /&lt;script&gt;/, 'raw HTML is shown as text');
    assert.ok(!html.includes('<img'));
    assert.match(renderMarkdown('```js\nlet a = 1;\n```'), /<pre><code class="language-js">/);
  });

  test('the HTML keeps to the Matrix subset: sanitize-html with the spec allow-list removes nothing', () => {
    // The tags and attributes the Matrix spec suggests clients allow (m.room.message, "HTML").
    const matrixSubset: sanitizeHtml.IOptions = {
      allowedTags: [
        ...['font', 'del', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'p', 'a', 'ul', 'ol'],
        ...['sup', 'sub', 'li', 'b', 'i', 'u', 'strong', 'em', 's', 'code', 'hr', 'br', 'div'],
        ...['table', 'thead', 'tbody', 'tr', 'th', 'td', 'caption', 'pre', 'span', 'details', 'summary'],
      ],
      allowedAttributes: { a: ['href', 'target'], ol: ['start'], code: ['class'] },
      allowedSchemes: LINK_SCHEMES,
      allowedClasses: { code: [/^language-[\w+#-]+$/] },
    };
    // The same serializer with nothing disallowed, so that only removals show as differences.
    const everything: sanitizeHtml.IOptions = {
      allowedTags: false,
      allowedAttributes: false,
      allowVulnerableTags: true,
      allowedSchemes: ['http', 'https', 'ftp', 'mailto', 'magnet', 'javascript', 'data', 'tel', 'vbscript'],
    };
    const samples = [
      '**bold** _em_ ~~gone~~ `code` and a\nline break',
      '# Title\n\n## Sub\n\n> quoted\n\n---\n\n1. one\n2. two\n\n5) five\n\n- a\n  - nested',
      '| left | right |\n|:-----|------:|\n| 1 | 2 |',
      '```js\nlet a = "<b>" & 1;\n```\n\n```js onload=alert(1)\nx\n```\n\n```"><script>\ny\n```',
      '[ok](https://example.org/a?b="c") <https://example.org> www.example.org mail@example.org',
      '[js](javascript:alert(1)) [JS](JaVaScRiPt:alert(1)) [tab](java\tscript:alert(1)) [ent](javascript&#58;alert(1))',
      '[data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:x) [tel](tel:123) [rel](/relative) [m](mailto:a@b)',
      '![a picture](https://example.org/p.png) ![](https://example.org/q.png) ![x](javascript:alert(1))',
      '<script>alert(1)</script> <img src=x onerror=alert(1)> <a href="javascript:x">a</a> <span style="x">s</span>',
      'it\'s "quoted" & <b>not bold</b> &lt;already&gt; &amp; &#x3C;',
      '[link with **bold** and `code`](https://example.org "a title")',
    ];
    const canonical = (html: string) => sanitizeHtml(html, everything);
    for (const markdown of samples) {
      const html = renderMarkdown(markdown);
      assert.equal(sanitizeHtml(html, matrixSubset), canonical(html), `for ${JSON.stringify(markdown)}`);
      assert.ok(!/href="(?!https?:|ftp:|mailto:|magnet:|\/)/i.test(html), `a link scheme in ${html}`);
    }
    assert.equal(
      renderMarkdown('![a picture](https://example.org/p.png)'),
      '<p><a href="https://example.org/p.png" target="_blank">a picture</a></p>',
      'an image is shown as a link to it',
    );
  });

  test('replies and edits carry the stream state; threads stay in the thread', () => {
    const reply = replyContent({ sourceEventId: '$src', threadRoot: '$root' }, 'Hi', 'streaming');
    assert.deepEqual(reply['org.clawchat.stream'], { state: 'streaming' });
    assert.deepEqual(reply['m.relates_to'], {
      rel_type: 'm.thread',
      event_id: '$root',
      is_falling_back: true,
      'm.in_reply_to': { event_id: '$src' },
    });
    const edit = editContent('$reply', 'Hi there', 'stopped');
    assert.deepEqual(edit['m.relates_to'], { rel_type: 'm.replace', event_id: '$reply' });
    const newContent = edit['m.new_content'] as Record<string, unknown>;
    assert.deepEqual(newContent['org.clawchat.stream'], { state: 'stopped' });
    assert.match(String(newContent.body), /^Hi there\n\n\*\(stopped\)\*$/);
    assert.equal(edit.body, `* ${newContent.body}`);
    assert.equal(edit.formatted_body, `* ${newContent.formatted_body}`);
    assert.ok(!String(edit.formatted_body).includes('<li>'), 'the "* " fallback is not a list');
    const plain = replyContent({ sourceEventId: '$src' }, 'Just words', 'streaming');
    assert.equal(plain.format, undefined, 'plain text is sent without HTML');
  });

  test('transaction ids are derived from the source event, stable and distinct', () => {
    assert.equal(replyTxnId('$a'), replyTxnId('$a'));
    assert.notEqual(replyTxnId('$a'), replyTxnId('$b'));
    assert.notEqual(newRunId(1), newRunId(1));
    assert.notEqual(editTxnId('$a', newRunId(1), 1), editTxnId('$a', newRunId(1), 1));
    assert.equal(editTxnId('$a', 'a1x', 3), editTxnId('$a', 'a1x', 3));
    assert.match(replyTxnId('$a:localhost'), /^clawchat\.[\w-]+\.reply$/);
  });

  test('commands', () => {
    assert.deepEqual(parseCommand('!help'), { name: 'help' });
    assert.deepEqual(parseCommand('  !MODEL  claude-x '), { name: 'model', arg: 'claude-x' });
    assert.deepEqual(parseCommand('!system Be brief.\nAlways.'), {
      name: 'system',
      arg: 'Be brief.\nAlways.',
    });
    assert.deepEqual(parseCommand('!dance'), { name: 'unknown', given: 'dance' });
    assert.equal(parseCommand('hello !help'), null);
    assert.equal(parseCommand('!'), null);
  });

  test('what a message asks for', () => {
    assert.deepEqual(classifyMessage(event({ msgtype: 'm.text', body: 'hi' }), 10), {
      kind: 'prompt',
      text: 'hi',
    });
    assert.deepEqual(classifyMessage(event({ msgtype: 'm.text', body: 'x'.repeat(11) }), 10), {
      kind: 'too_long',
      length: 11,
    });
    assert.deepEqual(classifyMessage(event({ msgtype: 'm.image', body: 'a.png' }), 10), {
      kind: 'unsupported',
      what: 'images',
    });
    assert.deepEqual(classifyMessage(event({ body: 'w' }, 'm.sticker'), 10), {
      kind: 'unsupported',
      what: 'stickers',
    });
    assert.equal(classifyMessage(event({ msgtype: 'm.notice', body: 'bot' }), 10).kind, 'ignore');
    assert.equal(
      classifyMessage(
        event({ msgtype: 'm.text', body: '* x', 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } }),
        10,
      ).kind,
      'ignore',
    );
    assert.deepEqual(
      classifyMessage(event({ msgtype: 'm.text', body: '> <@a:b> quoted\n\nreal text' }), 100),
      {
        kind: 'prompt',
        text: 'real text',
      },
    );
  });

  test('mentions: m.mentions, the user id, the localpart or the display name as a word', () => {
    const bot = '@clawbot:localhost';
    const mentionsBot = botMentionMatcher(bot, ['clawbot', 'Clawdbot']);
    assert.ok(mentionsBot(event({ body: 'hey', 'm.mentions': { user_ids: [bot] } })));
    assert.ok(mentionsBot(event({ body: 'clawbot: what time is it?' })));
    assert.ok(mentionsBot(event({ body: 'ask @clawbot:localhost' })));
    assert.ok(mentionsBot(event({ body: 'Clawdbot, what do you think?' })));
    assert.ok(mentionsBot(event({ body: 'what does clawdbot say' })));
    assert.ok(!mentionsBot(event({ body: 'clawbots are fun' })));
    assert.ok(!mentionsBot(event({ body: 'Clawdbotics is a word now' })));
    assert.ok(!mentionsBot(event({ body: 'lunch?' })));
    assert.ok(!botMentionMatcher(bot, [' ', ''])(event({ body: 'anything at all' })));
  });

  test('history turns are merged to alternate and start with the user', () => {
    assert.deepEqual(
      normalizeHistory([
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'a' },
        { role: 'user', content: 'b' },
        { role: 'assistant', content: 'c' },
      ]),
      [
        { role: 'user', content: 'a\n\nb' },
        { role: 'assistant', content: 'c' },
      ],
    );
  });
});

describe('who may talk to the bot', () => {
  test('its own server by default, listed servers, `*`, or a user regex', () => {
    const own = allowPolicy(['localhost']);
    assert.ok(own('@alice:localhost'));
    assert.ok(!own('@mallory:evil.org'));
    assert.ok(allowPolicy(['*'])('@anyone:anywhere.org'));
    const regex = allowPolicy(['localhost'], '^@(alice|bob):example\\.org$');
    assert.ok(regex('@bob:example.org'));
    assert.ok(!regex('@alice:localhost'), 'the regex replaces the server list');
  });
});

describe('sync mode', () => {
  const bot = '@bot:localhost';
  const ev = (id: string, sender: string, ts: number) => ({
    event_id: id,
    type: 'm.room.message',
    sender,
    origin_server_ts: ts,
    content: { msgtype: 'm.text', body: id },
  });

  test('invites become member events; after a restart only unanswered recent messages are taken', () => {
    const now = Date.now();
    const res = {
      next_batch: 's1',
      rooms: {
        invite: {
          '!new:localhost': {
            invite_state: {
              events: [
                {
                  type: 'm.room.member',
                  state_key: bot,
                  sender: '@alice:localhost',
                  content: { membership: 'invite' },
                },
              ],
            },
          },
        },
        join: {
          '!r:localhost': {
            timeline: {
              events: [
                ev('$old', '@alice:localhost', now - 5000),
                ev('$answer', bot, now - 4000),
                ev('$new', '@alice:localhost', now - 1000),
              ],
            },
          },
        },
      },
    };
    const catchUp = eventsFromSync(res, bot, true);
    assert.deepEqual(
      catchUp.map((e) => e.event_id),
      ['$invite.!new:localhost.s1', '$new'],
    );
    assert.equal(catchUp[0]!.type, 'm.room.member');
    assert.deepEqual(
      eventsFromSync(res, bot, false).map((e) => e.event_id),
      ['$invite.!new:localhost.s1', '$old', '$answer', '$new'],
    );
  });
});
