// The whole app in a real browser: the web build, served, driven in Debian's Chromium against the
// run's real Synapse and the real gateway (whose LLM is the only fake, on loopback).
import '@clawchat/common/polyfills';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { getTestHomeserver, uniqueLocalpart } from '@clawchat/local-synapse/harness';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFakeAnthropic } from '../../../gateway/test/fakes/index.ts';
import { buildWeb } from '../../scripts/build-web.mjs';
import { serveWeb } from '../../scripts/serve-web.mjs';
import { launchChromium } from './support/chromium.ts';
import { type RunningGateway, startGateway } from './support/gateway.ts';
import { artifactsDir, checkedScreenshot } from './support/screenshots.ts';

const REPLY =
  'Here is a **friendly** answer, streamed word by word:\n\n' +
  '- first, a list item\n- then another one\n\n' +
  'And some `inline code` to finish this reply nicely.';
const REPLY_END = 'to finish this reply nicely.';
const PROMPT = 'Hello bot, tell me something nice';
const OFFLINE_PROMPT = 'Written while offline';
const STORY_PROMPT = 'Tell me a long story';
// Long enough (about 25 s at the fake's pace) that Stop always lands while it is still growing.
const STORY = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');

// Generous: a cold page, a 2-core machine. These bound the waits; no assertion is about speed.
const WAIT = { timeout: 60_000 };

let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let web: { url: string; close(): Promise<void> } | undefined;
let gateway: RunningGateway | undefined;
let llm: { url: string; close(): Promise<void> } | undefined;
const user = { localpart: uniqueLocalpart('webuser'), password: randomBytes(9).toString('base64url') };

before(async () => {
  const hs = await getTestHomeserver();
  const slot = hs.claimAppservice();
  llm = await startFakeAnthropic({
    reply: (request) => {
      const users = request.messages.filter((m) => m.role === 'user');
      return users[users.length - 1]?.content.includes(STORY_PROMPT) ? STORY : REPLY;
    },
    tokensPerSecond: 12,
    timeToFirstTokenMs: 200,
  });
  gateway = await startGateway(hs, slot, llm.url, { EDIT_INTERVAL_MS: '150' });
  await buildWeb({
    outDir: join(artifactsDir, 'web-test'),
    env: {
      ...process.env,
      EXPO_PUBLIC_MATRIX_HOMESERVER: hs.baseUrl,
      EXPO_PUBLIC_BOT_USER_ID: slot.botUserId,
    },
    quiet: true,
  });
  web = await serveWeb({ dir: join(artifactsDir, 'web-test'), port: 0, host: '127.0.0.1' });
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  page = await context.newPage();
  page.setDefaultTimeout(WAIT.timeout);
});

after(async () => {
  await browser?.close();
  await web?.close();
  await gateway?.stop();
  await llm?.close();
});

/**
 * Records every text the bot's bubbles show, with their stream state, as the DOM changes. (A string:
 * tsx would wrap a function's inner helpers in a `__name` call the page does not have.)
 */
const RECORD_BOT_BUBBLES = `(() => {
  const seen = [];
  window.__bubbles = seen;
  const snapshot = () => {
    for (const el of document.querySelectorAll('[data-testid^="bubble-"]')) {
      const state = el.getAttribute('data-testid').slice('bubble-'.length);
      const text = el.innerText;
      const last = seen[seen.length - 1];
      if (state !== 'plain' && (!last || last.text !== text || last.state !== state)) seen.push({ state, text });
    }
  };
  new MutationObserver(snapshot).observe(document.body, { subtree: true, childList: true, characterData: true });
})()`;

/** One of our own messages in the chat (the header may show the same text: the chat's name). */
function myMessage(p: Page, text: string) {
  return p.getByTestId('bubble-plain').filter({ hasText: text });
}

async function recordBotBubbles(p: Page): Promise<void> {
  await p.evaluate(RECORD_BOT_BUBBLES);
}

async function bubblesSeen(p: Page): Promise<{ state: string; text: string }[]> {
  return (await p.evaluate('window.__bubbles')) as { state: string; text: string }[];
}

test('register a new user', async () => {
  await page.goto(`${web!.url}/login`);
  await page.getByText('Welcome back').waitFor();
  await checkedScreenshot(page, 'login', ['Welcome back', 'Homeserver', 'Sign in', 'Create an account']);

  await page.getByText('Create an account').click();
  await page.getByText('Create your account').waitFor();
  await page.getByTestId('username-input').fill(user.localpart);
  await page.getByTestId('password-input').fill(user.password);
  await page.getByTestId('confirm-input').fill(user.password);
  await page.getByTestId('auth-submit').click();
  await page.getByText('No conversations yet').waitFor();
});

test('start a new chat, send a message, see the reply grow and finish', async () => {
  await page.getByTestId('new-chat').click();
  const input = page.getByTestId('message-input');
  await input.waitFor();
  await page.getByText('Say hello').waitFor();
  await recordBotBubbles(page);

  await input.fill(PROMPT);
  await page.getByTestId('send-button').click();
  await myMessage(page, PROMPT).waitFor();

  const done = page.getByTestId('bubble-done').filter({ hasText: REPLY_END });
  await done.waitFor();
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees
  const finalText = await done.innerText();
  assert.ok(finalText.includes('friendly'), finalText);
  assert.ok(!finalText.includes('**'), `Markdown should be rendered, not shown raw: ${finalText}`);
  assert.ok(finalText.includes('inline code'));

  const seen = await bubblesSeen(page);
  const growing = seen.filter((s) => s.state === 'streaming' && s.text.trim().length > 0);
  assert.ok(growing.length >= 1, `the reply should be seen while it grows: ${JSON.stringify(seen)}`);
  const partial = growing[0]!.text.replace('▍', '').trim();
  assert.ok(partial.length < finalText.length, 'the first text seen is a part of the reply');
  assert.equal(seen[seen.length - 1]!.state, 'done');
  // The cursor is gone once the stream is done; the controls now offer to regenerate.
  assert.equal(await page.getByTestId('stream-cursor').count(), 0);
  await page.getByTestId('regenerate-reply').waitFor();
  await checkedScreenshot(page, 'chat', [PROMPT, 'friendly', REPLY_END]);
});

test('reload the page: the session and the history are still there', async () => {
  await page.reload();
  await myMessage(page, PROMPT).waitFor();
  await page.getByTestId('bubble-done').filter({ hasText: REPLY_END }).waitFor();

  await page.goto(web!.url);
  // The new chat was named after its first message.
  await page.getByText(PROMPT).first().waitFor();
  // Its preview is the finished reply, read. (Synapse answers a reload's first sync, within two
  // minutes of the last one of this device, with that cached response, and the syncs after it
  // replay what happened since: the list passes through older states on its way here.)
  await page.waitForFunction(
    `[...document.querySelectorAll('[aria-label*="then another one"]')].some((el) => !el.getAttribute('aria-label').includes('unread'))`,
    undefined,
    WAIT,
  );
  await checkedScreenshot(page, 'conversations', ['Chats', PROMPT, 'New chat', 'then another one']);
});

test('offline: a banner shows, and a message written offline goes out when the connection is back', async () => {
  await page.getByText(PROMPT).first().click();
  await page.getByTestId('message-input').waitFor();
  await context.setOffline(true);
  // The browser says it is offline (its `offline` event): the banner shows at once, without waiting
  // for the sync loop's long poll (up to 30 s) to fail.
  await page.getByTestId('connection-banner').waitFor();
  assert.match(
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees
    await page.getByTestId('connection-banner').innerText(),
    /No connection to the server/,
  );
  await page.getByTestId('message-input').fill(OFFLINE_PROMPT);
  await page.getByTestId('send-button').click();
  await myMessage(page, OFFLINE_PROMPT).waitFor();
  // While offline the message waits: it is not shown as failed.
  assert.equal(await page.getByTestId('retry-send').count(), 0);

  await context.setOffline(false);
  await page.getByTestId('connection-banner').waitFor({ state: 'detached' });
  // The gateway answers the message sent late: a second finished reply.
  await page.waitForFunction(
    `document.querySelectorAll('[data-testid="bubble-done"]').length >= 2`,
    undefined,
    WAIT,
  );
  await page.goto(web!.url);
  await page.getByText(PROMPT).first().waitFor();
});

test('stop a reply in progress, then regenerate it, with buttons (no command is ever shown)', async () => {
  await page.getByText(PROMPT).first().click();
  await page.getByTestId('message-input').fill(STORY_PROMPT);
  await page.getByTestId('send-button').click();
  await page.getByTestId('bubble-streaming').filter({ hasText: 'word1' }).waitFor();
  await page.getByTestId('stop-reply').click();
  await page.getByTestId('bubble-stopped').waitFor();
  await page.getByTestId('regenerate-reply').waitFor();

  await page.getByTestId('regenerate-reply').click();
  await page.getByTestId('bubble-streaming').filter({ hasText: 'word1' }).waitFor();
  await page.getByTestId('stop-reply').click();
  await page.waitForFunction(
    `document.querySelectorAll('[data-testid="bubble-stopped"]').length >= 2`,
    undefined,
    WAIT,
  );

  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text a person sees
  const shown = await page.locator('body').innerText();
  assert.ok(!shown.includes('!stop') && !shown.includes('!retry'), 'the commands stay out of sight');
  assert.ok(!shown.includes('nothing to stop'), "the bot's acknowledgements stay out of sight");
  await page.goto(web!.url);
  await page.getByText(PROMPT).first().waitFor();
});

test('sign out and sign in again', async () => {
  await page.getByTestId('sign-out').click();
  await page.getByText('Welcome back').waitFor();
  assert.equal(
    await page.evaluate("localStorage.getItem('clawchat.session.v1')"),
    null,
    'signing out clears the stored session',
  );

  await page.getByTestId('username-input').fill(user.localpart);
  await page.getByTestId('password-input').fill('not the password');
  await page.getByTestId('auth-submit').click();
  await page.getByText('Wrong user name or password.').waitFor();

  await page.getByTestId('password-input').fill(user.password);
  await page.getByTestId('auth-submit').click();
  await page.getByText(PROMPT).first().waitFor();
  await page.getByText(PROMPT).first().click();
  await myMessage(page, OFFLINE_PROMPT).waitFor();
  await page.getByTestId('bubble-done').filter({ hasText: REPLY_END }).first().waitFor();
});

const PHONE = { width: 390, height: 844 };

/** Nothing on the page is wider than the screen, and each element given lies within it. */
async function fitsTheScreen(p: Page, elements: ReturnType<Page['getByTestId']>[]): Promise<void> {
  const overflow = (await p.evaluate('document.scrollingElement.scrollWidth - window.innerWidth')) as number;
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  for (const element of elements) {
    const box = await element.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `${element} is outside the screen`);
  }
}

test('on a phone-sized screen: the list and a chat fit, and a reloaded chat has a way back', async () => {
  await page.setViewportSize(PHONE);
  try {
    await page.goto(web!.url);
    await page.getByText(PROMPT).first().waitFor();
    await fitsTheScreen(page, [page.getByTestId('new-chat'), page.getByTestId('sign-out')]);
    await checkedScreenshot(page, 'conversations-phone', ['Chats', PROMPT, 'New chat']);

    await page.getByText(PROMPT).first().click();
    await page.getByTestId('bubble-done').filter({ hasText: REPLY_END }).first().waitFor();
    await fitsTheScreen(page, [page.getByTestId('message-input'), page.getByTestId('send-button')]);
    await checkedScreenshot(page, 'chat-phone', [OFFLINE_PROMPT, REPLY_END]);

    // Opened straight from its address, the chat still leads back to the list.
    await page.reload();
    await page.getByTestId('message-input').waitFor();
    await page.getByRole('link', { name: 'Chats, back' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByTestId('conversation-list').waitFor();
  } finally {
    await page.setViewportSize({ width: 1100, height: 800 });
  }
});
